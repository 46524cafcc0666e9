package peer

import (
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func call(proc wamp.URI, opts wamp.Dict, token string) func(*Peer, *Effects) {
	return func(p *Peer, fx *Effects) { p.Call(proc, wamp.List{1, 2}, nil, opts, token, fx) }
}

func TestCall(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"result", []step{
			{"call", call("com.add", nil, "c1"), []string{`send CALL [48,1,{},"com.add",[1,2]]`}},
			{"result", recv(&wamp.Result{Request: 1, Details: wamp.Dict{}, Args: wamp.List{3}}),
				[]string{`complete c1 CALL req=1 RESULT [50,1,{},[3]]`}},
			{"second result: unknown request", recv(&wamp.Result{Request: 1, Details: wamp.Dict{}}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: RESULT for unknown call request 1"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: RESULT for unknown call request 1`,
			}},
		}},
		{"error", []step{
			{"call", call("com.add", wamp.Dict{"timeout": 500}, "c1"), []string{`send CALL [48,1,{"timeout":500},"com.add",[1,2]]`}},
			{"error", recv(&wamp.Error{RequestType: wamp.CALL, Request: 1, Details: wamp.Dict{}, Error: wamp.ErrNoSuchProcedure, Args: wamp.List{"nope"}}),
				[]string{`complete c1 CALL req=1 ERROR [8,48,1,{},"wamp.error.no_such_procedure",["nope"]]`}},
		}},
		{"error with wrong request type", []step{
			{"call", call("p", nil, "c1"), []string{`send CALL [48,1,{},"p",[1,2]]`}},
			{"error", recv(&wamp.Error{RequestType: wamp.REGISTER, Request: 1, Details: wamp.Dict{}, Error: "x"}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: ERROR for unknown REGISTER request 1"},"wamp.error.protocol_violation"]`,
				`complete c1 CALL req=1 err=peer: session closed: peer: protocol violation by router: ERROR for unknown REGISTER request 1`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: ERROR for unknown REGISTER request 1`,
			}},
		}},
		{"progressive results", []step{
			{"call", call("p", wamp.Dict{"receive_progress": true}, "c1"), []string{`send CALL [48,1,{"receive_progress":true},"p",[1,2]]`}},
			{"progress 1", recv(&wamp.Result{Request: 1, Details: wamp.Dict{"progress": true}, Args: wamp.List{"a"}}),
				[]string{`complete c1 CALL req=1 progress RESULT [50,1,{"progress":true},["a"]]`}},
			{"progress 2", recv(&wamp.Result{Request: 1, Details: wamp.Dict{"progress": true}, Args: wamp.List{"b"}}),
				[]string{`complete c1 CALL req=1 progress RESULT [50,1,{"progress":true},["b"]]`}},
			{"final", recv(&wamp.Result{Request: 1, Details: wamp.Dict{}, Args: wamp.List{"done"}}),
				[]string{`complete c1 CALL req=1 RESULT [50,1,{},["done"]]`}},
		}},
		{"progress then error", []step{
			{"call", call("p", wamp.Dict{"receive_progress": true}, "c1"), []string{`send CALL [48,1,{"receive_progress":true},"p",[1,2]]`}},
			{"progress", recv(&wamp.Result{Request: 1, Details: wamp.Dict{"progress": true}}),
				[]string{`complete c1 CALL req=1 progress RESULT [50,1,{"progress":true}]`}},
			{"error", recv(&wamp.Error{RequestType: wamp.CALL, Request: 1, Details: wamp.Dict{}, Error: wamp.ErrCanceled}),
				[]string{`complete c1 CALL req=1 ERROR [8,48,1,{},"wamp.error.canceled"]`}},
		}},
		{"cancel", []step{
			{"call", call("p", nil, "c1"), []string{`send CALL [48,1,{},"p",[1,2]]`}},
			{"cancel", func(p *Peer, fx *Effects) { p.Cancel(1, CancelKillNoWait, fx) },
				[]string{`send CANCEL [49,1,{"mode":"killnowait"}]`}},
			{"cancel again: nothing", func(p *Peer, fx *Effects) { p.Cancel(1, CancelKill, fx) }, nil},
			{"cancel unknown: nothing", func(p *Peer, fx *Effects) { p.Cancel(9, "", fx) }, nil},
			{"canceled error completes", recv(&wamp.Error{RequestType: wamp.CALL, Request: 1, Details: wamp.Dict{}, Error: wamp.ErrCanceled}),
				[]string{`complete c1 CALL req=1 ERROR [8,48,1,{},"wamp.error.canceled"]`}},
			{"cancel after completion: nothing", func(p *Peer, fx *Effects) { p.Cancel(1, "", fx) }, nil},
		}},
		{"cancel without mode, result wins", []step{
			{"call", call("p", nil, "c1"), []string{`send CALL [48,1,{},"p",[1,2]]`}},
			{"cancel", func(p *Peer, fx *Effects) { p.Cancel(1, "", fx) }, []string{`send CANCEL [49,1,{}]`}},
			{"result", recv(&wamp.Result{Request: 1, Details: wamp.Dict{}}), []string{`complete c1 CALL req=1 RESULT [50,1,{}]`}},
		}},
		{"interleaved calls", []step{
			{"call a", call("a", nil, "ca"), []string{`send CALL [48,1,{},"a",[1,2]]`}},
			{"call b", call("b", nil, "cb"), []string{`send CALL [48,2,{},"b",[1,2]]`}},
			{"result b", recv(&wamp.Result{Request: 2, Details: wamp.Dict{}}), []string{`complete cb CALL req=2 RESULT [50,2,{}]`}},
			{"result a", recv(&wamp.Result{Request: 1, Details: wamp.Dict{}}), []string{`complete ca CALL req=1 RESULT [50,1,{}]`}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { transcript(t, established(t), tc.steps) })
	}
}

func register(proc wamp.URI, opts wamp.Dict, token string) func(*Peer, *Effects) {
	return func(p *Peer, fx *Effects) { p.Register(proc, opts, token, fx) }
}

// registered returns a peer with procedure "p" registered as 500 (token "r1").
func registered(t *testing.T) *Peer {
	p := established(t)
	transcript(t, p, []step{
		{"register", register("p", nil, "r1"), []string{`send REGISTER [64,1,{},"p"]`}},
		{"registered", recv(&wamp.Registered{Request: 1, Registration: 500}),
			[]string{`complete r1 REGISTER req=1 REGISTERED [65,1,500]`}},
	})
	return p
}

func invoke(req wamp.ID, details wamp.Dict) func(*Peer, *Effects) {
	return recv(&wamp.Invocation{Request: req, Registration: 500, Details: details, Args: wamp.List{"x"}})
}

func TestRegisterAndInvoke(t *testing.T) {
	yield := func(req wamp.ID, progress bool, wantErr error) func(*Peer, *Effects) {
		return func(p *Peer, fx *Effects) {
			if err := p.Yield(req, wamp.List{"y"}, nil, progress, fx); !errors.Is(err, wantErr) {
				t.Errorf("Yield(%d, progress=%v) = %v, want %v", req, progress, err, wantErr)
			}
		}
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"yield", []step{
			{"invocation", invoke(7, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,7,500,{},["x"]]`}},
			{"yield", yield(7, false, nil), []string{`send YIELD [70,7,{},["y"]]`}},
			{"yield again", yield(7, false, ErrNoSuchInvocation), nil},
			{"late interrupt ignored", recv(&wamp.Interrupt{Request: 7, Options: wamp.Dict{}}), nil},
		}},
		{"progress not requested", []step{
			{"invocation", invoke(7, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,7,500,{},["x"]]`}},
			{"progress", yield(7, true, ErrProgressNotRequested), nil},
		}},
		{"progressive yields", []step{
			{"invocation", invoke(7, wamp.Dict{"receive_progress": true}),
				[]string{`invoke r1 progress=true INVOCATION [68,7,500,{"receive_progress":true},["x"]]`}},
			{"progress", yield(7, true, nil), []string{`send YIELD [70,7,{"progress":true},["y"]]`}},
			{"progress", yield(7, true, nil), []string{`send YIELD [70,7,{"progress":true},["y"]]`}},
			{"final", yield(7, false, nil), []string{`send YIELD [70,7,{},["y"]]`}},
		}},
		{"error", []step{
			{"invocation", invoke(7, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,7,500,{},["x"]]`}},
			{"error", func(p *Peer, fx *Effects) {
				_ = p.InvocationError(7, wamp.ErrRuntimeError, wamp.List{"boom"}, wamp.Dict{"k": 1}, fx)
			}, []string{`send ERROR [8,68,7,{},"wamp.error.runtime_error",["boom"],{"k":1}]`}},
			{"error again", func(p *Peer, fx *Effects) {
				if err := p.InvocationError(7, "x", nil, nil, fx); !errors.Is(err, ErrNoSuchInvocation) {
					t.Errorf("second InvocationError = %v", err)
				}
			}, nil},
		}},
		{"interrupt", []step{
			{"invocation", invoke(7, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,7,500,{},["x"]]`}},
			{"interrupt", recv(&wamp.Interrupt{Request: 7, Options: wamp.Dict{"mode": "kill"}}),
				[]string{`interrupt r1 req=7 mode=kill`}},
			{"answer", func(p *Peer, fx *Effects) { _ = p.InvocationError(7, wamp.ErrCanceled, nil, nil, fx) },
				[]string{`send ERROR [8,68,7,{},"wamp.error.canceled"]`}},
		}},
		{"concurrent invocations", []step{
			{"inv 1", invoke(1, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,1,500,{},["x"]]`}},
			{"inv 2", invoke(2, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,2,500,{},["x"]]`}},
			{"yield 2", yield(2, false, nil), []string{`send YIELD [70,2,{},["y"]]`}},
			{"yield 1", yield(1, false, nil), []string{`send YIELD [70,1,{},["y"]]`}},
		}},
		{"duplicate invocation", []step{
			{"inv", invoke(1, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,1,500,{},["x"]]`}},
			{"dup", invoke(1, wamp.Dict{}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: INVOCATION with request 1 already in progress"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: INVOCATION with request 1 already in progress`,
			}},
			{"yield after close", yield(1, false, ErrSessionClosed), nil},
		}},
		{"unknown registration", []step{
			{"inv", recv(&wamp.Invocation{Request: 1, Registration: 9, Details: wamp.Dict{}}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: INVOCATION for unknown registration 9"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: INVOCATION for unknown registration 9`,
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { transcript(t, registered(t), tc.steps) })
	}
}

func TestRegisterErrors(t *testing.T) {
	transcript(t, established(t), []step{
		{"register with options", register("com.", wamp.Dict{"match": "prefix", "invoke": "roundrobin"}, "r1"),
			[]string{`send REGISTER [64,1,{"invoke":"roundrobin","match":"prefix"},"com."]`}},
		{"error", recv(&wamp.Error{RequestType: wamp.REGISTER, Request: 1, Details: wamp.Dict{}, Error: wamp.ErrProcedureAlreadyExists}),
			[]string{`complete r1 REGISTER req=1 ERROR [8,64,1,{},"wamp.error.procedure_already_exists"]`}},
		{"unregister unknown", func(p *Peer, fx *Effects) { p.Unregister(42, "u1", fx) },
			[]string{`complete u1 UNREGISTER req=0 err=peer: no such registration`}},
	})
}

func TestUnregister(t *testing.T) {
	p := registered(t)
	unreg := func(token string) func(*Peer, *Effects) {
		return func(p *Peer, fx *Effects) { p.Unregister(500, token, fx) }
	}
	transcript(t, p, []step{
		{"unregister", unreg("u1"), []string{`send UNREGISTER [66,2,500]`}},
		{"twice", unreg("u2"), []string{`complete u2 UNREGISTER req=0 err=peer: no such registration`}},
		{"invocation in flight still delivered", invoke(3, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,3,500,{},["x"]]`}},
		{"refused", recv(&wamp.Error{RequestType: wamp.UNREGISTER, Request: 2, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized}),
			[]string{`complete u1 UNREGISTER req=2 ERROR [8,66,2,{},"wamp.error.not_authorized"]`}},
		{"retry", unreg("u3"), []string{`send UNREGISTER [66,3,500]`}},
		{"unregistered", recv(&wamp.Unregistered{Request: 3}), []string{`complete u3 UNREGISTER req=3 UNREGISTERED [67,3]`}},
		{"gone", unreg("u4"), []string{`complete u4 UNREGISTER req=0 err=peer: no such registration`}},
	})
}

func TestUnregisterNoSuchRegistrationForgets(t *testing.T) {
	p := registered(t)
	transcript(t, p, []step{
		{"unregister", func(p *Peer, fx *Effects) { p.Unregister(500, "u1", fx) }, []string{`send UNREGISTER [66,2,500]`}},
		{"no such", recv(&wamp.Error{RequestType: wamp.UNREGISTER, Request: 2, Details: wamp.Dict{}, Error: wamp.ErrNoSuchRegistration}),
			[]string{`complete u1 UNREGISTER req=2 ERROR [8,66,2,{},"wamp.error.no_such_registration"]`}},
		{"invocation now unknown", invoke(3, wamp.Dict{}), []string{
			`send ABORT [3,{"message":"peer: protocol violation by router: INVOCATION for unknown registration 500"},"wamp.error.protocol_violation"]`,
			`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: INVOCATION for unknown registration 500`,
		}},
	})
}

func TestRegistrationRevocation(t *testing.T) {
	transcript(t, registered(t), []step{
		{"revoke", recv(&wamp.Unregistered{Request: 0, Details: wamp.Dict{"registration": int64(500), "reason": "wamp.close.killed"}}),
			[]string{`revoked REGISTER 500 [r1] wamp.close.killed`}},
		{"revoke again: nothing", recv(&wamp.Unregistered{Request: 0, Details: wamp.Dict{"registration": uint64(500)}}), nil},
		{"bad revoke", recv(&wamp.Unregistered{Request: 0, Details: wamp.Dict{}}), []string{
			`send ABORT [3,{"message":"peer: protocol violation by router: UNREGISTERED revocation without details.registration"},"wamp.error.protocol_violation"]`,
			`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: UNREGISTERED revocation without details.registration`,
		}},
	})
}

func TestAddRegistration(t *testing.T) {
	add := func(id wamp.ID, token string, wantErr error) func(*Peer, *Effects) {
		return func(p *Peer, fx *Effects) {
			if err := p.AddRegistration(id, token); !errors.Is(err, wantErr) {
				t.Errorf("AddRegistration(%d) = %v, want %v", id, err, wantErr)
			}
		}
	}
	t.Run("invoked, answered, unregistered", func(t *testing.T) {
		transcript(t, established(t), []step{
			{"add: nothing sent", add(900, "fb", nil), nil},
			{"again", add(900, "other", ErrBadState), nil},
			{"invalid ID", add(0, "x", ErrBadState), nil},
			{"invocation", recv(&wamp.Invocation{Request: 1, Registration: 900, Details: wamp.Dict{"procedure": "com.any"}}),
				[]string{`invoke fb progress=false INVOCATION [68,1,900,{"procedure":"com.any"}]`}},
			{"answer", func(p *Peer, fx *Effects) {
				_ = p.InvocationError(1, wamp.ErrNoSuchProcedure, nil, nil, fx)
			}, []string{`send ERROR [8,68,1,{},"wamp.error.no_such_procedure"]`}},
			{"unregister", func(p *Peer, fx *Effects) { p.Unregister(900, "u1", fx) }, []string{`send UNREGISTER [66,1,900]`}},
			{"unregistered", recv(&wamp.Unregistered{Request: 1}), []string{`complete u1 UNREGISTER req=1 UNREGISTERED [67,1]`}},
			{"known no more", recv(&wamp.Invocation{Request: 2, Registration: 900, Details: wamp.Dict{}}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: INVOCATION for unknown registration 900"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: INVOCATION for unknown registration 900`,
			}},
			{"after close", add(901, "fb", ErrSessionClosed), nil},
		})
	})
	t.Run("beside Register's registrations, revoked", func(t *testing.T) {
		transcript(t, registered(t), []step{
			{"an ID in use", add(500, "fb", ErrBadState), nil},
			{"add", add(900, "fb", nil), nil},
			{"own registration", invoke(7, wamp.Dict{}), []string{`invoke r1 progress=false INVOCATION [68,7,500,{},["x"]]`}},
			{"revoke", recv(&wamp.Unregistered{Request: 0, Details: wamp.Dict{"registration": int64(900), "reason": "wamp.close.killed"}}),
				[]string{`revoked REGISTER 900 [fb] wamp.close.killed`}},
		})
	})
	t.Run("before WELCOME", func(t *testing.T) {
		p := New(Config{Realm: "r", Roles: wamp.Dict{"callee": wamp.Dict{}}, Agent: "a"})
		transcript(t, p, []step{
			{"init", add(900, "fb", ErrNotEstablished), nil},
			{"hello", func(p *Peer, fx *Effects) { _ = p.Hello(fx) }, []string{`send HELLO [1,"r",{"agent":"a","roles":{"callee":{}}}]`}},
			{"joining", add(900, "fb", ErrNotEstablished), nil},
		})
	})
}
