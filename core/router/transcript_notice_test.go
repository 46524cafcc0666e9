package router

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// execNotice runs the transcript commands of subscription notices and
// approval (notify, approve, deny) and returns their output; it reports
// false for any other command.
func (tr *transcript) execNotice(lineNo int, cmd string, args []string) ([]actualLine, bool) {
	need := func(n int) {
		if len(args) < n {
			tr.t.Fatalf("%s:%d: %s needs %d arguments", tr.file, lineNo, cmd, n)
		}
	}
	switch cmd {
	case "notify":
		need(1)
		tr.notify = args[0] == "on" || args[0] == "all"
		tr.notifySessions = args[0] == "all"
	case "approve":
		need(2)
		id, added := tr.realm.ApproveSubscribe(tr.now, tr.sid(lineNo, args[0]), tr.request(lineNo, args[1]), &tr.fx)
		return append(tr.effects(), tr.subscriptionAnswer(id, added)...), true
	case "deny":
		need(3)
		var list wamp.List
		if len(args) > 3 {
			v, err := parseJSON(tr.subst(lineNo, strings.Join(args[3:], " ")))
			l, ok := v.([]any)
			if err != nil || !ok {
				tr.t.Fatalf("%s:%d: deny args must be a JSON list", tr.file, lineNo)
			}
			list = l
		}
		uri := wamp.URI(args[2])
		if uri == "-" {
			uri = ""
		}
		held := tr.realm.DenySubscribe(tr.now, tr.sid(lineNo, args[0]), tr.request(lineNo, args[1]), uri, list, nil, &tr.fx)
		out := tr.effects()
		if held {
			return append(out, answer("held")...), true
		}
		return append(out, answer("not-held")...), true
	default:
		return nil, false
	}
	return tr.effects(), true
}

func (tr *transcript) request(lineNo int, s string) wamp.ID {
	n, err := strconv.ParseUint(tr.subst(lineNo, s), 10, 64)
	if err != nil {
		tr.t.Fatalf("%s:%d: bad request ID %q", tr.file, lineNo, s)
	}
	return wamp.ID(n)
}

func (tr *transcript) subscriptionAnswer(id wamp.ID, added bool) []actualLine {
	how := " not-added"
	if added {
		how = " added"
	}
	text := "= subscription " + strconv.FormatUint(uint64(id), 10) + how
	return []actualLine{{text: text, render: func(n idNamer) string {
		if s := n(uint64(id), "sub"); s != "" {
			return "= subscription " + s + how
		}
		return text
	}}}
}

// notices renders Effects.Notify, one line per notice, in emission order.
func (tr *transcript) notices() []actualLine {
	var out []actualLine
	for _, n := range tr.fx.Notify {
		if (n.Kind == NoticeJoined || n.Kind == NoticeLeft) && !tr.notifySessions {
			continue
		}
		who := tr.names[n.Session]
		head := "notice " + n.Kind.String() + " " + who + " req=" + strconv.FormatUint(uint64(n.Request), 10)
		tail := " topic=" + string(n.Topic) + " match=" + n.Match
		if len(n.Options) > 0 {
			var b bytes.Buffer
			writeValue(&b, map[string]any(n.Options), "", nil)
			tail += " options=" + b.String()
		}
		sub, label, kind := n.Subscription, " sub=", "sub"
		if n.Kind == NoticeJoined || n.Kind == NoticeLeft {
			text := "notice " + n.Kind.String() + " " + who
			if n.Kind == NoticeJoined {
				text += " authid=" + n.Info.AuthID + " authrole=" + n.Info.AuthRole
			}
			out = append(out, actualLine{text: text, render: func(idNamer) string { return text }})
			continue
		}
		if n.Kind == NoticeRegistered || n.Kind == NoticeUnregistered {
			sub, label, kind = n.Registration, " reg=", "reg"
			tail = " procedure=" + string(n.Topic) + " match=" + n.Match + " invoke=" + n.Invoke
		}
		text := head + label + strconv.FormatUint(uint64(sub), 10) + tail
		out = append(out, actualLine{text: text, render: func(nm idNamer) string {
			if s := nm(uint64(sub), kind); s != "" {
				return head + label + s + tail
			}
			return text
		}})
	}
	return out
}
