package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// The router's life under signals: SIGHUP reloads the configuration file
// (reload.go); SIGTERM or SIGINT drains — no new connections or sessions,
// the calls in flight finish (up to drain_timeout; a second SIGTERM or
// SIGINT stops waiting) — then every session gets GOODBYE
// wamp.close.system_shutdown (up to shutdown_timeout for their answers)
// and the process exits.

// handleSignals serves signals until a SIGTERM or SIGINT has drained and
// stopped the router; it returns Shutdown's error.
func (s *server) handleSignals(sigs <-chan os.Signal) error {
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			s.reloadFile()
			continue
		}
		s.mu.Lock()
		drain, shutdown := s.cfg.DrainTimeout, s.cfg.ShutdownTimeout
		s.mu.Unlock()
		s.log.Info("draining: no new sessions; waiting for the calls in flight", "signal", sig.String(), "drain_timeout", drain)
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		stopWatch := watchSecondSignal(sigs, cancel)
		if err := s.Drain(ctx); err != nil {
			s.log.Warn("drain ended with calls still in flight: they end with their sessions", "err", err)
		}
		stopWatch()
		cancel()
		s.log.Info("shutting down: GOODBYE to every session", "timeout", shutdown)
		return s.Shutdown(shutdown)
	}
	return errors.New("the signal channel closed")
}

// watchSecondSignal cancels the drain on a second SIGTERM or SIGINT (a
// SIGHUP while draining is ignored). stop ends the watch.
func watchSecondSignal(sigs <-chan os.Signal, cancel context.CancelFunc) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case sig := <-sigs:
				if sig != syscall.SIGHUP {
					cancel()
					return
				}
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-exited }
}

// Drain stops accepting — the listening sockets close, so new connections
// are refused, and HELLOs on connections already open are aborted with
// wamp.close.system_shutdown — and waits until no call is in flight or ctx
// is done. Joined sessions keep working meanwhile; /readyz answers 503.
// Shutdown follows.
func (s *server) Drain(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	ls := s.listeners
	s.mu.Unlock()
	for _, l := range ls {
		l.ln.Close() // Serve returns; Shutdown collects it
	}
	start := time.Now()
	err := s.app.Drain(ctx)
	if err == nil {
		s.log.Info("drained: no call in flight", "waited", time.Since(start).Round(time.Millisecond))
		return nil
	}
	return fmt.Errorf("drain: %w", err)
}
