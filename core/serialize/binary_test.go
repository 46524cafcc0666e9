package serialize

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/core/wamp/wamptest"
)

// unhex decodes hex written with optional spaces, for readable fixtures.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex fixture %q: %v", s, err)
	}
	return b
}

func TestBinaryIdentity(t *testing.T) {
	for _, tt := range []struct {
		s                Serializer
		name, sub        string
		id               byte
		byName, byRawSID Serializer
	}{
		{MsgPack, "msgpack", "wamp.2.msgpack", 2, nil, nil},
		{CBOR, "cbor", "wamp.2.cbor", 3, nil, nil},
	} {
		if tt.s.Name() != tt.name || tt.s.SubProtocol() != tt.sub || tt.s.RawSocketID() != tt.id || !tt.s.Binary() {
			t.Errorf("%s identity wrong: %s %s %d %v", tt.name, tt.s.Name(), tt.s.SubProtocol(), tt.s.RawSocketID(), tt.s.Binary())
		}
		for _, get := range []func() (Serializer, bool){
			func() (Serializer, bool) { return ByName(tt.name) },
			func() (Serializer, bool) { return BySubProtocol(tt.sub) },
			func() (Serializer, bool) { return ByRawSocketID(tt.id) },
		} {
			if got, ok := get(); !ok || got != tt.s {
				t.Errorf("registry lookup of %s = %v, %v", tt.name, got, ok)
			}
		}
	}
	if got := All(); len(got) != 3 || got[0] != JSON || got[1] != MsgPack || got[2] != CBOR {
		t.Errorf("All() = %v", got)
	}
}

type fallbackStruct struct {
	N int    `json:"n"`
	S string `json:"s,omitempty"`
}

// binaryExact lists messages with their exact msgpack and CBOR encodings
// (hex, spaces for readability). noOracle marks rows whose values do not
// come back as themselves (fallback types, nil containers, invalid UTF-8).
var binaryExact = []struct {
	name          string
	m             wamp.Message
	msgpack, cbor string
	noOracle      bool
}{
	{"call", &wamp.Call{Request: 7814135, Procedure: "p", Args: wamp.List{"Hi"}},
		"95 30 ce00773bf7 80 a170 91 a24869",
		"85 1830 1a00773bf7 a0 6170 81 624869", false},
	{"kwargs only", &wamp.Call{Request: 1, Procedure: "p", Kwargs: wamp.Dict{"b": 1, "a": 2}},
		"96 30 01 80 a170 90 82 a161 02 a162 01",
		"86 1830 01 a0 6170 80 a2 6161 02 6162 01", false},
	{"sorted keys", &wamp.Publish{Request: 1, Topic: "t", Options: wamp.Dict{"z": 1, "a": true, "m": nil, "b": "x"}},
		"94 10 01 84 a161 c3 a162 a178 a16d c0 a17a 01 a174",
		"84 10 01 a4 6161 f5 6162 6178 616d f6 617a 01 6174", false},
	{"length-first keys", &wamp.Hello{Realm: "r", Details: wamp.Dict{"bb": 1, "a": 2, "ccc": 3, "ab": 4}},
		"93 01 a172 84 a161 02 a26162 04 a26262 01 a3636363 03",
		"83 01 6172 a4 6161 02 626162 04 626262 01 63636363 03", false},
	{"ints", &wamp.Result{Request: 1, Args: wamp.List{int64(-1), int64(-32), int64(-33), int64(-128), int64(-129),
		int64(math.MinInt16), int64(math.MinInt16 - 1), int64(math.MinInt32), int64(math.MinInt32 - 1), int64(math.MinInt64),
		int64(23), int64(24), int64(127), int64(128), int64(255), int64(256), int64(65535), int64(65536),
		uint64(math.MaxUint32), uint64(math.MaxUint32 + 1), uint64(math.MaxUint64)}},
		"94 32 01 80 dc0015 ff e0 d0df d080 d1ff7f d18000 d2ffff7fff d280000000 d3ffffffff7fffffff d38000000000000000" +
			" 17 18 7f cc80 ccff cd0100 cdffff ce00010000 ceffffffff cf0000000100000000 cfffffffffffffffff",
		"84 1832 01 a0 95 20 381f 3820 387f 3880 397fff 398000 3a7fffffff 3a80000000 3b7fffffffffffffff" +
			" 17 1818 187f 1880 18ff 190100 19ffff 1a00010000 1affffffff 1b0000000100000000 1bffffffffffffffff", false},
	{"int kinds", &wamp.Result{Request: 1, Args: wamp.List{int8(-8), int16(16), int32(32), uint(1), uint8(8), uint16(16),
		uint32(32), uintptr(9), wamp.ID(5), wamp.CALL, 7, json.Number("-2")}},
		"94 32 01 80 9c f8 10 20 01 08 10 20 09 05 30 07 fe",
		"84 1832 01 a0 8c 27 10 1820 01 08 10 1820 09 05 1830 07 21", false},
	{"floats", &wamp.Yield{Request: 1, Args: wamp.List{23.5, 1.0, math.Copysign(0, -1), float32(1.5), math.Inf(1), json.Number("12.5")}},
		"94 46 01 80 96 cb4037800000000000 cb3ff0000000000000 cb8000000000000000 ca3fc00000 cb7ff0000000000000 cb4029000000000000",
		"84 1846 01 a0 86 fb4037800000000000 fb3ff0000000000000 fb8000000000000000 fa3fc00000 fb7ff0000000000000 fb4029000000000000", false},
	{"strings", &wamp.Result{Request: 1, Args: wamp.List{"", "é", wamp.URI("u"), "a\xffb", strings.Repeat("x", 31), strings.Repeat("y", 32)}},
		"94 32 01 80 96 a0 a2c3a9 a175 a561efbfbd62 bf" + strings.Repeat("78", 31) + " d920" + strings.Repeat("79", 32),
		"84 1832 01 a0 86 60 62c3a9 6175 6561efbfbd62 781f" + strings.Repeat("78", 31) + " 7820" + strings.Repeat("79", 32), true},
	{"binary", &wamp.Event{Subscription: 1, Publication: 2, Args: wamp.List{[]byte{0, 1, 255}, []byte{}, []byte(nil)}},
		"95 24 01 02 80 93 c403 0001ff c400 c400",
		"85 1824 01 02 a0 83 43 0001ff 40 40", true},
	{"nested", &wamp.Result{Request: 1, Args: wamp.List{wamp.List{wamp.Dict{"a": wamp.List{}}}, nil, true, false}},
		"94 32 01 80 94 91 81 a161 90 c0 c3 c2",
		"84 1832 01 a0 84 81 a1 6161 80 f6 f5 f4", false},
	{"nil containers", &wamp.Result{Request: 1, Args: wamp.List{wamp.List(nil), wamp.Dict(nil)}},
		"94 32 01 80 92 90 80", "84 1832 01 a0 82 80 a0", true},
	{"fallback types", &wamp.Result{Request: 1, Args: wamp.List{[]string{"x"}, map[string]string{"b": "1", "a": "2"},
		fallbackStruct{N: 3}, map[string]int{"x": 300}, time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)}},
		"94 32 01 80 95 91a178 82a161a132a162a131 81a16e03 81a178cd012c bd" + hex.EncodeToString([]byte("2024-05-06T07:08:09.00000001Z")),
		"84 1832 01 a0 85 816178 a2616161326162 6131 a1616e03 a1617819012c 781d" + hex.EncodeToString([]byte("2024-05-06T07:08:09.00000001Z")), true},
	{"error", &wamp.Error{RequestType: wamp.CALL, Request: 5, Error: wamp.ErrNoSuchProcedure},
		"95 08 30 05 80 bc" + hex.EncodeToString([]byte("wamp.error.no_such_procedure")),
		"85 08 1830 05 a0 781c" + hex.EncodeToString([]byte("wamp.error.no_such_procedure")), false},
	{"unsubscribed revocation", &wamp.Unsubscribed{Details: wamp.Dict{"subscription": 9}},
		"93 23 00 81 ac" + hex.EncodeToString([]byte("subscription")) + " 09",
		"83 1823 00 a1 6c" + hex.EncodeToString([]byte("subscription")) + " 09", false},
	{"unregistered", &wamp.Unregistered{Request: 3}, "92 43 03", "82 1843 03", false},
	{"max id", &wamp.Welcome{Session: wamp.MaxID}, "93 02 cf0020000000000000 80", "83 02 1b0020000000000000 a0", false},
}

func TestBinaryEncodeExact(t *testing.T) {
	for _, tt := range binaryExact {
		for _, c := range []struct {
			s   Serializer
			hex string
		}{{MsgPack, tt.msgpack}, {CBOR, tt.cbor}} {
			t.Run(c.s.Name()+"/"+tt.name, func(t *testing.T) {
				want := unhex(t, c.hex)
				got, err := c.s.Append([]byte("prefix"), tt.m)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
					t.Fatalf("Append =\n %x\nwant\n %x", got[6:], want)
				}
				if tt.noOracle {
					return
				}
				l, err := oracleList(c.s.Name(), want)
				if err != nil {
					t.Fatalf("oracle cannot read the fixture: %v", err)
				}
				if !reflect.DeepEqual(wamptest.Normalize(l), wamptest.Normalize(wamp.ToList(tt.m))) {
					t.Errorf("oracle reads the fixture as %#v, want %#v", l, wamp.ToList(tt.m))
				}
			})
		}
	}
}

func TestBinaryLengthHeaders(t *testing.T) {
	tests := []struct {
		n                      uint32
		str, bin, array, cbStr string
	}{
		{0, "a0", "c400", "90", "60"},
		{15, "af", "c40f", "9f", "6f"},
		{16, "b0", "c410", "dc0010", "70"},
		{23, "b7", "c417", "dc0017", "77"},
		{24, "b8", "c418", "dc0018", "7818"},
		{31, "bf", "c41f", "dc001f", "781f"},
		{32, "d920", "c420", "dc0020", "7820"},
		{255, "d9ff", "c4ff", "dc00ff", "78ff"},
		{256, "da0100", "c50100", "dc0100", "790100"},
		{65535, "daffff", "c5ffff", "dcffff", "79ffff"},
		{65536, "db00010000", "c600010000", "dd00010000", "7a00010000"},
		{math.MaxUint32, "dbffffffff", "c6ffffffff", "ddffffffff", "7affffffff"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			got  []byte
			want string
		}{
			{appendMsgpackStrHeader(nil, tt.n), tt.str},
			{appendMsgpackBinHeader(nil, tt.n), tt.bin},
			{appendMsgpackArrayHeader(nil, tt.n), tt.array},
			{appendCBORHead(nil, cborText, uint64(tt.n)), tt.cbStr},
		} {
			if hex.EncodeToString(c.got) != c.want {
				t.Errorf("n=%d: header %x, want %s", tt.n, c.got, c.want)
			}
		}
	}
	if got := hex.EncodeToString(appendMsgpackMapHeader(nil, 16)); got != "de0010" {
		t.Errorf("map16 header %s", got)
	}
	if got := hex.EncodeToString(appendCBORHead(nil, cborMap, 1<<32)); got != "bb0000000100000000" {
		t.Errorf("CBOR 64-bit head %s", got)
	}
}

func TestBinaryEncodeErrors(t *testing.T) {
	deep := any("x")
	for i := 0; i < MaxNesting; i++ {
		deep = wamp.List{deep}
	}
	cyclic := wamp.List{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name string
		m    wamp.Message
		want string
	}{
		{"chan", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{make(chan int)}}, "chan int"},
		{"func in dict", &wamp.Call{Request: 1, Procedure: "p", Kwargs: wamp.Dict{"f": func() {}}}, "func()"},
		{"bad json.Number", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{json.Number("x1")}}, "as a number"},
		{"too deep", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{deep}}, "MaxNesting"},
		{"too deep dict", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{deepDict(MaxNesting)}}, "MaxNesting"},
		{"cyclic", &wamp.Call{Request: 1, Procedure: "p", Args: cyclic}, "MaxNesting"},
		{"unknown message", fakeMessage{}, "cannot encode message"},
		{"nil message", nil, "cannot encode message"},
	}
	for _, s := range []Serializer{MsgPack, CBOR} {
		for _, tt := range tests {
			t.Run(s.Name()+"/"+tt.name, func(t *testing.T) {
				dst := []byte("keep")
				got, err := s.Append(dst, tt.m)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Append error %v, want one containing %q", err, tt.want)
				}
				if string(got) != "keep" {
					t.Errorf("dst changed on error: %q", got)
				}
			})
		}
	}
}

func deepDict(levels int) any {
	v := any(1)
	for i := 0; i < levels; i++ {
		v = wamp.Dict{"k": v}
	}
	return v
}

// TestBinaryNestingLimitSymmetric: the deepest value Append accepts decodes;
// one level more fails both ways, in every format.
func TestBinaryNestingLimitSymmetric(t *testing.T) {
	for _, s := range []Serializer{JSON, MsgPack, CBOR} {
		t.Run(s.Name(), func(t *testing.T) {
			for _, mk := range []func(int) any{nestedLists, deepDict} {
				ok := mk(MaxNesting - 2) // message list + Args list + 62 levels
				m := &wamp.Result{Request: 1, Args: wamp.List{ok}}
				b, err := s.Append(nil, m)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Decode(b)
				if err != nil {
					t.Fatalf("Decode of maximal nesting: %v", err)
				}
				if !reflect.DeepEqual(wamptest.Normalize(wamp.ToList(got)), wamptest.Normalize(wamp.ToList(m))) {
					t.Fatalf("maximal nesting round trip differs")
				}
				m.Args = wamp.List{mk(MaxNesting - 1)}
				if _, err := s.Append(nil, m); err == nil {
					t.Fatal("Append accepted nesting beyond MaxNesting")
				}
			}
		})
	}
}

func nestedLists(levels int) any {
	v := any("x")
	for i := 0; i < levels; i++ {
		v = wamp.List{v}
	}
	return v
}

// allMessages has one message of every type, with and without payloads,
// with values of every kind a decoder produces.
func allMessages() []wamp.Message {
	args := wamp.List{
		"Hello, world!", "ünïcödé ✓ 😀", "", int64(0), int64(-1), int64(1 << 53), int64(math.MinInt64),
		int64(math.MaxInt64), 23.5, 42.0, 1e300, -2.5e-10, true, false, nil,
		[]byte{}, []byte{0, 0, 0}, []byte("binary\x00data"),
		wamp.List{wamp.List{[]byte{1}}, wamp.Dict{"bin": []byte{2}, "deep": wamp.Dict{"x": wamp.List{}}}},
		wamp.Dict{}, "a\x00b", strings.Repeat("long ", 20000),
	}
	kwargs := wamp.Dict{"count": int64(42), "f": 23.5, "b": []byte("kw"), "nested": wamp.Dict{"l": wamp.List{int64(1)}}, "": "empty key"}
	d := wamp.Dict{"x": int64(1)}
	return []wamp.Message{
		&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{"features": wamp.Dict{"call_timeout": true}}}}},
		&wamp.Welcome{Session: wamp.MaxID, Details: d},
		&wamp.Abort{Details: d, Reason: "wamp.error.no_such_realm"},
		&wamp.Challenge{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "{}"}},
		&wamp.Authenticate{Signature: "sig", Extra: wamp.Dict{}},
		&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal},
		&wamp.Error{RequestType: wamp.INVOCATION, Request: 9, Details: wamp.Dict{}, Error: "app.err", Args: wamp.List{}, Kwargs: wamp.Dict{}},
		&wamp.Error{RequestType: wamp.CALL, Request: 9, Details: wamp.Dict{}, Error: "app.err"},
		&wamp.Publish{Request: 1, Options: d, Topic: "t", Args: args, Kwargs: kwargs},
		&wamp.Published{Request: 1, Publication: 2},
		&wamp.Subscribe{Request: 1, Options: d, Topic: "t"},
		&wamp.Subscribed{Request: 1, Subscription: 2},
		&wamp.Unsubscribe{Request: 1, Subscription: 2},
		&wamp.Unsubscribed{Request: 1},
		&wamp.Unsubscribed{Request: 0, Details: wamp.Dict{"subscription": int64(5), "reason": "wamp.close.killed"}},
		&wamp.Event{Subscription: wamp.MaxID, Publication: 1, Details: wamp.Dict{}, Args: args},
		&wamp.Call{Request: 1, Options: wamp.Dict{"timeout": int64(1000)}, Procedure: "com.example.p", Args: args, Kwargs: kwargs},
		&wamp.Cancel{Request: 1, Options: wamp.Dict{"mode": "kill"}},
		&wamp.Result{Request: 1, Details: wamp.Dict{}, Args: wamp.List{}, Kwargs: kwargs},
		&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "p"},
		&wamp.Registered{Request: 1, Registration: 2},
		&wamp.Unregister{Request: 1, Registration: 2},
		&wamp.Unregistered{Request: 0, Details: wamp.Dict{"registration": int64(5)}},
		&wamp.Invocation{Request: 1, Registration: 2, Details: wamp.Dict{}, Args: wamp.List{}},
		&wamp.Interrupt{Request: 1, Options: wamp.Dict{}},
		&wamp.Yield{Request: 1, Options: wamp.Dict{}, Args: args},
	}
}

// TestRoundTripAllFormats: every message type survives Append+Decode in
// every format with identical Go values (reflect.DeepEqual, so int64 stays
// int64, float64 float64, []byte []byte), and matches wamp.ToList's layout.
func TestRoundTripAllFormats(t *testing.T) {
	for _, s := range All() {
		for _, m := range allMessages() {
			t.Run(s.Name()+"/"+m.Type().String(), func(t *testing.T) {
				b, err := s.Append(nil, m)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Decode(b)
				if err != nil {
					t.Fatalf("Decode(%.200x): %v", b, err)
				}
				if !reflect.DeepEqual(got, m) {
					t.Fatalf("round trip:\n got %#v\nwant %#v", got, m)
				}
				if s.Binary() {
					l, err := oracleList(s.Name(), b)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(wamptest.Normalize(l), wamptest.Normalize(wamp.ToList(m))) {
						t.Fatalf("oracle reads %#v, want wamp.ToList layout %#v", l, wamp.ToList(m))
					}
				}
			})
		}
	}
}

func TestBinaryDecodeDoesNotAlias(t *testing.T) {
	m := &wamp.Call{Request: 1, Options: wamp.Dict{"k": "value"}, Procedure: "com.example.proc", Args: wamp.List{"argument", []byte("bin")}}
	for _, s := range []Serializer{MsgPack, CBOR} {
		b, err := s.Append(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] = 'X'
		}
		c := got.(*wamp.Call)
		if c.Procedure != "com.example.proc" || c.Args[0] != "argument" || !bytes.Equal(c.Args[1].([]byte), []byte("bin")) || c.Options["k"] != "value" {
			t.Errorf("%s: decoded message aliases the input: %#v", s.Name(), c)
		}
	}
}
