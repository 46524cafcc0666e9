package serialize

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp/wamptest"
)

// FuzzDecodeJSON: Decode never panics, and whatever it accepts re-encodes
// and decodes to an equal message, with stable bytes.
func FuzzDecodeJSON(f *testing.F) {
	files, err := wamptest.LoadSingleMessage(vectorsDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		for _, s := range file.Samples {
			for _, v := range s.Serializers["json"] {
				if d, err := v.Data(); err == nil {
					f.Add(d)
				}
			}
		}
	}
	for _, s := range []string{
		`[48,1,{"timeout":1000},"p",["\u0000AAE=",1.5,-3,null,true],{"k":{"n":[[]]}}]`,
		`[8,48,1,{},"e",[],{}]`, `[35,0,{"subscription":5}]`, `[1,"r",{"roles":{"caller":{}}}]`,
		`[50,1,{},["\u2028","\ud800","a\u0000"]]`, `{}`, `[]`, `[[[[`, `"\u0000"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := JSON.Decode(b)
		if err != nil {
			return
		}
		enc, err := JSON.Append(nil, m)
		if err != nil {
			t.Fatalf("Append of decoded %#v: %v", m, err)
		}
		m2, err := JSON.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Append(Decode(%q))) = %v; encoded %q", b, err, enc)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip differs:\n in  %q\n enc %q\n got %#v\nwant %#v", b, enc, m2, m)
		}
		enc2, err := JSON.Append(nil, m2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %q vs %q (%v)", enc, enc2, err)
		}
	})
}
