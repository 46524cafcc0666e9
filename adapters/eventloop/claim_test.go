package eventloop_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The claim cases every claimable backend passes are in schedtest
// (conformance_claim.go); these are the event loop's own: a claim is the
// whole loop.

// claimer returns ex as a scheduler.ExecutorClaimer, or fails.
func claimer(t *testing.T, ex scheduler.Executor) scheduler.ExecutorClaimer {
	t.Helper()
	c, ok := ex.(scheduler.ExecutorClaimer)
	if !ok {
		t.Fatal("an executor of a Loop made by New is not a scheduler.ExecutorClaimer")
	}
	return c
}

func TestClaimRunsTheLoopsWorkOnTheCaller(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	a, b := l.NewExecutor("a"), l.NewExecutor("b")
	var onLoop [3]bool // written on the claimer only
	ran := scheduler.RunOrPost(a, func() {
		onLoop[0] = l.OnLoop()
		// Work the claimed task starts, on other executors and spawned,
		// runs before the claim ends, on the claimer, as the loop.
		b.Post(func() { onLoop[1] = l.OnLoop() })
		if err := l.Spawn(context.Background(), func(context.Context) { onLoop[2] = l.OnLoop() }); err != nil {
			t.Error(err)
		}
	})
	if !ran {
		t.Fatal("RunOrPost: false")
	}
	if onLoop != [3]bool{true, true, true} {
		t.Fatalf("OnLoop in the claimed task, the task it posted, the task it spawned: %v, want all true", onLoop)
	}
	if got := l.Claims(); got != 1 {
		t.Fatalf("Claims = %d, want 1", got)
	}
	if l.OnLoop() {
		t.Fatal("OnLoop after the claim: true")
	}
}

func TestClaimRefusedWhileTheLoopWorks(t *testing.T) {
	l := newLoop(t, eventloop.Config{StallThreshold: -1})
	a, b := l.NewExecutor("a"), l.NewExecutor("b")
	release := testkit.Block(t, a)
	defer release()
	// b is idle, but the loop is not: a claim of any executor is a claim
	// of the loop.
	if claimer(t, b).TryClaim() {
		t.Fatal("TryClaim while a task of another executor runs: true")
	}
	release()
	testkit.Eventually(t, "the loop claimable again", func() bool {
		c := claimer(t, b)
		if !c.TryClaim() {
			return false
		}
		c.Release()
		return true
	})
}

func TestFullMailboxPutInAClaimDoesNotWait(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	ex := l.NewExecutor("mb")
	mb := l.NewMailbox(ex, 1, func(any) {})
	got := make(chan error, 1)
	go scheduler.RunOrPost(ex, func() {
		// Only the loop drains mb, and this goroutine is the loop now:
		// waiting for room would never end.
		_ = mb.TryPut(1)
		got <- mb.Put(context.Background(), 2)
	})
	select {
	case err := <-got:
		if !errors.Is(err, scheduler.ErrFull) {
			t.Fatalf("Put on a full mailbox in a claim: %v, want ErrFull", err)
		}
	case <-time.After(testkit.Guard):
		t.Fatal("Put on a full mailbox in a claim waited")
	}
}

func TestCloseWaitsForAClaim(t *testing.T) {
	l := eventloop.New(eventloop.Config{Logger: testkit.Logger(t)})
	ex := l.NewExecutor("c")
	c := claimer(t, ex)
	if !c.TryClaim() {
		t.Fatal("TryClaim of an idle loop: false")
	}
	var ran atomic.Bool
	ex.Post(func() { ran.Store(true) }) // accepted during the claim: it runs
	closed := make(chan struct{})
	go func() { l.Close(); close(closed) }()
	testkit.Eventually(t, "Close begun", func() bool { return !ex.Post(func() {}) })
	select {
	case <-closed:
		t.Fatal("Close returned during a claim")
	default:
	}
	c.Release()
	testkit.Wait(t, closed, "Close after the claim")
	if !ran.Load() {
		t.Fatal("a task accepted during the claim did not run")
	}
}

func TestTimerArmedInAClaimFires(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	ex := l.NewExecutor("t")
	fired := make(chan struct{})
	// The loop goroutine sleeps with no timer; the claim arms the earliest
	// one, and the loop must wake when the claim ends to aim its sleep.
	scheduler.RunOrPost(ex, func() {
		l.AfterFunc(time.Millisecond, func() { close(fired) })
	})
	testkit.Wait(t, fired, "timer armed during a claim")
}

func TestGoexitInAClaimKeepsTheLoop(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	ex := l.NewExecutor("g")
	after := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		scheduler.RunOrPost(ex, func() {
			ex.Post(func() { runtime.Goexit() }) // ends the claimer's goroutine
			ex.Post(func() { close(after) })     // left to the loop goroutine
		})
	}()
	testkit.Wait(t, exited, "the claimer's goroutine")
	testkit.Wait(t, after, "the task after the Goexit")
	again := make(chan struct{})
	ex.Post(func() { close(again) })
	testkit.Wait(t, again, "a later task")
}
