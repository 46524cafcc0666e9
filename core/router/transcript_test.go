package router

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Transcript tests (STYLE practice 10). Each testdata/*.txt file is a
// script: a command per line, each followed by the exact output it must
// produce. Output lines are
//
//	-> <session> <message as JSON>   a message in Effects.Out, in order
//	close <session> <reason>         a CloseOp, after all messages
//	= <text>                         the answer of an inspection command
//
// "$name" in expected output binds to the number found there on first
// sight and must match it afterwards; in commands it is replaced by its
// value. "join s1" binds $s1 to the session's ID. Lines starting with # are
// comments. go test -run TestTranscripts -update rewrites the expectations
// (keeping lines that still match, naming new router IDs $subN/$regN/$pubN).
//
// Commands:
//
//	join <s> [roles=a,b] [features=role.feature,...] [authid=x] [authrole=y] [internal]
//	hello <s> <HELLO json>     Preamble, then Join when it accepts
//	preamble <json>            Preamble only
//	send <s> <json>            Handle
//	malformed <s> <reason...>  Malformed
//	detach <s>                 Detach
//	kill <s> <reason>          Kill
//	shutdown <reason>          Shutdown
//	advance <duration>         move the clock, then Expire
//	deadline                   NextDeadline, relative to the clock
//	state                      counts of sessions, subscriptions, registrations, calls
//	fallback <s>|- off|unmatched|all  SetFallback; answers "reg <id>" or "error <text>"
//	realm [strict] [approve] [kill] [seed=N] [goodbye=D] [maxlist=N] [pendingcalls=N] [testaments=N] [testamentbytes=N]
//	      [retain=N] [retainbytes=N] [history=topic[,match[,limit[,bytes]]]]...
//	                           replace the realm (before any join); kill: RealmConfig.SessionKill
//	verbose on|off             print WELCOME details in full (default off)
//	notify on|all|off          print Effects.Notify as "notice <kind> <s> ..." lines (default off;
//	                           all: session joined/left notices too)
//	approve <s> <req>          ApproveSubscribe; answers "subscription <id> added|not-added"
//	deny <s> <req> <uri>|- [json args]  DenySubscribe ("-": no URI); answers "held" or "not-held"
//	connect <s> [auth] [timeout=D] [realm=R] <HELLO json>  Preamble, then Hello (the handshake)
//	challenge <s> <method> <extra json>  AuthChallenge (the authenticator asks for a round trip)
//	authenticated <s> [authid=A] [role=R] [method=M] [provider=P]  Authenticated
//	refused <s> <uri> <message...>  Refused
//	opened <s>                 Opened (the session-open hooks ran)
//	undeliverable <s> <uri> <json>  Undeliverable (the driver could not send json to s)
//	role <name> <match> <uri>|"" <allow,...>|none  add a permission; SetAuthorization; "ok" or "error ..."
//	authorized <s> <ticket> allow|deny|fail  Authorized (the dynamic authorizer's verdict)
//	flush-authz                FlushAuthorizations
//
// Clustering (transcript_cluster_test.go): "join <s> node=B" joins a node
// session; "realm claims" turns RealmConfig.ClusterClaims on. An outbound
// *RemotePublication prints as "-> <s> remote [id, topic, args, kwargs,
// options, publisher, authid, authrole, disclose]"; Effects.Claim as
// "claim <s> ticket=<n> <procedure> <match> <invoke>" and "claim release
// <procedure> <match> <invoke>" lines.
//
//	publish-remote <s> <json [id, topic, args, kwargs, options, publisher, authid, authrole, disclose]>
//	claimed <s> <ticket> ok|<uri>     Claimed for the claim of that ticket
//	remote-session add <id> <node> <authid> <authrole>   AddRemoteSession
//	remote-session remove <id> | remove-node <node>      RemoveRemoteSession(s)
//	knows <id>                 KnowsSession; answers "yes" or "no"
//
// Effects.Authorize prints as "authorize <s> ticket=<n> <action> <uri>
// <match> <options json>" lines; "realm authorizer[=TTL] [held=N]" turns
// the dynamic authorizer on.
//
// Effects.Handshake prints as "step <s> authenticate|answer <json>|answer
// refused=<why>|open <identity>|welcome|end [reason]" lines.

var update = flag.Bool("update", false, "rewrite transcript expectations in testdata")

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runTranscript(t, f) })
	}
}

// seqIDs is a deterministic IDSource: 1001, 1002, ...
type seqIDs struct{ n wamp.ID }

func (s *seqIDs) NextID() wamp.ID { s.n++; return s.n }

func newSeqIDs() *seqIDs { return &seqIDs{n: 1000} }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type transcript struct {
	t       *testing.T
	file    string
	realm   *Realm
	now     time.Time
	fx      Effects
	vars    map[string]uint64
	names   map[SessionID]string // sid → script name
	sids    map[string]SessionID
	nextSID SessionID
	autoN   map[string]int
	infos   map[SessionID]SessionInfo
	ids     *seqIDs // shared by every realm of the script, so IDs stay unique
	verbose bool
	notify  bool // print Effects.Notify ("notify on")
	// notifySessions: print NoticeJoined and NoticeLeft too ("notify all")
	notifySessions bool
	roles          []Role             // the "role" commands so far (the realm's Authorization)
	claims         map[uint64]ClaimOp // the claims asked for, by ticket ("claimed")
}

func newTranscript(t *testing.T, file string) *transcript {
	ids := newSeqIDs()
	return &transcript{
		t: t, file: file, ids: ids,
		realm:   NewRealm(RealmConfig{URI: "realm1", RandomSeed: 42}, ids),
		now:     epoch,
		vars:    map[string]uint64{},
		names:   map[SessionID]string{},
		sids:    map[string]SessionID{},
		nextSID: 100,
		autoN:   map[string]int{},
		infos:   map[SessionID]SessionInfo{},
	}
}

func isOutput(line string) bool {
	return strings.HasPrefix(line, "-> ") || strings.HasPrefix(line, "close ") || strings.HasPrefix(line, "= ") ||
		strings.HasPrefix(line, "notice ") || strings.HasPrefix(line, "step ") || strings.HasPrefix(line, "authorize ") ||
		strings.HasPrefix(line, "claim ")
}

func runTranscript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	tr := newTranscript(t, file)
	var out []string
	for i := 0; i < len(lines); {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || isOutput(line) {
			if !isOutput(line) {
				out = append(out, line)
			} else {
				t.Errorf("%s:%d: output line without a command", file, i+1)
			}
			i++
			continue
		}
		j := i + 1
		for j < len(lines) && isOutput(lines[j]) {
			j++
		}
		actual := tr.exec(i+1, line)
		out = append(out, line)
		out = append(out, tr.check(i+1, lines[i+1:j], actual)...)
		i = j
	}
	if *update {
		if err := os.WriteFile(file, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// actualLine is one produced output line, kept structured so that update
// mode can render it with variable names.
type actualLine struct {
	text   string // concrete text, for matching
	render func(idNamer) string
}

// check compares expected lines to actual output, binding variables, and
// returns the lines to write back in update mode.
func (tr *transcript) check(lineNo int, want []string, got []actualLine) []string {
	var keep []string
	ok := len(want) == len(got)
	for i, g := range got {
		if i < len(want) && tr.match(want[i], g.text) {
			keep = append(keep, want[i])
			continue
		}
		ok = false
		keep = append(keep, g.render(tr.namer))
	}
	if !ok && !*update {
		var texts []string
		for _, g := range got {
			texts = append(texts, g.render(tr.namer))
		}
		tr.t.Errorf("%s:%d: output mismatch\nwant:\n\t%s\ngot:\n\t%s", tr.file, lineNo,
			strings.Join(want, "\n\t"), strings.Join(texts, "\n\t"))
	}
	return keep
}

var varRE = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*`)

// match matches an expected line against actual text, binding new variables.
func (tr *transcript) match(want, got string) bool {
	var pat strings.Builder
	var fresh []string
	last := 0
	for _, loc := range varRE.FindAllStringIndex(want, -1) {
		pat.WriteString(regexp.QuoteMeta(want[last:loc[0]]))
		name := want[loc[0]+1 : loc[1]]
		if v, ok := tr.vars[name]; ok {
			pat.WriteString(strconv.FormatUint(v, 10))
		} else {
			pat.WriteString(`(\d+)`)
			fresh = append(fresh, name)
		}
		last = loc[1]
	}
	pat.WriteString(regexp.QuoteMeta(want[last:]))
	m := regexp.MustCompile("^" + pat.String() + "$").FindStringSubmatch(got)
	if m == nil {
		return false
	}
	bind := map[string]uint64{}
	for i, name := range fresh {
		v, _ := strconv.ParseUint(m[i+1], 10, 64)
		if prev, dup := bind[name]; dup && prev != v {
			return false
		}
		bind[name] = v
	}
	for k, v := range bind {
		tr.vars[k] = v
	}
	return true
}

// namer renders bound values as $names and names fresh router IDs.
func (tr *transcript) namer(n uint64, kind string) string {
	var names []string
	for k, v := range tr.vars {
		if v == n && n > 100 {
			names = append(names, k)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return "$" + names[0]
	}
	if kind == "" || kind == "session" || n <= 1000 {
		return ""
	}
	for {
		tr.autoN[kind]++
		name := kind + strconv.Itoa(tr.autoN[kind])
		if _, used := tr.vars[name]; !used {
			tr.vars[name] = n
			return "$" + name
		}
	}
}

// subst replaces $vars in a command argument.
func (tr *transcript) subst(lineNo int, s string) string {
	return varRE.ReplaceAllStringFunc(s, func(v string) string {
		val, ok := tr.vars[v[1:]]
		if !ok {
			tr.t.Fatalf("%s:%d: unbound variable %s", tr.file, lineNo, v)
		}
		return strconv.FormatUint(val, 10)
	})
}

func (tr *transcript) sid(lineNo int, name string) SessionID {
	sid, ok := tr.sids[name]
	if !ok {
		tr.t.Fatalf("%s:%d: unknown session %q", tr.file, lineNo, name)
	}
	return sid
}

func (tr *transcript) parseMessage(lineNo int, text string) wamp.Message {
	v, err := parseJSON(tr.subst(lineNo, text))
	if err != nil {
		tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
	}
	l, ok := v.([]any)
	if !ok {
		tr.t.Fatalf("%s:%d: message must be a JSON list", tr.file, lineNo)
	}
	m, err := wamp.FromList(l)
	if err != nil {
		tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
	}
	return m
}

// effects turns the step's Effects into output lines and resets them.
func (tr *transcript) effects() []actualLine {
	var out []actualLine
	for _, o := range tr.fx.Out {
		to := tr.names[o.To]
		if to == "" {
			to = fmt.Sprintf("sid%d", o.To)
		}
		m := o.Msg
		if rp, ok := m.(*RemotePublication); ok {
			out = append(out, remotePublicationLine(to, rp))
			continue
		}
		if w, ok := m.(*wamp.Welcome); ok {
			m = tr.abbreviateWelcome(w)
		}
		suffix := ""
		if o.Shared {
			suffix = " (shared)" // Outbound.Shared: one value for several receivers
		}
		out = append(out, actualLine{
			text:   "-> " + to + " " + render(m, nil) + suffix,
			render: func(n idNamer) string { return "-> " + to + " " + render(m, n) + suffix },
		})
	}
	for _, c := range tr.fx.Close {
		text := "close " + tr.names[c.Session] + " " + string(c.Reason)
		out = append(out, actualLine{text: text, render: func(idNamer) string { return text }})
	}
	out = append(out, tr.handshakeLines()...)
	for _, op := range tr.fx.Authorize {
		text := fmt.Sprintf("authorize %s ticket=%d %s %s %s %s", tr.names[op.Session], op.Ticket, op.Action, op.URI,
			op.Match, renderValue(op.Options))
		out = append(out, actualLine{text: text, render: func(idNamer) string { return text }})
	}
	out = append(out, tr.claimLines()...)
	if tr.notify {
		out = append(out, tr.notices()...)
	}
	tr.fx.Reset()
	return out
}

func answer(text string) []actualLine {
	text = "= " + text
	return []actualLine{{text: text, render: func(idNamer) string { return text }}}
}

// abbreviateWelcome shortens WELCOMEs to keep transcripts readable
// (unless the script said "verbose"): the router's standard roles dict
// (shown in full in handshake.txt) becomes a marker, and details that are
// exactly what the join asked for become "<standard details>".
func (tr *transcript) abbreviateWelcome(w *wamp.Welcome) wamp.Message {
	if tr.verbose || !reflect.DeepEqual(w.Details["roles"], tr.realm.welcomeRoles) {
		return w
	}
	d := maps.Clone(w.Details)
	d["roles"] = "<router roles>"
	info := tr.infos[w.Session]
	std := wamp.Dict{"realm": string(tr.realm.URI()), "roles": "<router roles>", "authid": info.AuthID,
		"authrole": info.AuthRole, "authmethod": info.AuthMethod, "authprovider": info.AuthProvider}
	if reflect.DeepEqual(d, std) {
		return &welcomeMarker{Welcome: *w}
	}
	return &wamp.Welcome{Session: w.Session, Details: d}
}

// welcomeMarker renders as [2,id,"<standard details>"].
type welcomeMarker struct{ wamp.Welcome }
