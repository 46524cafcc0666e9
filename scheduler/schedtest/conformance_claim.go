package schedtest

import (
	"context"
	"slices"

	"github.com/switchboard-wamp/switchboard/internal/testwait"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Executors that may be claimed (scheduler.ExecutorClaimer): the caller
// runs an idle executor's work itself, and nothing else runs it meanwhile.
// Backends whose executors are not claimers skip these cases.
func claimCases() []testCase {
	return []testCase{
		{name: "claim/holds_posted_tasks_until_release", run: testClaimHolds},
		{name: "claim/busy_executor_is_not_claimed", realOnly: true, run: testClaimBusy},
		{name: "claim/run_or_post_runs_on_the_caller", run: testRunOrPost},
		{name: "claim/put_inline_delivers_in_order", run: testPutInline},
		{name: "claim/refused_after_close", run: testClaimClosed},
	}
}

// claimer returns ex as a claimer, or skips the test.
func (e *env) claimer(ex scheduler.Executor) scheduler.ExecutorClaimer {
	e.t.Helper()
	c, ok := ex.(scheduler.ExecutorClaimer)
	if !ok {
		e.t.Skip("the backend's executors cannot be claimed")
	}
	return c
}

func testClaimHolds(e *env) {
	ex := e.Backend.NewExecutor("claim")
	c := e.claimer(ex)
	if !c.TryClaim() {
		e.t.Fatal("TryClaim of an idle executor: false")
	}
	if c.TryClaim() {
		e.t.Fatal("a second TryClaim while claimed: true")
	}
	var order record[int]
	done := make(chan struct{})
	ex.Post(func() { order.add(1) })
	ex.Post(func() { order.add(2); close(done) })
	e.settle()
	order.add(0) // the claim's own work: nothing posted may run before Release
	c.Release()
	e.await(done, "tasks posted during the claim")
	if got := order.get(); !slices.Equal(got, []int{0, 1, 2}) {
		e.t.Fatalf("order %v, want [0 1 2]", got)
	}
	// Idle again once the tasks' runner has let go: it can be claimed again.
	testwait.Until(e.t, "the executor claimable again", guardTimeout, func() bool {
		e.settle()
		return c.TryClaim()
	})
	c.Release()
}

func testClaimBusy(e *env) {
	ex := e.Backend.NewExecutor("claim")
	c := e.claimer(ex)
	release := e.blockExecutor(ex)
	defer release()
	if c.TryClaim() {
		c.Release()
		e.t.Fatal("TryClaim of an executor running a task: true")
	}
	ran := make(chan struct{})
	if !scheduler.RunOrPost(ex, func() { close(ran) }) {
		e.t.Fatal("RunOrPost: false")
	}
	release()
	e.await(ran, "RunOrPost's task on a busy executor")
}

func testRunOrPost(e *env) {
	ex := e.Backend.NewExecutor("claim")
	e.claimer(ex)
	ran := false
	if !scheduler.RunOrPost(ex, func() { ran = true }) {
		e.t.Fatal("RunOrPost: false")
	}
	if !ran {
		e.t.Fatal("RunOrPost on an idle claimable executor returned before running f")
	}
}

func testPutInline(e *env) {
	ex := e.Backend.NewExecutor("claim")
	e.claimer(ex)
	s := newSink(3)
	mb := e.Backend.NewMailbox(ex, 8, s.recv)
	if err := scheduler.PutInline(mb, context.Background(), 0); err != nil {
		e.t.Fatal(err)
	}
	if mb.Len() != 0 {
		e.t.Fatal("PutInline on an idle mailbox and executor returned before delivering")
	}
	for v := 1; v < 3; v++ {
		if err := scheduler.PutInline(mb, context.Background(), v); err != nil {
			e.t.Fatal(err)
		}
	}
	e.await(s.done, "values put inline")
	if !slices.Equal(s.got, []int{0, 1, 2}) {
		e.t.Fatalf("delivered %v, want [0 1 2]", s.got)
	}
}

func testClaimClosed(e *env) {
	ex := e.Backend.NewExecutor("claim")
	c := e.claimer(ex)
	if err := e.Backend.Close(); err != nil {
		e.t.Fatal(err)
	}
	if c.TryClaim() {
		e.t.Fatal("TryClaim after Close: true")
	}
	if scheduler.RunOrPost(ex, func() {}) {
		e.t.Fatal("RunOrPost after Close: true")
	}
}
