package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// Regression tests for a security probe: bad input from one session must
// never stall or harm other sessions, and its sender gets the spec's answer.
// Each scenario runs on every backend against a real router; a victim
// session's call, sent while the hostile message is in flight, must be
// answered normally. Nothing here measures time: a stalled realm shows up as
// the victim's call not being answered within the wire peer's deadline.

const (
	hostileTopic = "com.example.hostile"
	errorCode    = 8
	abortCode    = 3
	resultCode   = 50
	eventCode    = 36
)

// junkIDs returns n comma-separated IDs of no session (the probe's list).
func junkIDs(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(1_000_000 + i))
	}
	return b.String()
}

// eligibleFrame is a PUBLISH to hostileTopic whose eligible list holds the
// junk IDs followed by the given session IDs.
func eligibleFrame(req int, ack bool, junk string, sessions ...int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[16,%d,{"acknowledge":%t,"eligible":[%s`, req, ack, junk)
	for _, s := range sessions {
		b.WriteString("," + strconv.FormatInt(s, 10))
	}
	b.WriteString(`]},"` + hostileTopic + `",["x"]]`)
	return b.String()
}

// subscribers joins n wire peers subscribed to hostileTopic.
func subscribers(t *testing.T, url string, n int) ([]*wirePeer, []int64) {
	t.Helper()
	var peers []*wirePeer
	var ids []int64
	for range n {
		s := dialWire(t, url, "wamp.2.json")
		ids = append(ids, s.join("realm1"))
		s.send(`[32,1,{},"` + hostileTopic + `"]`)
		s.want(33, 1)
		peers = append(peers, s)
	}
	return peers, ids
}

// victimCall is another session's call, answered 42.
func victimCall(v *wirePeer, req int) {
	v.send(`[48,` + strconv.Itoa(req) + `,{},"com.example.go.add",[20,22]]`)
}

// The probe's PUBLISH: an eligible list of 800,000 session IDs. At the
// default limit (1024) it is refused with ERROR invalid_argument when
// acknowledged and (here with a list just over the limit) discarded
// otherwise; no subscriber gets an event from it, and the victim's call is
// served meanwhile.
func TestHostileLongOptionList(t *testing.T) {
	const long = 800_000
	junk, overLimit := junkIDs(long), junkIDs(1024)
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		subs, subIDs := subscribers(t, r.URL, 3)
		p := dialWire(t, r.URL, "wamp.2.json")
		p.join("realm1")
		v := dialWire(t, r.URL, "wamp.2.json")
		v.join("realm1")

		p.send(eligibleFrame(1, true, junk, subIDs...))
		victimCall(v, 1)
		v.want(resultCode, 1, nil, []any{42})
		p.want(errorCode, 16, 1, map[string]any{}, "wamp.error.invalid_argument",
			[]any{fmt.Sprintf(`option "eligible" has %d entries; this realm allows at most 1024`, long+len(subIDs))})

		// Not acknowledged: no answer at all. The next acknowledged
		// PUBLISH is the publisher's next answer and the subscribers' next
		// event.
		p.send(eligibleFrame(2, false, overLimit, subIDs...))
		victimCall(v, 2)
		v.want(resultCode, 2, nil, []any{42})
		p.send(`[16,3,{"acknowledge":true},"` + hostileTopic + `",["after"]]`)
		p.want(17, 3)
		for _, s := range subs {
			s.want(eventCode, nil, nil, map[string]any{}, []any{"after"})
		}
	})
}

// With the limit raised, the same list is routed: the publication reaches
// exactly the eligible subscribers, and the victim is served meanwhile
// (the filter costs O(list + subscribers)).
func TestHostileLongOptionListRaisedLimit(t *testing.T) {
	junk := junkIDs(800_000)
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", MaxOptionListLen: 1_000_000})
		subs, subIDs := subscribers(t, r.URL, 3)
		p := dialWire(t, r.URL, "wamp.2.json")
		p.join("realm1")
		v := dialWire(t, r.URL, "wamp.2.json")
		v.join("realm1")

		p.send(eligibleFrame(1, true, junk, subIDs[0], subIDs[2]))
		victimCall(v, 1)
		v.want(resultCode, 1, nil, []any{42})
		p.want(17, 1)
		subs[0].want(eventCode, nil, nil, map[string]any{}, []any{"x"})
		subs[2].want(eventCode, nil, nil, map[string]any{}, []any{"x"})
		p.send(`[16,2,{"acknowledge":true},"` + hostileTopic + `",["after"]]`)
		p.want(17, 2)
		for _, s := range subs { // subs[1] was not eligible: this is its first event
			s.want(eventCode, nil, nil, map[string]any{}, []any{"after"})
		}
	})
}

// A CALL timeout too large for a Go Duration (>= 9,223,372,036,855 ms) used
// to overflow into an immediate wamp.error.timeout. Now it means no timeout:
// the call stays pending while the caller's later call and the victim's
// call are answered, then gets the callee's result. The largest timeout a
// Duration holds behaves the same; a negative timeout is a protocol
// violation; a short one still times out.
func TestHostileCallTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		callee := dialWire(t, r.URL, "wamp.2.json")
		callee.join("realm1")
		callee.send(`[64,1,{},"com.example.slow"]`)
		callee.want(65, 1)
		v := dialWire(t, r.URL, "wamp.2.json")
		v.join("realm1")
		a := dialWire(t, r.URL, "wamp.2.json")
		a.join("realm1")

		for i, timeout := range []string{"9223372036855", "9223372036854", "9223372036854775807", "18446744073709551615"} {
			req := 10 * (i + 1)
			a.send(fmt.Sprintf(`[48,%d,{"timeout":%s},"com.example.slow",[%d]]`, req, timeout, req))
			inv := callee.want(68, nil, nil, map[string]any{}, []any{req})
			// Whatever the router does with the slow call, it does it
			// before it answers the caller's next CALL.
			a.send(fmt.Sprintf(`[48,%d,{},"com.example.go.add",[1,2]]`, req+1))
			a.want(resultCode, req+1, nil, []any{3})
			victimCall(v, req)
			v.want(resultCode, req, nil, []any{42})
			callee.send(fmt.Sprintf(`[70,%d,{},["done"]]`, num(inv[1])))
			a.want(resultCode, req, nil, []any{"done"})
		}

		// A short timeout still works.
		a.send(`[48,100,{"timeout":1},"com.example.slow",[0]]`)
		callee.want(68)
		a.want(errorCode, 48, 100, nil, "wamp.error.timeout")

		// A negative one is a protocol violation for its sender only.
		a.send(`[48,101,{"timeout":-1},"com.example.slow",[0]]`)
		a.want(abortCode, nil, "wamp.error.protocol_violation")
		a.wantClosed()
		victimCall(v, 101)
		v.want(resultCode, 101, nil, []any{42})
	})
}

// IDs written as floats are never rounded. A JSON peer writing an ID with
// a fraction or exponent commits a protocol violation (ABORT, that session
// only); a msgpack or CBOR peer may send an ID as an integral float64 below
// 2^53 (as JavaScript encoders do for integers above 2^32) and is answered
// with the integer ID, but not a float of 2^53 or more.
func TestHostileFloatIDs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		v := dialWire(t, r.URL, "wamp.2.json")
		v.join("realm1")
		for i, frame := range []string{
			`[48,1.0,{},"com.example.go.add",[1,2]]`,
			`[48,9007199254740993.0,{},"com.example.go.add",[1,2]]`,
			`[48,1e0,{},"com.example.go.add",[1,2]]`,
			`[16,1,{"acknowledge":true,"exclude":[2.0]},"` + hostileTopic + `"]`,
			`[34,1,5.0]`,
		} {
			t.Run("json "+frame, func(t *testing.T) {
				p := dialWire(t, r.URL, "wamp.2.json")
				p.join("realm1")
				p.send(frame)
				p.want(abortCode, nil, "wamp.error.protocol_violation")
				p.wantClosed()
				victimCall(v, i+1)
				v.want(resultCode, i+1, nil, []any{42})
			})
		}
		for _, c := range []*wireCodec{msgpackCodec, cborCodec} {
			t.Run(c.subprotocol, func(t *testing.T) {
				p := dialWireCodec(t, r.URL, c)
				p.join("realm1")
				// The library writes a float64 as an 8-byte float, as
				// msgpackr and cbor-x do for integers above 2^32.
				if b, _ := c.marshal(float64(1 << 32)); len(b) != 9 || (b[0] != 0xcb && b[0] != 0xfb) {
					t.Fatalf("%s encodes a float64 as % x, want an 8-byte float", c.subprotocol, b)
				}
				// 2^32+1 and 2^53-1 as 8-byte floats: exact, accepted.
				for _, id := range []int64{1 << 32, 1<<32 + 1, 1<<53 - 1} {
					p.sendList([]any{int64(48), float64(id), map[string]any{}, "com.example.go.add", []any{int64(1), int64(2)}})
					l := p.want(resultCode)
					if num(l[1]) != id {
						t.Fatalf("RESULT for request %v, want %d", l[1], id)
					}
				}
				// 2^53 as a float may be a rounded 2^53+1: refused.
				p.sendList([]any{int64(48), float64(1 << 53), map[string]any{}, "com.example.go.add", []any{int64(1), int64(2)}})
				p.want(abortCode, nil, "wamp.error.protocol_violation")
				p.wantClosed()
				victimCall(v, 100)
				v.want(resultCode, 100, nil, []any{42})
			})
		}
	})
}
