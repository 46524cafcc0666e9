package tests

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// pptHello is a HELLO announcing payload_passthru_mode for the roles given
// with it, and the other client roles without it.
func pptHello(realm string, ppt bool) []any {
	feats := map[string]any{}
	if ppt {
		feats["payload_passthru_mode"] = true
	}
	role := map[string]any{"features": feats}
	return []any{int64(1), realm, map[string]any{"roles": map[string]any{
		"caller": role, "callee": role, "publisher": role, "subscriber": role}}}
}

// TestPayloadPassthru forwards an opaque payload between peers with
// different serializers on every backend: a JSON caller and publisher
// (binary as "\u0000"+base64), a CBOR callee and subscriber (a byte
// string), both with payload_passthru_mode, and a msgpack callee and
// subscriber without it. The bytes and the ppt_* options arrive unchanged;
// the peer without the feature gets neither the INVOCATION (the caller
// gets wamp.error.feature_not_supported) nor the EVENT.
func TestPayloadPassthru(t *testing.T) {
	blob := []byte{0xa1, 0x61, 0x78, 0x01, 0x00, 0xff}
	reply := []byte{0x00, 0x01, 0xfe}
	jsonBin := func(b []byte) string { return `"\u0000` + base64.StdEncoding.EncodeToString(b) + `"` }
	ppt := map[string]any{"ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k1"}
	pptJSON := `{"ppt_scheme":"wamp","ppt_serializer":"cbor","ppt_cipher":"xsalsa20poly1305","ppt_keyid":"k1"}`
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		jc := dialWire(t, r.URL, "wamp.2.json")
		jc.send(jsonText(pptHello("realm1", true)))
		jc.want(2)
		cb := dialWireCodec(t, r.URL, cborCodec)
		cb.sendList(pptHello("realm1", true))
		cb.want(2)
		mp := dialWireCodec(t, r.URL, msgpackCodec)
		mp.sendList(pptHello("realm1", false))
		mp.want(2)

		cb.sendList([]any{int64(64), int64(1), map[string]any{}, "com.ppt.secret"})
		cb.want(65, 1)
		mp.sendList([]any{int64(64), int64(1), map[string]any{}, "com.ppt.plain"})
		mp.want(65, 1)
		cb.sendList([]any{int64(32), int64(2), map[string]any{}, "com.ppt.news"})
		cb.want(33, 2)
		mp.sendList([]any{int64(32), int64(2), map[string]any{}, "com.ppt.news"})
		mp.want(33, 2)

		// CALL → INVOCATION → YIELD → RESULT across JSON and CBOR.
		jc.send(`[48,1,` + pptJSON + `,"com.ppt.secret",[` + jsonBin(blob) + `]]`)
		inv := cb.want(68, nil, nil, ppt)
		if got, ok := inv[4].([]any)[0].([]byte); !ok || !bytes.Equal(got, blob) {
			t.Fatalf("INVOCATION payload %#v, want the bytes %x", inv[4], blob)
		}
		cb.sendList([]any{int64(70), inv[1], map[string]any{"ppt_scheme": "wamp", "ppt_serializer": "cbor"}, []any{reply}})
		jc.want(50, 1, map[string]any{"ppt_scheme": "wamp", "ppt_serializer": "cbor"}, []any{"\u0000" + base64.StdEncoding.EncodeToString(reply)})

		// A callee without the feature is never invoked.
		jc.send(`[48,2,{"ppt_scheme":"mqtt"},"com.ppt.plain",["raw"]]`)
		jc.want(8, 48, 2, map[string]any{}, "wamp.error.feature_not_supported")

		// PUBLISH → EVENT only to the subscriber with the feature; the
		// plain publication that follows is the first thing the other one
		// gets (a session's messages keep their order).
		jc.send(`[16,3,{"acknowledge":true,"ppt_scheme":"mqtt","ppt_serializer":"native"},"com.ppt.news",[` + jsonBin(blob) + `]]`)
		ev := cb.want(36, nil, nil, map[string]any{"ppt_scheme": "mqtt", "ppt_serializer": "native"})
		if got, ok := ev[4].([]any)[0].([]byte); !ok || !bytes.Equal(got, blob) {
			t.Fatalf("EVENT payload %#v, want the bytes %x", ev[4], blob)
		}
		jc.want(17, 3)
		jc.send(`[16,4,{"acknowledge":true},"com.ppt.news",["plain"]]`)
		cb.want(36, nil, nil, map[string]any{}, []any{"plain"})
		mp.want(36, nil, nil, map[string]any{}, []any{"plain"})
		jc.want(17, 4)
	})
}
