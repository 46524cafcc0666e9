package peer

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// step is one transcript entry: an input applied to the peer, and the exact
// effects it must produce, one line each (see render).
type step struct {
	name string
	in   func(p *Peer, fx *Effects)
	want []string
}

// recv returns an input that delivers m from the router.
func recv(m wamp.Message) func(*Peer, *Effects) {
	return func(p *Peer, fx *Effects) { p.Receive(m, fx) }
}

// transcript runs steps in order on p, comparing each step's effects.
func transcript(t *testing.T, p *Peer, steps []step) {
	t.Helper()
	var fx Effects
	for i, s := range steps {
		fx.Reset()
		s.in(p, &fx)
		got := render(&fx)
		if strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Fatalf("step %d (%s):\n got:\n\t%s\nwant:\n\t%s", i, s.name,
				strings.Join(got, "\n\t"), strings.Join(s.want, "\n\t"))
		}
	}
}

// established returns a peer that has joined realm "r" as session 100.
func established(t *testing.T) *Peer {
	t.Helper()
	p := New(Config{Realm: "r"})
	var fx Effects
	if err := p.Hello(&fx); err != nil {
		t.Fatal(err)
	}
	p.Receive(&wamp.Welcome{Session: 100, Details: wamp.Dict{}}, &fx)
	if !p.Established() {
		t.Fatalf("not established: %v", render(&fx))
	}
	return p
}

// render formats effects as text lines in a fixed order.
func render(fx *Effects) []string {
	var out []string
	for _, m := range fx.Send {
		out = append(out, "send "+msg(m))
	}
	if fx.Joined != nil {
		out = append(out, "joined "+msg(fx.Joined))
	}
	if fx.Challenge != nil {
		out = append(out, "challenge "+msg(fx.Challenge))
	}
	for _, c := range fx.Completions {
		out = append(out, completion(c))
	}
	for _, inv := range fx.Invocations {
		out = append(out, fmt.Sprintf("invoke %v progress=%v %s", inv.Token, inv.ReceiveProgress, msg(inv.Msg)))
	}
	for _, in := range fx.Interrupts {
		out = append(out, fmt.Sprintf("interrupt %v req=%d mode=%s", in.Token, in.Request, in.Mode))
	}
	for _, ev := range fx.Events {
		out = append(out, fmt.Sprintf("event %v %s", ev.Handles, msg(ev.Msg)))
	}
	for _, r := range fx.Revoked {
		out = append(out, fmt.Sprintf("revoked %s %d %v %s", r.Kind, r.ID, r.Tokens, r.Reason))
	}
	if c := fx.Closed; c != nil {
		line := fmt.Sprintf("closed reason=%s remote=%v err=%v", c.Reason, c.Remote, c.Err)
		if c.Goodbye {
			line += " goodbye"
		}
		out = append(out, line)
	}
	return out
}

func completion(c Completion) string {
	s := fmt.Sprintf("complete %v %s req=%d", c.Token, c.Kind, c.Request)
	if c.Progress {
		s += " progress"
	}
	if c.Reply != nil {
		s += " " + msg(c.Reply)
	}
	if c.Err != nil {
		s += " err=" + c.Err.Error()
	}
	return s
}

// msg renders a message as its wire list in JSON, with the type name
// first: WELCOME [2,100,{}].
func msg(m wamp.Message) string {
	b, err := json.Marshal(wireList(m))
	if err != nil {
		return fmt.Sprintf("%s <%v>", m.Type(), err)
	}
	return m.Type().String() + " " + string(b)
}

func wireList(m wamp.Message) []any {
	t := int(m.Type())
	switch m := m.(type) {
	case *wamp.Hello:
		return []any{t, m.Realm, m.Details}
	case *wamp.Welcome:
		return []any{t, m.Session, m.Details}
	case *wamp.Abort:
		return []any{t, m.Details, m.Reason}
	case *wamp.Challenge:
		return []any{t, m.AuthMethod, m.Extra}
	case *wamp.Authenticate:
		return []any{t, m.Signature, m.Extra}
	case *wamp.Goodbye:
		return []any{t, m.Details, m.Reason}
	case *wamp.Error:
		return payload([]any{t, int(m.RequestType), m.Request, m.Details, m.Error}, m.Args, m.Kwargs)
	case *wamp.Publish:
		return payload([]any{t, m.Request, m.Options, m.Topic}, m.Args, m.Kwargs)
	case *wamp.Published:
		return []any{t, m.Request, m.Publication}
	case *wamp.Subscribe:
		return []any{t, m.Request, m.Options, m.Topic}
	case *wamp.Subscribed:
		return []any{t, m.Request, m.Subscription}
	case *wamp.Unsubscribe:
		return []any{t, m.Request, m.Subscription}
	case *wamp.Unsubscribed:
		if m.Details != nil {
			return []any{t, m.Request, m.Details}
		}
		return []any{t, m.Request}
	case *wamp.Event:
		return payload([]any{t, m.Subscription, m.Publication, m.Details}, m.Args, m.Kwargs)
	case *wamp.Call:
		return payload([]any{t, m.Request, m.Options, m.Procedure}, m.Args, m.Kwargs)
	case *wamp.Cancel:
		return []any{t, m.Request, m.Options}
	case *wamp.Result:
		return payload([]any{t, m.Request, m.Details}, m.Args, m.Kwargs)
	case *wamp.Register:
		return []any{t, m.Request, m.Options, m.Procedure}
	case *wamp.Registered:
		return []any{t, m.Request, m.Registration}
	case *wamp.Unregister:
		return []any{t, m.Request, m.Registration}
	case *wamp.Unregistered:
		if m.Details != nil {
			return []any{t, m.Request, m.Details}
		}
		return []any{t, m.Request}
	case *wamp.Invocation:
		return payload([]any{t, m.Request, m.Registration, m.Details}, m.Args, m.Kwargs)
	case *wamp.Interrupt:
		return []any{t, m.Request, m.Options}
	case *wamp.Yield:
		return payload([]any{t, m.Request, m.Options}, m.Args, m.Kwargs)
	}
	return []any{t, "?"}
}

func payload(l []any, args wamp.List, kwargs wamp.Dict) []any {
	if args == nil && kwargs == nil {
		return l
	}
	if args == nil {
		args = wamp.List{}
	}
	l = append(l, args)
	if kwargs != nil {
		l = append(l, kwargs)
	}
	return l
}
