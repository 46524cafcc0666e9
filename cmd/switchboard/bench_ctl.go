package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The blocking phases (bench_blocking.go) call procedures whose handlers
// block, and measure the router while thousands of them wait. The router
// child is then observed and steered out of band, over plain HTTP beside
// the WebSocket endpoint: a control call through the realm would queue
// behind the very handlers it is meant to release on a backend that bounds
// them (the pool), and would count itself among the goroutines measured.

// Procedures of the blocking phases, all core.Blocking.
const (
	procBlockGate   = "bench.block.gate"   // waits until the gate opens (I/O that completes on demand)
	procBlockIO     = "bench.block.io"     // waits 2–5 ms, as a database query would
	procBlockSlowIO = "bench.block.slowio" // waits 20–50 ms, as a call to a slow service would
)

// benchCtlPath prefixes the router child's control endpoints:
// GET  <prefix>mem     the process's memory figures (memStats, JSON)
// POST <prefix>hold    close the gate: calls to procBlockGate now wait
// POST <prefix>release open the gate: waiting calls return
const benchCtlPath = "/bench-ctl/"

// blockDelay is how long the nth call to a procedure that blocks
// base..4×base blocks: base, 1.5×base, 2×base, 2.5×base in turn (so 2, 3,
// 4, 5 ms for a base of 2 ms: 3.5 ms on average).
func blockDelay(base time.Duration, n uint64) time.Duration {
	return base + base/2*time.Duration(n%4)
}

// gate is what procBlockGate's handlers wait for: a channel closed when
// the gate opens. It starts open.
type gate struct {
	mu sync.Mutex
	ch chan struct{}
}

func newGate() *gate {
	g := &gate{ch: make(chan struct{})}
	close(g.ch)
	return g
}

// wait returns the channel of the current gate.
func (g *gate) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch
}

// hold closes the gate (a no-op when closed already).
func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.ch:
		g.ch = make(chan struct{})
	default:
	}
}

// release opens the gate, releasing every waiting handler.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.ch:
	default:
		close(g.ch)
	}
}

// registerBlockingProcs registers the two blocking procedures.
func registerBlockingProcs(realm *core.Realm, g *gate) error {
	ctx := context.Background()
	if _, err := realm.Register(ctx, procBlockGate, core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
		select {
		case <-g.wait():
			return &core.Result{Args: inv.Args}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}), nil); err != nil {
		return err
	}
	for _, p := range []struct {
		uri  string
		base time.Duration
	}{{procBlockIO, 2 * time.Millisecond}, {procBlockSlowIO, 20 * time.Millisecond}} {
		var n atomic.Uint64
		if _, err := realm.Register(ctx, wamp.URI(p.uri), core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
			t := time.NewTimer(blockDelay(p.base, n.Add(1)))
			defer t.Stop()
			select {
			case <-t.C:
				return &core.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}), nil); err != nil {
			return err
		}
	}
	return nil
}

// memStats are a process's memory figures, read after a forced GC that
// returns freed memory to the OS.
type memStats struct {
	RSS        int64 `json:"rss"`
	HeapInuse  int64 `json:"heap_inuse"`
	StackInuse int64 `json:"stack_inuse"`
	Sys        int64 `json:"sys"`
	Goroutines int64 `json:"goroutines"`
}

// readMemStats measures this process; it writes a heap profile to
// memprofile when that is set.
func readMemStats(memprofile string) (memStats, error) {
	debug.FreeOSMemory()
	if memprofile != "" {
		if err := writeHeapProfile(memprofile); err != nil {
			return memStats{}, err
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := rssBytes(os.Getpid())
	if err != nil {
		return memStats{}, err
	}
	return memStats{RSS: rss, HeapInuse: int64(ms.HeapInuse), StackInuse: int64(ms.StackInuse),
		Sys: int64(ms.Sys), Goroutines: int64(runtime.NumGoroutine())}, nil
}

// benchCtlHandler serves the control endpoints (see benchCtlPath).
func benchCtlHandler(g *gate, memprofile string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+benchCtlPath+"mem", func(w http.ResponseWriter, _ *http.Request) {
		ms, err := readMemStats(memprofile)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(ms)
	})
	mux.HandleFunc("POST "+benchCtlPath+"hold", func(w http.ResponseWriter, _ *http.Request) { g.hold() })
	mux.HandleFunc("POST "+benchCtlPath+"release", func(w http.ResponseWriter, _ *http.Request) { g.release() })
	return mux
}

// errNoCtl is returned by the control client when the router child does
// not serve the control endpoints (a -compare build older than them).
var errNoCtl = errors.New("router has no bench control endpoints")

// benchCtl is the load generator's side of the control endpoints.
type benchCtl struct {
	base string // http://host:port/bench-ctl/
	hc   *http.Client
}

func newBenchCtl(wsURL string) *benchCtl {
	return &benchCtl{
		base: "http://" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/") + benchCtlPath,
		hc:   &http.Client{Timeout: 30 * time.Second},
	}
}

func (c *benchCtl) do(ctx context.Context, method, name string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+name, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return b, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return nil, fmt.Errorf("%w (%s %s: %s)", errNoCtl, method, name, resp.Status)
	}
	return nil, fmt.Errorf("%s %s: %s: %.200s", method, name, resp.Status, b)
}

func (c *benchCtl) mem(ctx context.Context) (memStats, error) {
	var ms memStats
	b, err := c.do(ctx, http.MethodGet, "mem")
	if err == nil {
		err = json.Unmarshal(b, &ms)
	}
	return ms, err
}

func (c *benchCtl) hold(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "hold")
	return err
}

func (c *benchCtl) release(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "release")
	return err
}
