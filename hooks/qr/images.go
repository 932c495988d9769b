package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/skip2/go-qrcode"

	"homeward/hooks/setup"
)

// Image size limits in pixels. A link code is 65 to 93 modules wide with
// its quiet zone, so at minImageSize it gets the two pixels per module a
// phone camera needs (codePNG enlarges the image if not); above
// maxImageSize an image costs memory and gains nothing on paper (2048 px
// fills A4 at 250 dpi).
const (
	minImageSize     = 128
	defaultImageSize = 512
	maxImageSize     = 2048
)

// errorLevels maps the ec query option to QR error correction. M is the
// default: it survives a crease or a smudge and keeps the code small; H
// suits posters outdoors.
var errorLevels = map[string]qrcode.RecoveryLevel{
	"L": qrcode.Low,
	"M": qrcode.Medium,
	"Q": qrcode.High,
	"H": qrcode.Highest,
}

// bindQRApi binds the /api/qr routes.
func bindQRApi(rg *router.RouterGroup[*core.RequestEvent], pages *pageSet) {
	rg.POST("/verify", verifyHandler).Bind(apis.SkipSuccessActivityLog())
	rg.GET("/embassy/{slug}/{file}", vcardHandler).Bind(apis.SkipSuccessActivityLog())
	rg.GET("/{link}/poster", posterHandler(pages))
	rg.GET("/{file}", linkImageHandler)
	bindKeyRoutes(rg)
}

// imageOptions are the size and error correction of a requested image.
type imageOptions struct {
	size  int
	level qrcode.RecoveryLevel
}

func parseImageOptions(e *core.RequestEvent) (imageOptions, error) {
	opts := imageOptions{size: defaultImageSize, level: qrcode.Medium}
	q := e.Request.URL.Query()
	if s := q.Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < minImageSize || n > maxImageSize {
			return opts, e.BadRequestError(fmt.Sprintf("The size must be a whole number of pixels from %d to %d.", minImageSize, maxImageSize), err)
		}
		opts.size = n
	}
	if s := q.Get("ec"); s != "" {
		level, ok := errorLevels[strings.ToUpper(s)]
		if !ok {
			return opts, e.BadRequestError("The error correction (ec) must be L, M, Q or H.", nil)
		}
		opts.level = level
	}
	return opts, nil
}

// splitImageName splits "abc.png" into "abc" and "png".
func splitImageName(file string) (name, ext string) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, ""
	}
	return file[:i], file[i+1:]
}

// linkImageHandler serves GET /api/qr/{link}.png and .svg to the staff of
// the link's embassy and to superusers.
func linkImageHandler(e *core.RequestEvent) error {
	id, ext := splitImageName(e.Request.PathValue("file"))
	if ext != "png" && ext != "svg" {
		return e.NotFoundError("", nil)
	}
	link, err := printableLink(e, id)
	if err != nil {
		return err
	}
	opts, err := parseImageOptions(e)
	if err != nil {
		return err
	}
	content, err := LinkURL(e.App, link)
	if err != nil {
		if setup.IsPublicURLError(err) {
			return setup.PublicURLError(e, err)
		}
		return e.InternalServerError("Failed to sign the link.", err)
	}
	// Every response carries a freshly signed token: nothing to cache.
	e.Response.Header().Set("Cache-Control", "no-store")
	return writeCode(e, content, ext, opts, "homeward-"+link.Id)
}

// writeCode encodes content as a QR image of the given format.
func writeCode(e *core.RequestEvent, content, ext string, opts imageOptions, filename string) error {
	code, err := qrcode.New(content, opts.level)
	if err != nil {
		return e.BadRequestError("The code holds too much data for a QR code; lower the error correction.", err)
	}
	e.Response.Header().Set("Content-Disposition", `inline; filename="`+filename+"."+ext+`"`)
	if ext == "svg" {
		return e.Blob(http.StatusOK, "image/svg+xml", codeSVG(code, opts.size))
	}
	png, err := codePNG(code, opts.size)
	if err != nil {
		return e.InternalServerError("Failed to draw the code.", err)
	}
	return e.Blob(http.StatusOK, "image/png", png)
}

// minModulePixels is the smallest module drawn: one-pixel modules blur
// into each other when a phone photographs a screen.
const minModulePixels = 2

// codePNG draws code with every module a whole number of pixels, centred
// on a white square of size pixels. go-qrcode's own PNG stretches modules
// to fill the size, which makes them uneven and small codes unreadable. A
// code that needs more than size pixels gets a larger image.
func codePNG(code *qrcode.QRCode, size int) ([]byte, error) {
	bitmap := code.Bitmap()
	n := len(bitmap)
	scale := max(size/n, minModulePixels)
	size = max(size, n*scale)
	offset := (size - n*scale) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bitmap {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := offset + y*scale; py < offset+(y+1)*scale; py++ {
				start := img.PixOffset(offset+x*scale, py)
				for i := range scale {
					img.Pix[start+i] = 1
				}
			}
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// codeSVG draws code as one SVG path, a run of dark modules per segment,
// with the quiet zone included. A size of 0 leaves the size to CSS.
func codeSVG(code *qrcode.QRCode, size int) []byte {
	bitmap := code.Bitmap()
	n := len(bitmap)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d"`, n, n)
	if size > 0 {
		fmt.Fprintf(&b, ` width="%d" height="%d"`, size, size)
	}
	fmt.Fprintf(&b, ` shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bitmap {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < n && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}
