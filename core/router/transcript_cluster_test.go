package router

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// execCluster runs the transcript commands of clustering (publish-remote,
// claimed, remote-session, knows) and returns their output; it reports
// false for any other command.
func (tr *transcript) execCluster(lineNo int, cmd string, args []string, rest func(int) string) ([]actualLine, bool) {
	need := func(n int) {
		if len(args) < n {
			tr.t.Fatalf("%s:%d: %s needs %d arguments", tr.file, lineNo, cmd, n)
		}
	}
	id := func(s string) wamp.ID {
		n, err := strconv.ParseUint(tr.subst(lineNo, s), 10, 64)
		if err != nil {
			tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
		}
		return wamp.ID(n)
	}
	switch cmd {
	case "publish-remote": // publish-remote NODE [id, topic, args, kwargs, options, publisher, authid, authrole, disclose]
		need(2)
		tr.realm.PublishRemote(tr.now, tr.sid(lineNo, args[0]), tr.remotePublication(lineNo, rest(1)), &tr.fx)
	case "claimed": // claimed NAME TICKET ok|URI
		need(3)
		ticket, err := strconv.ParseUint(args[1], 10, 64)
		op, known := tr.claims[ticket]
		if err != nil || !known {
			tr.t.Fatalf("%s:%d: no claim with ticket %q", tr.file, lineNo, args[1])
		}
		refusal := wamp.URI("")
		if args[2] != "ok" {
			refusal = wamp.URI(args[2])
		}
		tr.realm.Claimed(tr.now, op, refusal, "claimed by another node", &tr.fx)
	case "remote-session": // remote-session add ID NODE AUTHID AUTHROLE | remove ID | remove-node NODE
		need(2)
		switch args[0] {
		case "add":
			need(5)
			tr.realm.AddRemoteSession(RemoteSession{ID: id(args[1]), Node: args[2], AuthID: args[3], AuthRole: args[4],
				AuthMethod: "anonymous", AuthProvider: "static"})
		case "remove":
			tr.realm.RemoveRemoteSession(id(args[1]))
		case "remove-node":
			return answer(strconv.Itoa(tr.realm.RemoveRemoteSessions(args[1]))), true
		default:
			tr.t.Fatalf("%s:%d: remote-session add|remove|remove-node", tr.file, lineNo)
		}
	case "knows":
		need(1)
		if tr.realm.KnowsSession(id(args[0])) {
			return answer("yes"), true
		}
		return answer("no"), true
	default:
		return nil, false
	}
	return tr.effects(), true
}

// remotePublication parses [id, topic, args, kwargs, options, publisher,
// authid, authrole, disclose].
func (tr *transcript) remotePublication(lineNo int, text string) *RemotePublication {
	v, err := parseJSON(tr.subst(lineNo, text))
	l, ok := v.([]any)
	if err != nil || !ok || len(l) != 9 {
		tr.t.Fatalf("%s:%d: want [id, topic, args, kwargs, options, publisher, authid, authrole, disclose]: %v", tr.file, lineNo, err)
	}
	pubID, _ := wamp.ToID(l[0])
	publisher, _ := wamp.ToID(l[5])
	rp := &RemotePublication{ID: pubID, Publisher: publisher}
	rp.Topic = wamp.URI(str(l[1]))
	rp.Args, _ = l[2].([]any)
	rp.Kwargs, _ = l[3].(wamp.Dict)
	rp.Options, _ = l[4].(wamp.Dict)
	rp.PublisherAuthID, rp.PublisherAuthRole = str(l[6]), str(l[7])
	rp.Disclose, _ = l[8].(bool)
	return rp
}

func str(v any) string { s, _ := v.(string); return s }

// remotePublicationLine renders an outbound RemotePublication.
func remotePublicationLine(to string, rp *RemotePublication) actualLine {
	list := []any{int64(rp.ID), string(rp.Topic), rp.Args, rp.Kwargs, rp.Options, int64(rp.Publisher),
		rp.PublisherAuthID, rp.PublisherAuthRole, rp.Disclose}
	line := func(name idNamer) string {
		var b bytes.Buffer
		b.WriteString("-> " + to + " remote [")
		for i, v := range list {
			if i > 0 {
				b.WriteByte(',')
			}
			kind := ""
			if i == 0 {
				kind = "pub"
			}
			writeValue(&b, v, kind, name)
		}
		b.WriteByte(']')
		return b.String()
	}
	return actualLine{text: line(nil), render: line}
}

// claimLines renders Effects.Claim and remembers the claims by ticket.
func (tr *transcript) claimLines() []actualLine {
	var out []actualLine
	for _, op := range tr.fx.Claim {
		var text string
		if op.Release {
			text = fmt.Sprintf("claim release %s %s %s", op.Procedure, op.Match, op.Invoke)
		} else {
			if tr.claims == nil {
				tr.claims = map[uint64]ClaimOp{}
			}
			tr.claims[op.Ticket] = op
			text = fmt.Sprintf("claim %s ticket=%d %s %s %s", tr.names[op.Session], op.Ticket, op.Procedure, op.Match, op.Invoke)
		}
		out = append(out, actualLine{text: text, render: func(idNamer) string { return text }})
	}
	return out
}
