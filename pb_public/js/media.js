// media.js: photos are shrunk and re-encoded through a canvas on the phone
// (longest side 1600 px, JPEG 80 %), which also drops the camera's EXIF and
// GPS data before anything is stored or sent. Voice notes use MediaRecorder.

const MAX_SIDE = 1600;
const QUALITY = 0.8;

export function shrink(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      const scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(img.naturalWidth * scale));
      c.height = Math.max(1, Math.round(img.naturalHeight * scale));
      c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
      c.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), 'image/jpeg', QUALITY);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('not an image'));
    };
    img.src = url;
  });
}

// sha256 returns the hex SHA-256 of a blob: uploads are content-addressed.
export async function sha256(blob) {
  const buf = await new Response(blob).arrayBuffer();
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  let s = '';
  for (const b of h) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

export function canRecord() {
  return typeof MediaRecorder !== 'undefined' && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// record starts a voice note; call the returned stop() to get the blob.
export async function record() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const type = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : '';
  const rec = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 16000 } : {});
  const parts = [];
  rec.ondataavailable = (e) => parts.push(e.data);
  rec.start();
  const started = Date.now();
  return {
    stop: () => new Promise((resolve) => {
      rec.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        resolve({ blob: new Blob(parts, { type: 'audio/webm' }), seconds: Math.round((Date.now() - started) / 1000) });
      };
      rec.stop();
    }),
  };
}
