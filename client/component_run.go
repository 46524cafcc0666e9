package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// ComponentError is Start's error when no transport may be tried again:
// why, for each transport. It matches ErrTransportsExhausted and each
// transport's last error.
type ComponentError struct {
	Transports []TransportFailure
}

// TransportFailure is how one transport gave up.
type TransportFailure struct {
	URL string
	// Attempts since the last successful join.
	Attempts int
	// Fatal reports that IsFatal marked Err as fatal.
	Fatal bool
	// Err is the last attempt's error.
	Err error
}

// Error names every transport and why it gave up.
func (e *ComponentError) Error() string {
	var b strings.Builder
	b.WriteString(ErrTransportsExhausted.Error())
	for i, f := range e.Transports {
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		why := fmt.Sprintf("%d attempts, last", f.Attempts)
		if f.Fatal {
			why = "fatal"
		}
		fmt.Fprintf(&b, "%s%s: %s: %v", sep, f.URL, why, f.Err)
	}
	return b.String()
}

// Unwrap returns ErrTransportsExhausted and each transport's error.
func (e *ComponentError) Unwrap() []error {
	errs := []error{ErrTransportsExhausted}
	for _, f := range e.Transports {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// Start connects and runs the component until it is done (autobahn's
// start): Main returned (its error), the session left on purpose (our
// GOODBYE, or the router's with wamp.close.normal), Stop was called (nil),
// ctx ended (ctx's error), or no transport may be tried again (a
// *ComponentError). Transports are tried round-robin, each after its own
// RetrySchedule's delay; a connection that fails, a join the router
// refuses, and a joined session that ends otherwise are all failed
// attempts, and IsFatal decides whether their transport is tried again.
// A transport's schedule restarts after a session joined over it.
//
// Start blocks; call it once, never from an event loop's goroutine
// (scheduler.ErrWouldBlock).
func (c *Component) Start(ctx context.Context) error {
	if scheduler.OnLoop(c.cfg.Backend) {
		return fmt.Errorf("client: component start: %w", scheduler.ErrWouldBlock)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return ErrStarted
	}
	c.started, c.stop = true, cancel
	if c.stopped {
		cancel(errStopped)
	}
	c.mu.Unlock()
	err := c.loop(ctx)
	c.mu.Lock()
	c.over = true
	c.mu.Unlock()
	c.setCurrent(nil)
	close(c.done)
	if errors.Is(context.Cause(ctx), errStopped) && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}

// run is the state of one Start.
type run struct {
	scheds []*RetrySchedule
	last   []error
	fatal  []bool
	next   int // round-robin position
}

func (c *Component) loop(ctx context.Context) error {
	r := &run{last: make([]error, len(c.transports)), fatal: make([]bool, len(c.transports))}
	for _, t := range c.transports {
		r.scheds = append(r.scheds, NewRetrySchedule(t.retry))
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		i, ok := r.pick()
		if !ok {
			return r.exhausted(c)
		}
		delay, _ := r.scheds[i].Next(c.cfg.Rand)
		t := c.transports[i]
		if delay > 0 {
			c.log.Debug("client: component: waiting before the next attempt", "transport", t.cfg.URL, "delay", delay)
			if !c.sleep(ctx, delay) {
				return ctx.Err()
			}
		}
		done, err := c.attempt(ctx, t, r.scheds[i])
		if done {
			return err
		}
		r.last[i] = err
		c.log.Warn("client: component: attempt failed", "transport", t.cfg.URL, "err", err)
		if c.cfg.IsFatal != nil && ctx.Err() == nil && c.cfg.IsFatal(err) {
			c.log.Warn("client: component: fatal error; transport given up", "transport", t.cfg.URL)
			r.fatal[i] = true
			r.scheds[i].Fail()
		}
	}
}

// pick returns the next transport, round-robin, that may be tried.
func (r *run) pick() (int, bool) {
	n := len(r.scheds)
	for k := range n {
		i := (r.next + k) % n
		if r.scheds[i].CanAttempt() {
			r.next = (i + 1) % n
			return i, true
		}
	}
	return 0, false
}

func (r *run) exhausted(c *Component) error {
	e := &ComponentError{}
	for i, t := range c.transports {
		e.Transports = append(e.Transports, TransportFailure{
			URL: t.cfg.URL, Attempts: r.scheds[i].Attempts(), Fatal: r.fatal[i], Err: r.last[i]})
	}
	return e
}

// sleep waits d on the backend's clock; false when ctx ended first.
func (c *Component) sleep(ctx context.Context, d time.Duration) bool {
	fired := make(chan struct{})
	tm := c.cfg.Backend.AfterFunc(d, func() { close(fired) })
	defer tm.Stop()
	select {
	case <-fired:
		return true
	case <-ctx.Done():
		return false
	}
}

// attempt connects over t and runs one session to its end. done reports
// that the component is finished (with err); otherwise err is why the
// attempt failed.
func (c *Component) attempt(ctx context.Context, t *plannedTransport, sched *RetrySchedule) (done bool, err error) {
	c.log.Debug("client: component: connecting", "transport", t.cfg.URL)
	s, err := Join(ctx, t.dial, c.configFor())
	if err != nil {
		return false, err
	}
	sched.Reset()
	c.setCurrent(s)
	defer c.setCurrent(nil)
	if c.cfg.Main != nil {
		return c.runMain(ctx, s)
	}
	select {
	case <-s.Done():
	case <-ctx.Done():
		c.leave(s)
		return true, nil
	}
	return c.ended(s)
}

// runMain runs Main on s. Main's ctx ends with the session or the
// component.
func (c *Component) runMain(ctx context.Context, s *Session) (bool, error) {
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	err := callMain(mctx, c.cfg.Main, s)
	if ctx.Err() != nil || s.Err() == nil {
		c.leave(s)
		return true, err
	}
	if done, _ := c.ended(s); done { // Main left the session itself
		return true, err
	}
	c.log.Warn("client: component: session lost while Main ran; Main runs again on the next session", "main_err", err)
	return c.ended(s)
}

func callMain(ctx context.Context, main func(context.Context, *Session) error, s *Session) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("client: component Main panicked: %v", v)
		}
	}()
	return main(ctx, s)
}

// ended classifies the end of a joined session: done when it left on
// purpose (our GOODBYE, or the router's with wamp.close.normal, as
// autobahn), otherwise a failed attempt.
func (c *Component) ended(s *Session) (bool, error) {
	var e *CloseError
	if !errors.As(s.Err(), &e) {
		return false, s.Err()
	}
	if e.Goodbye && (!e.Remote || e.Reason == wamp.CloseNormal) {
		return true, nil
	}
	return false, e
}

// leave says GOODBYE, bounded by LeaveTimeout.
func (c *Component) leave(s *Session) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaveTimeout)
	defer cancel()
	if err := s.Leave(ctx, ""); err != nil {
		c.log.Debug("client: component: leave", "err", err)
	}
}

// configFor returns the Config of a new session: the declarations run
// first in OnJoin, then the factory's hooks, then the component's.
func (c *Component) configFor() Config {
	cfg := c.cfg.sessionConfig()
	var fh Hooks
	if c.cfg.SessionFactory != nil {
		fh = c.cfg.SessionFactory(c.cfg.Realm, c.cfg.Extra)
	}
	h := mergeHooks(fh, c.cfg.Hooks)
	if len(c.regs) > 0 || len(c.subs) > 0 {
		h = mergeHooks(Hooks{OnJoin: func(ctx context.Context, s *Session, _ *SessionDetails) error {
			return c.declare(ctx, s)
		}}, h)
	}
	cfg.Hooks = h
	return cfg
}

// mergeHooks returns hooks that call a's, then b's.
func mergeHooks(a, b Hooks) Hooks {
	return Hooks{
		OnConnect:        both2(a.OnConnect, b.OnConnect),
		OnJoin:           joinBoth(a.OnJoin, b.OnJoin),
		OnReady:          both2(a.OnReady, b.OnReady),
		OnLeave:          both2(a.OnLeave, b.OnLeave),
		OnDisconnect:     both2(a.OnDisconnect, b.OnDisconnect),
		OnConnectFailure: both1(a.OnConnectFailure, b.OnConnectFailure),
	}
}

func both1[A any](f, g func(A)) func(A) {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(a A) { f(a); g(a) }
}

func both2[A, B any](f, g func(A, B)) func(A, B) {
	switch {
	case f == nil:
		return g
	case g == nil:
		return f
	}
	return func(a A, b B) { f(a, b); g(a, b) }
}

func joinBoth(f, g func(context.Context, *Session, *SessionDetails) error) func(context.Context, *Session, *SessionDetails) error {
	if f == nil {
		return g
	}
	if g == nil {
		return f
	}
	return func(ctx context.Context, s *Session, d *SessionDetails) error {
		if err := f(ctx, s, d); err != nil {
			return err
		}
		return g(ctx, s, d)
	}
}
