//go:build linux

package transport

import (
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
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
	closed atomic.Bool   // close was called

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
	if p.park.tok == 0 && !pl.enter(p) {
		return false
	}
	a := armPool.Get().(*rsArm)
	a.p, a.err = p, nil
	a.ev = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(p.park.tok), Pad: int32(gen)}
	err := pl.raw.Control(a.outerFn)
	ok := err == nil && a.err == nil
	a.p = nil
	armPool.Put(a)
	return ok
}

// rsArm is one arming's epoll_ctl, with its callbacks made once (a
// closure given to RawConn.Control would be allocated at every park).
type rsArm struct {
	p                *rsPeer
	ev               unix.EpollEvent
	epfd             int
	err              error
	outerFn, innerFn func(uintptr)
}

var armPool = sync.Pool{New: func() any {
	a := new(rsArm)
	a.outerFn, a.innerFn = a.outer, a.inner
	return a
}}

// outer runs in the epoll file's Control: its descriptor is open for the
// call.
func (a *rsArm) outer(epfd uintptr) {
	a.epfd = int(epfd)
	if err := a.p.fr.br.raw.Control(a.innerFn); err != nil && a.err == nil {
		a.err = err // the socket is closed
	}
}

// inner runs in the socket's Control, nested in outer's.
func (a *rsArm) inner(fd uintptr) {
	pk := &a.p.park
	op := unix.EPOLL_CTL_MOD
	if !pk.added {
		op = unix.EPOLL_CTL_ADD
	}
	err := unix.EpollCtl(a.epfd, op, int(fd), &a.ev)
	if op == unix.EPOLL_CTL_ADD && err == unix.EEXIST {
		err = unix.EpollCtl(a.epfd, unix.EPOLL_CTL_MOD, int(fd), &a.ev)
	}
	pk.added = pk.added || err == nil
	a.err = err
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

// known is the number of peers the poller knows (tests).
func (pl *rsPoller) known() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.peers)
}

// run waits for events and wakes their readers until the epoll file is
// closed (or fails); then every reader it knows is woken for good, so none
// stays parked without a poller.
func (pl *rsPoller) run() {
	defer close(pl.done)
	w := &rsPollWait{evs: make([]unix.EpollEvent, rsPollBatch)}
	waitFn := w.wait
	type wake struct {
		p   *rsPeer
		gen uint32
	}
	var wakes []wake
	for {
		err := pl.raw.Read(waitFn)
		if err == nil {
			err = w.err
		}
		if err != nil {
			if !pl.closed.Load() {
				pl.logger.Error("transport: rawsocket epoll poller failed; idle connections keep a goroutine from now on", "err", err)
			}
			break
		}
		pl.mu.Lock()
		for _, ev := range w.evs[:w.n] {
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

// rsPollWait is the poller goroutine's epoll_wait, as a RawConn.Read
// callback: it takes the ready events without waiting, and has the
// netpoller wait when there are none.
type rsPollWait struct {
	evs []unix.EpollEvent
	n   int
	err error
}

func (w *rsPollWait) wait(epfd uintptr) bool {
	for {
		w.n, w.err = unix.EpollWait(int(epfd), w.evs, 0)
		if w.err != unix.EINTR {
			return w.err != nil || w.n > 0
		}
	}
}

// close stops the poller and waits for its goroutine; readers still parked
// are woken for good (on goroutines). Idempotent.
func (pl *rsPoller) close() {
	pl.closed.Store(true)
	_ = pl.ep.Close()
	<-pl.done
}
