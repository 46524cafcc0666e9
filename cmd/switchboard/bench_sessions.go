package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// sessionWorkers is how many connect + join + leave loops the sessions
// phase runs side by side.
const sessionWorkers = 8

// sessionChurn is the sessions phase: sessionWorkers loops, each opening a
// WebSocket, joining the bench realm and leaving (GOODBYE answered, then the
// connection closed), over and over, for the phase's duration. It reports
// sessions/s and the router's CPU per session: the cost of the handshake,
// the session's setup and its teardown. The CPU is counted until every
// loop's last Leave has returned; a connection's final close may fall just
// after.
func (e *loadEnv) sessionChurn(m metrics) error {
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var done atomic.Int64
	var measuring atomic.Bool
	errs := make(chan error, sessionWorkers)
	var wg sync.WaitGroup
	for range sessionWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := e.oneSession(); err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				if measuring.Load() {
					done.Add(1)
				}
			}
		}()
	}
	// A short warm-up, then the measured phase.
	if !sleepCtx(e.ctx, e.cfg.Phase/5) {
		cancel()
		wg.Wait()
		return e.ctx.Err()
	}
	meter := startCPU(e.router.pid())
	measuring.Store(true)
	t0 := time.Now()
	ok := sleepCtx(e.ctx, e.cfg.Phase)
	cancel()
	wg.Wait() // every loop's session has left
	elapsed := time.Since(t0)
	n := done.Load()
	cpu, cerr := meter.perOp(n)
	select {
	case err := <-errs:
		return fmt.Errorf("session loop: %w", err)
	default:
	}
	switch {
	case !ok:
		return e.ctx.Err()
	case cerr != nil:
		return cerr
	}
	m["sessions.c8.per_s"] = float64(n) / elapsed.Seconds()
	m["sessions.c8.cpu_us"] = cpu
	return nil
}

// oneSession connects, joins the bench realm and leaves (GOODBYE
// answered, then the connection closed).
func (e *loadEnv) oneSession() error {
	s, err := e.dial()
	if err != nil {
		return err
	}
	// The last sessions still leave properly once the phase ends.
	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lcancel()
	return s.Leave(lctx, "")
}
