package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/media/mediatest"
)

// TestThePhoneKeepsAPhotoUntilTheServerStoresIt runs the real binary with
// its file storage broken (the storage folder is a plain file, so saving
// an attachment fails as on a full disk): the photo's upload fails at its
// finishing step, pass after pass, and the phone keeps the photo; once
// storage works again the next pass stores it, upright and clean. A file
// the server refuses for good (not a photo) is shown as refused and not
// sent again on the following passes.
func TestThePhoneKeepsAPhotoUntilTheServerStoresIt(t *testing.T) {
	srv := startReal(t)
	srv.seedEmbassy("test-indonesia", "Embassy of Testland")
	storage := filepath.Join(srv.Bin.DataDir, "storage")
	if err := os.RemoveAll(storage); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(storage, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A portrait photo as the camera wrote it: 640x480 pixels, EXIF
	// Orientation 6 and a place in its description.
	photo := filepath.Join(t.TempDir(), "portrait.jpg")
	if err := os.WriteFile(photo, mediatest.OrientedJPEG(640, 480, 6, "GPS 11.5564 N 104.9282 E"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t, 150*time.Second)
	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
	fillReport(t, ctx, "report with a portrait photo", photo)

	// The phone turned the photo upright through its canvas.
	if got := eval[string](t, ctx, `self.homeward.db.all('files').then((f) => createImageBitmap(f[0].blob)).then((b) => {
		const c = document.createElement('canvas');
		c.width = b.width; c.height = b.height;
		const x = c.getContext('2d');
		x.drawImage(b, 0, 0);
		const px = (a, b) => Array.from(x.getImageData(a, b, 1, 1).data.slice(0, 3)).map((v) => v > 160 ? 1 : 0).join('');
		return b.width + 'x' + b.height + ' ' + px(449, 40) + ' ' + px(449, 600);
	})`); got != "480x640 100 010" {
		t.Fatalf("the phone's copy is %q, want 480x640 with red at the top right and green at the bottom right", got)
	}

	waitForServer(t, "a photo upload that fails at its finish", func() bool { return srv.Proxy.fileFailed.Load() >= 1 })
	// Another pass (as the app's retry would make): it asks where the
	// upload stands, resends what the server lacks, and fails again.
	eval[string](t, ctx, `self.homeward.sync.run().then(() => 'ok', (e) => String(e))`)
	waitForServer(t, "the resumed upload failing again", func() bool { return srv.Proxy.fileFailed.Load() >= 2 })
	if srv.Proxy.fileHeads.Load() == 0 {
		t.Fatal("the app resumed without asking where the upload stands")
	}
	if got := eval[string](t, ctx, `self.homeward.db.all('files').then((f) => f[0].state + ' ' + (f[0].blob ? f[0].blob.size > 0 : 'gone'))`); got != "uploading true" {
		t.Fatalf("after failed finishes the phone's photo is %q, want still uploading with its bytes", got)
	}
	if n := len(srv.records("attachments", "")); n != 0 {
		t.Fatalf("%d attachments stored while storage was broken", n)
	}

	// Storage works again: the next pass stores the photo, and only then
	// the phone lets go of it.
	if err := os.Remove(storage); err != nil {
		t.Fatal(err)
	}
	eval[string](t, ctx, `self.homeward.sync.run().then(() => 'ok', (e) => String(e))`)
	waitFor(t, ctx, "the photo sent", `self.homeward.db.all('files').then((f) => f[0].state === 'sent' && f[0].blob === null && !!f[0].attachment)`)
	atts := srv.records("attachments", "")
	if len(atts) != 1 {
		t.Fatalf("%d attachments, want 1", len(atts))
	}
	stored := srv.file("attachments", atts[0]["id"].(string), atts[0]["file"].(string))
	img, err := jpeg.Decode(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 480 || b.Dy() != 640 {
		t.Fatalf("stored %dx%d, want the portrait upright (480x640)", b.Dx(), b.Dy())
	}
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("11.5564")) {
		t.Fatal("the stored photo keeps its EXIF")
	}

	// A file the server cannot take is refused once, shown, and not sent
	// again on later passes.
	eval[string](t, ctx, `self.homeward.db.all('reports').then((r) => self.homeward.db.put('files', {
		id: 'f-not-a-photo', report: r[0].id, blob: new Blob(['just some text, not a photo']), name: 'photo-2.jpg',
		mime: 'image/jpeg', sha256: '', state: 'waiting' })).then(() => self.homeward.sync.run()).then(() => 'ok', (e) => String(e))`)
	waitFor(t, ctx, "the refused file set aside", `self.homeward.db.get('files', 'f-not-a-photo').then((f) => f.state === 'rejected' && f.error === 'unsupported_file')`)
	starts := srv.Proxy.fileStarts.Load()
	for range 2 {
		eval[string](t, ctx, `self.homeward.sync.run().then(() => 'ok', (e) => String(e))`)
	}
	if n := srv.Proxy.fileStarts.Load(); n != starts {
		t.Fatalf("a refused file was sent again: %d more uploads started", n-starts)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#receipt-ok`)), chromedp.Click(chromedp.ID(`receipt-done`)))
	waitFor(t, ctx, "the refusal shown", `!!document.querySelector('#mine .files-refused') &&
		document.querySelector('#mine .files-refused').textContent === 'Photos or voice notes refused: 1. The server cannot read this kind of file; they are kept on this phone.'`)
}

// TestTheCanvasTurnsPhotosWhereTheBrowserDoesNot checks the phone's
// orientation code in real Chromium: the EXIF reader finds each of the
// eight orientations, and the canvas path Chrome 80 takes (a browser that
// draws the sensor's pixels as they are) turns the raw grid upright for
// each. This Chromium applies EXIF orientation itself, which the probe
// must see, so shrink leaves its decoded image as it is.
func TestTheCanvasTurnsPhotosWhereTheBrowserDoesNot(t *testing.T) {
	srv := startReal(t)
	ctx := browsertest.New(t, 90*time.Second)
	openApp(t, ctx, srv.URL+"/?lang=en")
	const w, h = 640, 480
	if got := eval[bool](t, ctx, `import('/js/media.js').then((m) => m.browserOrients())`); !got {
		t.Fatal("the probe says this Chromium does not apply EXIF orientation")
	}
	// Broken or hostile EXIF reads as orientation 1, never an exception.
	bad := eval[string](t, ctx, `import('/js/media.js').then(async (m) => {
		const jpeg = (...b) => new Blob([new Uint8Array(b)]);
		const exif = [0xff, 0xd8, 0xff, 0xe1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x4d, 0x4d, 0, 0x2a];
		const cases = [
			jpeg(),                                              // empty
			jpeg(0x89, 0x50, 0x4e, 0x47),                        // not a JPEG
			jpeg(...exif),                                       // cut in the TIFF header
			jpeg(...exif, 0x7f, 0xff, 0xff, 0xff),               // IFD far past the end
			jpeg(...exif, 0, 0, 0, 8, 0xff, 0xff, 1, 0x12),      // 65535 entries, one byte of them
			jpeg(...exif, 0, 0, 0, 8, 0, 1, 1, 0x12, 0, 3, 0, 0, 0, 1, 0, 9, 0, 0), // orientation 9
			jpeg(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0xff, 0xe0, 0x00, 0x01), // zero and one-byte segment lengths
		];
		const out = [];
		for (const c of cases) out.push(await m.exifOrientation(c));
		return out.join('');
	})`)
	if bad != "1111111" {
		t.Fatalf("malformed EXIF read as %q, want 1 for each", bad)
	}
	raw := base64.StdEncoding.EncodeToString(mediatest.OrientedJPEG(w, h, 1, ""))
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint("orientation ", o), func(t *testing.T) {
			tagged := base64.StdEncoding.EncodeToString(mediatest.OrientedJPEG(w, h, o, "x"))
			// Where the two marked corners must show.
			var want []string
			var pts [][2]int
			for _, p := range [][2]int{{w / 16, h / 16}, {w - w/16, h / 16}} {
				sx, sy, sw, sh := mediatest.Upright(o, w, h, p[0], p[1])
				pts = append(pts, [2]int{sx, sy})
				want = append(want, fmt.Sprintf("%dx%d", sw, sh))
			}
			ptsJSON, _ := json.Marshal(pts)
			got := eval[string](t, ctx, fmt.Sprintf(`(async () => {
				const m = await import('/js/media.js');
				const blob = (b64) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
				const o = await m.exifOrientation(blob(%q));
				const img = await createImageBitmap(blob(%q));
				const c = m.drawOriented(img, %d, img.width, img.height);
				const x = c.getContext('2d');
				const px = (p) => Array.from(x.getImageData(p[0], p[1], 1, 1).data.slice(0, 3)).map((v) => v > 160 ? 1 : 0).join('');
				return o + ' ' + c.width + 'x' + c.height + ' ' + %s.map(px).join(' ');
			})()`, tagged, raw, o, ptsJSON))
			if w := fmt.Sprintf("%d %s 100 010", o, want[0]); got != w {
				t.Fatalf("read orientation, canvas size and corners %q, want %q", got, w)
			}
		})
	}
}
