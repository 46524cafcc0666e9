// Command browser serves a web page that talks WAMP to the router serving
// it: the page (web/index.html, web/app.js) joins realm1 with autobahn-js,
// shows the events a Go publisher sends on com.example.tick, and calls the
// Go procedure com.example.countdown, showing its progressive results and
// its final result.
//
// The page loads autobahn-js's browser bundle (npm autobahn-browser), which
// is not part of the repository: install it with npm and name the file.
// From the repository root:
//
//	(cd tests/interop/js && npm ci)
//	go run ./examples/browser     # then open http://127.0.0.1:8080/
//
// -autobahn names the bundle when it is elsewhere, -addr the address.
// TestBrowser drives the page in headless Chromium.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

//go:embed web
var web embed.FS

// defaultBundle is where `npm ci` in tests/interop/js puts the bundle,
// relative to the repository root.
const defaultBundle = "tests/interop/js/node_modules/autobahn-browser/autobahn.min.js"

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "TCP address to serve the page and WebSocket on")
	flag.StringVar(&o.bundle, "autobahn", defaultBundle, "autobahn-js browser bundle (npm autobahn-browser's autobahn.min.js)")
	flag.DurationVar(&o.tick, "tick", time.Second, "interval of the events on com.example.tick")
	flag.DurationVar(&o.step, "step", 500*time.Millisecond, "pause between the countdown's progressive results")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	url, shutdown, err := serve(ctx, o)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("open %s in a browser (Ctrl-C stops)", url)
	<-ctx.Done()
	shutdown()
}

// options configure serve.
type options struct {
	addr   string        // where to listen
	bundle string        // the autobahn-js browser bundle
	tick   time.Duration // interval of the published events
	step   time.Duration // pause between progressive results
}

// serve starts the router, its Go procedure and publisher, and the HTTP
// server of the page and the WebSocket endpoint. It returns the page's
// URL; shutdown stops everything.
func serve(ctx context.Context, o options) (url string, shutdown func(), err error) {
	if _, err := os.Stat(o.bundle); err != nil {
		return "", nil, fmt.Errorf("the autobahn-js browser bundle: %w (run npm ci in tests/interop/js, or pass -autobahn)", err)
	}
	backend := goroutine.New(goroutine.Config{})
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		backend.Close()
		return "", nil, err
	}
	realm, _ := app.Realm("realm1")
	if _, err := realm.Register(ctx, "com.example.countdown", core.Progressive(countdown(o.step)), nil); err != nil {
		backend.Close()
		return "", nil, err
	}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}}, app)
	if err != nil {
		backend.Close()
		return "", nil, err
	}
	page, _ := fs.Sub(web, "web")
	mux := http.NewServeMux()
	mux.Handle("/ws", ws)
	mux.HandleFunc("/autobahn.min.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, o.bundle) })
	mux.Handle("/", http.FileServerFS(page))
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		ws.Close()
		backend.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	pubCtx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		publish(pubCtx, realm, o.tick)
	}()
	return "http://" + ln.Addr().String() + "/", func() {
		stopPub()
		<-pubDone
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Close(closeCtx)
		_ = srv.Shutdown(closeCtx)
		ws.Close()
		backend.Close()
	}, nil
}

// countdown is com.example.countdown(n): progressive results n, n-1, ...,
// 1, a pause of step before each, then the result "liftoff".
func countdown(step time.Duration) func(ctx context.Context, inv *core.Invocation) core.Stream {
	return func(ctx context.Context, inv *core.Invocation) core.Stream {
		return func(yield func(*core.Result, error) bool) {
			var n int64
			if len(inv.Args) > 0 {
				n, _ = wamp.ToInt(inv.Args[0])
			}
			if n < 1 || n > 10 {
				yield(nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"count from 1 to 10"}})
				return
			}
			for i := n; i >= 1; i-- {
				select {
				case <-ctx.Done():
					return
				case <-time.After(step):
				}
				if !yield(core.ProgressReport(wamp.List{i}, nil), nil) {
					return
				}
			}
			yield(&core.Result{Args: wamp.List{"liftoff"}}, nil)
		}
	}
}

// publish sends com.example.tick with a counter every interval until ctx
// ends.
func publish(ctx context.Context, realm *core.Realm, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := realm.Publish(ctx, "com.example.tick", wamp.List{n}, nil, nil); err != nil && !errors.Is(err, context.Canceled) {
			log.Printf("publish: %v", err)
		}
	}
}
