package civic

import (
	"testing"
	"time"
)

func TestValidateTrackSequence(t *testing.T) {
	start := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	now := start.Add(time.Hour)
	pt := func(seq int64, lng float64) TrackPoint {
		return TrackPoint{Seq: seq, Lng: lng, Lat: 39.9, At: start.Add(time.Duration(seq) * time.Minute)}
	}
	// A batch repeating a point (a retry inside one upload) is fine.
	if err := ValidateTrack([]TrackPoint{pt(1, 116.4), pt(2, 116.41), pt(2, 116.41)}, start, now); err != nil {
		t.Fatalf("a repeated point: %v", err)
	}
	// Two different points under one number are refused, not half kept.
	err := ValidateTrack([]TrackPoint{pt(1, 116.4), pt(2, 116.41), pt(2, 116.5)}, start, now)
	if ErrorCodeOf(err) != EInvalid {
		t.Fatalf("two points under one sequence number: %v", err)
	}
	if e := AsError(err); len(e.Fields) != 1 || e.Fields[0].Msg.ZH != "第3个轨迹点：序号2已用于另一个点" {
		t.Fatalf("message: %+v", e.Fields)
	}
}
