package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
//	    session_kill: false         # allow wamp.session.kill* (meta API)
//	    max_testaments: 16          # testaments per session (wamp.session.add_testament)
//	    max_testament_bytes: 65536  # their approximate size together
//	    retained_topics: 1000       # event retention on, for at most 1000 topics
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
//	shutdown_timeout: 5s
//	log: {level: info, json: false}
type Config struct {
	Backend         string           `yaml:"backend"`
	Realms          []RealmConfig    `yaml:"realms"`
	Listeners       []ListenerConfig `yaml:"listeners"`
	MaxMessageBytes int              `yaml:"max_message_bytes"`
	OutboundQueue   int              `yaml:"outbound_queue"`
	ShutdownTimeout time.Duration    `yaml:"shutdown_timeout"`
	Log             LogConfig        `yaml:"log"`
}

// RealmConfig is one realm open to anonymous clients.
type RealmConfig struct {
	URI       string `yaml:"uri"`
	StrictURI bool   `yaml:"strict_uri"`
	// MaxOptionListLen is core.RealmConfig.MaxOptionListLen: the most
	// entries a list-valued option (a PUBLISH's exclude/eligible lists,
	// forward_for) may hold; 0 or absent = 1024.
	MaxOptionListLen int `yaml:"max_option_list_len"`
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
}

// TLSFiles names a PEM certificate chain and its private key.
type TLSFiles struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// LogConfig selects the log level and format.
type LogConfig struct {
	Level string `yaml:"level"`
	JSON  bool   `yaml:"json"`
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
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if l.Path == "" {
			l.Path = "/ws"
		}
		if len(l.Serializers) == 0 {
			l.Serializers = []string{"json", "msgpack", "cbor"}
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

// problem says what is wrong with h, or "".
func (h HistoryConfig) problem() string {
	return core.ValidHistory(core.HistoryConfig{Topic: wamp.URI(h.Topic), Match: h.Match, Limit: h.Limit, MaxBytes: h.MaxBytes})
}
