package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ParseGeometry parses a GeoJSON geometry object of type "Polygon" or
// "MultiPolygon" into a MultiPolygon. Altitudes and other extra position
// members are dropped. It checks syntax only; call Validate for topology.
func ParseGeometry(raw []byte) (MultiPolygon, error) {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("parse geometry: %w", err)
	}
	if len(g.Coordinates) == 0 || string(g.Coordinates) == "null" {
		return nil, fmt.Errorf("parse geometry: %s without coordinates", strconv.Quote(g.Type))
	}
	switch g.Type {
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("parse geometry: Polygon coordinates: %w", err)
		}
		poly, err := polygonFromJSON(c)
		if err != nil {
			return nil, fmt.Errorf("parse geometry: Polygon: %w", err)
		}
		return MultiPolygon{poly}, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("parse geometry: MultiPolygon coordinates: %w", err)
		}
		m := make(MultiPolygon, 0, len(c))
		for i, pc := range c {
			poly, err := polygonFromJSON(pc)
			if err != nil {
				return nil, fmt.Errorf("parse geometry: MultiPolygon polygon %d: %w", i, err)
			}
			m = append(m, poly)
		}
		return m, nil
	case "":
		return nil, errors.New("parse geometry: missing \"type\"")
	default:
		return nil, fmt.Errorf("parse geometry: unsupported type %s, want Polygon or MultiPolygon", strconv.Quote(g.Type))
	}
}

func polygonFromJSON(c [][][]float64) (Polygon, error) {
	poly := make(Polygon, 0, len(c))
	for i, rc := range c {
		r := make(Ring, 0, len(rc))
		for j, pc := range rc {
			if len(pc) < 2 {
				return nil, fmt.Errorf("ring %d position %d has %d members, want at least 2", i, j, len(pc))
			}
			r = append(r, Point{Lng: pc[0], Lat: pc[1]})
		}
		poly = append(poly, r)
	}
	return poly, nil
}

// GeoJSON returns m as GeoJSON geometry bytes: a "Polygon" when m holds
// exactly one polygon, a "MultiPolygon" otherwise. Numbers use the shortest
// form that parses back to the same float64, so a round trip is lossless.
// Non-finite coordinates (which Validate rejects) are written as null to keep
// the output syntactically valid JSON.
func (m MultiPolygon) GeoJSON() []byte {
	b := make([]byte, 0, 64+32*m.pointCount())
	if len(m) == 1 {
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b = appendPolygon(b, m[0])
	} else {
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, poly := range m {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPolygon(b, poly)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (m MultiPolygon) pointCount() int {
	n := 0
	for _, poly := range m {
		for _, r := range poly {
			n += len(r)
		}
	}
	return n
}

func appendPolygon(b []byte, poly Polygon) []byte {
	b = append(b, '[')
	for i, r := range poly {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, p := range r {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendNumber(b, p.Lng)
			b = append(b, ',')
			b = appendNumber(b, p.Lat)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

func appendNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}
