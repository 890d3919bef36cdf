package qr

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

const url = "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme&period=30&algorithm=SHA1&digits=6"

func TestPNGIsAnImageWithAQuietZone(t *testing.T) {
	b, err := PNG(url, 240)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w < 120 || w > 300 {
		t.Errorf("width %d, want about 240", w)
	}
	if r, _, _, _ := img.At(1, 1).RGBA(); r != 0xffff {
		t.Error("the corner is not white: no quiet zone")
	}
}

func TestSVGDrawsModulesOnAWhiteSquare(t *testing.T) {
	s, err := SVG(url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "<svg ") || !strings.Contains(s, `fill="#fff"`) || strings.Count(s, "h1v1h-1z") < 100 {
		t.Errorf("SVG does not look like a QR code: %.200s", s)
	}
}
