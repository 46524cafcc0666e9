package wamp

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestOptAccessors(t *testing.T) {
	d := Dict{
		"b": true, "s": "str", "i": int64(-5), "f": 1000.0, "id": uint64(77), "bigid": int64(1<<53 + 1),
		"ids": []any{int64(1), 2.0, uint64(3)}, "badids": []any{int64(1), "x"}, "zeroid": []any{int64(0)},
		"typedids": []ID{4, 5}, "strs": []any{"a", "b"}, "badstrs": []any{"a", int64(1)},
		"typedstrs": []string{"x"}, "empty": []any{}, "dict": Dict{"k": "v"}, "nil": nil,
	}
	type res struct {
		v  any
		ok bool
	}
	tests := []struct {
		name string
		got  res
		want res
	}{
		{"bool", pair(OptBool(d, "b")), res{true, true}},
		{"bool wrong type", pair(OptBool(d, "s")), res{false, false}},
		{"bool absent", pair(OptBool(d, "nope")), res{false, false}},
		{"bool nil dict", pair(OptBool(nil, "b")), res{false, false}},
		{"string", pair(OptString(d, "s")), res{"str", true}},
		{"string wrong", pair(OptString(d, "i")), res{"", false}},
		{"int", pair(OptInt(d, "i")), res{int64(-5), true}},
		{"int from float", pair(OptInt(d, "f")), res{int64(1000), true}},
		{"int wrong", pair(OptInt(d, "s")), res{int64(0), false}},
		{"int absent", pair(OptInt(d, "nope")), res{int64(0), false}},
		{"id", pair(OptID(d, "id")), res{ID(77), true}},
		{"id out of range", pair(OptID(d, "bigid")), res{ID(0), false}},
		{"id negative", pair(OptID(d, "i")), res{ID(0), false}},
		{"id absent", pair(OptID(d, "nope")), res{ID(0), false}},
		{"dict", pair(OptDict(d, "dict")), res{Dict{"k": "v"}, true}},
		{"dict wrong", pair(OptDict(d, "s")), res{Dict(nil), false}},
		{"id list", pair(OptIDList(d, "ids")), res{[]ID{1, 2, 3}, true}},
		{"id list typed", pair(OptIDList(d, "typedids")), res{[]ID{4, 5}, true}},
		{"id list empty", pair(OptIDList(d, "empty")), res{[]ID{}, true}},
		{"id list bad element", pair(OptIDList(d, "badids")), res{[]ID(nil), false}},
		{"id list zero", pair(OptIDList(d, "zeroid")), res{[]ID(nil), false}},
		{"id list not list", pair(OptIDList(d, "s")), res{[]ID(nil), false}},
		{"string list", pair(OptStringList(d, "strs")), res{[]string{"a", "b"}, true}},
		{"string list typed", pair(OptStringList(d, "typedstrs")), res{[]string{"x"}, true}},
		{"string list empty", pair(OptStringList(d, "empty")), res{[]string{}, true}},
		{"string list bad", pair(OptStringList(d, "badstrs")), res{[]string(nil), false}},
		{"string list nil", pair(OptStringList(d, "nil")), res{[]string(nil), false}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func pair[T any](v T, ok bool) struct {
	v  any
	ok bool
} {
	return struct {
		v  any
		ok bool
	}{v, ok}
}

func TestValidateOptions(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string // "" = valid
	}{
		{"publish ok", &Publish{Request: 1, Topic: "t", Options: Dict{"acknowledge": true, "exclude": []any{int64(1)},
			"eligible_authrole": []any{"r"}, "custom_key": 5}}, ""},
		{"publish typed lists ok", &Publish{Request: 1, Topic: "t", Options: Dict{"exclude": []ID{1}, "exclude_authid": []string{"a"}}}, ""},
		{"publish nil options", &Publish{Request: 1, Topic: "t"}, ""},
		{"acknowledge string", &Publish{Options: Dict{"acknowledge": "yes"}}, "PUBLISH: Options.acknowledge: not a bool: string"},
		{"exclude bad item", &Publish{Options: Dict{"exclude": []any{"x"}}}, "Options.exclude: element is not an ID"},
		{"exclude zero", &Publish{Options: Dict{"exclude": []any{int64(0)}}}, "Options.exclude: element is not an ID"},
		{"exclude typed wrong", &Publish{Options: Dict{"exclude": []string{"x"}}}, "Options.exclude: not a list"},
		{"forward_for bad", &Publish{Options: Dict{"forward_for": []any{"x"}}}, "forward_for: element is not a dict"},
		{"match ok", &Subscribe{Options: Dict{"match": "wildcard"}}, ""},
		{"match bad", &Subscribe{Options: Dict{"match": "regex"}}, `SUBSCRIBE: Options.match: unknown value "regex"`},
		{"invoke bad", &Register{Options: Dict{"invoke": "all"}}, "REGISTER: Options.invoke: unknown value"},
		{"invoke ok", &Register{Options: Dict{"invoke": "roundrobin", "match": "prefix"}}, ""},
		{"timeout ok", &Call{Options: Dict{"timeout": 1000.0, "receive_progress": true}}, ""},
		{"timeout negative", &Call{Options: Dict{"timeout": int64(-1)}}, "CALL: Options.timeout: not an integer >= 0"},
		{"timeout fraction", &Call{Options: Dict{"timeout": 1.5}}, "Options.timeout"},
		{"timeout beyond int64 ok", &Call{Options: Dict{"timeout": uint64(1 << 63)}}, ""},
		{"timeout huge float ok", &Call{Options: Dict{"timeout": 1e300}}, ""},
		{"timeout huge negative float", &Call{Options: Dict{"timeout": -1e300}}, "Options.timeout"},
		{"timeout infinite", &Call{Options: Dict{"timeout": math.Inf(1)}}, "Options.timeout"},
		{"timeout NaN", &Call{Options: Dict{"timeout": math.NaN()}}, "Options.timeout"},
		{"timeout negative float", &Call{Options: Dict{"timeout": -1.0}}, "Options.timeout"},
		{"cancel mode", &Cancel{Options: Dict{"mode": "explode"}}, "CANCEL: Options.mode"},
		{"interrupt ok", &Interrupt{Options: Dict{"mode": "killnowait", "reason": "wamp.error.canceled"}}, ""},
		{"event publisher", &Event{Details: Dict{"publisher": "x"}}, "EVENT: Details.publisher: not an ID"},
		{"invocation caller ok", &Invocation{Details: Dict{"caller": int64(5), "procedure": "p"}}, ""},
		{"yield progress", &Yield{Options: Dict{"progress": int64(1)}}, "YIELD: Options.progress: not a bool"},
		{"result progress ok", &Result{Details: Dict{"progress": true}}, ""},
		{"hello authmethods", &Hello{Details: Dict{"authmethods": "ticket"}}, "HELLO: Details.authmethods: not a list"},
		{"welcome roles", &Welcome{Details: Dict{"roles": []any{}}}, "WELCOME: Details.roles: not a dict"},
		{"goodbye message", &Goodbye{Details: Dict{"message": int64(1)}}, "GOODBYE: Details.message"},
		{"unsubscribed subscription", &Unsubscribed{Details: Dict{"subscription": "x"}}, "UNSUBSCRIBED: Details.subscription"},
		{"published has no options", &Published{Request: 1, Publication: 2}, ""},
		{"error details unchecked", &Error{Details: Dict{"progress": "x"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateOptions(tt.m)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrProtocolViolation) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a protocol violation containing %q", err, tt.want)
			}
		})
	}
}

func TestListOptionOver(t *testing.T) {
	three := []any{int64(1), int64(2), int64(3)}
	tests := []struct {
		name    string
		m       Message
		max     int
		wantKey string
		wantN   int
	}{
		{"no options", &Publish{Request: 1, Topic: "t"}, 0, "", 0},
		{"at the limit", &Publish{Options: Dict{"eligible": three}}, 3, "", 0},
		{"over", &Publish{Options: Dict{"eligible": three}}, 2, "eligible", 3},
		{"typed ids", &Publish{Options: Dict{"exclude": []ID{1, 2, 3, 4}}}, 3, "exclude", 4},
		{"typed strings", &Publish{Options: Dict{"eligible_authrole": []string{"a", "b"}}}, 1, "eligible_authrole", 2},
		{"first in rule order", &Publish{Options: Dict{"eligible": three, "exclude": three}}, 2, "exclude", 3},
		{"forward_for", &Call{Options: Dict{"forward_for": []any{Dict{}, Dict{}}}}, 1, "forward_for", 2},
		{"non-list keys ignored", &Call{Options: Dict{"timeout": int64(5), "custom": three}}, 0, "", 0},
		{"hello authmethods", &Hello{Details: Dict{"authmethods": []any{"a", "b"}}}, 1, "authmethods", 2},
		{"no rules", &Error{Details: Dict{"exclude": three}}, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, n := ListOptionOver(tt.m, tt.max)
			if key != tt.wantKey || n != tt.wantN {
				t.Fatalf("ListOptionOver = %q, %d; want %q, %d", key, n, tt.wantKey, tt.wantN)
			}
		})
	}
}

func TestFloatIDOption(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"no options", &Publish{Request: 1, Topic: "t"}, ""},
		{"integer ids", &Publish{Options: Dict{"exclude": []any{int64(1), uint64(2)}, "eligible": []ID{3}}}, ""},
		{"float in exclude", &Publish{Options: Dict{"exclude": []any{int64(1), 2.0}}}, "exclude"},
		{"float32 in eligible", &Publish{Options: Dict{"eligible": []any{float32(2)}}}, "eligible"},
		{"float elsewhere is fine", &Publish{Options: Dict{"custom": 1.5, "exclude_authid": []any{"a"}}}, ""},
		{"event publisher", &Event{Details: Dict{"publisher": 5.0}}, "publisher"},
		{"invocation caller", &Invocation{Details: Dict{"caller": 5.0, "timeout": 1000.0}}, "caller"},
		{"unsubscribed", &Unsubscribed{Details: Dict{"subscription": 7.0}}, "subscription"},
		{"unregistered", &Unregistered{Details: Dict{"registration": 7.0}}, "registration"},
		{"call timeout is not an ID", &Call{Options: Dict{"timeout": 1000.0}}, ""},
	}
	for _, tt := range tests {
		if got := FloatIDOption(tt.m); got != tt.want {
			t.Errorf("%s: FloatIDOption = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHasFeatureAndRole(t *testing.T) {
	details := Dict{"roles": map[string]any{
		"caller": map[string]any{"features": map[string]any{
			FeatureProgressiveCallResults: true, FeatureCallCanceling: false, FeatureCallTimeout: "yes"}},
		"subscriber": map[string]any{},
		"publisher":  "bad",
	}}
	tests := []struct {
		role, feature string
		want          bool
	}{
		{RoleCaller, FeatureProgressiveCallResults, true},
		{RoleCaller, FeatureCallCanceling, false},
		{RoleCaller, FeatureCallTimeout, false},
		{RoleCallee, FeatureProgressiveCallResults, false},
		{RoleSubscriber, FeaturePatternBasedSubscription, false},
	}
	for _, tt := range tests {
		if got := HasFeature(details, tt.role, tt.feature); got != tt.want {
			t.Errorf("HasFeature(%s, %s) = %v", tt.role, tt.feature, got)
		}
	}
	if HasFeature(nil, RoleCaller, FeatureCallTimeout) {
		t.Error("HasFeature(nil) = true")
	}
	for role, want := range map[string]bool{RoleCaller: true, RoleSubscriber: true, RolePublisher: false, RoleCallee: false} {
		if got := HasRole(details, role); got != want {
			t.Errorf("HasRole(%s) = %v, want %v", role, got, want)
		}
	}
}
