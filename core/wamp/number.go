package wamp

import (
	"math"
	"time"
)

// int64er is satisfied by json.Number and similar decimal-string numbers.
type int64er interface {
	Int64() (int64, error)
}

// ToInt converts a decoded number to int64. It accepts every Go integer kind
// (including ID and Type), float32/float64 values that are integral and within
// int64's range, and values with an Int64() (int64, error) method such as
// json.Number. Anything else, including uint64 values above math.MaxInt64,
// gives ok=false. Serializers decode numbers as int64, uint64 or float64
// depending on the library and the peer, so every reader of a numeric wire
// value goes through ToInt or ToID.
func ToInt(v any) (n int64, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint64:
		return uintToInt(x)
	case float64:
		return floatToInt(x)
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint:
		return uintToInt(uint64(x))
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uintptr:
		return uintToInt(uint64(x))
	case float32:
		return floatToInt(float64(x))
	case ID:
		return uintToInt(uint64(x))
	case Type:
		return int64(x), true
	case int64er:
		i, err := x.Int64()
		return i, err == nil
	}
	return 0, false
}

// ToID converts a decoded number to an ID. ok is false unless the value is
// an integer in the spec's range 1..2^53 (see ID.Valid), given as any Go
// integer kind, as a value with an Int64() method (json.Number), or as a
// float that is integral and strictly below 2^53.
//
// Floats. A float is never rounded into an ID: a non-integral float is
// refused, and so is any float from 2^53 up, because a float64 that large
// may be the rounding of a neighbouring integer (2^53+1 reads as 2^53).
// Below 2^53 a float64 holds every integer exactly, so an integral one is
// accepted: JavaScript msgpack and CBOR encoders (msgpackr, used by
// wampy.js, among others) write integers above 2^32 as float64. A JSON
// decoder has more to go on: an ID written with a fraction or exponent
// (1.0, 1e3) is not an integer literal, and package serialize's JSON
// decoder refuses it before ToID sees it (decimal text may already have
// been rounded by parsing: 1.0000000000000001 parses as 1).
func ToID(v any) (id ID, ok bool) {
	// The common cases first, without the int64 detour.
	switch x := v.(type) {
	case int64:
		if x >= 1 && x <= int64(MaxID) {
			return ID(x), true
		}
		return 0, false
	case uint64:
		if id := ID(x); id.Valid() {
			return id, true
		}
		return 0, false
	case ID:
		if x.Valid() {
			return x, true
		}
		return 0, false
	case float64:
		return floatToID(x)
	case float32:
		return floatToID(float64(x))
	}
	n, ok := ToInt(v)
	if !ok || n < 1 || n > int64(MaxID) {
		return 0, false
	}
	return ID(n), true
}

// floatToID accepts integral floats in [1, 2^53) (see ToID).
func floatToID(f float64) (ID, bool) {
	if f >= 1 && f < 1<<53 && f == math.Trunc(f) { // NaN fails every comparison
		return ID(f), true
	}
	return 0, false
}

func uintToInt(u uint64) (int64, bool) {
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// floatToInt accepts integral floats in [-2^63, 2^63).
func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || math.IsInf(f, 0) { // NaN fails the first test
		return 0, false
	}
	if f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// MaxTimeoutMs is the largest options.timeout (CALL, INVOCATION; in
// milliseconds) that a time.Duration can hold: 9,223,372,036,854 ms, about
// 292 years.
const MaxTimeoutMs = math.MaxInt64 / int64(time.Millisecond)

// TimeoutDuration converts an options.timeout in milliseconds to a
// Duration. 0 means no timeout, and so does a timeout too large for a
// Duration (above MaxTimeoutMs): a deadline centuries away is no deadline,
// and converting it would overflow into a negative or tiny Duration, that
// is, into an immediate timeout. A negative timeout is invalid (see
// ValidateOptions) and also gives 0.
func TimeoutDuration(ms int64) time.Duration {
	if ms <= 0 || ms > MaxTimeoutMs {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// isNonNegInt reports whether v is an integer >= 0 of any magnitude: what
// ToInt accepts and is not negative, a uint64 beyond int64, or an integral
// float beyond int64 (a JSON integer literal above math.MaxInt64 decodes as
// a float64).
func isNonNegInt(v any) bool {
	if n, ok := ToInt(v); ok {
		return n >= 0
	}
	switch x := v.(type) {
	case uint64, uint, uintptr:
		return true // ToInt refused it: beyond int64
	case float64:
		return x >= 1<<63 && x == math.Trunc(x) && !math.IsInf(x, 0)
	case float32:
		return x >= 1<<63 && float64(x) == math.Trunc(float64(x)) && !math.IsInf(float64(x), 0)
	}
	return false
}
