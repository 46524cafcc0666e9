// Package schedtest holds what every scheduling backend is tested with: the
// conformance suite Conformance, and Virtual, a deterministic single-threaded
// scheduler with a virtual clock for tests and simulations.
//
// # Conformance
//
// A backend's tests call Conformance with a function returning a fresh
// Harness per subtest:
//
//	func TestConformance(t *testing.T) {
//		schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
//			return schedtest.Harness{Backend: mybackend.New(mybackend.Config{})}
//		})
//	}
//
// The subtests check the duties listed in package scheduler: FIFO per
// executor (one producer: total order; many: per-producer order), never two
// tasks of one executor at once, Post from inside a task runs later and not
// re-entrantly, timers fire once and not before their deadline, Stop before
// firing prevents the call and reports true, Stop after reports false, the
// caller's cancellation and Close reach spawned tasks, Close waits for them
// and then refuses all new work, mailboxes keep order and their capacity
// bound and honour Put's context and Close, panicking work does not break
// the backend, and no goroutine leaks (go.uber.org/goleak) once the backend
// is closed. Assertions never depend on how fast a machine is: real-time
// waits are failure guards only, and sleeps only precede checks that
// something did NOT happen.
//
// A virtual backend (Harness.Virtual, with Settle and Advance) runs the
// same subtests, driven by those hooks instead of real time; the few that
// need a goroutine to stay blocked (a Put waiting for room) are not
// registered for it. Timer deadline order is asserted only for virtual
// backends: real ones run each callback on its own goroutine, whose start
// order Go does not guarantee.
//
// # Virtual
//
// NewVirtual(seed, start) returns a scheduler.AsyncSupport where nothing
// happens until the test says so:
//
//	v := schedtest.NewVirtual(seed, start)
//	ex := v.NewExecutor("realm")
//	ex.Post(step1)
//	v.RunUntilIdle()           // runs step1 and whatever it posts
//	v.Advance(5 * time.Second) // fires timers due in the next 5s, in order
//
// Among executors with work, each step picks one with a math/rand source
// seeded by seed, so a seed names one interleaving: print Seed() when a test
// fails and replay it. Use it from one goroutine. A task that always
// re-posts itself keeps RunUntilIdle running forever, as it would keep a
// real executor busy.
package schedtest
