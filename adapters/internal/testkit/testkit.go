package testkit

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/internal/testwait"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Guard bounds every wait of a test: it is a failure guard, never a
// measure of speed.
const Guard = 10 * time.Second

// Logger returns a logger writing to t.Log, so that a test's deliberate
// panics and stalls are reported only with -v or on failure.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Wait fails the test if ch is not closed within Guard.
func Wait(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(Guard):
		t.Fatalf("%s: not done after %v", what, Guard)
	}
}

// Eventually polls cond until it holds, or fails the test once Guard has
// passed: the adapters' one wait-until helper.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, Guard, cond)
}

// Block posts a task that holds ex (on the event loop: the whole loop)
// until release is called, or Guard has passed, and waits for it to start.
// release is idempotent.
func Block(t testing.TB, ex scheduler.Executor) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	ex.Post(func() {
		close(started)
		select {
		case <-hold:
		case <-time.After(Guard):
		}
	})
	Wait(t, started, "blocking task")
	var once sync.Once
	return func() { once.Do(func() { close(hold) }) }
}

// Captured is a slog.Handler that keeps every record. Safe for concurrent
// use.
type Captured struct {
	mu   sync.Mutex
	recs []slog.Record
}

// Enabled reports true for every level.
func (c *Captured) Enabled(context.Context, slog.Level) bool { return true }

// WithAttrs returns c; the backends log with attributes on each record.
func (c *Captured) WithAttrs([]slog.Attr) slog.Handler { return c }

// WithGroup returns c.
func (c *Captured) WithGroup(string) slog.Handler { return c }

// Handle keeps a copy of r.
func (c *Captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r.Clone())
	return nil
}

// Attrs returns the records kept so far, each as its attributes by key
// plus "msg" and "level".
func (c *Captured) Attrs() []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]string
	for _, r := range c.recs {
		m := map[string]string{"msg": r.Message, "level": r.Level.String()}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// PanicLog is an expected panic report.
type PanicLog struct{ Kind, Executor, Panic string }

// CheckPanicLogs checks that logs holds, for each wanted kind, Error
// records naming that executor and panic value, with a stack.
func CheckPanicLogs(t testing.TB, logs *Captured, want []PanicLog) {
	t.Helper()
	recs := logs.Attrs()
	for _, w := range want {
		found := false
		for _, r := range recs {
			if r["kind"] != w.Kind || r["level"] != "ERROR" {
				continue
			}
			found = true
			if r["executor"] != w.Executor || r["panic"] != w.Panic || !strings.Contains(r["stack"], "goroutine") {
				t.Errorf("%s panic logged as %v", w.Kind, r)
			}
		}
		if !found {
			t.Errorf("no log record for the %s panic; records: %v", w.Kind, recs)
		}
	}
}
