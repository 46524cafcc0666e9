package wamp

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestToIntAndToID(t *testing.T) {
	tests := []struct {
		name  string
		in    any
		n     int64
		intOK bool
		id    ID
		idOK  bool
	}{
		{"int", int(7), 7, true, 7, true},
		{"int8", int8(-3), -3, true, 0, false},
		{"int16", int16(300), 300, true, 300, true},
		{"int32", int32(70000), 70000, true, 70000, true},
		{"int64", int64(1), 1, true, 1, true},
		{"uint", uint(9), 9, true, 9, true},
		{"uint8", uint8(255), 255, true, 255, true},
		{"uint16", uint16(65535), 65535, true, 65535, true},
		{"uint32", uint32(1 << 31), 1 << 31, true, 1 << 31, true},
		{"uint64", uint64(1 << 53), 1 << 53, true, MaxID, true},
		{"uint64 above 2^53", uint64(1<<53 + 1), 1<<53 + 1, true, 0, false},
		{"uint64 above int64", uint64(math.MaxUint64), 0, false, 0, false},
		{"uintptr", uintptr(5), 5, true, 5, true},
		{"ID", ID(42), 42, true, 42, true},
		{"ID zero", ID(0), 0, true, 0, false},
		{"Type", CALL, 48, true, 48, true},
		{"zero", int64(0), 0, true, 0, false},
		{"negative", int64(-1), -1, true, 0, false},
		{"max ID", int64(1 << 53), 1 << 53, true, MaxID, true},
		{"max ID + 1", int64(1<<53 + 1), 1<<53 + 1, true, 0, false},
		{"float64 integral", float64(1 << 52), 1 << 52, true, 1 << 52, true},
		{"float64 2^53 - 1", float64(1<<53 - 1), 1<<53 - 1, true, 1<<53 - 1, true},
		{"float64 2^53", float64(1 << 53), 1 << 53, true, 0, false},
		{"float64 2^53 + 2", float64(1<<53 + 2), 1<<53 + 2, true, 0, false},
		{"float64 one", 1.0, 1, true, 1, true},
		{"float64 zero", 0.0, 0, true, 0, false},
		{"float64 near one", math.Nextafter(1, 2), 0, false, 0, false},
		{"float64 fraction", 1.5, 0, false, 0, false},
		{"float64 negative", -2.0, -2, true, 0, false},
		{"float64 NaN", math.NaN(), 0, false, 0, false},
		{"float64 +Inf", math.Inf(1), 0, false, 0, false},
		{"float64 2^63", math.Pow(2, 63), 0, false, 0, false},
		{"float64 -2^63", -math.Pow(2, 63), math.MinInt64, true, 0, false},
		{"float32 integral", float32(3), 3, true, 3, true},
		{"float32 fraction", float32(0.5), 0, false, 0, false},
		{"float32 2^24 + 2", float32(1<<24 + 2), 1<<24 + 2, true, 1<<24 + 2, true},
		{"float32 2^53", float32(1 << 53), 1 << 53, true, 0, false},
		{"float32 +Inf", float32(math.Inf(1)), 0, false, 0, false},
		{"json.Number", json.Number("123"), 123, true, 123, true},
		{"json.Number float", json.Number("1.0"), 0, false, 0, false},
		{"json.Number huge", json.Number("99999999999999999999"), 0, false, 0, false},
		{"string", "12", 0, false, 0, false},
		{"bool", true, 0, false, 0, false},
		{"nil", nil, 0, false, 0, false},
		{"list", []any{int64(1)}, 0, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := ToInt(tt.in)
			if ok != tt.intOK || (ok && n != tt.n) {
				t.Errorf("ToInt(%#v) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.intOK)
			}
			id, ok := ToID(tt.in)
			if ok != tt.idOK || id != tt.id {
				t.Errorf("ToID(%#v) = %d, %v; want %d, %v", tt.in, id, ok, tt.id, tt.idOK)
			}
		})
	}
}

func TestIDValid(t *testing.T) {
	for _, tt := range []struct {
		id   ID
		want bool
	}{{0, false}, {1, true}, {MaxID, true}, {MaxID + 1, false}} {
		if got := tt.id.Valid(); got != tt.want {
			t.Errorf("ID(%d).Valid() = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// TimeoutDuration: both sides of the largest Duration, and the values that
// mean no timeout.
func TestTimeoutDuration(t *testing.T) {
	for _, tt := range []struct {
		ms   int64
		want time.Duration
	}{
		{0, 0},
		{-1, 0},
		{math.MinInt64, 0},
		{1, time.Millisecond},
		{30000, 30 * time.Second},
		{MaxTimeoutMs, time.Duration(MaxTimeoutMs) * time.Millisecond},
		{MaxTimeoutMs + 1, 0},
		{math.MaxInt64, 0},
	} {
		if got := TimeoutDuration(tt.ms); got != tt.want {
			t.Errorf("TimeoutDuration(%d) = %v, want %v", tt.ms, got, tt.want)
		}
	}
	if MaxTimeoutMs != 9_223_372_036_854 {
		t.Errorf("MaxTimeoutMs = %d", MaxTimeoutMs)
	}
	if d := TimeoutDuration(MaxTimeoutMs); d <= 0 || math.MaxInt64-int64(d) >= int64(time.Millisecond) {
		t.Errorf("TimeoutDuration(MaxTimeoutMs) = %d, want the largest whole-ms Duration", d)
	}
}
