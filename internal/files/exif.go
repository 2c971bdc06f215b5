package files

import (
	"encoding/binary"
	"math"
)

// exifInfo is what civicgrid reads from a photo's EXIF.
type exifInfo struct {
	gps         *GPS
	orientation int // 1–8, 0 when absent
}

// EXIF tags read.
const (
	tagOrientation = 0x0112
	tagGPSIFD      = 0x8825
	tagGPSLatRef   = 0x0001
	tagGPSLat      = 0x0002
	tagGPSLngRef   = 0x0003
	tagGPSLng      = 0x0004
)

// TIFF field types used.
const (
	typeASCII     = 2
	typeShort     = 3
	typeLong      = 4
	typeRational  = 5
	typeSRational = 10
)

// tiff is a TIFF structure (the body of an EXIF block) being read. Every
// read is bounds-checked: EXIF comes from the uploader and may be broken
// or hostile, and a broken one is ignored rather than refused, since the
// photo itself is fine.
type tiff struct {
	b  []byte
	bo binary.ByteOrder
}

// ifdEntry is one 12-byte directory entry; value is the 4-byte value or
// offset field.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
}

// entries reads the directory at off; nil when it does not fit.
func (t tiff) entries(off uint32) []ifdEntry {
	if uint64(off)+2 > uint64(len(t.b)) {
		return nil
	}
	n := int(t.bo.Uint16(t.b[off:]))
	start := int(off) + 2
	if start+12*n > len(t.b) {
		return nil
	}
	out := make([]ifdEntry, n)
	for k := range out {
		e := t.b[start+12*k:]
		out[k] = ifdEntry{tag: t.bo.Uint16(e), typ: t.bo.Uint16(e[2:]), count: t.bo.Uint32(e[4:]), value: e[8:12]}
	}
	return out
}

// rationals reads n rationals (or signed rationals) at the entry's offset.
func (t tiff) rationals(e ifdEntry, n int) ([]float64, bool) {
	if (e.typ != typeRational && e.typ != typeSRational) || e.count < uint32(n) {
		return nil, false
	}
	off := uint64(t.bo.Uint32(e.value))
	if off+uint64(8*n) > uint64(len(t.b)) {
		return nil, false
	}
	out := make([]float64, n)
	for k := range out {
		num, den := t.bo.Uint32(t.b[off+uint64(8*k):]), t.bo.Uint32(t.b[off+uint64(8*k)+4:])
		if den == 0 {
			return nil, false
		}
		if e.typ == typeSRational {
			out[k] = float64(int32(num)) / float64(int32(den))
		} else {
			out[k] = float64(num) / float64(den)
		}
	}
	return out, true
}

// parseEXIF reads the orientation from IFD0 and the position from the GPS
// directory. Only those two directories are visited, so a directory that
// points at itself cannot loop.
func parseEXIF(b []byte) exifInfo {
	var info exifInfo
	if len(b) < 8 {
		return info
	}
	t := tiff{b: b}
	switch string(b[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return info
	}
	if t.bo.Uint16(b[2:]) != 42 {
		return info
	}
	var gpsOff uint32
	for _, e := range t.entries(t.bo.Uint32(b[4:])) {
		switch {
		case e.tag == tagOrientation && e.typ == typeShort && e.count == 1:
			info.orientation = int(t.bo.Uint16(e.value))
		case e.tag == tagGPSIFD && (e.typ == typeLong || e.typ == 13) && e.count == 1:
			gpsOff = t.bo.Uint32(e.value)
		}
	}
	if gpsOff == 0 {
		return info
	}
	latRef, lngRef := byte('N'), byte('E')
	var lat, lng []float64
	for _, e := range t.entries(gpsOff) {
		switch e.tag {
		case tagGPSLatRef:
			if e.typ == typeASCII && e.count >= 1 && e.count <= 4 {
				latRef = e.value[0]
			}
		case tagGPSLngRef:
			if e.typ == typeASCII && e.count >= 1 && e.count <= 4 {
				lngRef = e.value[0]
			}
		case tagGPSLat:
			lat, _ = t.rationals(e, 3)
		case tagGPSLng:
			lng, _ = t.rationals(e, 3)
		}
	}
	if lat == nil || lng == nil {
		return info
	}
	g := GPS{Lat: degrees(lat), Lng: degrees(lng)}
	if latRef == 'S' {
		g.Lat = -g.Lat
	}
	if lngRef == 'W' {
		g.Lng = -g.Lng
	}
	// 0,0 is what some cameras write when they had no fix.
	if math.IsNaN(g.Lat) || math.IsNaN(g.Lng) || math.Abs(g.Lat) > 90 || math.Abs(g.Lng) > 180 || g.Lat == 0 && g.Lng == 0 {
		return info
	}
	info.gps = &g
	return info
}

// degrees turns degrees, minutes and seconds into decimal degrees.
func degrees(dms []float64) float64 { return dms[0] + dms[1]/60 + dms[2]/3600 }
