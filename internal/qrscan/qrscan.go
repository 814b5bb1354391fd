// Package qrscan reads QR codes back from rendered pages, as a scanner
// would, with the gozxing decoder: the tests of the court documents, the
// labels and the web pages check with it that what is printed decodes to
// what was encoded.
package qrscan

import (
	"image"
	"image/png"
	"os"
	"testing"

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

// LoadPNG reads the PNG file at path, failing the test when it cannot.
func LoadPNG(t testing.TB, path string) image.Image {
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
