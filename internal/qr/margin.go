package qr

import (
	"image"
	"image/color"
	"image/draw"
)

// withMargin returns img on a white background with m pixels around it.
func withMargin(img image.Image, m int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()+2*m, b.Dy()+2*m))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(m, m, m+b.Dx(), m+b.Dy()), img, b.Min, draw.Src)
	return out
}
