// media.js: photos are shrunk and re-encoded through a canvas on the phone
// (longest side 1600 px, JPEG 80 %), which also drops the camera's EXIF and
// GPS data before anything is stored or sent. The EXIF orientation is
// applied first, so a photo taken upright is stored upright: browsers from
// Chrome 81 do that when decoding; Chrome 80 and older draw the sensor's
// pixels as they are, so there the canvas turns them. Voice notes use
// MediaRecorder.

const MAX_SIDE = 1600;
const QUALITY = 0.8;

export async function shrink(file) {
  const [img, orientation, auto] = await Promise.all([load(file), exifOrientation(file).catch(() => 1), browserOrients()]);
  const o = auto ? 1 : orientation;
  const scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
  const w = Math.max(1, Math.round(img.naturalWidth * scale));
  const h = Math.max(1, Math.round(img.naturalHeight * scale));
  return toJPEG(drawOriented(img, o, w, h));
}

function load(blob) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(blob);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('not an image'));
    };
    img.src = url;
  });
}

function toJPEG(c) {
  return new Promise((resolve, reject) => {
    c.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), 'image/jpeg', QUALITY);
  });
}

// drawOriented draws src, scaled to w x h, onto a new canvas turned as EXIF
// orientation o says (1-8), and returns the canvas.
export function drawOriented(src, o, w, h) {
  const c = document.createElement('canvas');
  const turned = o >= 5;
  c.width = turned ? h : w;
  c.height = turned ? w : h;
  const ctx = c.getContext('2d');
  const m = {
    2: [-1, 0, 0, 1, w, 0], 3: [-1, 0, 0, -1, w, h], 4: [1, 0, 0, -1, 0, h],
    5: [0, 1, 1, 0, 0, 0], 6: [0, 1, -1, 0, h, 0], 7: [0, -1, -1, 0, h, w], 8: [0, -1, 1, 0, 0, w],
  }[o];
  if (m) ctx.transform(m[0], m[1], m[2], m[3], m[4], m[5]);
  ctx.drawImage(src, 0, 0, w, h);
  return c;
}

// exifOrientation returns a JPEG's EXIF orientation (1-8), 1 when it has
// none or is not a JPEG.
export async function exifOrientation(blob) {
  const v = new DataView(await new Response(blob.slice(0, 256 * 1024)).arrayBuffer());
  if (v.byteLength < 4 || v.getUint16(0) !== 0xffd8) return 1;
  for (let p = 2; p + 4 <= v.byteLength;) {
    const marker = v.getUint16(p);
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return 1; // image data: no EXIF before it
    const len = v.getUint16(p + 2);
    if (marker === 0xffe1 && p + 10 <= v.byteLength && v.getUint32(p + 4) === 0x45786966) { // "Exif"
      return tiffOrientation(v, p + 10, Math.min(v.byteLength, p + 2 + len));
    }
    p += 2 + len;
  }
  return 1;
}

// tiffOrientation reads tag 0x0112 of the first IFD of the TIFF at t.
function tiffOrientation(v, t, end) {
  if (t + 8 > end) return 1;
  const le = v.getUint16(t) === 0x4949;
  const ifd = t + v.getUint32(t + 4, le);
  if (ifd + 2 > end) return 1;
  const n = v.getUint16(ifd, le);
  for (let i = 0; i < n && ifd + 14 + i * 12 <= end; i++) {
    const e = ifd + 2 + i * 12;
    if (v.getUint16(e, le) === 0x0112) {
      const o = v.getUint16(e + 8, le);
      return o >= 1 && o <= 8 ? o : 1;
    }
  }
  return 1;
}

// A 2x1 JPEG whose EXIF says Orientation 6: a browser that applies EXIF
// orientation when decoding shows it 1x2.
let orients = null;
export function browserOrients() {
  if (!orients) {
    orients = (async () => {
      const c = document.createElement('canvas');
      c.width = 2;
      c.height = 1;
      const plain = new Uint8Array(await new Response(await toJPEG(c)).arrayBuffer());
      const exif = [0xff, 0xe1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8,
        0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
      const img = await load(new Blob([plain.slice(0, 2), new Uint8Array(exif), plain.slice(2)], { type: 'image/jpeg' }));
      return img.naturalWidth === 1 && img.naturalHeight === 2;
    })().catch(() => true); // no probe: draw the image as the browser decodes it
  }
  return orients;
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
