// Package filestest builds small photos for tests, the way phones write
// them: JPEGs with an EXIF block holding a GPS position (and an
// orientation), an XMP block and a comment; PNGs with text and EXIF
// chunks; extended WebPs with an EXIF chunk. Like net/http/httptest it is
// imported by tests only.
package filestest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"path/filepath"
	"testing"
)

// Width and Height are the size of every image built here.
const Width, Height = 24, 16

// Secrets are strings the metadata of the files built here carry; none
// may survive into a public copy.
var Secrets = []string{"Exif", "secret place", "Zhang San"}

// EXIF is what an EXIF block holds; zero fields are left out (Lat and Lng
// both zero: no GPS directory).
type EXIF struct {
	Orientation int
	Lat, Lng    float64
	BigEndian   bool
}

// dms splits decimal degrees into the three EXIF rationals: degrees,
// minutes and thousandths of seconds.
func dms(v float64) [3][2]uint32 {
	v = math.Abs(v)
	d := math.Floor(v)
	m := math.Floor((v - d) * 60)
	s := ((v-d)*60 - m) * 60
	return [3][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(math.Round(s * 1000)), 1000}}
}

// TIFF builds the TIFF structure of an EXIF block: IFD0 with the
// orientation and a pointer to the GPS directory, then the GPS directory
// (latitude and longitude with their references) and its rationals.
func TIFF(e EXIF) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	var b bytes.Buffer
	if e.BigEndian {
		bo = binary.BigEndian
		b.WriteString("MM")
	} else {
		b.WriteString("II")
	}
	w16 := func(v uint16) { binary.Write(&b, bo, v) }
	w32 := func(v uint32) { binary.Write(&b, bo, v) }
	w16(42)
	w32(8)
	hasGPS := e.Lat != 0 || e.Lng != 0
	var n uint16
	if e.Orientation != 0 {
		n++
	}
	if hasGPS {
		n++
	}
	ifd0End := 8 + 2 + 12*uint32(n) + 4
	w16(n)
	if e.Orientation != 0 {
		w16(0x0112) // Orientation
		w16(3)      // SHORT
		w32(1)
		w16(uint16(e.Orientation))
		w16(0)
	}
	if hasGPS {
		w16(0x8825) // GPS IFD pointer
		w16(4)      // LONG
		w32(1)
		w32(ifd0End)
	}
	w32(0)
	if !hasGPS {
		return b.Bytes()
	}
	data := ifd0End + 2 + 12*4 + 4
	ref := func(tag uint16, c byte) {
		w16(tag)
		w16(2) // ASCII
		w32(2)
		b.Write([]byte{c, 0, 0, 0})
	}
	rat := func(tag uint16, off uint32) {
		w16(tag)
		w16(5) // RATIONAL
		w32(3)
		w32(off)
	}
	latRef, lngRef := byte('N'), byte('E')
	if e.Lat < 0 {
		latRef = 'S'
	}
	if e.Lng < 0 {
		lngRef = 'W'
	}
	w16(4)
	ref(1, latRef)
	rat(2, data)
	ref(3, lngRef)
	rat(4, data+24)
	w32(0)
	for _, v := range []float64{e.Lat, e.Lng} {
		for _, r := range dms(v) {
			w32(r[0])
			w32(r[1])
		}
	}
	return b.Bytes()
}

// Image is the picture every file here shows: a colour gradient.
func Image() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 128, 255})
		}
	}
	return img
}

// JPEG is a plain JPEG without metadata.
func JPEG(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, Image(), &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// Segment is a JPEG marker segment.
func Segment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// JPEGWithEXIF is JPEG with an EXIF block, an XMP block and a comment
// inserted after the start of image. Without its metadata it is JPEG byte
// for byte.
func JPEGWithEXIF(tb testing.TB, e EXIF) []byte {
	tb.Helper()
	j := JPEG(tb)
	var out []byte
	out = append(out, j[:2]...)
	out = append(out, Segment(0xE1, append([]byte("Exif\x00\x00"), TIFF(e)...))...)
	out = append(out, Segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret place</x:xmpmeta>"))...)
	out = append(out, Segment(0xFE, []byte("taken by Zhang San"))...)
	out = append(out, j[2:]...)
	return out
}

// PNGChunk is a PNG chunk with its length and CRC.
func PNGChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// PNG is a plain PNG.
func PNG(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, Image()); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// PNGWithText is PNG with a text chunk and an EXIF chunk after IHDR.
func PNGWithText(tb testing.TB, e EXIF) []byte {
	tb.Helper()
	p := PNG(tb)
	ihdrEnd := 8 + 12 + 13
	var out []byte
	out = append(out, p[:ihdrEnd]...)
	out = append(out, PNGChunk("tEXt", []byte("Author\x00Zhang San"))...)
	out = append(out, PNGChunk("eXIf", TIFF(e))...)
	out = append(out, p[ihdrEnd:]...)
	return out
}

func riffChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(typ)
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if len(data)%2 == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// WebP is an extended WebP: VP8X (with the EXIF flag when exif is given),
// a lossless frame header and, given exif, an EXIF chunk holding it. Only
// the headers are real: nothing in civicgrid decodes WebP pixels.
func WebP(exif []byte) []byte {
	flags := byte(0)
	if exif != nil {
		flags = 0x08
	}
	vp8x := []byte{flags, 0, 0, 0, Width - 1, 0, 0, Height - 1, 0, 0}
	bits := uint32(Width-1) | uint32(Height-1)<<14
	vp8l := []byte{0x2f, byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24), 0, 0, 0}
	body := append([]byte("WEBP"), riffChunk("VP8X", vp8x)...)
	body = append(body, riffChunk("VP8L", vp8l)...)
	if exif != nil {
		body = append(body, riffChunk("EXIF", exif)...)
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(len(body)))
	b.Write(body)
	return b.Bytes()
}

// Count is how many files lie below dir (a file store's directory).
func Count(tb testing.TB, dir string) int {
	tb.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
