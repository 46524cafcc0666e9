// Command switchboard runs a WAMP router.
//
//	go run ./cmd/switchboard                      # ws://127.0.0.1:8080/ws, realm "realm1", anonymous
//	go run ./cmd/switchboard -addr :9000 -realm a,b -log-level debug
//
// It shuts down cleanly on SIGINT or SIGTERM: every session gets GOODBYE
// wamp.close.system_shutdown, then listeners close.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

// options are the command-line settings; the zero value is not used, see
// parseFlags for the defaults.
type options struct {
	Addr            string
	Path            string
	Realms          []string
	LogLevel        slog.Level
	LogJSON         bool
	ShutdownTimeout time.Duration
	MaxMessageBytes int
	OutboundQueue   int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var realms, level string
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "TCP address to listen on for WebSocket connections")
	fs.StringVar(&o.Path, "path", "/ws", "HTTP path of the WebSocket endpoint")
	fs.StringVar(&realms, "realm", "realm1", "comma-separated realms open to anonymous clients")
	fs.StringVar(&level, "log-level", "info", "log level: debug, info, warn, error")
	fs.BoolVar(&o.LogJSON, "log-json", false, "log as JSON lines instead of text")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 5*time.Second, "how long shutdown waits for sessions to say GOODBYE")
	fs.IntVar(&o.MaxMessageBytes, "max-message-bytes", 16<<20, "largest WAMP message accepted or sent, in bytes")
	fs.IntVar(&o.OutboundQueue, "outbound-queue", 1024, "messages queued per peer before it is disconnected as a slow consumer")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: switchboard [flags]\n\nRuns a WAMP v2 router (WebSocket, wamp.2.json).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if err := o.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return o, fmt.Errorf("-log-level: %w", err)
	}
	for _, r := range strings.Split(realms, ",") {
		if r = strings.TrimSpace(r); r != "" {
			o.Realms = append(o.Realms, r)
		}
	}
	if len(o.Realms) == 0 {
		return o, errors.New("-realm: at least one realm is needed")
	}
	return o, nil
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.LogLevel})
	if o.LogJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: o.LogLevel})
	}
	log := slog.New(h)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := start(o, log)
	if err != nil {
		return err
	}
	log.Info("switchboard listening", "url", srv.URL(), "realms", o.Realms)
	<-ctx.Done()
	log.Info("shutting down", "timeout", o.ShutdownTimeout)
	return srv.Shutdown(o.ShutdownTimeout)
}
