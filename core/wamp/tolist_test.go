package wamp

import (
	"reflect"
	"testing"
)

// sampleMessages has one message of every type, with every optional element
// set, plus variants exercising nil dicts and absent Args/Kwargs.
func sampleMessages() []Message {
	d := func() Dict { return Dict{"x": int64(1)} }
	args := List{"a", int64(2), 3.5, true, nil, []byte{0, 1}, List{"n"}, Dict{"k": "v"}}
	kw := Dict{"kw": "v"}
	return []Message{
		&Hello{Realm: "realm1", Details: Dict{"roles": Dict{"caller": Dict{}}}},
		&Welcome{Session: MaxID, Details: d()},
		&Abort{Details: d(), Reason: ErrNoSuchRealm},
		&Challenge{AuthMethod: "wampcra", Extra: d()},
		&Authenticate{Signature: "sig", Extra: d()},
		&Goodbye{Details: d(), Reason: CloseNormal},
		&Error{RequestType: CALL, Request: 1, Details: d(), Error: ErrNoSuchProcedure, Args: args, Kwargs: kw},
		&Error{RequestType: INVOCATION, Request: 2, Details: d(), Error: "app.error"},
		&Publish{Request: 3, Options: d(), Topic: "t", Args: args, Kwargs: kw},
		&Publish{Request: 3, Options: d(), Topic: "t", Args: List{}},
		&Published{Request: 4, Publication: 5},
		&Subscribe{Request: 6, Options: d(), Topic: "t"},
		&Subscribed{Request: 7, Subscription: 8},
		&Unsubscribe{Request: 9, Subscription: 10},
		&Unsubscribed{Request: 11},
		&Unsubscribed{Request: 0, Details: Dict{"subscription": int64(10)}},
		&Unsubscribed{Request: 12, Details: Dict{}},
		&Event{Subscription: 13, Publication: 14, Details: d(), Args: args, Kwargs: kw},
		&Event{Subscription: 13, Publication: 14, Details: d(), Args: args},
		&Call{Request: 15, Options: d(), Procedure: "p", Args: args, Kwargs: kw},
		&Call{Request: 15, Options: d(), Procedure: "p", Args: List{}, Kwargs: Dict{}},
		&Cancel{Request: 16, Options: Dict{"mode": "kill"}},
		&Result{Request: 17, Details: d(), Args: args, Kwargs: kw},
		&Result{Request: 17, Details: d()},
		&Register{Request: 18, Options: d(), Procedure: "p"},
		&Registered{Request: 19, Registration: 20},
		&Unregister{Request: 21, Registration: 22},
		&Unregistered{Request: 23},
		&Unregistered{Request: 0, Details: Dict{"registration": int64(22)}},
		&Invocation{Request: 24, Registration: 25, Details: d(), Args: args, Kwargs: kw},
		&Interrupt{Request: 26, Options: d()},
		&Yield{Request: 27, Options: d(), Args: args, Kwargs: kw},
		&Yield{Request: 27, Options: d()},
	}
}

func TestRoundTripEveryType(t *testing.T) {
	seen := map[Type]bool{}
	for _, m := range sampleMessages() {
		seen[m.Type()] = true
		t.Run(m.Type().String(), func(t *testing.T) {
			l := ToList(m)
			if l[0] != int64(m.Type()) {
				t.Errorf("element 0 = %#v, want int64 %d", l[0], m.Type())
			}
			back, err := FromList(l)
			if err != nil {
				t.Fatalf("FromList(ToList(%#v)): %v", m, err)
			}
			if !reflect.DeepEqual(back, m) {
				t.Errorf("round trip:\n got %#v\nwant %#v", back, m)
			}
		})
	}
	for _, typ := range allTypes() {
		if !seen[typ] {
			t.Errorf("no sample message for %v", typ)
		}
	}
}

func TestToListShapes(t *testing.T) {
	kw := Dict{"k": "v"}
	tests := []struct {
		name string
		m    Message
		want List
	}{
		{"nil dict becomes {}", &Call{Request: 1, Procedure: "p"},
			List{int64(48), int64(1), Dict{}, "p"}},
		{"args only", &Call{Request: 1, Procedure: "p", Args: List{"a"}},
			List{int64(48), int64(1), Dict{}, "p", List{"a"}}},
		{"kwargs without args gets []", &Call{Request: 1, Procedure: "p", Kwargs: kw},
			List{int64(48), int64(1), Dict{}, "p", List{}, kw}},
		{"empty args kept", &Result{Request: 2, Args: List{}},
			List{int64(50), int64(2), Dict{}, List{}}},
		{"error", &Error{RequestType: SUBSCRIBE, Request: 3, Error: "e"},
			List{int64(8), int64(32), int64(3), Dict{}, "e"}},
		{"unsubscribed basic", &Unsubscribed{Request: 4}, List{int64(35), int64(4)}},
		{"unsubscribed revocation nil details", &Unsubscribed{},
			List{int64(35), int64(0), Dict{}}},
		{"unregistered with details", &Unregistered{Request: 5, Details: kw},
			List{int64(67), int64(5), kw}},
		{"hello nil details", &Hello{Realm: "r"}, List{int64(1), "r", Dict{}}},
		{"challenge nil extra", &Challenge{AuthMethod: "ticket"}, List{int64(4), "ticket", Dict{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToList(tt.m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ToList = %#v, want %#v", got, tt.want)
			}
			if _, err := FromList(ToList(tt.m)); err != nil {
				t.Errorf("FromList(ToList) failed: %v", err)
			}
		})
	}
}

type fakeMessage struct{}

func (fakeMessage) Type() Type { return 99 }

func TestToListUnknown(t *testing.T) {
	if l := ToList(nil); l != nil {
		t.Errorf("ToList(nil) = %#v", l)
	}
	if l := ToList(fakeMessage{}); l != nil {
		t.Errorf("ToList(fake) = %#v", l)
	}
}

func TestHasPayload(t *testing.T) {
	tests := []struct {
		args   List
		kwargs Dict
		wa, wk bool
	}{{nil, nil, false, false}, {List{}, nil, true, false}, {nil, Dict{}, true, true}, {List{1}, Dict{}, true, true}}
	for _, tt := range tests {
		a, k := HasPayload(tt.args, tt.kwargs)
		if a != tt.wa || k != tt.wk {
			t.Errorf("HasPayload(%v, %v) = %v, %v; want %v, %v", tt.args, tt.kwargs, a, k, tt.wa, tt.wk)
		}
	}
}
