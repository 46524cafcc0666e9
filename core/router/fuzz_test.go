package router

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// FuzzRouterSequences drives the pure router with arbitrary sequences of
// decoded messages from four sessions that join, leave and come back —
// subscriptions, publications, registrations, calls with timeouts and
// progress, cancels in every mode, yields and errors for real and made-up
// invocations, GOODBYE, kills, malformed frames, clock jumps — and checks
// after every step that
//
//   - nothing panics;
//   - no CALL gets more than one final answer (RESULT or ERROR), and no
//     session gets an answer to a request it never sent;
//   - messages go only to sessions that were joined, and an ERROR never
//     carries an invalid URI;
//   - a session the router closed is gone from it;
//
// and, once every session has left, that the router holds nothing: no
// session, subscription, registration or pending call.
func FuzzRouterSequences(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 0, 5, 1, 0, 7, 0, 1, 9, 1, 0})                     // register, call, yield
	f.Add([]byte{0, 0, 0, 0, 1, 0, 2, 0, 2, 4, 1, 3, 1, 1, 0})                     // subscribe, publish, leave
	f.Add([]byte{0, 0, 0, 0, 1, 0, 5, 1, 0, 7, 0, 0x81, 8, 0, 2, 12, 0, 200})      // call with timeout, cancel, time passes
	f.Add([]byte{0, 0, 0, 0, 1, 0, 5, 1, 4, 7, 0, 0x41, 9, 1, 0x80, 10, 1, 1})     // progressive yield, then error
	f.Add([]byte{0, 0, 0, 5, 0, 0, 7, 0, 0, 11, 0, 0, 0, 0, 0, 7, 0, 1, 15, 0, 0}) // goodbye and rejoin, kill
	f.Fuzz(func(t *testing.T, prog []byte) {
		h := newFuzzHarness(t)
		for len(prog) >= 3 {
			h.step(prog[0], prog[1], prog[2])
			prog = prog[3:]
		}
		for slot := range h.sid {
			if h.sid[slot] != 0 {
				h.apply(fmt.Sprintf("detach %d", slot), func() { h.r.Detach(h.now, h.sid[slot], &h.fx) })
				h.left(slot)
			}
		}
		h.now = h.now.Add(time.Hour)
		h.apply("expire", func() { h.r.Expire(h.now, &h.fx) })
		r := h.r
		if len(r.sessions) != 0 || len(r.broker.byID) != 0 || len(r.dealer.byID) != 0 || len(r.dealer.calls.byInv) != 0 {
			t.Fatalf("after every session left: sessions=%d subscriptions=%d registrations=%d calls=%d",
				len(r.sessions), len(r.broker.byID), len(r.dealer.byID), len(r.dealer.calls.byInv))
		}
	})
}

// fuzzHarness is one fuzzed router and what the sessions saw of it.
type fuzzHarness struct {
	t   *testing.T
	r   *Realm
	fx  Effects
	now time.Time
	ids *seqIDs

	sid      [4]SessionID           // joined session per slot, 0 when not
	next     SessionID              // session IDs, never reused
	calls    [4]map[wamp.ID]int     // CALLs sent, by request ID
	answers  [4]map[wamp.ID]int     // final answers received, by request ID
	invs     [4][]wamp.ID           // INVOCATION requests received
	subs     [4][]wamp.ID           // subscription IDs received
	regs     [4][]wamp.ID           // registration IDs received
	closedBy map[SessionID]struct{} // sessions the router closed
}

func newFuzzHarness(t *testing.T) *fuzzHarness {
	ids := newSeqIDs()
	return &fuzzHarness{t: t, ids: ids, r: NewRealm(RealmConfig{URI: "realm1", ClusterClaims: true}, ids),
		now: time.Unix(1_700_000_000, 0), next: 100, closedBy: map[SessionID]struct{}{}}
}

// fuzzNodeSlot is the slot whose session is a node session (cluster.go):
// it publishes remote publications too, and its CALLs carry forward_for
// (mostly).
const fuzzNodeSlot = 3

var (
	fuzzTopics = []wamp.URI{"a.b", "a.b.c", "a", "a..c", "wamp.session.on_join", "x"}
	fuzzMatch  = []string{"", "exact", "prefix", "wildcard", "bogus"}
	fuzzInvoke = []string{"", "single", "roundrobin", "random", "first", "last", "nope"}
	fuzzCancel = []string{"skip", "kill", "killnowait", "whatever"}
	fuzzErrors = []wamp.URI{"com.example.oops", "", "not a uri", "wamp.error.canceled"}
)

// step runs one operation: op picks the kind and the slot, a and b its
// arguments.
func (h *fuzzHarness) step(op, a, b byte) {
	slot := int(op>>4) % 4
	sid := h.sid[slot]
	if op&0x0F == 0 {
		if sid == 0 {
			h.join(slot)
		}
		return
	}
	if sid == 0 {
		return
	}
	req := wamp.ID(a&0x07) + 1 // few request IDs: collisions on purpose
	opts := wamp.Dict{}
	if a&0x08 != 0 {
		opts["match"] = fuzzMatch[int(b)%len(fuzzMatch)]
	}
	uri := fuzzTopics[int(b>>3)%len(fuzzTopics)]
	var m wamp.Message
	switch op & 0x0F {
	case 1:
		h.apply("detach", func() { h.r.Detach(h.now, sid, &h.fx) })
		h.left(slot)
		return
	case 2:
		m = &wamp.Subscribe{Request: req, Options: opts, Topic: uri}
	case 3:
		m = &wamp.Unsubscribe{Request: req, Subscription: pick(h.subs[slot], b)}
	case 4:
		opts["acknowledge"] = a&0x10 != 0
		if a&0x20 != 0 {
			opts["exclude_me"] = false
		}
		if a&0x40 != 0 {
			opts["exclude"] = wamp.List{uint64(h.sid[int(b)%4])}
		}
		m = &wamp.Publish{Request: req, Options: opts, Topic: uri, Args: wamp.List{int(b)}}
	case 5:
		opts["invoke"] = fuzzInvoke[int(a>>4)%len(fuzzInvoke)]
		m = &wamp.Register{Request: req, Options: opts, Procedure: uri}
	case 6:
		m = &wamp.Unregister{Request: req, Registration: pick(h.regs[slot], b)}
	case 7:
		if a&0x80 != 0 {
			opts["timeout"] = int(b) * 10
		}
		if a&0x40 != 0 {
			opts["receive_progress"] = true
		}
		m = &wamp.Call{Request: req, Options: opts, Procedure: uri, Args: wamp.List{int(b)}}
	case 8:
		m = &wamp.Cancel{Request: req, Options: wamp.Dict{"mode": fuzzCancel[int(b)%len(fuzzCancel)]}}
	case 9:
		opts = wamp.Dict{}
		if b&0x80 != 0 {
			opts["progress"] = true
		}
		m = &wamp.Yield{Request: pickOr(h.invs[slot], a, req), Options: opts, Args: wamp.List{int(b)}}
	case 10:
		m = &wamp.Error{RequestType: wamp.INVOCATION, Request: pickOr(h.invs[slot], a, req), Details: wamp.Dict{},
			Error: fuzzErrors[int(b)%len(fuzzErrors)]}
	case 11:
		m = &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal}
	case 12:
		h.now = h.now.Add(time.Duration(b) * 10 * time.Millisecond)
		h.apply("expire", func() { h.r.Expire(h.now, &h.fx) })
		return
	case 13:
		h.apply("malformed", func() { h.r.Malformed(h.now, sid, "fuzzed", &h.fx) })
		return
	case 14:
		m = &wamp.Interrupt{Request: req, Options: wamp.Dict{}} // a router-to-callee message sent by a client
	case 15:
		h.apply("kill", func() { h.r.Kill(h.now, sid, "wamp.close.killed", &h.fx) })
		return
	}
	if slot == fuzzNodeSlot {
		if p, ok := m.(*wamp.Publish); ok && a&0x10 != 0 {
			rp := &RemotePublication{ID: wamp.ID(b) + 1, Topic: p.Topic, Args: p.Args, Options: p.Options,
				Publisher: 7, PublisherAuthID: "remote", PublisherAuthRole: "user", Disclose: a&0x20 != 0}
			h.apply("PublishRemote", func() { h.r.PublishRemote(h.now, sid, rp, &h.fx) })
			return
		}
		if c, ok := m.(*wamp.Call); ok && a&0x20 == 0 {
			c.Options["forward_for"] = wamp.List{wamp.Dict{"session": int64(7), "authid": "remote", "authrole": "user"}}
		}
	}
	if c, ok := m.(*wamp.Call); ok {
		h.calls[slot][c.Request]++
	}
	h.apply(fmt.Sprintf("%T from slot %d", m, slot), func() { h.r.Handle(h.now, sid, m, &h.fx) })
}

func pick(ids []wamp.ID, b byte) wamp.ID {
	if len(ids) == 0 {
		return wamp.ID(b) + 1
	}
	return ids[int(b)%len(ids)]
}

func pickOr(ids []wamp.ID, a byte, or wamp.ID) wamp.ID {
	if len(ids) == 0 || a&0x80 != 0 {
		return or
	}
	return ids[int(a)%len(ids)]
}

func (h *fuzzHarness) join(slot int) {
	h.next++
	sid := h.next
	roles := wamp.Dict{}
	for _, rn := range []string{"publisher", "subscriber", "caller", "callee"} {
		roles[rn] = wamp.Dict{"features": wamp.Dict{"call_canceling": true, "progressive_call_results": true,
			"call_timeout": true, "pattern_based_registration": true, "shared_registration": true}}
	}
	hello, abort := Preamble(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": roles}})
	if abort != nil {
		h.t.Fatalf("Preamble: %v", abort)
	}
	h.sid[slot] = sid
	h.calls[slot], h.answers[slot] = map[wamp.ID]int{}, map[wamp.ID]int{}
	h.invs[slot], h.subs[slot], h.regs[slot] = nil, nil, nil
	info := SessionInfo{AuthID: fmt.Sprint("user", slot), AuthRole: "user", AuthMethod: "anonymous", AuthProvider: "static"}
	if slot == fuzzNodeSlot {
		info.Node = "B"
	}
	h.apply("join", func() { h.r.Join(h.now, sid, hello, info, &h.fx) })
}

// left forgets a slot's session: it left, or the router closed it.
func (h *fuzzHarness) left(slot int) { h.sid[slot] = 0 }

func (h *fuzzHarness) slotOf(sid SessionID) int {
	for i, s := range h.sid {
		if s == sid && s != 0 {
			return i
		}
	}
	return -1
}

// apply runs one router call and checks what it produced.
func (h *fuzzHarness) apply(what string, call func()) {
	h.t.Helper()
	h.fx.Reset()
	call()
	// The cluster answers every claim at once: most are won.
	for i := 0; i < len(h.fx.Claim); i++ {
		if op := h.fx.Claim[i]; !op.Release {
			refusal := wamp.URI("")
			if op.Ticket%3 == 0 {
				refusal = wamp.ErrProcedureAlreadyExists
			}
			h.r.Claimed(h.now, op, refusal, "claimed elsewhere", &h.fx)
		}
	}
	fromNode := strings.HasSuffix(what, fmt.Sprintf("from slot %d", fuzzNodeSlot))
	remote := map[wamp.ID]bool{} // publication IDs sent to the node session in this step
	for _, o := range h.fx.Out {
		slot := h.slotOf(o.To)
		if slot < 0 {
			h.t.Fatalf("%s: %T to session %d, which is not joined", what, o.Msg, o.To)
		}
		if rp, ok := o.Msg.(*RemotePublication); ok {
			if slot != fuzzNodeSlot || o.Shared || o.Acked || remote[rp.ID] {
				h.t.Fatalf("%s: RemotePublication %d to slot %d (shared %v, acked %v, again %v)", what, rp.ID, slot, o.Shared, o.Acked, remote[rp.ID])
			}
			remote[rp.ID] = true
		}
		if _, ok := o.Msg.(*wamp.Invocation); ok && fromNode && slot == fuzzNodeSlot && strings.Contains(what, "Call") {
			h.t.Fatalf("%s: a node session's CALL was routed to a node session", what)
		}
		h.saw(what, slot, o.Msg)
	}
	for _, c := range h.fx.Close {
		if h.r.Has(c.Session) {
			h.t.Fatalf("%s: session %d closed (%s) but still in the realm", what, c.Session, c.Reason)
		}
		if slot := h.slotOf(c.Session); slot >= 0 {
			h.left(slot)
		}
	}
}

// saw records a message the router sent to slot's session.
func (h *fuzzHarness) saw(what string, slot int, m wamp.Message) {
	switch m := m.(type) {
	case *wamp.Subscribed:
		h.subs[slot] = append(h.subs[slot], m.Subscription)
	case *wamp.Registered:
		h.regs[slot] = append(h.regs[slot], m.Registration)
	case *wamp.Invocation:
		h.invs[slot] = append(h.invs[slot], m.Request)
	case *wamp.Result:
		if p, _ := m.Details["progress"].(bool); !p {
			h.answered(what, slot, m.Request, "RESULT")
		}
	case *wamp.Error:
		if !wamp.ValidURI(m.Error, false, false) {
			h.t.Fatalf("%s: ERROR with an invalid URI %q", what, m.Error)
		}
		if m.RequestType == wamp.CALL {
			h.answered(what, slot, m.Request, "ERROR "+string(m.Error))
		}
	}
}

func (h *fuzzHarness) answered(what string, slot int, req wamp.ID, kind string) {
	h.answers[slot][req]++
	if n, sent := h.answers[slot][req], h.calls[slot][req]; n > sent {
		h.t.Fatalf("%s: final answer %d (%s) to request %d of slot %d, which sent %d CALLs with it",
			what, n, kind, req, slot, sent)
	}
}

// The harness is not vacuous: the first seed's program registers, calls
// and yields, and the caller sees exactly one RESULT.
func TestFuzzHarnessSeesAnswers(t *testing.T) {
	h := newFuzzHarness(t)
	// slot 0 joins; slot 1 joins; slot 1 registers "a.b" (invoke single);
	// slot 0 calls it; slot 1 yields to the invocation it got.
	prog := []byte{0, 0, 0, 0x10, 0, 0, 0x15, 0x10, 0, 0x07, 0, 0, 0x19, 0, 0}
	for len(prog) >= 3 {
		h.step(prog[0], prog[1], prog[2])
		prog = prog[3:]
	}
	if len(h.regs[1]) != 1 || len(h.invs[1]) != 1 || h.answers[0][1] != 1 {
		t.Fatalf("registrations %v, invocations %v, answers to slot 0 %v", h.regs[1], h.invs[1], h.answers[0])
	}
}
