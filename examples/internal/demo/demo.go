package demo

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Timeout bounds a whole example run: the context Start returns expires
// after it, so a stuck example fails instead of hanging.
const Timeout = 10 * time.Second

// Main runs an example's run function with standard output and exits the
// program with the error, if any. Call it from main.
func Main(run func(out io.Writer) error) {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// Start returns a context bounded by Timeout and a new goroutine backend.
// done closes the backend, then cancels the context; defer it.
func Start() (ctx context.Context, backend *goroutine.Backend, done func()) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	backend = goroutine.New(goroutine.Config{})
	return ctx, backend, func() {
		backend.Close()
		cancel()
	}
}

// Serve serves app over WebSocket (JSON) on a free loopback port and
// returns the address to dial. stop closes the HTTP and WebSocket servers;
// it does not close app, which stays the caller's to close (before stop).
func Serve(app *core.Application) (url string, stop func(), err error) {
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}}, app)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ws.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: ws}
	go srv.Serve(ln)
	return "ws://" + ln.Addr().String() + "/ws", func() { srv.Close(); ws.Close() }, nil
}

// Dial joins realm "realm1" at url as an anonymous client session running
// on backend. The caller leaves the session.
func Dial(ctx context.Context, url string, backend scheduler.AsyncSupport) (*client.Session, error) {
	return client.Dial(ctx, url, client.Config{Realm: "realm1", Backend: backend})
}
