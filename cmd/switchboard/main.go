// Command switchboard runs a WAMP router.
//
//	go run ./cmd/switchboard                      # ws://127.0.0.1:8080/ws, realm "realm1", anonymous
//	go run ./cmd/switchboard -addr :9000 -realm a,b -rawsocket-addr :9001 -unix /tmp/sb.sock
//	go run ./cmd/switchboard -config switchboard.yaml
//
// On SIGTERM or SIGINT it drains: the listeners stop accepting, new
// sessions are refused, the calls in flight finish (up to drain_timeout; a
// second signal stops waiting); then every session gets GOODBYE
// wamp.close.system_shutdown and the process exits. SIGHUP reloads the
// -config file: realms added, removed, their limits changed, without
// dropping the sessions of the realms kept; an invalid file is logged and
// the running configuration kept (lifecycle.go, reload.go).
//
//	go run ./cmd/switchboard bench [-backends goroutine,eventloop,pool] [-json out.json] [-quick]
//
// measures the router on each backend against a raw WebSocket echo server
// (see bench.go).
//
//	go run ./cmd/switchboard soak [-backends ...] [-cycles 100000] [-sessions 50] [-duration 30s]
//
// runs connect/join/leave cycles and then mixed RPC and pub/sub on each
// backend, and prints whether the router's goroutines and heap came back
// to their baseline (see soak.go).
//
//	go run ./cmd/switchboard version
//
// prints four lines, "version: ", "revision: ", "modified: " and "go: "
// each followed by its value or "unknown" (see formatBuildInfo), and
//
//	go run ./cmd/switchboard config check switchboard.yaml
//
// loads and validates a -config file: it prints "FILE: ok" and exits 0, or
// prints every problem as "FILE:LINE: key.path: message" on stderr and
// exits 1 (see checkConfigFile).
//
//	go run ./cmd/switchboard cluster-demo [-nodes 2] [-addr 127.0.0.1:8080]
//
// starts an embedded NATS server and nodes a, b, ... sharing realm1 in
// one process, and prints their addresses (see cluster_demo.go).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: it dispatches the subcommands and returns the
// exit status: 0 on success or -h, 1 on any error (printed to stderr unless
// the subcommand reported it already, see errReported).
func run(args []string, stdout, stderr io.Writer) int {
	err := runSubcommand(args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintln(stderr, "switchboard:", err)
	return 1
}

// errReported is returned by a subcommand that has printed its own
// diagnostics: the command exits 1 without another message.
var errReported = errors.New("reported")

// errHelp is flag.ErrHelp: a subcommand printed its usage on -h.
var errHelp = flag.ErrHelp

// isHelp reports whether arg asks for a subcommand's usage.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// runSubcommand dispatches the subcommands (bench, version, config check,
// and the hidden bench children bench-router, bench-echo, bench-nats and
// bench-node); anything else runs the router.
func runSubcommand(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "bench":
			return benchMain(args[1:], stdout, stderr)
		case "soak":
			return soakMain(args[1:], stdout, stderr)
		case "version":
			return versionMain(args[1:], stdout, stderr)
		case "config":
			return configMain(args[1:], stdout, stderr)
		case "cluster-demo":
			return clusterDemoMain(args[1:], stdout, stderr)
		case cmdBenchRouter:
			return benchRouterMain(args[1:], stdout, stderr)
		case cmdBenchEcho:
			return benchEchoMain(args[1:], stdout, stderr)
		case cmdBenchNATS:
			return benchNATSMain(args[1:], stdout, stderr)
		case cmdBenchNode:
			return benchNodeMain(args[1:], stdout, stderr)
		}
	}
	return serve(args, stderr)
}

const usageText = `Usage: switchboard [flags]                 run the router
       switchboard bench [flags]           benchmark it on each backend (see switchboard bench -h)
       switchboard soak [flags]            churn and mixed load on each backend; goroutines and heap must come back (see switchboard soak -h)
       switchboard version                 print the version, VCS revision and Go version
       switchboard config check FILE       validate FILE as -config FILE would; exit 1 if invalid
       switchboard cluster-demo [flags]    NATS and two nodes sharing realm1 in one process (see switchboard cluster-demo -h)

Examples:
  switchboard -config switchboard.yaml
  switchboard bench -quick -json bench.json
  switchboard version
  switchboard config check switchboard.yaml

Runs a WAMP v2 router: WebSocket and RawSocket, json/msgpack/cbor, TLS.

Flags:
`

// parseFlags builds the configuration from the command line: from the
// file named by -config, or else from the flags (whose defaults are the
// in-memory default configuration: a WebSocket listener on 127.0.0.1:8080
// and realm "realm1").
func parseFlags(args []string, stderr io.Writer) (Config, error) {
	var (
		c                                Config
		file, realms, rsAddr, unix, cert string
		key, addr, path, metricsAddr     string
	)
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&file, "config", "", "YAML configuration file (replaces the listener, realm and backend flags)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "TCP address of the WebSocket listener")
	fs.StringVar(&path, "path", "/ws", "HTTP path of the WebSocket endpoint")
	fs.StringVar(&rsAddr, "rawsocket-addr", "", "TCP address of a RawSocket listener (off if empty)")
	fs.StringVar(&unix, "unix", "", "path of a Unix socket serving RawSocket (off if empty)")
	fs.StringVar(&cert, "tls-cert", "", "PEM certificate: serve wss on -addr and rss on -rawsocket-addr")
	fs.StringVar(&key, "tls-key", "", "PEM private key for -tls-cert")
	fs.StringVar(&realms, "realm", "realm1", "comma-separated realms open to anonymous clients")
	fs.StringVar(&c.Backend, "backend", "goroutine", "scheduling backend: goroutine, eventloop or pool")
	fs.StringVar(&c.Log.Level, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.Log.Format, "log-format", "text", "log format: text (key=value) or json (one object a line)")
	fs.BoolVar(&c.Log.JSON, "log-json", false, "same as -log-format json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 5*time.Second, "how long shutdown waits for sessions to say GOODBYE")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", 10*time.Second, "on SIGTERM/SIGINT, how long calls in flight may finish before the GOODBYEs")
	fs.IntVar(&c.MaxMessageBytes, "max-message-bytes", 16<<20, "largest WAMP message accepted or sent, in bytes")
	fs.IntVar(&c.OutboundQueue, "outbound-queue", 1024, "messages queued per peer before it is disconnected as a slow consumer")
	fs.StringVar(&metricsAddr, "metrics-addr", "", "TCP address of the operator endpoint: /metrics, /healthz, /readyz (off if empty; overrides the file's metrics.address)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if file != "" {
		conflict := ""
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "addr", "path", "rawsocket-addr", "unix", "tls-cert", "tls-key", "realm", "backend":
				conflict = f.Name
			}
		})
		if conflict != "" {
			return c, fmt.Errorf("-%s cannot be combined with -config: put it in the file", conflict)
		}
		fc, err := loadConfig(file)
		if err != nil {
			return c, err
		}
		c = fc
	} else {
		c.Listeners, c.Realms = flagListeners(addr, path, rsAddr, unix, cert, key), flagRealms(realms)
	}
	if metricsAddr != "" {
		c.Metrics.Address, c.metricsFlag = metricsAddr, metricsAddr
	}
	c = c.withDefaults()
	return c, c.Validate()
}

func flagRealms(list string) []RealmConfig {
	var rs []RealmConfig
	for _, r := range splitList(list) {
		rs = append(rs, RealmConfig{URI: r})
	}
	return rs
}

func flagListeners(addr, path, rsAddr, unix, cert, key string) []ListenerConfig {
	var tls *TLSFiles
	if cert != "" || key != "" {
		tls = &TLSFiles{Cert: cert, Key: key}
	}
	ls := []ListenerConfig{{Type: "websocket", Address: addr, Path: path, TLS: tls}}
	if rsAddr != "" {
		ls = append(ls, ListenerConfig{Type: "rawsocket", Address: rsAddr, TLS: tls})
	}
	if unix != "" {
		ls = append(ls, ListenerConfig{Type: "rawsocket", Unix: unix})
	}
	return ls
}

// serve runs the router until SIGINT or SIGTERM; SIGHUP reloads the
// configuration file (lifecycle.go).
func serve(args []string, stderr io.Writer) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	return serveSignals(args, stderr, sigs, nil)
}

// serveSignals is serve with the signals coming from sigs; started, when
// set, gets the running server (tests).
func serveSignals(args []string, stderr io.Writer, sigs <-chan os.Signal, started func(*server)) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := new(slog.LevelVar)
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	log := newLogger(stderr, c.Log.Format, level)
	srv, err := start(c, log)
	if err != nil {
		return err
	}
	srv.level = level
	log.Info("switchboard running", "backend", c.Backend, "realms", len(c.Realms), "listeners", srv.URLs(), "metrics", srv.OpsURL())
	if started != nil {
		started(srv)
	}
	return srv.handleSignals(sigs)
}

// newLogger returns the router's logger: format "json" writes one JSON
// object a line, anything else slog's text lines.
func newLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
