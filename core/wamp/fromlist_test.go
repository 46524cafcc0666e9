package wamp

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// elemKind is the spec type of one message element, for generated tests.
type elemKind int

const (
	kID elemKind = iota
	kDict
	kURI
	kString
	kArgs
	kKwargs
	kReqType
)

// layouts states the spec's message formats independently of arities: all
// elements after the type code, optional ones (Args, Kwargs, revocation
// Details) last. opt is the number of optional trailing elements.
var layouts = map[Type]struct {
	elems []elemKind
	opt   int
}{
	HELLO:        {[]elemKind{kURI, kDict}, 0},
	WELCOME:      {[]elemKind{kID, kDict}, 0},
	ABORT:        {[]elemKind{kDict, kURI}, 0},
	CHALLENGE:    {[]elemKind{kString, kDict}, 0},
	AUTHENTICATE: {[]elemKind{kString, kDict}, 0},
	GOODBYE:      {[]elemKind{kDict, kURI}, 0},
	ERROR:        {[]elemKind{kReqType, kID, kDict, kURI, kArgs, kKwargs}, 2},
	PUBLISH:      {[]elemKind{kID, kDict, kURI, kArgs, kKwargs}, 2},
	PUBLISHED:    {[]elemKind{kID, kID}, 0},
	SUBSCRIBE:    {[]elemKind{kID, kDict, kURI}, 0},
	SUBSCRIBED:   {[]elemKind{kID, kID}, 0},
	UNSUBSCRIBE:  {[]elemKind{kID, kID}, 0},
	UNSUBSCRIBED: {[]elemKind{kID, kDict}, 1},
	EVENT:        {[]elemKind{kID, kID, kDict, kArgs, kKwargs}, 2},
	CALL:         {[]elemKind{kID, kDict, kURI, kArgs, kKwargs}, 2},
	CANCEL:       {[]elemKind{kID, kDict}, 0},
	RESULT:       {[]elemKind{kID, kDict, kArgs, kKwargs}, 2},
	REGISTER:     {[]elemKind{kID, kDict, kURI}, 0},
	REGISTERED:   {[]elemKind{kID, kID}, 0},
	UNREGISTER:   {[]elemKind{kID, kID}, 0},
	UNREGISTERED: {[]elemKind{kID, kDict}, 1},
	INVOCATION:   {[]elemKind{kID, kID, kDict, kArgs, kKwargs}, 2},
	INTERRUPT:    {[]elemKind{kID, kDict}, 0},
	YIELD:        {[]elemKind{kID, kDict, kArgs, kKwargs}, 2},
}

func allTypes() []Type {
	var ts []Type
	for t := Type(0); t < 256; t++ {
		if t.Known() {
			ts = append(ts, t)
		}
	}
	return ts
}

func goodValue(k elemKind, i int) any {
	switch k {
	case kID:
		return int64(1000 + i)
	case kDict:
		return map[string]any{"k" + strconv.Itoa(i): int64(i)}
	case kURI:
		return "com.example.e" + strconv.Itoa(i)
	case kString:
		return "s" + strconv.Itoa(i)
	case kArgs:
		return []any{"a", int64(i)}
	case kKwargs:
		return map[string]any{"kw": true}
	case kReqType:
		return int64(CALL)
	}
	panic("bad kind")
}

// badValues returns values of the wrong type (or range) for kind k, with the
// text the error must contain.
func badValues(k elemKind) []struct {
	v    any
	want string
} {
	type bv = struct {
		v    any
		want string
	}
	switch k {
	case kID:
		return []bv{{int64(0), "out of range"}, {int64(1<<53 + 1), "out of range"},
			{int64(-1), "out of range"}, {1.5, "not an integer"}, {"1", "not an integer"},
			{nil, "not an integer"}, {uint64(1<<63 + 5), "not an integer"}, {1e300, "out of range"}}
	case kDict:
		return []bv{{[]any{}, "not a dict: list"}, {"x", "not a dict"}, {nil, "not a dict: null"},
			{map[any]any{}, "not a dict"}}
	case kURI, kString:
		return []bv{{int64(1), "not a string: integer"}, {nil, "not a string"}, {[]byte("x"), "not a string: binary"}}
	case kArgs:
		return []bv{{map[string]any{}, "not a list: dict"}, {nil, "not a list: null"}, {int64(1), "not a list"},
			{[]byte{1}, "payload passthru"}, {"text", "payload passthru"}}
	case kKwargs:
		return []bv{{[]any{}, "not a dict: list"}, {nil, "not a dict"}}
	case kReqType:
		return []bv{{int64(PUBLISHED), "not a request type"}, {int64(999), "not a request type"},
			{int64(-1), "not a request type"}, {"48", "not an integer"}, {48.5, "not an integer"}}
	}
	panic("bad kind")
}

func fullList(t Type) List {
	lay := layouts[t]
	l := List{int64(t)}
	for i, k := range lay.elems {
		l = append(l, goodValue(k, i+1))
	}
	return l
}

func wantViolation(t *testing.T, l List, contains ...string) {
	t.Helper()
	m, err := FromList(l)
	if err == nil {
		t.Fatalf("FromList(%#v) = %#v, want error", l, m)
	}
	if !errors.Is(err, ErrProtocolViolation) {
		t.Fatalf("FromList(%#v) error %v does not wrap ErrProtocolViolation", l, err)
	}
	if m != nil {
		t.Errorf("FromList(%#v) returned message %#v with error", l, m)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("FromList(%#v) error %q does not contain %q", l, err, c)
		}
	}
}

func TestFromListValidArities(t *testing.T) {
	for _, typ := range allTypes() {
		full := fullList(typ)
		lay := layouts[typ]
		for n := len(full) - lay.opt; n <= len(full); n++ {
			l := full[:n]
			t.Run(typ.String()+"/"+strconv.Itoa(n), func(t *testing.T) {
				m, err := FromList(l)
				if err != nil {
					t.Fatalf("FromList(%#v): %v", l, err)
				}
				if m.Type() != typ {
					t.Fatalf("type %v, want %v", m.Type(), typ)
				}
				if back := ToList(m); !reflect.DeepEqual(back, l) {
					t.Errorf("ToList(FromList(l)) = %#v, want %#v", back, l)
				}
			})
		}
	}
}

func TestFromListBadArity(t *testing.T) {
	for _, typ := range allTypes() {
		full := fullList(typ)
		lay := layouts[typ]
		t.Run(typ.String(), func(t *testing.T) {
			wantViolation(t, full[:len(full)-lay.opt-1], typ.String(), "too few elements")
			wantViolation(t, append(append(List{}, full...), int64(1)), typ.String(), "too many elements")
			wantViolation(t, full[:1], typ.String(), "too few elements")
		})
	}
}

func TestFromListBadElements(t *testing.T) {
	for _, typ := range allTypes() {
		full := fullList(typ)
		for i, k := range layouts[typ].elems {
			for _, bad := range badValues(k) {
				if k == kID && (typ == UNSUBSCRIBED || typ == UNREGISTERED) && bad.v == int64(0) {
					continue // the revocation form, tested separately
				}
				l := append(List{}, full...)
				l[i+1] = bad.v
				name := typ.String() + "/" + strconv.Itoa(i+1) + "/" + typeName(bad.v)
				t.Run(name, func(t *testing.T) {
					wantViolation(t, l, typ.String()+": element "+strconv.Itoa(i+1)+" (", bad.want)
				})
			}
		}
	}
}

// Kwargs without Args: the dict lands where the Arguments list must be.
func TestFromListKwargsWithoutArgs(t *testing.T) {
	for _, typ := range allTypes() {
		lay := layouts[typ]
		if lay.opt != 2 {
			continue
		}
		full := fullList(typ)
		l := append(append(List{}, full[:len(full)-2]...), map[string]any{"kw": true})
		t.Run(typ.String(), func(t *testing.T) {
			wantViolation(t, l, "(Arguments): not a list: dict")
		})
	}
}

func TestFromListBadTypeCode(t *testing.T) {
	tests := []struct {
		name string
		l    List
		want string
	}{
		{"empty", List{}, "empty message list"},
		{"nil", nil, "empty message list"},
		{"unknown 7 (HEARTBEAT)", List{int64(7), int64(1), int64(2)}, "unknown message type 7"},
		{"unknown 0", List{int64(0)}, "unknown message type 0"},
		{"unknown 337 (EVENT_RECEIVED)", List{int64(337), int64(5512315355)}, "unknown message type 337"},
		{"negative", List{int64(-48), int64(1), map[string]any{}, "a"}, "unknown message type -48"},
		{"huge", List{int64(1 << 40), int64(1)}, "unknown message type 1099511627776"},
		{"string", List{"48", int64(1), map[string]any{}, "a"}, "element 0 (message type): not an integer: string"},
		{"float", List{48.5, int64(1), map[string]any{}, "a"}, "not an integer: float"},
		{"null", List{nil}, "not an integer: null"},
		{"list", List{List{int64(48)}}, "not an integer: list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantViolation(t, tt.l, tt.want) })
	}
}

func TestFromListNumberKinds(t *testing.T) {
	// Codes and IDs arrive as uint64 (msgpack), float64 (JSON without int
	// decoding) or int64; all are accepted.
	l := List{float64(48), uint64(7), map[string]any{}, "com.x", []any{}, map[string]any{}}
	m, err := FromList(l)
	if err != nil {
		t.Fatal(err)
	}
	want := &Call{Request: 7, Options: Dict{}, Procedure: "com.x", Args: List{}, Kwargs: Dict{}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %#v, want %#v", m, want)
	}
}

func TestFromListRevocation(t *testing.T) {
	for _, typ := range []Type{UNSUBSCRIBED, UNREGISTERED} {
		t.Run(typ.String(), func(t *testing.T) {
			details := map[string]any{"reason": "gone"}
			m, err := FromList(List{int64(typ), int64(0), details})
			if err != nil {
				t.Fatal(err)
			}
			var req ID
			var got Dict
			switch x := m.(type) {
			case *Unsubscribed:
				req, got = x.Request, x.Details
			case *Unregistered:
				req, got = x.Request, x.Details
			}
			if req != 0 || !reflect.DeepEqual(got, Dict(details)) {
				t.Errorf("got request %d details %v", req, got)
			}
			wantViolation(t, List{int64(typ), int64(0)}, "out of range")
			wantViolation(t, List{int64(typ), int64(-1), details}, "out of range")
			wantViolation(t, List{int64(typ), int64(0), "x"}, "(Details): not a dict")
		})
	}
}

func TestFromListNilContainers(t *testing.T) {
	m, err := FromList(List{int64(CALL), int64(1), map[string]any(nil), "p", []any(nil), map[string]any(nil)})
	if err != nil {
		t.Fatal(err)
	}
	c := m.(*Call)
	if c.Options == nil || c.Args == nil || c.Kwargs == nil {
		t.Errorf("nil containers not made empty: %#v", c)
	}
	if len(c.Options)+len(c.Args)+len(c.Kwargs) != 0 {
		t.Errorf("containers not empty: %#v", c)
	}
}

func TestFromListFirstErrorWins(t *testing.T) {
	_, err := FromList(List{int64(CALL), "x", "y", int64(3)})
	if err == nil || !strings.Contains(err.Error(), "CALL: element 1 (Request)") {
		t.Errorf("error %v, want the leftmost bad element", err)
	}
	want := "wamp: protocol violation: CALL: element 1 (Request): ID out of range 1..2^53"
	if _, err := FromList(List{int64(CALL), int64(0), map[string]any{}, "p"}); err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
