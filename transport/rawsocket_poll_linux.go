//go:build linux

package transport

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// rsPoller is a RawSocket server's epoll instance for parked readers
// (rawsocket_park.go): idle connections wait in it without a goroutine.
//
// The epoll instance itself sits in Go's netpoller, as an os.File in
// non-blocking mode: the poller's one goroutine waits in the file's
// RawConn.Read like any socket reader (no OS thread blocked in
// epoll_wait), and drains ready events with epoll_wait(0) before it waits
// again, so the edge-triggered netpoller loses none.
//
// File descriptors: epoll_ctl is only ever called by a peer's own reader,
// inside its socket's RawConn.Control nested in the epoll file's, so both
// descriptors are open and are the ones meant for the whole call, however
// a close races it. The poller never names a socket by its descriptor: an
// event carries the peer's token and arming generation, and a token is
// looked up in peers (a closed socket leaves the epoll set by itself, and
// a token whose peer ended is forgotten). So a descriptor number reused by
// a new connection is never touched by mistake.
type rsPoller struct {
	ep     *os.File        // the epoll instance
	raw    syscall.RawConn // ep's
	logger *slog.Logger
	done   chan struct{} // closed when run returns

	mu    sync.Mutex
	peers map[uint32]*rsPeer // by token
	next  uint32             // the last token given
}

// rsPollBatch is how many events one epoll_wait takes.
const rsPollBatch = 128

// newRSPoller makes the epoll instance and starts its goroutine, or
// returns nil (logged at Debug) if the platform refuses: readers then park
// on goroutines.
func newRSPoller(logger *slog.Logger) *rsPoller {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err == nil {
		if err = unix.SetNonblock(fd, true); err != nil {
			_ = unix.Close(fd)
		}
	}
	if err != nil {
		logger.Debug("transport: no epoll poller for idle rawsocket connections; they keep a goroutine", "err", err)
		return nil
	}
	ep := os.NewFile(uintptr(fd), "rawsocket-epoll")
	raw, err := ep.SyscallConn()
	if err != nil {
		_ = ep.Close()
		logger.Debug("transport: no epoll poller for idle rawsocket connections; they keep a goroutine", "err", err)
		return nil
	}
	pl := &rsPoller{ep: ep, raw: raw, logger: logger, done: make(chan struct{}), peers: make(map[uint32]*rsPeer)}
	go pl.run()
	return pl
}

// arm registers p's socket for one readiness event (EPOLLONESHOT) of
// arming gen, and reports whether it did. Reader goroutine.
func (pl *rsPoller) arm(p *rsPeer, gen uint32) bool {
	pk := &p.park
	if pk.tok == 0 && !pl.enter(p) {
		return false
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(pk.tok), Pad: int32(gen)}
	var err error
	cerr := pl.raw.Control(func(epfd uintptr) {
		cerr := p.fr.br.raw.Control(func(fd uintptr) {
			op := unix.EPOLL_CTL_MOD
			if !pk.added {
				op = unix.EPOLL_CTL_ADD
			}
			err = unix.EpollCtl(int(epfd), op, int(fd), &ev)
			if op == unix.EPOLL_CTL_ADD && err == unix.EEXIST {
				err = unix.EpollCtl(int(epfd), unix.EPOLL_CTL_MOD, int(fd), &ev)
			}
			pk.added = pk.added || err == nil
		})
		if err == nil {
			err = cerr // the socket is closed
		}
	})
	return cerr == nil && err == nil
}

// enter gives p its token.
func (pl *rsPoller) enter(p *rsPeer) bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.peers == nil { // closed
		return false
	}
	for {
		pl.next++
		if _, used := pl.peers[pl.next]; pl.next != 0 && !used {
			break
		}
	}
	p.park.tok = pl.next
	pl.peers[pl.next] = p
	return true
}

// forget drops p, whose reader ended: events still queued for it are
// ignored. Reader goroutine.
func (pl *rsPoller) forget(p *rsPeer) {
	if p.park.tok == 0 {
		return
	}
	pl.mu.Lock()
	if pl.peers[p.park.tok] == p {
		delete(pl.peers, p.park.tok)
	}
	pl.mu.Unlock()
}

// run waits for events and wakes their readers until the epoll file is
// closed (or fails); then every reader it knows is woken for good, so none
// stays parked without a poller.
func (pl *rsPoller) run() {
	defer close(pl.done)
	evs := make([]unix.EpollEvent, rsPollBatch)
	type wake struct {
		p   *rsPeer
		gen uint32
	}
	var wakes []wake
	for {
		var n int
		var werr error
		err := pl.raw.Read(func(epfd uintptr) bool {
			for {
				n, werr = unix.EpollWait(int(epfd), evs, 0)
				if werr != unix.EINTR {
					return werr != nil || n > 0
				}
			}
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				pl.logger.Error("transport: rawsocket epoll poller failed; idle connections keep a goroutine from now on", "err", err)
			}
			break
		}
		pl.mu.Lock()
		for _, ev := range evs[:n] {
			if p := pl.peers[uint32(ev.Fd)]; p != nil {
				wakes = append(wakes, wake{p, uint32(ev.Pad)})
			}
		}
		pl.mu.Unlock()
		for i, w := range wakes {
			w.p.pollWake(w.gen)
			wakes[i] = wake{}
		}
		wakes = wakes[:0]
	}
	pl.mu.Lock()
	peers := pl.peers
	pl.peers = nil
	pl.mu.Unlock()
	_ = pl.ep.Close()
	for _, p := range peers {
		p.wakeReader(true)
	}
}

// close stops the poller and waits for its goroutine; readers still parked
// are woken for good (on goroutines). Idempotent.
func (pl *rsPoller) close() {
	_ = pl.ep.Close()
	<-pl.done
}
