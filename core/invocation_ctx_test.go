package core

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHandlerCtx checks the handler context the engine builds inside an
// Invocation: it carries the invocation's values, follows its task
// context, and is canceled by interrupt whether that comes before the task
// is bound, before or after Done was asked for, with contexts derived from
// it following (and context.Cause reporting context.Canceled).
func TestHandlerCtx(t *testing.T) {
	newInv := func() *Invocation {
		inv := &Invocation{}
		inv.vals = invocationValues{Context: context.Background(), inv: inv}
		inv.hctx.inv = inv
		return inv
	}
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-time.After(5 * time.Second):
			return false
		}
	}

	t.Run("values", func(t *testing.T) {
		inv := newInv()
		task, cancel := context.WithCancel(&inv.vals)
		defer cancel()
		inv.hctx.setTask(task)
		if got, ok := InvocationFrom(&inv.hctx); !ok || got != inv {
			t.Fatalf("InvocationFrom = %v, %v", got, ok)
		}
		if got, _ := InvocationFrom(task); got != inv {
			t.Fatal("the task context does not carry the invocation")
		}
		if envFrom(&inv.hctx) != &inv.env {
			t.Fatal("handler environment missing")
		}
	})
	t.Run("task ends", func(t *testing.T) {
		inv := newInv()
		task, cancel := context.WithCancel(&inv.vals)
		inv.hctx.setTask(task)
		if err := inv.hctx.Err(); err != nil {
			t.Fatalf("Err = %v before anything ended", err)
		}
		cancel()
		if !errors.Is(inv.hctx.Err(), context.Canceled) || !closed(inv.hctx.Done()) {
			t.Fatal("the handler context does not follow its task's")
		}
	})
	t.Run("interrupt after Done", func(t *testing.T) {
		inv := newInv()
		task, cancel := context.WithCancel(&inv.vals)
		defer cancel()
		inv.hctx.setTask(task)
		child, ccancel := context.WithCancel(&inv.hctx)
		defer ccancel()
		done := inv.hctx.Done()
		inv.hctx.interrupt()
		if !closed(done) || !closed(child.Done()) {
			t.Fatal("interrupt did not reach Done or a derived context")
		}
		if err := context.Cause(&inv.hctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Cause = %v", err)
		}
	})
	t.Run("interrupt before the task", func(t *testing.T) {
		inv := newInv()
		inv.hctx.interrupt()
		if !errors.Is(inv.hctx.Err(), context.Canceled) || !errors.Is(context.Cause(&inv.hctx), context.Canceled) {
			t.Fatal("not canceled before its task")
		}
		task, cancel := context.WithCancel(&inv.vals)
		defer cancel()
		inv.hctx.setTask(task)
		if !closed(inv.hctx.Done()) || task.Err() != nil {
			t.Fatal("want the handler context canceled, its task not")
		}
	})
	t.Run("offload rebinds", func(t *testing.T) {
		inv := newInv()
		first, cancel1 := context.WithCancel(&inv.vals)
		inv.hctx.setTask(first)
		_ = inv.hctx.Done()
		cancel1() // the spawned task ended to offload the handler
		second, cancel2 := context.WithCancel(&inv.vals)
		defer cancel2()
		inv.hctx.setTask(second)
		if err := inv.hctx.Err(); err != nil {
			t.Fatalf("Err = %v after rebinding to a live task", err)
		}
		inv.hctx.interrupt()
		if !closed(inv.hctx.Done()) {
			t.Fatal("interrupt after rebinding did not cancel")
		}
	})
}
