package transport

import (
	"errors"
	"testing"
	"time"
)

// WriteTimeout bounds a time without progress, not a write: a peer that
// keeps reading a batch far larger than it can read in WriteTimeout is not
// closed, and one that reads nothing is, with ErrWriteTimeout.

func TestWriteTimeoutSlowReaderOfALargeBatchSurvives(t *testing.T) {
	const (
		timeout = 2 * time.Second // a starved reader on a loaded machine stalls for up to a second
		n       = 12
		size    = 256 << 10 // 3 MiB in all: several seconds of reading at the client's pace
	)
	for name, env := range smallBufEnvs(timeout, 64<<10) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			srvPeer, client := e.dialIdle(t)
			client.pace(16<<10, 20*time.Millisecond) // at most 800 KB/s
			start := time.Now()
			for i := 1; i <= n; i++ {
				if !srvPeer.peer.Send(paddedEvent(i, size)) {
					t.Fatalf("Send %d refused", i)
				}
			}
			t.Cleanup(func() {
				if t.Failed() {
					select {
					case err := <-srvPeer.closed:
						t.Logf("the server's peer was closed: %v", err)
					default:
					}
				}
			})
			for i := 1; i <= n; i++ {
				if got := publicationOf(t, client.next(t)); got != i {
					t.Fatalf("message %d: got publication %d", i, got)
				}
			}
			if d := time.Since(start); d < timeout*3/2 {
				// The batch must take longer than WriteTimeout to read, or
				// the test proves nothing; this is about the test, not a
				// measurement of the code.
				t.Fatalf("reading took %v: not slow enough to outlast WriteTimeout (%v)", d, timeout)
			}
			select {
			case err := <-srvPeer.closed:
				t.Fatalf("the slow reader was closed: %v", err)
			default:
			}
		})
	}
}

func TestWriteTimeoutNonReaderClosed(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for name, env := range smallBufEnvs(timeout, 64<<10) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			srvPeer, _ := e.dialIdle(t) // never reads
			srvPeer.peer.Send(paddedEvent(1, 1<<20))
			if err := srvPeer.waitClosed(t); !errors.Is(err, ErrWriteTimeout) {
				t.Fatalf("Closed(%v), want ErrWriteTimeout", err)
			}
		})
	}
}
