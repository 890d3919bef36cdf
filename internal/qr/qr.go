// Package qr draws QR codes (for TOTP enrolment) as PNG and as SVG, for
// the API and the console alike.
package qr

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// quiet is the margin around the code, in modules, that scanners need.
const quiet = 4

// PNG draws content as a PNG image about size pixels wide.
func PNG(content string, size int) ([]byte, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	n := code.Bounds().Dx() + 2*quiet
	scale := max(1, size/n)
	img, err := barcode.Scale(code, code.Bounds().Dx()*scale, code.Bounds().Dy()*scale)
	if err != nil {
		return nil, err
	}
	// Scale draws no margin; put the code on a white square with one.
	var buf bytes.Buffer
	if err := png.Encode(&buf, withMargin(img, quiet*scale)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG draws content as an SVG document whose modules are one unit wide,
// with a white margin; it scales to any size without blurring.
func SVG(content string) (string, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	b := code.Bounds()
	n := b.Dx() + 2*quiet
	var path strings.Builder
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x-b.Min.X+quiet, y-b.Min.Y+quiet)
			}
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, n, n, path.String()), nil
}
