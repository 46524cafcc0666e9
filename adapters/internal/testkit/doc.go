// Package testkit holds what the scheduling backends' tests and benchmarks
// share: waiting with a guard timeout, holding an executor busy, a slog
// handler that keeps records and a check of the panic reports, the
// idle-session memory test, and the benchmark bodies, so that one
// `go test -bench . ./adapters/...` compares the backends on the same code.
//
// Only _test files import it. Usage, in a backend's tests:
//
//	func TestIdleSessions(t *testing.T) { testkit.IdleSessions(t, newPool(t, pool.Config{}), true) }
//	func BenchmarkMailboxPut(b *testing.B) { testkit.BenchMailboxPut(b, benchPool(b)) }
package testkit
