package serialize

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
	"github.com/switchboard-wamp/switchboard/core/wamp/wamptest"
	"github.com/vmihailenco/msgpack/v5"
)

// oracleCBOR is fxamacker/cbor with its defaults except the map type: an
// independent reader of our CBOR encoder's output (our decoder adds a
// pre-scan and stricter options).
var oracleCBOR = func() cbor.DecMode {
	dm, err := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil))}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// oracleList decodes a frame of the named format with a library that our
// decoder for that format does not use (msgpack: vmihailenco strict
// interface decoding; JSON: encoding/json; CBOR: fxamacker/cbor with default
// options), for comparisons through wamptest.Normalize. Only for trusted
// input: the msgpack library allocates by declared lengths.
func oracleList(format string, b []byte) ([]any, error) {
	switch format {
	case "json":
		return wamptest.DecodeJSONList(b)
	case "msgpack":
		dec := msgpack.NewDecoder(bytes.NewReader(b))
		v, err := dec.DecodeInterface()
		if err != nil {
			return nil, err
		}
		if dec.Buffered().(*bytes.Reader).Len() != 0 {
			return nil, errors.New("oracle: trailing msgpack data")
		}
		return oracleTopList(v)
	case "cbor":
		var v any
		if err := oracleCBOR.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return oracleTopList(v)
	}
	return nil, fmt.Errorf("oracle: unknown format %q", format)
}

func oracleTopList(v any) ([]any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("oracle: top level is %T", v)
	}
	return l, nil
}
