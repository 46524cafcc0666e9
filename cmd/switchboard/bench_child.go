package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// The hidden subcommands the bench re-executes itself with.
const (
	cmdBenchRouter = "bench-router"
	cmdBenchEcho   = "bench-echo"
)

// Procedures of the bench router's realm.
const (
	benchRealm     = "bench"
	procEcho       = "bench.echo"        // in-process Go procedure: returns its arguments
	procRemoteEcho = "bench.remote.echo" // registered by a client of the load generator
	procMem        = "bench.ctl.mem"     // memory figures of the router process
	topicFanout    = "bench.fanout"
)

// backendNames lists the scheduling backends the bench knows.
var backendNames = []string{"goroutine", "eventloop", "pool"}

// benchBackend builds the named backend.
func benchBackend(name string, log *slog.Logger) (scheduler.AsyncSupport, error) {
	switch name {
	case "goroutine":
		return goroutine.New(goroutine.Config{Logger: log}), nil
	case "eventloop":
		return eventloop.New(eventloop.Config{Logger: log}), nil
	case "pool":
		return pool.New(pool.Config{Logger: log}), nil
	}
	return nil, fmt.Errorf("unknown backend %q (want one of %v)", name, backendNames)
}

// childFlags are the flags both hidden subcommands take.
type childFlags struct {
	backend, addr, serializer, cpuprofile, memprofile string
}

func parseChildFlags(name string, args []string, stderr io.Writer) (childFlags, error) {
	var f childFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.backend, "backend", "goroutine", "scheduling backend: goroutine, eventloop or pool")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "address to listen on (RawSocket uses another port of the same host)")
	fs.StringVar(&f.serializer, "serializer", "json", "serializer: json, msgpack or cbor")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&f.memprofile, "memprofile", "", "router: write a heap profile to this file at every memory probe (the last one wins)")
	return f, fs.Parse(args)
}

// childLifetime blocks until stdin reaches EOF (the parent is done or
// gone) or SIGINT/SIGTERM arrives.
func childLifetime() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
}

// startProfile starts a CPU profile when path is set; the returned
// function stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchRouterMain is the router child: an Application on the chosen
// backend with realm "bench", serving WebSocket and RawSocket.
func benchRouterMain(args []string, stdout, stderr io.Writer) error {
	f, err := parseChildFlags(cmdBenchRouter, args, stderr)
	if err != nil {
		return err
	}
	raiseNoFile()
	ser, ok := serialize.ByName(f.serializer)
	if !ok {
		return fmt.Errorf("unknown serializer %q", f.serializer)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	as, err := benchBackend(f.backend, log)
	if err != nil {
		return err
	}
	defer as.Close()
	app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: benchRealm}}, Logger: log})
	if err != nil {
		return err
	}
	realm, _ := app.Realm(benchRealm)
	if err := registerBenchProcs(realm, f.memprofile); err != nil {
		return err
	}
	g := newGate()
	if err := registerBlockingProcs(realm, g); err != nil {
		return err
	}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{ser}, Logger: log}, app)
	if err != nil {
		return err
	}
	rs, err := transport.NewRawSocketServer(transport.RawSocketConfig{Serializers: []serialize.Serializer{ser}, Logger: log}, app)
	if err != nil {
		return err
	}
	wsLn, err := listenTCP(f.addr) // as the router's listeners
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(wsLn.Addr().String())
	rsLn, err := listenTCP(net.JoinHostPort(host, "0"))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(benchCtlPath, benchCtlHandler(g, f.memprofile))
	mux.Handle("/", ws)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(wsLn) }()
	go func() { _ = rs.Serve(rsLn) }()
	stopProfile, err := startProfile(f.cpuprofile)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(stdout).Encode(childAddrs{WS: "ws://" + wsLn.Addr().String() + "/", RS: rsLn.Addr().String()}); err != nil {
		return err
	}
	childLifetime()
	stopProfile()
	// Shut down without waiting for thousands of GOODBYEs.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = app.Close(ctx)
	_ = hs.Close()
	rs.Close()
	ws.Close()
	return nil
}

// registerBenchProcs registers the in-process echo and the memory probe,
// which also writes a heap profile to memprofile when it is set.
func registerBenchProcs(realm *core.Realm, memprofile string) error {
	ctx := context.Background()
	if _, err := realm.Register(ctx, procEcho, func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		return &core.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
	}, nil); err != nil {
		return err
	}
	// Blocking: a full GC holds the caller for milliseconds.
	_, err := realm.Register(ctx, procMem, core.Blocking(func(context.Context, *core.Invocation) (*core.Result, error) {
		ms, err := readMemStats(memprofile)
		if err != nil {
			return nil, err
		}
		return &core.Result{Kwargs: wamp.Dict{
			"rss": ms.RSS, "heap_inuse": ms.HeapInuse, "stack_inuse": ms.StackInuse,
			"sys": ms.Sys, "goroutines": ms.Goroutines,
		}}, nil
	}), nil)
	return err
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("heap").WriteTo(f, 0)
}

// benchEchoMain is the echo floor: a gws WebSocket server, configured as
// the router's WebSocket transport is (no parallel reads, UTF-8 checks,
// 2 KiB read buffer), that writes every message back from its reader.
func benchEchoMain(args []string, stdout, stderr io.Writer) error {
	f, err := parseChildFlags(cmdBenchEcho, args, stderr)
	if err != nil {
		return err
	}
	raiseNoFile()
	up := gws.NewUpgrader(echoHandler{}, &gws.ServerOption{
		ParallelEnabled:  false,
		CheckUtf8Enabled: true,
		ReadBufferSize:   transport.DefaultReadBufferBytes,
		Recovery:         gws.Recovery,
	})
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		go c.ReadLoop()
	})}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "bench-echo:", err)
		}
	}()
	stopProfile, err := startProfile(f.cpuprofile)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(stdout).Encode(childAddrs{WS: "ws://" + ln.Addr().String() + "/"}); err != nil {
		return err
	}
	childLifetime()
	stopProfile()
	return hs.Close()
}

// echoHandler writes every message back, as it came.
type echoHandler struct{ gws.BuiltinEventHandler }

func (echoHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	_ = c.WriteMessage(m.Opcode, m.Bytes())
	_ = m.Close()
}
