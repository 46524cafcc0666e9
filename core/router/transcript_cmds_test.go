package router

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// exec runs one script command and returns its output.
func (tr *transcript) exec(lineNo int, line string) []actualLine {
	f := strings.Fields(line)
	cmd, args := f[0], f[1:]
	rest := func(n int) string { // the raw text after the first n+1 fields
		s := line
		for i := 0; i <= n; i++ {
			s = strings.TrimLeft(s, " ")
			s = s[strings.IndexByte(s+" ", ' '):]
		}
		return strings.TrimSpace(s)
	}
	need := func(n int) {
		if len(args) < n {
			tr.t.Fatalf("%s:%d: %s needs %d arguments", tr.file, lineNo, cmd, n)
		}
	}
	r := tr.realm
	switch cmd {
	case "realm":
		tr.newRealm(lineNo, args)
	case "join":
		need(1)
		tr.join(lineNo, args[0], args[1:])
	case "hello":
		need(2)
		tr.hello(lineNo, args[0], rest(1))
	case "preamble":
		need(1)
		hello, abort := Preamble(tr.parseMessage(lineNo, rest(0)))
		if abort != nil {
			return answer("abort " + render(abort, nil))
		}
		return answer("hello " + string(hello.Realm))
	case "send":
		need(2)
		r.Handle(tr.now, tr.sid(lineNo, args[0]), tr.parseMessage(lineNo, rest(1)), &tr.fx)
	case "malformed":
		need(2)
		r.Malformed(tr.now, tr.sid(lineNo, args[0]), rest(1), &tr.fx)
	case "connect": // connect NAME [auth] [timeout=D] [realm=R] HELLO
		need(2)
		tr.connect(lineNo, args[0], args[1:], line)
	case "challenge": // challenge NAME METHOD EXTRA: the authenticator asks for a round trip
		need(3)
		v, err := parseJSON(tr.subst(lineNo, rest(2)))
		extra, ok := v.(wamp.Dict)
		if err != nil || !ok {
			tr.t.Fatalf("%s:%d: challenge extra must be a JSON object: %v", tr.file, lineNo, err)
		}
		r.AuthChallenge(tr.now, tr.sid(lineNo, args[0]), args[1], extra, &tr.fx)
	case "authenticated": // authenticated NAME [authid=A] [role=R] [method=M] [provider=P]
		need(1)
		var info SessionInfo
		for _, a := range args[1:] {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "authid":
				info.AuthID = v
			case "role":
				info.AuthRole = v
			case "method":
				info.AuthMethod = v
			case "provider":
				info.AuthProvider = v
			default:
				tr.t.Fatalf("%s:%d: unknown identity field %q", tr.file, lineNo, k)
			}
		}
		r.Authenticated(tr.now, tr.sid(lineNo, args[0]), info, &tr.fx)
	case "refused": // refused NAME URI MESSAGE
		need(3)
		r.Refused(tr.now, tr.sid(lineNo, args[0]), wamp.URI(args[1]), rest(2), &tr.fx)
	case "opened":
		need(1)
		r.Opened(tr.now, tr.sid(lineNo, args[0]), &tr.fx)
	case "undeliverable": // undeliverable NAME URI MESSAGE: the driver could not send MESSAGE to NAME
		need(3)
		r.Undeliverable(tr.now, tr.sid(lineNo, args[0]), tr.parseMessage(lineNo, rest(2)), wamp.URI(args[1]), "too large", &tr.fx)
	case "detach":
		need(1)
		r.Detach(tr.now, tr.sid(lineNo, args[0]), &tr.fx)
	case "kill":
		need(2)
		r.Kill(tr.now, tr.sid(lineNo, args[0]), wamp.URI(args[1]), &tr.fx)
	case "shutdown":
		need(1)
		r.Shutdown(tr.now, wamp.URI(args[0]), &tr.fx)
	case "advance":
		need(1)
		d, err := time.ParseDuration(args[0])
		if err != nil {
			tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
		}
		tr.now = tr.now.Add(d)
		r.Expire(tr.now, &tr.fx)
	case "deadline":
		at, ok := r.NextDeadline()
		if !ok {
			return answer("none")
		}
		return answer("in " + at.Sub(tr.now).String())
	case "verbose":
		need(1)
		tr.verbose = args[0] == "on"
	case "state":
		return answer(tr.state())
	case "role": // role NAME MATCH URI|"" ALLOW,...|none: add a permission, recompile, set
		need(4)
		return tr.role(args)
	case "authorized": // authorized NAME TICKET allow|deny|fail
		need(3)
		ticket, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil {
			tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
		}
		r.Authorized(tr.now, tr.sid(lineNo, args[0]), ticket, args[2] == "allow", args[2] == "fail", &tr.fx)
	case "flush-authz":
		r.FlushAuthorizations()
	case "fallback":
		need(2)
		return tr.fallback(lineNo, args[0], args[1])
	default:
		out, ok := tr.execNotice(lineNo, cmd, args)
		if !ok {
			out, ok = tr.execCluster(lineNo, cmd, args, rest)
		}
		if !ok {
			tr.t.Fatalf("%s:%d: unknown command %q", tr.file, lineNo, cmd)
		}
		return out
	}
	return tr.effects()
}

func (tr *transcript) newRealm(lineNo int, args []string) {
	cfg := RealmConfig{URI: "realm1", RandomSeed: 42}
	for _, a := range args {
		switch {
		case a == "strict":
			cfg.StrictURI = true
		case a == "approve":
			cfg.SubscribeApproval = true
		case a == "kill":
			cfg.SessionKill = true
		case a == "claims":
			cfg.ClusterClaims = true
		case strings.HasPrefix(a, "testaments="):
			n, err := strconv.Atoi(a[len("testaments="):])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.MaxTestaments = n
		case strings.HasPrefix(a, "history="): // history=topic[,match[,limit[,bytes]]]
			f := strings.Split(a[len("history="):], ",")
			hc := HistoryConfig{Topic: wamp.URI(f[0])}
			if len(f) > 1 {
				hc.Match = f[1]
			}
			if len(f) > 2 {
				hc.Limit, _ = strconv.Atoi(f[2])
			}
			if len(f) > 3 {
				hc.MaxBytes, _ = strconv.Atoi(f[3])
			}
			cfg.History = append(cfg.History, hc)
		case strings.HasPrefix(a, "retain="):
			n, err := strconv.Atoi(a[len("retain="):])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.RetainedTopics = n
		case strings.HasPrefix(a, "retainbytes="):
			n, err := strconv.Atoi(a[len("retainbytes="):])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.RetainedEventMaxBytes = n
		case strings.HasPrefix(a, "testamentbytes="):
			n, err := strconv.Atoi(a[len("testamentbytes="):])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.MaxTestamentBytes = n
		case strings.HasPrefix(a, "seed="):
			n, err := strconv.ParseUint(a[5:], 10, 64)
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.RandomSeed = n
		case strings.HasPrefix(a, "pendingcalls="):
			n, err := strconv.Atoi(a[len("pendingcalls="):])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.MaxPendingCallsPerSession = n
		case strings.HasPrefix(a, "maxlist="):
			n, err := strconv.Atoi(a[8:])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.MaxOptionListLen = n
		case a == "authorizer" || strings.HasPrefix(a, "authorizer="):
			cfg.Authorizer = true
			if _, ttl, ok := strings.Cut(a, "="); ok {
				d, err := time.ParseDuration(ttl)
				if err != nil {
					tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
				}
				cfg.AuthorizerCacheTTL = d
			}
		case strings.HasPrefix(a, "held="):
			n, err := strconv.Atoi(a[5:])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.MaxHeldRequests = n
		case strings.HasPrefix(a, "goodbye="):
			d, err := time.ParseDuration(a[8:])
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.GoodbyeTimeout = d
		default:
			tr.t.Fatalf("%s:%d: unknown realm option %q", tr.file, lineNo, a)
		}
	}
	tr.realm = NewRealm(cfg, tr.ids)
	tr.roles = nil
}

// addSession assigns the next session ID to a script name and binds $name.
func (tr *transcript) addSession(name string) SessionID {
	tr.nextSID++
	sid := tr.nextSID
	tr.sids[name] = sid
	tr.names[sid] = name
	tr.vars[name] = uint64(sid)
	return sid
}

func (tr *transcript) join(lineNo int, name string, args []string) {
	roles := wamp.Dict{}
	info := SessionInfo{AuthID: name, AuthRole: "user", AuthMethod: "anonymous", AuthProvider: "static"}
	roleNames := []string{"publisher", "subscriber", "caller", "callee"}
	var feats []string
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "roles":
			roleNames = strings.Split(v, ",")
		case "features":
			feats = strings.Split(v, ",")
		case "authid":
			info.AuthID = v
		case "authrole":
			info.AuthRole = v
		case "internal":
			info.Internal = true
		case "node":
			info.Node = v
		default:
			tr.t.Fatalf("%s:%d: unknown join option %q", tr.file, lineNo, a)
		}
	}
	for _, rn := range roleNames {
		roles[rn] = wamp.Dict{}
	}
	for _, f := range feats {
		role, feat, ok := strings.Cut(f, ".")
		rd, known := roles[role].(wamp.Dict)
		if !ok || !known {
			tr.t.Fatalf("%s:%d: feature %q: want role.feature of an announced role", tr.file, lineNo, f)
		}
		fd, _ := rd["features"].(wamp.Dict)
		if fd == nil {
			fd = wamp.Dict{}
			rd["features"] = fd
		}
		fd[feat] = true
	}
	hello, abort := Preamble(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": roles}})
	if abort != nil {
		tr.t.Fatalf("%s:%d: Preamble refused the join: %v", tr.file, lineNo, abort.Details)
	}
	sid := tr.addSession(name)
	tr.infos[sid] = info
	tr.realm.Join(tr.now, sid, hello, info, &tr.fx)
}

func (tr *transcript) hello(lineNo int, name, text string) {
	sid := tr.addSession(name)
	hello, abort := Preamble(tr.parseMessage(lineNo, text))
	if abort != nil {
		tr.fx.send(sid, abort)
		tr.fx.close(sid, abort.Reason)
		return
	}
	info := SessionInfo{AuthID: name, AuthRole: "user", AuthMethod: "anonymous", AuthProvider: "static"}
	tr.infos[sid] = info
	tr.realm.Join(tr.now, sid, hello, info, &tr.fx)
}

// state summarises the realm's tables, to show that cleanup left nothing.
func (tr *transcript) state() string {
	r := tr.realm
	return fmt.Sprintf("sessions=%d subscriptions=%d registrations=%d calls=%d", len(r.sessions),
		len(r.broker.byID), len(r.dealer.byID), len(r.dealer.calls.byInv))
}

var fallbackModes = map[string]FallbackMode{"off": FallbackOff, "unmatched": FallbackUnmatched, "all": FallbackAll}

// fallback runs SetFallback and answers with the fallback registration ID
// (as $fb) or the error.
func (tr *transcript) fallback(lineNo int, name, mode string) []actualLine {
	m, ok := fallbackModes[mode]
	if !ok {
		tr.t.Fatalf("%s:%d: unknown fallback mode %q", tr.file, lineNo, mode)
	}
	var sid SessionID
	if name != "-" {
		sid = tr.sid(lineNo, name)
	}
	reg, err := tr.realm.SetFallback(sid, m)
	if err != nil {
		return answer("error " + err.Error())
	}
	text := "= reg " + strconv.FormatUint(uint64(reg), 10)
	return []actualLine{{text: text, render: func(n idNamer) string {
		if s := n(uint64(reg), "fb"); s != "" {
			return "= reg " + s
		}
		return text
	}}}
}

// connect starts a handshake: Preamble, then Realm.Hello. Options before
// the HELLO: "auth" (the realm has an authenticator), timeout=D (the
// handshake deadline, default 10s after now), realm=R (HelloConfig.Realm).
func (tr *transcript) connect(lineNo int, name string, args []string, line string) {
	cfg := HelloConfig{Deadline: tr.now.Add(10 * time.Second)}
	i := 0
	for ; i < len(args) && !strings.HasPrefix(args[i], "["); i++ {
		k, v, _ := strings.Cut(args[i], "=")
		switch k {
		case "auth":
			cfg.Authenticate = true
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				tr.t.Fatalf("%s:%d: %v", tr.file, lineNo, err)
			}
			cfg.Deadline = tr.now.Add(d)
		case "realm":
			cfg.Realm = wamp.URI(v)
		default:
			tr.t.Fatalf("%s:%d: unknown connect option %q", tr.file, lineNo, args[i])
		}
	}
	sid := tr.addSession(name)
	hello, abort := Preamble(tr.parseMessage(lineNo, line[strings.IndexByte(line, '['):]))
	if abort != nil {
		tr.fx.send(sid, abort)
		tr.fx.close(sid, abort.Reason)
		return
	}
	tr.realm.Hello(tr.now, sid, hello, cfg, &tr.fx)
}

// handshakeLines renders the driver's handshake steps.
func (tr *transcript) handshakeLines() []actualLine {
	var out []actualLine
	for _, op := range tr.fx.Handshake {
		name := tr.names[op.Session]
		text := "step " + name + " "
		switch op.Kind {
		case HandshakeAuthenticate:
			text += "authenticate"
		case HandshakeAnswer:
			if op.Answer != nil {
				text += "answer " + render(op.Answer, nil)
			} else {
				text += "answer refused=" + op.Refusal
			}
		case HandshakeOpen:
			tr.infos[op.Session] = op.Info
			rest := fmt.Sprintf(" role=%s method=%s provider=%s", op.Info.AuthRole, op.Info.AuthMethod, op.Info.AuthProvider)
			if op.Info.Realm != "" {
				rest += " realm=" + string(op.Info.Realm)
			}
			named := text + "open authid=$" + name + rest
			text += "open authid=" + op.Info.AuthID + rest
			if op.Info.AuthID == strconv.FormatUint(uint64(op.Session), 10) {
				out = append(out, actualLine{text: text, render: func(idNamer) string { return named }})
				continue
			}
		case HandshakeWelcome:
			text += "welcome"
		case HandshakeEnd:
			text += "end " + string(op.Reason)
		}
		out = append(out, actualLine{text: text, render: func(idNamer) string { return text }})
	}
	return out
}

// role adds one permission to the script's roles, then compiles them into
// the realm's Authorization (SetAuthorization); it answers "ok" or the
// compile error. URI "" is the empty prefix; ALLOW is a comma list of
// call, register, publish, subscribe, disclose, or "none".
func (tr *transcript) role(args []string) []actualLine {
	name, match, uri := args[0], args[1], args[2]
	if uri == `""` {
		uri = ""
	}
	var allow Allow
	for _, a := range strings.Split(args[3], ",") {
		switch a {
		case "call":
			allow.Call = true
		case "register":
			allow.Register = true
		case "publish":
			allow.Publish = true
		case "subscribe":
			allow.Subscribe = true
		case "disclose":
			allow.Disclose = true
		case "none":
		default:
			tr.t.Fatalf("%s: unknown permission %q", tr.file, a)
		}
	}
	perm := Permission{URI: wamp.URI(uri), Match: match, Allow: allow}
	i := slices.IndexFunc(tr.roles, func(r Role) bool { return r.Name == name })
	if i < 0 {
		tr.roles = append(tr.roles, Role{Name: name})
		i = len(tr.roles) - 1
	}
	tr.roles[i].Permissions = append(tr.roles[i].Permissions, perm)
	a, err := NewAuthorization(tr.roles)
	if err != nil {
		tr.roles[i].Permissions = tr.roles[i].Permissions[:len(tr.roles[i].Permissions)-1]
		return answer("error " + err.Error())
	}
	tr.realm.SetAuthorization(a)
	return answer("ok")
}
