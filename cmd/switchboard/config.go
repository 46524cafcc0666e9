package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Config is the router's configuration: what -config loads from a YAML
// file, or what the flags build when there is none. A JSON file is valid
// YAML too. Example:
//
//	backend: eventloop            # goroutine (default), eventloop, pool
//	realms:
//	  - uri: realm1
//	    max_option_list_len: 1024   # entries in a list-valued option (exclude, eligible, ...)
//	    roles:                      # static authorization (config_roles.go)
//	      - name: anonymous
//	        permissions: [{uri: com.example.public., match: prefix, allow: [call, subscribe]}]
//	    session_kill: false         # allow wamp.session.kill* (meta API)
//	    max_testaments: 16          # testaments per session (wamp.session.add_testament)
//	    max_testament_bytes: 65536  # their approximate size together
//	    retained_topics: 1000       # event retention on, for at most 1000 topics
//	    max_pending_calls_per_session: 1000   # outstanding CALLs per session
//	    history: [{topic: com.example.log, match: prefix, limit: 100}]   # wamp.subscription.get_events
//	listeners:
//	  - type: websocket           # websocket, rawsocket, or both (one port; the first byte decides)
//	    address: 127.0.0.1:8080
//	    path: /ws
//	    serializers: [json, msgpack, cbor]   # preference order
//	  - type: rawsocket
//	    unix: /run/switchboard.sock
//	  - type: both
//	    address: 0.0.0.0:8443
//	    tls: {cert: server.crt, key: server.key}
//	    allowed_origins: ["https://*.example.com"]
//	    max_connections: 10000              # 0 or absent = unlimited
//	    max_connections_per_address: 100    # per source IP; 0 or absent = unlimited
//	max_message_bytes: 16777216
//	outbound_queue: 1024
//	outbound_queue_bytes: 0               # 0 = 2 x max_message_bytes
//	outbound_budget_bytes: 0              # all peers together; 0 = 1 GiB
//	outbound_overdraft_bytes: 0           # past it, for peers with nothing queued; 0 = 256 MiB, -1 = none
//	inbound_budget_bytes: 0               # messages being read, all peers; 0 = 1 GiB
//	stall_timeout: 0s                     # 0 = 2.5s
//	event_stall_timeout: 0s               # 0 = 100ms
//	inflight_bytes_per_session: 0         # 0 = 64 KiB
//	shutdown_timeout: 5s
//	drain_timeout: 10s
//	handshake_timeout: 10s
//	max_handshakes: 0                     # sessions between HELLO and WELCOME; 0 = 4096, -1 = no limit
//	max_handshakes_per_address: 0         # the same per source IP; 0 = 256, -1 = no limit
//	rate_limit: 0                         # messages per second per session; 0 = no limit
//	rate_burst: 0                         # burst; 0 = one second's worth
//	log: {level: info, format: text}      # format: text or json
//	metrics: {address: 127.0.0.1:9100}   # /metrics, /healthz, /readyz; off if absent
//	cluster: {node: a, urls: [nats://127.0.0.1:4222]}   # one node of a cluster (config_cluster.go); off if absent
type Config struct {
	Backend         string           `yaml:"backend"`
	Realms          []RealmConfig    `yaml:"realms"`
	Listeners       []ListenerConfig `yaml:"listeners"`
	MaxMessageBytes int              `yaml:"max_message_bytes"`
	OutboundQueue   int              `yaml:"outbound_queue"`
	// OutboundQueueBytes is a peer's outbound byte budget (0 = twice
	// max_message_bytes); OutboundBudgetBytes bounds what every peer of
	// the process has queued together (0 = 1 GiB).
	OutboundQueueBytes  int   `yaml:"outbound_queue_bytes"`
	OutboundBudgetBytes int64 `yaml:"outbound_budget_bytes"`
	// OutboundOverdraftBytes is the allowance, shared by every peer, for
	// the one message a peer with nothing queued gets past its own byte
	// budget or the exhausted shared one; past it, such a message still
	// goes, holding its sender until written (0 = 256 MiB, -1 = none).
	OutboundOverdraftBytes int64 `yaml:"outbound_overdraft_bytes"`
	// InboundBudgetBytes bounds the inbound messages being read by every
	// peer of the process together (frames over 4 KiB count their
	// declared length until decoded, compressed messages their inflated
	// size, and the part of a message past its session's in-flight bound
	// counts until routed); a message beyond it closes its connection
	// (0 = 1 GiB).
	InboundBudgetBytes int64 `yaml:"inbound_budget_bytes"`
	// StallTimeout: a congested peer that holds its senders and whose
	// socket takes nothing for this long is closed as a slow consumer
	// (0 = 2.5s, a quarter of the write timeout).
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// EventStallTimeout: a congested subscriber whose socket takes nothing
	// for this long lets go of the publishers it holds, and a peer closed
	// as a slow consumer whose socket takes nothing for this long has its
	// socket closed (0 = 100ms).
	EventStallTimeout time.Duration `yaml:"event_stall_timeout"`
	// InflightBytesPerSession bounds the estimated bytes of one session's
	// messages not yet routed; its reader waits beyond it (0 = 64 KiB).
	InflightBytesPerSession int           `yaml:"inflight_bytes_per_session"`
	ShutdownTimeout         time.Duration `yaml:"shutdown_timeout"`
	// DrainTimeout bounds how long SIGTERM (or SIGINT) waits for the calls
	// in flight before the sessions get GOODBYE; 0 = 10s.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// HandshakeTimeout bounds connect to WELCOME (core.Config's); 0 = 10s.
	HandshakeTimeout time.Duration `yaml:"handshake_timeout"`
	// MaxHandshakes and MaxHandshakesPerAddress are core.Config's: the
	// sessions in their handshake (HELLO received, no WELCOME yet) in
	// total and per source IP; 0 or absent = 4096 and 256, -1 = no limit.
	MaxHandshakes           int `yaml:"max_handshakes"`
	MaxHandshakesPerAddress int `yaml:"max_handshakes_per_address"`
	// RateLimit and RateBurst are core.Config's: each session's messages
	// per second and burst; 0 or absent = no limit (a session over its
	// rate is slowed down: its reader pauses).
	RateLimit float64       `yaml:"rate_limit"`
	RateBurst int           `yaml:"rate_burst"`
	Log       LogConfig     `yaml:"log"`
	Metrics   MetricsConfig `yaml:"metrics"`
	// Cluster, when set, makes the router one node of a cluster sharing
	// its realms through NATS (config_cluster.go).
	Cluster *ClusterConfig `yaml:"cluster"`

	// file is the file the configuration was loaded from ("" = flags):
	// SIGHUP reloads it.
	file string
	// metricsFlag is -metrics-addr, which overrides the file's
	// metrics.address, at a reload too.
	metricsFlag string
}

// MetricsConfig turns on the operator's HTTP endpoint: Prometheus metrics
// on Path, /healthz and /readyz. Off unless Address is set.
type MetricsConfig struct {
	// Address is the TCP host:port to listen on; "" = off.
	Address string `yaml:"address"`
	// Path is where the metrics are served; "" = /metrics.
	Path string `yaml:"path"`
}

// RealmConfig is one realm: open to anonymous clients, or authenticated
// as its auth section says.
type RealmConfig struct {
	URI       string `yaml:"uri"`
	StrictURI bool   `yaml:"strict_uri"`
	// MaxSessions bounds the realm's remote sessions; a HELLO beyond it is
	// aborted with switchboard.error.too_many_sessions. 0 or absent = no
	// limit.
	MaxSessions int `yaml:"max_sessions"`
	// MaxOptionListLen is core.RealmConfig.MaxOptionListLen: the most
	// entries a list-valued option (a PUBLISH's exclude/eligible lists,
	// forward_for) may hold; 0 or absent = 1024.
	MaxOptionListLen int `yaml:"max_option_list_len"`
	// Roles is the realm's static authorization (config_roles.go); absent
	// = every session may do everything.
	Roles []RoleConfig `yaml:"roles"`
	// Auth, when set, authenticates the realm's sessions (AuthConfig).
	Auth *AuthConfig `yaml:"auth"`
	// SessionKill is core.RealmConfig.SessionKill: clients may kill other
	// sessions with wamp.session.kill, kill_by_authid, kill_by_authrole
	// and kill_all; false or absent = refused (not_authorized).
	SessionKill bool `yaml:"session_kill"`
	// MaxTestaments and MaxTestamentBytes are core.RealmConfig's: the
	// testaments one session may leave, how many (0 or absent = 16) and
	// their approximate size together (0 or absent = 65536 bytes).
	MaxTestaments     int `yaml:"max_testaments"`
	MaxTestamentBytes int `yaml:"max_testament_bytes"`
	// RetainedTopics and RetainedEventMaxBytes are core.RealmConfig's:
	// event retention for at most that many topics (0 or absent = off),
	// each event of at most that size (0 or absent = 16384 bytes).
	RetainedTopics        int `yaml:"retained_topics"`
	RetainedEventMaxBytes int `yaml:"retained_event_max_bytes"`
	// MaxPendingCallsPerSession is core.RealmConfig's: the calls one
	// session may have outstanding (0 or absent = 1000).
	MaxPendingCallsPerSession int `yaml:"max_pending_calls_per_session"`
	// History is core.RealmConfig.History: the subscriptions whose events
	// wamp.subscription.get_events returns.
	History []HistoryConfig `yaml:"history"`
}

// HistoryConfig is core.HistoryConfig: one subscription keeping its
// events (match exact when absent; limit 0 or absent = 100 events,
// max_bytes 0 or absent = 262144).
type HistoryConfig struct {
	Topic    string `yaml:"topic"`
	Match    string `yaml:"match"`
	Limit    int    `yaml:"limit"`
	MaxBytes int    `yaml:"max_bytes"`
}

// ListenerConfig is one listening socket.
type ListenerConfig struct {
	// Type is "websocket", "rawsocket" or "both".
	Type string `yaml:"type"`
	// Address is a TCP host:port; Unix a socket path. Exactly one is set.
	Address string `yaml:"address"`
	Unix    string `yaml:"unix"`
	// Path is the WebSocket endpoint's HTTP path; "" = /ws.
	Path string `yaml:"path"`
	// Serializers in preference order; empty = json, msgpack, cbor.
	Serializers []string `yaml:"serializers"`
	// TLS, when set, serves wss / rss.
	TLS *TLSFiles `yaml:"tls"`
	// AllowedOrigins restricts browsers' WebSocket origins (globs); empty = any.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Compression offers permessage-deflate on WebSocket.
	Compression bool `yaml:"compression"`
	// MaxConnections bounds this listener's connections, handshakes in
	// progress included (transport's MaxConnections; for type both, the
	// WebSocket and the RawSocket side each); 0 or absent = unlimited.
	MaxConnections int `yaml:"max_connections"`
	// MaxConnectionsPerAddress bounds them per source IP (transport's
	// MaxConnectionsPerAddress; not applied to unix sockets); 0 or
	// absent = unlimited. No default: behind a reverse proxy or a NAT
	// every client shares one address, and a cap the operator did not
	// choose would refuse them.
	MaxConnectionsPerAddress int `yaml:"max_connections_per_address"`
	// Static, on a websocket (or both) listener, serves a directory of
	// files over HTTP beside the WebSocket endpoint (static.go).
	Static *StaticConfig `yaml:"static"`
}

// StaticConfig names a directory served over HTTP under a path prefix.
type StaticConfig struct {
	// Dir is the directory; its files are served, its subdirectories only
	// through their index.html (no listings).
	Dir string `yaml:"dir"`
	// Prefix is the URL path the directory appears under; "" = "/". The
	// WebSocket endpoint's path takes precedence inside it.
	Prefix string `yaml:"prefix"`
}

// TLSFiles names a PEM certificate chain and its private key.
type TLSFiles struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// LogConfig selects the log level and format. Every session-scoped line
// carries the session's ID, its realm and its peer's address.
type LogConfig struct {
	// Level is debug, info (the default), warn or error.
	Level string `yaml:"level"`
	// Format is text (the default: slog's key=value lines) or json (one
	// JSON object a line).
	Format string `yaml:"format"`
	// JSON is the older spelling of format: json.
	JSON bool `yaml:"json"`
}

var backends = []string{"goroutine", "eventloop", "pool"}

// withDefaults fills what the file or flags left out.
func (c Config) withDefaults() Config {
	if c.Backend == "" {
		c.Backend = "goroutine"
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 16 << 20
	}
	if c.OutboundQueue == 0 {
		c.OutboundQueue = 1024
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 5 * time.Second
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
		if c.Log.JSON {
			c.Log.Format = "json"
		}
	}
	if c.Metrics.Path == "" {
		c.Metrics.Path = "/metrics"
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if l.Path == "" {
			l.Path = "/ws"
		}
		if len(l.Serializers) == 0 {
			l.Serializers = []string{"json", "msgpack", "cbor"}
		}
		if l.Static != nil {
			st := *l.Static // the caller's struct stays as it was
			if st.Prefix == "" {
				st.Prefix = "/"
			}
			l.Static = &st
		}
	}
	return c
}

// Validate reports the first problem with c, naming the field by its key
// path in the file (problems lists them all).
func (c Config) Validate() error {
	if ps := c.problems(); len(ps) > 0 {
		return ps[0]
	}
	return nil
}

// A configProblem is one thing wrong with a configuration: the key path of
// the offending setting, as in the YAML file (string keys and int sequence
// indices: realms[0].uri), and what is wrong with it.
type configProblem struct {
	path []any
	msg  string
}

func (p configProblem) Error() string { return pathString(p.path) + ": " + p.msg }

// pathString formats a key path: realms[0].uri.
func pathString(path []any) string {
	var b strings.Builder
	for _, k := range path {
		switch k := k.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, k)
		}
	}
	return b.String()
}

// problems lists every problem with c, in the order of Config's fields.
func (c Config) problems() []configProblem {
	var ps []configProblem
	add := func(msg string, path ...any) { ps = append(ps, configProblem{path, msg}) }
	if !slices.Contains(backends, c.Backend) {
		add(fmt.Sprintf("%q: want one of %v", c.Backend, backends), "backend")
	}
	if len(c.Realms) == 0 {
		add("at least one realm is needed", "realms")
	}
	for i, r := range c.Realms {
		if r.URI == "" {
			add("empty", "realms", i, "uri")
		}
		if r.MaxOptionListLen < 0 {
			add(fmt.Sprintf("%d: want 0 (the default, 1024) or more", r.MaxOptionListLen), "realms", i, "max_option_list_len")
		}
		for _, p := range r.roleProblems() {
			add(p.msg, append([]any{"realms", i}, p.path...)...)
		}
		if r.MaxSessions < 0 {
			add(fmt.Sprintf("%d: want 0 (no limit) or more", r.MaxSessions), "realms", i, "max_sessions")
		}
		for j := range i {
			if r.URI != "" && c.Realms[j].URI == r.URI {
				add(fmt.Sprintf("%q: also realms[%d]", r.URI, j), "realms", i, "uri")
			}
		}
		if r.Auth != nil {
			_, aps := r.Auth.build()
			for _, p := range aps {
				add(p.msg, append([]any{"realms", i, "auth"}, p.path...)...)
			}
		}
		if r.MaxPendingCallsPerSession < 0 {
			add(fmt.Sprintf("%d: want 0 (the default, 1000) or more", r.MaxPendingCallsPerSession), "realms", i, "max_pending_calls_per_session")
		}
		if r.MaxTestaments < 0 {
			add(fmt.Sprintf("%d: want 0 (the default, 16) or more", r.MaxTestaments), "realms", i, "max_testaments")
		}
		if r.MaxTestamentBytes < 0 {
			add(fmt.Sprintf("%d: want 0 (the default, 65536) or more", r.MaxTestamentBytes), "realms", i, "max_testament_bytes")
		}
		if r.RetainedTopics < 0 {
			add(fmt.Sprintf("%d: want 0 (the default: no retention) or more", r.RetainedTopics), "realms", i, "retained_topics")
		}
		if r.RetainedEventMaxBytes < 0 {
			add(fmt.Sprintf("%d: want 0 (the default, 16384) or more", r.RetainedEventMaxBytes), "realms", i, "retained_event_max_bytes")
		}
		for j, h := range r.History {
			if msg := h.problem(); msg != "" {
				add(msg, "realms", i, "history", j)
			}
		}
	}
	if len(c.Listeners) == 0 {
		add("at least one listener is needed", "listeners")
	}
	for i, l := range c.Listeners {
		for _, p := range l.problems() {
			add(p.msg, append([]any{"listeners", i}, p.path...)...)
		}
	}
	if c.MaxMessageBytes < 512 || c.MaxMessageBytes > 16<<20 {
		add(fmt.Sprintf("%d: want 512 to 16 MiB (RawSocket's range)", c.MaxMessageBytes), "max_message_bytes")
	}
	if c.OutboundQueue < 1 {
		add(fmt.Sprintf("%d: want at least 1", c.OutboundQueue), "outbound_queue")
	}
	for _, v := range []struct {
		key string
		n   int64
	}{
		{"outbound_queue_bytes", int64(c.OutboundQueueBytes)},
		{"outbound_budget_bytes", c.OutboundBudgetBytes},
		{"inbound_budget_bytes", c.InboundBudgetBytes},
		{"stall_timeout", int64(c.StallTimeout)},
		{"event_stall_timeout", int64(c.EventStallTimeout)},
		{"inflight_bytes_per_session", int64(c.InflightBytesPerSession)},
	} {
		if v.n < 0 {
			add(fmt.Sprintf("%d: want 0 (the default) or more", v.n), v.key)
		}
	}
	if c.OutboundOverdraftBytes < -1 {
		add(fmt.Sprintf("%d: want 0 (the default), -1 (none) or more", c.OutboundOverdraftBytes), "outbound_overdraft_bytes")
	}
	if c.ShutdownTimeout < 0 {
		add(fmt.Sprintf("%v: want 0 (the default, 5s) or more", c.ShutdownTimeout), "shutdown_timeout")
	}
	if c.DrainTimeout < 0 {
		add(fmt.Sprintf("%v: want 0 (the default, 10s) or more", c.DrainTimeout), "drain_timeout")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		add(fmt.Sprintf("%q: want debug, info, warn or error", c.Log.Level), "log", "level")
	}
	switch {
	case c.Log.Format != "text" && c.Log.Format != "json":
		add(fmt.Sprintf("%q: want text or json", c.Log.Format), "log", "format")
	case c.Log.JSON && c.Log.Format != "json":
		add("json: true contradicts format: "+c.Log.Format, "log", "json")
	}
	if c.MaxHandshakes < -1 {
		add(fmt.Sprintf("%d: want -1 (no limit), 0 (the default, 4096) or more", c.MaxHandshakes), "max_handshakes")
	}
	if c.MaxHandshakesPerAddress < -1 {
		add(fmt.Sprintf("%d: want -1 (no limit), 0 (the default, 256) or more", c.MaxHandshakesPerAddress), "max_handshakes_per_address")
	}
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		add(fmt.Sprintf("%v: want 0 (no limit) or a positive rate", c.RateLimit), "rate_limit")
	}
	if c.RateBurst < 0 {
		add(fmt.Sprintf("%d: want 0 (one second's worth) or more", c.RateBurst), "rate_burst")
	}
	if c.HandshakeTimeout < 0 {
		add(fmt.Sprintf("%v: want 0 (the default, 10s) or more", c.HandshakeTimeout), "handshake_timeout")
	}
	if !strings.HasPrefix(c.Metrics.Path, "/") || strings.ContainsAny(c.Metrics.Path, " {}") ||
		c.Metrics.Path == "/healthz" || c.Metrics.Path == "/readyz" {
		add(fmt.Sprintf("%q: want an HTTP path starting with /, not /healthz or /readyz", c.Metrics.Path), "metrics", "path")
	}
	if c.Cluster != nil {
		for _, p := range c.Cluster.problems() {
			add(p.msg, append([]any{"cluster"}, p.path...)...)
		}
	}
	return ps
}

// problems lists the problems with one listener, paths relative to it.
func (l ListenerConfig) problems() []configProblem {
	var ps []configProblem
	add := func(msg string, path ...any) { ps = append(ps, configProblem{path, msg}) }
	switch l.Type {
	case "websocket", "rawsocket", "both":
	default:
		add(fmt.Sprintf("%q: want websocket, rawsocket or both", l.Type), "type")
	}
	if (l.Address == "") == (l.Unix == "") {
		add("set exactly one of address and unix")
	}
	for j, s := range l.Serializers {
		if _, ok := serialize.ByName(s); !ok {
			add(fmt.Sprintf("%q: want json, msgpack or cbor", s), "serializers", j)
		}
	}
	if l.TLS != nil && (l.TLS.Cert == "" || l.TLS.Key == "") {
		add("both cert and key are needed", "tls")
	}
	if l.MaxConnections < 0 {
		add(fmt.Sprintf("%d: want 0 (unlimited) or more", l.MaxConnections), "max_connections")
	}
	if l.MaxConnectionsPerAddress < 0 {
		add(fmt.Sprintf("%d: want 0 (unlimited) or more", l.MaxConnectionsPerAddress), "max_connections_per_address")
	}
	if st := l.Static; st != nil {
		if l.Type == "rawsocket" {
			add("only a websocket or both listener serves HTTP", "static")
		}
		if st.Dir == "" {
			add("empty: name the directory to serve", "static", "dir")
		}
		if !strings.HasPrefix(st.Prefix, "/") || strings.ContainsAny(st.Prefix, " {}") {
			add(fmt.Sprintf("%q: want a URL path starting with /", st.Prefix), "static", "prefix")
		} else if strings.TrimSuffix(st.Prefix, "/")+"/" == l.Path {
			add(fmt.Sprintf("%q: the WebSocket endpoint's path; the directory needs its own", st.Prefix), "static", "prefix")
		}
	}
	return ps
}

// loadConfig reads a YAML (or JSON) configuration file; unknown keys are
// errors, so a typo does not silently fall back to a default.
func loadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := decodeConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	c.file = path
	return c, nil
}

// decodeConfig decodes the first YAML document of data, rejecting unknown
// keys. A *yaml.TypeError lists every unknown key and mistyped value found,
// and the fields that did decode are set in the returned Config; any other
// error (a YAML syntax error, an empty file) leaves it zero.
func decodeConfig(data []byte) (Config, error) {
	var c Config
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	err := d.Decode(&c)
	if errors.Is(err, io.EOF) {
		err = errors.New("no YAML document (the file is empty)")
	}
	return c, err
}

// core is the realm's configuration for package core.
func (r RealmConfig) core() core.RealmConfig {
	rc := core.RealmConfig{URI: wamp.URI(r.URI), StrictURI: r.StrictURI, MaxSessions: r.MaxSessions,
		MaxOptionListLen: r.MaxOptionListLen, Roles: r.coreRoles(),
		SessionKill: r.SessionKill, MaxTestaments: r.MaxTestaments, MaxTestamentBytes: r.MaxTestamentBytes,
		RetainedTopics: r.RetainedTopics, RetainedEventMaxBytes: r.RetainedEventMaxBytes,
		MaxPendingCallsPerSession: r.MaxPendingCallsPerSession}
	for _, h := range r.History {
		rc.History = append(rc.History, core.HistoryConfig{Topic: wamp.URI(h.Topic), Match: h.Match, Limit: h.Limit, MaxBytes: h.MaxBytes})
	}
	return rc
}

// problem says what is wrong with h, or "".
func (h HistoryConfig) problem() string {
	return core.ValidHistory(core.HistoryConfig{Topic: wamp.URI(h.Topic), Match: h.Match, Limit: h.Limit, MaxBytes: h.MaxBytes})
}
