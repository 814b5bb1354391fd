// Package qrscan reads QR codes back as a scanner would, with the gozxing
// decoder: courtdoc checks with it that every code it prints scans, and
// the tests of the court documents, the labels and the web pages check
// that what is printed decodes to what was encoded.
package qrscan

import (
	"image"
	"image/png"
	"os"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Decode decodes the one QR code in img, or in its part r when r is not
// empty. pure says r holds exactly the code and its quiet zone, which lets
// the decoder sample the module grid instead of searching for the finder
// patterns.
func Decode(img image.Image, r image.Rectangle, pure bool) (string, error) {
	if !r.Empty() {
		img = img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER: true, gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
	}
	if pure {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// Grid draws a QR code's module grid (true for a dark module) px pixels a
// module, black on white.
func Grid(bm [][]bool, px int) image.Image {
	img := image.NewGray(image.Rect(0, 0, len(bm)*px, len(bm)*px))
	for r, row := range bm {
		for c, dark := range row {
			if !dark {
				for i := range px * px {
					img.Pix[(r*px+i/px)*img.Stride+c*px+i%px] = 255
				}
			}
		}
	}
	return img
}

// TB is the part of testing.TB that LoadPNG uses (so that this package,
// which courtdoc uses when it prints, does not import testing).
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// LoadPNG reads the PNG file at path, failing the test when it cannot.
func LoadPNG(t TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
