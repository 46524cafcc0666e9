package peer

import (
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func hello(p *Peer, fx *Effects) { _ = p.Hello(fx) }

func TestHelloDetails(t *testing.T) {
	p := New(Config{
		Realm: "realm1", AuthID: "joe", AuthMethods: []string{"ticket", "anonymous"},
		AuthExtra: wamp.Dict{"k": "v"}, Agent: "test", Roles: wamp.Dict{"caller": wamp.Dict{}},
	})
	transcript(t, p, []step{{
		name: "hello",
		in:   hello,
		want: []string{`send HELLO [1,"realm1",{"agent":"test","authextra":{"k":"v"},"authid":"joe","authmethods":["ticket","anonymous"],"roles":{"caller":{}}}]`},
	}})
	var fx Effects
	if err := p.Hello(&fx); !errors.Is(err, ErrBadState) || len(fx.Send) != 0 {
		t.Fatalf("second Hello: err=%v send=%d", err, len(fx.Send))
	}
}

func TestHelloDefaultRoles(t *testing.T) {
	p := New(Config{Realm: "r"})
	var fx Effects
	if err := p.Hello(&fx); err != nil {
		t.Fatal(err)
	}
	h := fx.Send[0].(*wamp.Hello)
	roles := h.Details["roles"].(wamp.Dict)
	for _, role := range []string{"caller", "callee", "publisher", "subscriber"} {
		if _, ok := roles[role]; !ok {
			t.Errorf("role %s not announced", role)
		}
	}
	feat := roles["caller"].(wamp.Dict)["features"].(wamp.Dict)
	for _, f := range []string{"progressive_call_results", "call_canceling", "call_timeout", "caller_identification"} {
		if feat[f] != true {
			t.Errorf("caller feature %s not announced", f)
		}
	}
	if h.Details["agent"] != "switchboard" {
		t.Errorf("agent = %v", h.Details["agent"])
	}
	if _, ok := h.Details["authid"]; ok {
		t.Errorf("authid announced without AuthID")
	}
}

func TestJoin(t *testing.T) {
	welcome := &wamp.Welcome{Session: 7, Details: wamp.Dict{"authrole": "user"}}
	tests := []struct {
		name  string
		steps []step
	}{
		{"welcome", []step{
			{"hello", hello, []string{`send HELLO [1,"r",{"agent":"switchboard","roles":{}}]`}},
			{"welcome", recv(welcome), []string{`joined WELCOME [2,7,{"authrole":"user"}]`}},
		}},
		{"abort", []step{
			{"hello", hello, []string{`send HELLO [1,"r",{"agent":"switchboard","roles":{}}]`}},
			{"abort", recv(&wamp.Abort{Details: wamp.Dict{"message": "no"}, Reason: wamp.ErrNoSuchRealm}),
				[]string{`closed reason=wamp.error.no_such_realm remote=true err=<nil>`}},
			{"ignored after close", recv(welcome), nil},
		}},
		{"challenge", []step{
			{"hello", hello, []string{`send HELLO [1,"r",{"agent":"switchboard","roles":{}}]`}},
			{"challenge", recv(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}}),
				[]string{`challenge CHALLENGE [4,"ticket",{}]`}},
			{"authenticate", func(p *Peer, fx *Effects) { _ = p.Authenticate("secret", nil, fx) },
				[]string{`send AUTHENTICATE [5,"secret",{}]`}},
			{"welcome", recv(welcome), []string{`joined WELCOME [2,7,{"authrole":"user"}]`}},
		}},
		{"leave while joining", []step{
			{"hello", hello, []string{`send HELLO [1,"r",{"agent":"switchboard","roles":{}}]`}},
			{"leave", func(p *Peer, fx *Effects) { _ = p.Leave("", fx) }, []string{
				`send ABORT [3,{},"wamp.close.normal"]`,
				`closed reason=wamp.close.normal remote=false err=<nil>`,
			}},
		}},
		{"invalid session id", []step{
			{"hello", hello, []string{`send HELLO [1,"r",{"agent":"switchboard","roles":{}}]`}},
			{"welcome 0", recv(&wamp.Welcome{Session: 0, Details: wamp.Dict{}}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: WELCOME with invalid session ID 0"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: WELCOME with invalid session ID 0`,
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			transcript(t, New(Config{Realm: "r", Roles: wamp.Dict{}}), tc.steps)
		})
	}
}

func TestAuthenticateWithoutChallenge(t *testing.T) {
	p := New(Config{Realm: "r"})
	var fx Effects
	_ = p.Hello(&fx)
	fx.Reset()
	if err := p.Authenticate("x", nil, &fx); !errors.Is(err, ErrBadState) || len(fx.Send) != 0 {
		t.Fatalf("err=%v send=%d", err, len(fx.Send))
	}
}

// TestTransitionTable checks that every message type not allowed in a
// state aborts the session with protocol_violation.
func TestTransitionTable(t *testing.T) {
	abort := func(what string) []string {
		return []string{
			`send ABORT [3,{"message":"peer: protocol violation by router: ` + what + `"},"wamp.error.protocol_violation"]`,
			`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: ` + what,
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) *Peer
		in    wamp.Message
		want  []string
	}{
		{"result while joining", joining, &wamp.Result{Request: 1, Details: wamp.Dict{}}, abort("RESULT in state joining")},
		{"event while joining", joining, &wamp.Event{Subscription: 1, Publication: 2, Details: wamp.Dict{}}, abort("EVENT in state joining")},
		{"goodbye while joining", joining, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal}, abort("GOODBYE in state joining")},
		{"welcome while established", established, &wamp.Welcome{Session: 1, Details: wamp.Dict{}}, abort("WELCOME in state established")},
		{"challenge while established", established, &wamp.Challenge{AuthMethod: "x", Extra: wamp.Dict{}}, abort("CHALLENGE in state established")},
		{"client message from router", established, &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p"}, abort("CALL in state established")},
		{"hello from router", established, &wamp.Hello{Realm: "r", Details: wamp.Dict{}}, abort("HELLO in state established")},
		{"welcome while leaving", leaving, &wamp.Welcome{Session: 1, Details: wamp.Dict{}}, abort("WELCOME in state leaving")},
		{"before hello: nothing to abort", func(*testing.T) *Peer { return New(Config{Realm: "r"}) },
			&wamp.Welcome{Session: 1, Details: wamp.Dict{}},
			[]string{`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: WELCOME in state init`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.setup(t)
			transcript(t, p, []step{{tc.name, recv(tc.in), tc.want}})
			if !p.Closed() {
				t.Fatal("peer not closed after violation")
			}
		})
	}
}

func joining(t *testing.T) *Peer {
	p := New(Config{Realm: "r"})
	var fx Effects
	if err := p.Hello(&fx); err != nil {
		t.Fatal(err)
	}
	return p
}

func leaving(t *testing.T) *Peer {
	p := established(t)
	var fx Effects
	if err := p.Leave("", &fx); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRouterGoodbye(t *testing.T) {
	p := established(t)
	transcript(t, p, []step{
		{"call", func(p *Peer, fx *Effects) { p.Call("p", nil, nil, nil, "c1", fx) },
			[]string{`send CALL [48,1,{},"p"]`}},
		{"subscribe", func(p *Peer, fx *Effects) { p.Subscribe("t", nil, "s1", fx) },
			[]string{`send SUBSCRIBE [32,2,{},"t"]`}},
		{"goodbye", recv(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseSystemShutdown}), []string{
			`send GOODBYE [6,{},"wamp.close.goodbye_and_out"]`,
			`complete c1 CALL req=1 err=peer: session closed: wamp.close.system_shutdown`,
			`complete s1 SUBSCRIBE req=2 err=peer: session closed: wamp.close.system_shutdown`,
			`closed reason=wamp.close.system_shutdown remote=true err=<nil> goodbye`,
		}},
		{"call after close", func(p *Peer, fx *Effects) { p.Call("p", nil, nil, nil, "c2", fx) },
			[]string{`complete c2 CALL req=0 err=peer: session closed`}},
		{"leave after close", func(p *Peer, fx *Effects) {
			if err := p.Leave("", fx); !errors.Is(err, ErrSessionClosed) {
				t.Errorf("Leave after close: %v", err)
			}
		}, nil},
	})
}

func TestLeave(t *testing.T) {
	p := established(t)
	transcript(t, p, []step{
		{"call", func(p *Peer, fx *Effects) {
			p.Call("p", nil, nil, nil, "c1", fx)
			p.Subscribe("t", nil, "s1", fx)
		}, []string{`send CALL [48,1,{},"p"]`, `send SUBSCRIBE [32,2,{},"t"]`}},
		{"subscribed", recv(&wamp.Subscribed{Request: 2, Subscription: 50}),
			[]string{`complete s1 SUBSCRIBE req=2 SUBSCRIBED [33,2,50]`}},
		{"leave", func(p *Peer, fx *Effects) { _ = p.Leave("wamp.close.normal", fx) },
			[]string{`send GOODBYE [6,{},"wamp.close.normal"]`}},
		{"leave again: nothing", func(p *Peer, fx *Effects) { _ = p.Leave("", fx) }, nil},
		{"new request refused", func(p *Peer, fx *Effects) { p.Call("p", nil, nil, nil, "c2", fx) },
			[]string{`complete c2 CALL req=0 err=peer: session closed`}},
		{"in-flight result still completes", recv(&wamp.Result{Request: 1, Details: wamp.Dict{}, Args: wamp.List{1}}),
			[]string{`complete c1 CALL req=1 RESULT [50,1,{},[1]]`}},
		{"in-flight event ignored", recv(&wamp.Event{Subscription: 50, Publication: 9, Details: wamp.Dict{}}), nil},
		{"in-flight invocation ignored", recv(&wamp.Invocation{Request: 3, Registration: 77, Details: wamp.Dict{}}), nil},
		{"goodbye reply", recv(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut}),
			[]string{`closed reason=wamp.close.goodbye_and_out remote=false err=<nil> goodbye`}},
	})
}

func TestAbortWhileEstablished(t *testing.T) {
	p := established(t)
	transcript(t, p, []step{
		{"call", func(p *Peer, fx *Effects) { p.Call("p", nil, nil, nil, "c1", fx) }, []string{`send CALL [48,1,{},"p"]`}},
		{"router abort", recv(&wamp.Abort{Details: wamp.Dict{}, Reason: wamp.CloseKilled}), []string{
			`complete c1 CALL req=1 err=peer: session closed: wamp.close.killed`,
			`closed reason=wamp.close.killed remote=true err=<nil>`,
		}},
	})
}

func TestLocalAbort(t *testing.T) {
	p := established(t)
	transcript(t, p, []step{
		{"call", func(p *Peer, fx *Effects) { p.Call("p", nil, nil, nil, "c1", fx) }, []string{`send CALL [48,1,{},"p"]`}},
		{"abort", func(p *Peer, fx *Effects) { p.Abort("app.error.overflow", errors.New("queue full"), fx) }, []string{
			`send ABORT [3,{"message":"queue full"},"app.error.overflow"]`,
			`complete c1 CALL req=1 err=peer: session closed: queue full`,
			`closed reason=app.error.overflow remote=false err=queue full`,
		}},
		{"abort again: nothing", func(p *Peer, fx *Effects) { p.Abort("x", nil, fx) }, nil},
	})
}

func TestConnectionLost(t *testing.T) {
	p := established(t)
	var fx Effects
	p.Call("p", nil, nil, nil, "c1", &fx)
	p.Publish("t", nil, nil, wamp.Dict{"acknowledge": true}, "pub1", &fx)
	fx.Reset()
	p.ConnectionLost(errors.New("EOF"), &fx)
	if len(fx.Send) != 0 {
		t.Fatalf("sent on a lost connection: %v", render(&fx))
	}
	if len(fx.Completions) != 2 {
		t.Fatalf("completions: %v", render(&fx))
	}
	for _, c := range fx.Completions {
		if !errors.Is(c.Err, ErrSessionClosed) || !errors.Is(c.Err, ErrConnectionLost) {
			t.Errorf("completion %v: err %v does not wrap ErrSessionClosed and ErrConnectionLost", c.Token, c.Err)
		}
	}
	if fx.Closed == nil || !errors.Is(fx.Closed.Err, ErrConnectionLost) || fx.Closed.Err.Error() != "peer: connection lost: EOF" {
		t.Fatalf("closed = %+v", fx.Closed)
	}
	if p.Pending() != 0 {
		t.Fatalf("pending after close: %d", p.Pending())
	}
	fx.Reset()
	p.ConnectionLost(nil, &fx)
	if !fx.Empty() {
		t.Fatalf("second ConnectionLost produced %v", render(&fx))
	}
}

func TestRequestsBeforeWelcome(t *testing.T) {
	p := joining(t)
	transcript(t, p, []step{
		{"requests", func(p *Peer, fx *Effects) {
			p.Call("p", nil, nil, nil, "c", fx)
			p.Register("p", nil, "r", fx)
			p.Subscribe("t", nil, "s", fx)
			p.Publish("t", nil, nil, nil, "pub", fx)
			p.Unsubscribe(1, "s", "u", fx)
			p.Unregister(1, "ur", fx)
		}, []string{
			`complete c CALL req=0 err=peer: session not established`,
			`complete r REGISTER req=0 err=peer: session not established`,
			`complete s SUBSCRIBE req=0 err=peer: session not established`,
			`complete pub PUBLISH req=0 err=peer: session not established`,
			`complete u UNSUBSCRIBE req=0 err=peer: session not established`,
			`complete ur UNREGISTER req=0 err=peer: session not established`,
		}},
	})
}

func TestRequestIDsWrapAndSkipPending(t *testing.T) {
	p := established(t)
	var fx Effects
	if id := p.Call("p", nil, nil, nil, "a", &fx); id != 1 {
		t.Fatalf("first id = %d", id)
	}
	if id := p.Call("p", nil, nil, nil, "b", &fx); id != 2 {
		t.Fatalf("second id = %d", id)
	}
	p.lastID = wamp.MaxID - 1
	if id := p.Call("p", nil, nil, nil, "c", &fx); id != wamp.MaxID {
		t.Fatalf("id = %d, want MaxID", id)
	}
	// Wraps to 1, but 1 and 2 are still pending.
	if id := p.Call("p", nil, nil, nil, "d", &fx); id != 3 {
		t.Fatalf("id after wrap = %d, want 3", id)
	}
}

func TestDrop(t *testing.T) {
	transcript(t, established(t), []step{
		{"call", func(p *Peer, fx *Effects) { p.Call("p", nil, nil, nil, "c1", fx) }, []string{`send CALL [48,1,{},"p"]`}},
		{"drop", func(p *Peer, fx *Effects) { p.Drop(errors.New("gave up"), fx) }, []string{
			`complete c1 CALL req=1 err=peer: session closed: gave up`,
			`closed reason= remote=false err=gave up`,
		}},
	})
}

// TestTypeSet checks the bitmap behind the transition table on every
// possible type value.
func TestTypeSet(t *testing.T) {
	for v := range 1 << 16 {
		ty := wamp.Type(v)
		if want := v < 128; setOf(ty).has(ty) != want {
			t.Fatalf("setOf(%d).has(%d) = %v, want %v", v, v, !want, want)
		}
		if (typeSet{}).union(wamp.CALL).has(ty) != (ty == wamp.CALL) {
			t.Fatalf("{CALL}.has(%d) wrong", v)
		}
	}
}
