package files

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/jpeg"
	"image/png"
)

// parsed is an upload understood: its type and size, its raw EXIF (a TIFF
// structure) if it has one, and the public copy without metadata.
type parsed struct {
	mime          string
	width, height int
	exif          []byte
	public        []byte
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// parseImage sniffs the type from the first bytes (never from a name or a
// declared type) and walks the file's structure.
func parseImage(b []byte) (parsed, error) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return parseJPEG(b)
	case bytes.HasPrefix(b, pngSignature):
		return parsePNG(b)
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return parseWebP(b)
	case len(b) == 0:
		return parsed{}, refuse(CodeUnsupported, "empty file")
	}
	return parsed{}, refuse(CodeUnsupported, "not a JPEG, PNG or WebP image")
}

// JPEG markers.
const (
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mAPP1 = 0xE1
	mAPP2 = 0xE2
	mAP14 = 0xEE
	mAP15 = 0xEF
	mCOM  = 0xFE
)

// isSOF reports a start-of-frame marker (C0–CF less DHT, JPG and DAC).
func isSOF(m byte) bool { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC }

// parseJPEG walks the segments and the entropy-coded scans up to the end
// of the image. The public copy keeps every segment except APP1–APP15 and
// COM (EXIF, XMP, maker notes, comments), with two exceptions that carry
// colour rather than information about anyone: an ICC profile (APP2
// "ICC_PROFILE") and Adobe's colour-transform flag (APP14 "Adobe"). The
// EXIF orientation is carried over in a minimal EXIF of its own, or a
// portrait photo would show on its side. Whatever follows the end of the
// image (trailers, the MPF secondary images that carry EXIF of their own)
// is dropped. A file that ends before the end-of-image marker was cut
// short and is refused.
func parseJPEG(b []byte) (parsed, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return parsed{}, refuse(CodeCorrupt, "jpeg: %v", err)
	}
	p := parsed{mime: JPEG, width: cfg.Width, height: cfg.Height}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, mSOI)
	i := 2
	sawSOF, sawSOS := false, false
	for {
		if i >= len(b) {
			return parsed{}, refuse(CodeCorrupt, "jpeg: ends before the end-of-image marker")
		}
		if b[i] != 0xFF {
			return parsed{}, refuse(CodeCorrupt, "jpeg: expected a marker at byte %d", i)
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return parsed{}, refuse(CodeCorrupt, "jpeg: ends inside a marker")
		}
		m := b[i]
		i++
		switch {
		case m == mEOI:
			if !sawSOS {
				return parsed{}, refuse(CodeCorrupt, "jpeg: no image data")
			}
			out = append(out, 0xFF, mEOI)
			if p.exif != nil {
				if o := parseEXIF(p.exif).orientation; o > 1 && o <= 8 {
					out = append(out[:2], append(orientationAPP1(o), out[2:]...)...)
				}
			}
			p.public = out
			return p, nil
		case m == 0x01 || m >= 0xD0 && m <= 0xD7:
			out = append(out, 0xFF, m)
			continue
		case m == 0x00 || m == mSOI:
			return parsed{}, refuse(CodeCorrupt, "jpeg: unexpected marker %#x at byte %d", m, i-1)
		}
		if i+2 > len(b) {
			return parsed{}, refuse(CodeCorrupt, "jpeg: ends inside a segment header")
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b) {
			return parsed{}, refuse(CodeCorrupt, "jpeg: segment %#x runs past the end", m)
		}
		payload := b[i+2 : i+n]
		keep := true
		switch {
		case m == mAPP1:
			if p.exif == nil && bytes.HasPrefix(payload, []byte("Exif\x00\x00")) {
				p.exif = payload[6:]
			}
			keep = false
		case m == mAPP2:
			keep = bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00"))
		case m == mAP14:
			keep = bytes.HasPrefix(payload, []byte("Adobe"))
		case m > mAPP2 && m <= mAP15, m == mCOM:
			keep = false
		}
		if keep {
			out = append(out, 0xFF, m)
			out = append(out, b[i:i+n]...)
		}
		sawSOF = sawSOF || isSOF(m)
		i += n
		if m != mSOS {
			continue
		}
		if !sawSOF {
			return parsed{}, refuse(CodeCorrupt, "jpeg: scan before frame header")
		}
		sawSOS = true
		// The entropy-coded data runs to the next marker that is neither
		// a stuffed 0xFF00 nor a restart marker.
		j := i
		for {
			if j+1 >= len(b) {
				return parsed{}, refuse(CodeCorrupt, "jpeg: image data is cut short")
			}
			if b[j] == 0xFF {
				next := b[j+1]
				if next == 0x00 || next >= 0xD0 && next <= 0xD7 {
					j += 2
					continue
				}
				if next != 0xFF {
					break
				}
			}
			j++
		}
		out = append(out, b[i:j]...)
		i = j
	}
}

// orientationAPP1 is an APP1 segment whose EXIF holds only the orientation.
func orientationAPP1(o int) []byte {
	tiff := []byte{
		'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF, IFD0 at offset 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation, SHORT, 1, value
		0, 0, 0, 0, // no next IFD
	}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	n := len(payload) + 2
	return append([]byte{0xFF, mAPP1, byte(n >> 8), byte(n)}, payload...)
}

// pngDropped are the PNG chunks that hold text, EXIF or a timestamp.
var pngDropped = map[string]bool{"tEXt": true, "zTXt": true, "iTXt": true, "eXIf": true, "tIME": true}

// parsePNG walks the chunks, checking each one's length and CRC, up to
// IEND; the public copy leaves out the text, EXIF and time chunks and
// anything after IEND.
func parsePNG(b []byte) (parsed, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return parsed{}, refuse(CodeCorrupt, "png: %v", err)
	}
	p := parsed{mime: PNG, width: cfg.Width, height: cfg.Height}
	out := make([]byte, 0, len(b))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for {
		if i+8 > len(b) {
			return parsed{}, refuse(CodeCorrupt, "png: ends before IEND")
		}
		n := binary.BigEndian.Uint32(b[i:])
		typ := string(b[i+4 : i+8])
		end := i + 12 + int(n)
		if n > 1<<31-1 || end > len(b) || end < i {
			return parsed{}, refuse(CodeCorrupt, "png: chunk %q runs past the end", typ)
		}
		if crc32.ChecksumIEEE(b[i+4:end-4]) != binary.BigEndian.Uint32(b[end-4:]) {
			return parsed{}, refuse(CodeCorrupt, "png: chunk %q fails its checksum", typ)
		}
		if typ == "eXIf" && p.exif == nil {
			p.exif = b[i+8 : end-4]
		}
		if !pngDropped[typ] {
			out = append(out, b[i:end]...)
		}
		i = end
		if typ == "IEND" {
			p.public = out
			return p, nil
		}
	}
}

// parseWebP walks the RIFF chunks. The size comes from the VP8, VP8L or
// VP8X header; the public copy leaves out the EXIF and XMP chunks and
// clears their flags in VP8X.
func parseWebP(b []byte) (parsed, error) {
	size := int(binary.LittleEndian.Uint32(b[4:8]))
	if size < 4 || size > len(b)-8 {
		return parsed{}, refuse(CodeCorrupt, "webp: RIFF size %d but %d bytes", size, len(b)-8)
	}
	b = b[:8+size]
	p := parsed{mime: WebP}
	out := make([]byte, 0, len(b))
	out = append(out, b[:12]...)
	vp8x := -1 // where the VP8X payload starts in out
	image := false
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return parsed{}, refuse(CodeCorrupt, "webp: ends inside a chunk header")
		}
		typ := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n&1
		if n < 0 || i+8+n > len(b) || end < i {
			return parsed{}, refuse(CodeCorrupt, "webp: chunk %q runs past the end", typ)
		}
		if end > len(b) {
			end = len(b) // a missing pad byte after the last chunk is common
		}
		data := b[i+8 : i+8+n]
		keep := true
		switch typ {
		case "VP8X":
			if n < 10 {
				return parsed{}, refuse(CodeCorrupt, "webp: short VP8X")
			}
			p.width = (int(data[4]) | int(data[5])<<8 | int(data[6])<<16) + 1
			p.height = (int(data[7]) | int(data[8])<<8 | int(data[9])<<16) + 1
			vp8x = len(out) + 8
		case "VP8 ":
			if n < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
				return parsed{}, refuse(CodeCorrupt, "webp: bad VP8 frame header")
			}
			if p.width == 0 {
				p.width = int(binary.LittleEndian.Uint16(data[6:]) & 0x3fff)
				p.height = int(binary.LittleEndian.Uint16(data[8:]) & 0x3fff)
			}
			image = true
		case "VP8L":
			if n < 5 || data[0] != 0x2f {
				return parsed{}, refuse(CodeCorrupt, "webp: bad VP8L header")
			}
			if p.width == 0 {
				bits := binary.LittleEndian.Uint32(data[1:])
				p.width = int(bits&0x3fff) + 1
				p.height = int(bits>>14&0x3fff) + 1
			}
			image = true
		case "ANMF":
			image = true
		case "EXIF":
			if p.exif == nil {
				p.exif = bytes.TrimPrefix(data, []byte("Exif\x00\x00"))
			}
			keep = false
		case "XMP ":
			keep = false
		}
		if keep {
			out = append(out, b[i:end]...)
		}
		i = end
	}
	if !image {
		return parsed{}, refuse(CodeCorrupt, "webp: no image data")
	}
	if vp8x >= 0 {
		out[vp8x] &^= 0x08 | 0x04 // EXIF and XMP flags
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	p.public = out
	return p, nil
}
