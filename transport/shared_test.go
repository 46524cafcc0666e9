package transport

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// countingCodec counts its Append calls.
type countingCodec struct {
	testCodec
	id    byte
	calls *atomic.Int64
}

func (c countingCodec) RawSocketID() byte { return c.id }

func (c countingCodec) Append(dst []byte, m wamp.Message) ([]byte, error) {
	c.calls.Add(1)
	return c.testCodec.Append(dst, m)
}

func TestSharedEncodesOncePerSerializer(t *testing.T) {
	var jsonCalls, binCalls atomic.Int64
	server := []serialize.Serializer{
		countingCodec{codecJSON, 1, &jsonCalls},
		countingCodec{codecMsgpack, 2, &binCalls},
	}
	ws := startServer(t, WebSocketConfig{Serializers: server}, nil)
	rs := startRS(t, RawSocketConfig{Serializers: server}, nil, nil)
	const perKind = 3
	var clients []*recorder
	var peers []Peer
	for range perKind {
		for _, c := range []testCodec{codecJSON, codecMsgpack} {
			_, r := dialClient(t, ws.url, WebSocketClientConfig{Serializers: []serialize.Serializer{c}})
			clients = append(clients, r)
			peers = append(peers, nextPeer(t, ws.accepted).peer)
		}
		for _, c := range []serialize.Serializer{codecJSON, codecAs{codecMsgpack, 2}} {
			_, r := dialRS(t, rs, RawSocketClientConfig{Serializer: c})
			clients = append(clients, r)
			peers = append(peers, nextPeer(t, rs.accepted).peer)
		}
	}
	for round := 1; round <= 3; round++ {
		jsonCalls.Store(0)
		binCalls.Store(0)
		m := shared.Wrap(event(round))
		var wg sync.WaitGroup
		for _, p := range peers { // concurrently, as an engine fanning out might
			wg.Go(func() {
				if !p.Send(m) {
					t.Error("Send failed")
				}
			})
		}
		wg.Wait()
		for i, r := range clients {
			if got := publicationOf(t, r.nextMsg(t)); got != round {
				t.Fatalf("client %d: publication %d, want %d", i, got, round)
			}
		}
		if j, b := jsonCalls.Load(), binCalls.Load(); j != 1 || b != 1 {
			t.Fatalf("round %d: %d peers made %d JSON and %d binary encodings, want 1 and 1", round, len(peers), j, b)
		}
	}
}

func TestSharedWrapping(t *testing.T) {
	ev := event(1)
	s := shared.Wrap(ev)
	if s.Type() != wamp.EVENT {
		t.Errorf("Type() = %v", s.Type())
	}
	if shared.Wrap(s) != s {
		t.Error("Shared of a shared.Message wraps again")
	}
	if shared.Unwrap(s) != wamp.Message(ev) || shared.Unwrap(ev) != wamp.Message(ev) {
		t.Error("Unwrap does not return the original")
	}
	if s.(*shared.Message).Message() != wamp.Message(ev) {
		t.Error("Message() does not return the original")
	}
	if shared.Wrap(nil) != nil {
		t.Error("shared.Wrap(nil) != nil")
	}
}

func TestSharedEncodedConcurrently(t *testing.T) {
	var calls atomic.Int64
	codecs := []serialize.Serializer{
		countingCodec{codecJSON, 1, &calls},
		countingCodec{testCodec{name: "x", proto: "wamp.2.x"}, 2, &calls},
		countingCodec{testCodec{name: "y", proto: "wamp.2.y"}, 3, &calls},
	}
	s := shared.Wrap(event(5)).(*shared.Message)
	results := make([][]byte, 3*16)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			var scratch []byte
			b, err := s.Encoded(codecs[i%3], &scratch)
			if err != nil {
				t.Error(err)
			}
			results[i] = b
		})
	}
	wg.Wait()
	if got := calls.Load(); got != 3 {
		t.Fatalf("%d encodings for 3 formats", got)
	}
	for i, b := range results {
		if &b[0] != &results[i%3][0] {
			t.Fatalf("result %d is not the cached encoding", i)
		}
	}
}

func TestSharedEncodeErrorRefusedByEachPeer(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, nil)
	rs := startRS(t, RawSocketConfig{}, nil, nil)
	dialClient(t, srv.url, WebSocketClientConfig{})
	dialRS(t, rs, RawSocketClientConfig{})
	a, b := nextPeer(t, srv.accepted), nextPeer(t, rs.accepted)
	m := shared.Wrap(&wamp.Call{Request: 1, Procedure: "x"}) // the test codec cannot encode CALL
	a.peer.Send(m)
	b.peer.Send(m)
	for _, r := range []*recorder{a, b} {
		if rf := r.nextRefusal(t); !errors.Is(rf.err, ErrEncode) || rf.msg != shared.Unwrap(m) {
			t.Errorf("Refused(%v, %v), want the unwrapped CALL and ErrEncode", rf.msg, rf.err)
		}
	}
}
