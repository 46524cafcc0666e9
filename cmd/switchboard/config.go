package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// Config is the router's configuration: what -config loads from a YAML
// file, or what the flags build when there is none. A JSON file is valid
// YAML too. Example:
//
//	backend: eventloop            # goroutine (default), eventloop, pool
//	realms:
//	  - uri: realm1
//	    max_option_list_len: 1024   # entries in a list-valued option (exclude, eligible, ...)
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

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	if !slices.Contains(backends, c.Backend) {
		return fmt.Errorf("backend %q: want one of %v", c.Backend, backends)
	}
	if len(c.Realms) == 0 {
		return errors.New("realms: at least one realm is needed")
	}
	for i, r := range c.Realms {
		if r.URI == "" {
			return fmt.Errorf("realms[%d]: uri is empty", i)
		}
		if r.MaxOptionListLen < 0 {
			return fmt.Errorf("realms[%d]: max_option_list_len %d: want 0 (the default, 1024) or more", i, r.MaxOptionListLen)
		}
	}
	if len(c.Listeners) == 0 {
		return errors.New("listeners: at least one listener is needed")
	}
	for i, l := range c.Listeners {
		if err := l.validate(); err != nil {
			return fmt.Errorf("listeners[%d]: %w", i, err)
		}
	}
	if c.MaxMessageBytes < 512 || c.MaxMessageBytes > 16<<20 {
		return fmt.Errorf("max_message_bytes %d: want 512 to 16 MiB (RawSocket's range)", c.MaxMessageBytes)
	}
	if c.OutboundQueue < 1 {
		return fmt.Errorf("outbound_queue %d: want at least 1", c.OutboundQueue)
	}
	return nil
}

func (l ListenerConfig) validate() error {
	switch l.Type {
	case "websocket", "rawsocket", "both":
	default:
		return fmt.Errorf("type %q: want websocket, rawsocket or both", l.Type)
	}
	if (l.Address == "") == (l.Unix == "") {
		return errors.New("set exactly one of address and unix")
	}
	for _, s := range l.Serializers {
		if _, ok := serialize.ByName(s); !ok {
			return fmt.Errorf("serializer %q: want json, msgpack or cbor", s)
		}
	}
	if l.TLS != nil && (l.TLS.Cert == "" || l.TLS.Key == "") {
		return errors.New("tls: both cert and key are needed")
	}
	return nil
}

// loadConfig reads a YAML (or JSON) configuration file; unknown keys are
// errors, so a typo does not silently fall back to a default.
func loadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	var c Config
	d := yaml.NewDecoder(f)
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
