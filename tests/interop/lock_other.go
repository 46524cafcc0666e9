//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package interop

// lockDir is a no-op where flock is unavailable: there only the per-process
// sync.Once in EnsureNodeDeps guards `npm ci`.
func lockDir(string) (func(), error) { return func() {}, nil }
