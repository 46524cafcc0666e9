//go:build !linux

package transport

import "log/slog"

// rsPoller exists on Linux only (rawsocket_poll_linux.go): elsewhere an
// idle RawSocket connection waits on a goroutine of the smallest stack.
type rsPoller struct{}

func newRSPoller(*slog.Logger) *rsPoller { return nil }

func (*rsPoller) arm(*rsPeer, uint32) bool { return false }

func (*rsPoller) forget(*rsPeer) {}

func (*rsPoller) close() {}

func (*rsPoller) known() int { return 0 }
