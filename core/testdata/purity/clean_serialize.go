package planted

// purity:as serialize
// The codec libraries that core/serialize may import.

import (
	"github.com/fxamacker/cbor/v2"
	"github.com/segmentio/encoding/json"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func encode(v wamp.List) ([]byte, []byte, []byte) {
	a, _ := cbor.Marshal(v)
	b, _ := json.Marshal(v)
	c, _ := msgpack.Marshal(v)
	return a, b, c
}
