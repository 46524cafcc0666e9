package peer

import (
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// FuzzPeerSequences drives the client-role machine with an arbitrary mix
// of local requests (call, cancel, subscribe, unsubscribe, publish,
// register, unregister, yield, leave) and router messages — replies to
// real and made-up requests, events, invocations, interrupts, GOODBYE,
// ABORT, messages a router never sends — and checks after every step that
// nothing panics and no request completes twice; once the connection is
// lost, every request has completed exactly once and nothing is pending.
func FuzzPeerSequences(f *testing.F) {
	f.Add([]byte{0, 1, 0, 8, 0, 0, 3, 0, 0})            // call, RESULT
	f.Add([]byte{2, 0, 0, 10, 0, 0, 9, 0, 0})           // subscribe, SUBSCRIBED, EVENT
	f.Add([]byte{5, 0, 0, 12, 0, 0, 13, 0, 1, 6, 0, 0}) // register, REGISTERED, INVOCATION, yield
	f.Add([]byte{0, 0x40, 0, 1, 0, 0, 15, 0, 0})        // call with progress, cancel, GOODBYE
	f.Fuzz(func(t *testing.T, prog []byte) {
		h := &peerFuzz{t: t, p: New(Config{Realm: "realm1"}), done: map[int]int{}, optional: map[int]bool{}}
		h.apply("hello", func(fx *Effects) { _ = h.p.Hello(fx) })
		h.apply("welcome", func(fx *Effects) {
			h.p.Receive(&wamp.Welcome{Session: 7, Details: wamp.Dict{"roles": wamp.Dict{"broker": wamp.Dict{}, "dealer": wamp.Dict{}}}}, fx)
		})
		for len(prog) >= 3 {
			h.step(prog[0], prog[1], prog[2])
			prog = prog[3:]
		}
		h.apply("connection lost", func(fx *Effects) { h.p.ConnectionLost(errors.New("fuzz: gone"), fx) })
		for tok := range h.next {
			if h.done[tok] != 1 && !(h.optional[tok] && h.done[tok] == 0) {
				t.Fatalf("request %d completed %d times after the connection was lost", tok, h.done[tok])
			}
		}
		if n := h.p.Pending(); n != 0 {
			t.Fatalf("%d requests pending after the connection was lost", n)
		}
	})
}

type peerFuzz struct {
	t    *testing.T
	p    *Peer
	fx   Effects
	next int         // tokens handed out: 0..next-1
	done map[int]int // completions per token
	// optional: tokens that need not complete (unacknowledged publications)
	optional map[int]bool
	reqs     []wamp.ID // request IDs the peer sent
	subs     []wamp.ID
	regs     []wamp.ID
	invs     []wamp.ID
}

func (h *peerFuzz) token() int { h.next++; return h.next - 1 }

func pickID(ids []wamp.ID, b byte) wamp.ID {
	if len(ids) == 0 || b&0x80 != 0 {
		return wamp.ID(b&0x7F) + 1
	}
	return ids[int(b)%len(ids)]
}

var peerFuzzURIs = []wamp.URI{"a.b", "a", "", "a..b", "wamp.x"}

func (h *peerFuzz) step(op, a, b byte) {
	uri := peerFuzzURIs[int(a)%len(peerFuzzURIs)]
	req, id := pickID(h.reqs, a), pickID(nil, b)
	switch op % 18 {
	case 0:
		opts := wamp.Dict{}
		if a&0x40 != 0 {
			opts["receive_progress"] = true
		}
		h.request(func(tok int, fx *Effects) wamp.ID { return h.p.Call(uri, wamp.List{int(b)}, nil, opts, tok, fx) })
	case 1:
		h.apply("cancel", func(fx *Effects) { h.p.Cancel(req, []string{"skip", "kill", "killnowait"}[int(b)%3], fx) })
	case 2:
		h.request(func(tok int, fx *Effects) wamp.ID { return h.p.Subscribe(uri, nil, tok, fx) })
	case 3:
		h.apply("RESULT", func(fx *Effects) {
			h.p.Receive(&wamp.Result{Request: req, Details: wamp.Dict{"progress": b&1 == 1}, Args: wamp.List{1}}, fx)
		})
	case 4:
		if b&1 == 0 {
			h.optional[h.next] = true // an unacknowledged publication completes only if refused
		}
		h.request(func(tok int, fx *Effects) wamp.ID {
			return h.p.Publish(uri, nil, nil, wamp.Dict{"acknowledge": b&1 == 1}, tok, fx)
		})
	case 5:
		h.request(func(tok int, fx *Effects) wamp.ID { return h.p.Register(uri, nil, tok, fx) })
	case 6:
		h.apply("yield", func(fx *Effects) { _ = h.p.Yield(pickID(h.invs, a), wamp.List{1}, nil, b&1 == 1, fx) })
	case 7:
		h.request(func(tok int, fx *Effects) wamp.ID { return h.p.Unsubscribe(pickID(h.subs, a), int(b), tok, fx) })
	case 8:
		h.apply("ERROR", func(fx *Effects) {
			types := []wamp.Type{wamp.CALL, wamp.SUBSCRIBE, wamp.REGISTER, wamp.PUBLISH, wamp.UNSUBSCRIBE, wamp.UNREGISTER, wamp.INVOCATION}
			h.p.Receive(&wamp.Error{RequestType: types[int(b)%len(types)], Request: req, Details: wamp.Dict{}, Error: "com.example.error"}, fx)
		})
	case 9:
		h.apply("EVENT", func(fx *Effects) {
			h.p.Receive(&wamp.Event{Subscription: pickID(h.subs, b), Publication: id, Details: wamp.Dict{}}, fx)
		})
	case 10:
		h.apply("SUBSCRIBED", func(fx *Effects) { h.p.Receive(&wamp.Subscribed{Request: req, Subscription: id}, fx) })
	case 11:
		h.apply("UNSUBSCRIBED", func(fx *Effects) { h.p.Receive(&wamp.Unsubscribed{Request: req}, fx) })
	case 12:
		h.apply("REGISTERED", func(fx *Effects) { h.p.Receive(&wamp.Registered{Request: req, Registration: id}, fx) })
	case 13:
		h.apply("INVOCATION", func(fx *Effects) {
			h.p.Receive(&wamp.Invocation{Request: id, Registration: pickID(h.regs, a), Details: wamp.Dict{}}, fx)
		})
	case 14:
		h.apply("INTERRUPT", func(fx *Effects) { h.p.Receive(&wamp.Interrupt{Request: pickID(h.invs, a), Options: wamp.Dict{}}, fx) })
	case 15:
		h.apply("GOODBYE", func(fx *Effects) { h.p.Receive(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal}, fx) })
	case 16:
		h.apply("leave", func(fx *Effects) { _ = h.p.Leave(wamp.CloseNormal, fx) })
	case 17:
		h.apply("PUBLISHED or a stray message", func(fx *Effects) {
			if b&1 == 0 {
				h.p.Receive(&wamp.Published{Request: req, Publication: id}, fx)
			} else {
				h.p.Receive(&wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "x"}, fx)
			}
		})
	}
}

// request makes one local request with a fresh token.
func (h *peerFuzz) request(f func(tok int, fx *Effects) wamp.ID) {
	tok := h.token()
	h.apply("request", func(fx *Effects) {
		if id := f(tok, fx); id != 0 {
			h.reqs = append(h.reqs, id)
		}
	})
}

// apply runs one step and checks its effects.
func (h *peerFuzz) apply(what string, f func(fx *Effects)) {
	h.t.Helper()
	h.fx.Reset()
	f(&h.fx)
	for _, c := range h.fx.Completions {
		tok, ok := c.Token.(int)
		if !ok || c.Progress {
			continue // no token, or a progressive result: not the request's end
		}
		h.done[tok]++
		if h.done[tok] > 1 {
			h.t.Fatalf("%s: request %d (%v %d) completed %d times", what, tok, c.Kind, c.Request, h.done[tok])
		}
		switch r := c.Reply.(type) {
		case *wamp.Subscribed:
			h.subs = append(h.subs, r.Subscription)
		case *wamp.Registered:
			h.regs = append(h.regs, r.Registration)
		}
	}
	for _, inv := range h.fx.Invocations {
		h.invs = append(h.invs, inv.Msg.Request)
	}
}
