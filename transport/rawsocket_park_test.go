//go:build unix

package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Parked readers (rawsocket_park.go). On Linux an idle server-side reader
// waits in the server's epoll poller without a goroutine; elsewhere (and
// with rsPollIdle off) on a fresh goroutine. Every test here runs both
// ways: the behaviour must not depend on where the reader waits.

// forEachParking runs f with readers parked in the poller (where the
// platform has one) and on goroutines.
func forEachParking(t *testing.T, f func(t *testing.T, poller bool)) {
	for _, poller := range []bool{true, false} {
		name := "goroutine"
		if poller {
			name = "poller"
		}
		t.Run(name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			old := rsPollIdle
			rsPollIdle = poller
			t.Cleanup(func() { rsPollIdle = old })
			f(t, poller && runtime.GOOS == "linux")
		})
	}
}

// parkedReaders counts the server's peers whose reader is parked in the
// poller.
func (s *RawSocketServer) parkedReaders() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p := range s.peers {
		if p.park.state.Load()&parkParked != 0 {
			n++
		}
	}
	return n
}

// live counts the server's peers.
func (s *RawSocketServer) live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// echoedPublication decodes an echoed EVENT and returns its publication.
func echoedPublication(t *testing.T, b []byte) int {
	t.Helper()
	m, err := codecJSON.Decode(b)
	must(t, err)
	return publicationOf(t, m)
}

// connectParked dials n raw connections, each with a good handshake, and
// returns them with their server-side recorders in the same order.
func connectParked(t *testing.T, srv *rsTestServer, n int) ([]*rsRaw, []*recorder) {
	t.Helper()
	cs, rs := make([]*rsRaw, n), make([]*recorder, n)
	for i := range n {
		cs[i] = rsRawConnect(t, srv.addr, 15)
		rs[i] = nextPeer(t, srv.accepted)
	}
	return cs, rs
}

// waitParked waits until n readers are parked in the poller (poller) or,
// without one, until the server has n peers (their readers wait on
// goroutines, which the test cannot tell apart from working ones).
func waitParked(t *testing.T, srv *rsTestServer, poller bool, n int) {
	t.Helper()
	if poller {
		eventually(t, "readers parked in the poller", func() bool { return srv.parkedReaders() == n })
	}
}

func TestRawSocketParkedReadersHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll poller is Linux only")
	}
	const n = 100
	srv := startRS(t, RawSocketConfig{}, nil, nil)
	c := rsRawConnect(t, srv.addr, 15) // one connection first: the poller exists
	nextPeer(t, srv.accepted)
	waitParked(t, srv, true, 1)
	base := runtime.NumGoroutine()
	cs, _ := connectParked(t, srv, n)
	// Each connection is counted before its handshake goroutine is gone;
	// once parked, none holds a goroutine, so the count falls back.
	eventually(t, "goroutines back to where they were before 100 idle connections", func() bool {
		return srv.parkedReaders() == n+1 && runtime.NumGoroutine() < base+n/10
	})
	// Every one still wakes on input.
	for _, c := range append(cs, c) {
		c.writeFrame(t, rsFramePing, []byte("hi"))
	}
	for _, c := range append(cs, c) {
		if typ, p, err := c.readFrame(); err != nil || typ != rsFramePong || string(p) != "hi" {
			t.Fatalf("got frame %d %q, %v; want PONG \"hi\"", typ, p, err)
		}
	}
	waitParked(t, srv, true, n+1)
}

func TestRawSocketParkedReaderWakesOnInput(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		const n = 50
		srv := startRS(t, RawSocketConfig{}, nil, func(r *recorder) { r.onMessage = echo })
		cs, _ := connectParked(t, srv, n)
		for round := range 3 { // parks, wakes and parks again
			waitParked(t, srv, poller, n)
			for i, c := range cs {
				c.writeFrame(t, rsFrameMessage, encodeJSON(t, round*n+i))
			}
			for i, c := range cs {
				if got := echoedPublication(t, c.readMessage(t)); got != round*n+i {
					t.Fatalf("connection %d echoed publication %d, want %d", i, got, round*n+i)
				}
			}
		}
		// A frame split across wakes: the header, then (parked again in
		// between, or not) the payload.
		waitParked(t, srv, poller, n)
		b := append(appendRawSocketHeader(nil, rsFrameMessage, len(encodeJSON(t, 7))), encodeJSON(t, 7)...)
		_, err := cs[0].Write(b[:2])
		must(t, err)
		_, err = cs[0].Write(b[2:])
		must(t, err)
		if got := echoedPublication(t, cs[0].readMessage(t)); got != 7 {
			t.Fatalf("echoed publication %d, want 7", got)
		}
	})
}

func TestRawSocketParkedReaderClosedByClient(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		srv := startRS(t, RawSocketConfig{}, nil, nil)
		cs, rs := connectParked(t, srv, 20)
		waitParked(t, srv, poller, 20)
		for i, c := range cs {
			if i%2 == 0 {
				must(t, c.Close())
			} else { // an abortive close: RST
				must(t, c.Conn.(*net.TCPConn).SetLinger(0))
				must(t, c.Close())
			}
		}
		for _, r := range rs {
			if err := r.waitClosed(t); err == nil {
				t.Fatal("Closed(nil) for a connection the client dropped")
			}
		}
		eventually(t, "the server forgets its peers", func() bool { return srv.parkedReaders() == 0 && srv.live() == 0 })
	})
}

func TestRawSocketParkedReaderClosedByServer(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		srv := startRS(t, RawSocketConfig{}, nil, nil)
		cs, rs := connectParked(t, srv, 20)
		waitParked(t, srv, poller, 20)
		for i, r := range rs {
			if i%2 == 0 {
				r.peer.Close() // orderly: half-close, the client closes too
			} else {
				r.peer.(*rsPeer).abort(closePolicyViolation, "test", errors.New("test abort"))
			}
		}
		for i, c := range cs {
			c.waitEOF(t)
			if i%2 == 0 {
				must(t, c.Close())
			}
		}
		for i, r := range rs {
			err := r.waitClosed(t)
			if i%2 == 0 && err != nil {
				t.Fatalf("Closed(%v) after Close, want nil", err)
			}
		}
		eventually(t, "the server forgets its peers", func() bool { return srv.live() == 0 })
	})
}

// TestRawSocketParkedFDReuse closes a parked connection on the server side
// and parks a new one, which the kernel gives the same descriptor number
// (the lowest free one): input on the new connection wakes the new reader,
// and the old one's end leaves nothing behind in the poller.
func TestRawSocketParkedFDReuse(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		srv := startRS(t, RawSocketConfig{}, nil, func(r *recorder) { r.onMessage = echo })
		reused := 0
		for i := range 20 {
			c := rsRawConnect(t, srv.addr, 15)
			r := nextPeer(t, srv.accepted)
			waitParked(t, srv, poller, 1)
			fd := peerFD(t, r.peer.(*rsPeer))
			r.peer.(*rsPeer).abort(closePolicyViolation, "test", errors.New("test abort"))
			c.waitEOF(t)
			must(t, c.Close()) // both numbers free: the next pair takes them again
			_ = r.waitClosed(t)
			eventually(t, "the old peer is gone", func() bool { return srv.live() == 0 })
			c2 := rsRawConnect(t, srv.addr, 15)
			r2 := nextPeer(t, srv.accepted)
			waitParked(t, srv, poller, 1)
			if peerFD(t, r2.peer.(*rsPeer)) == fd {
				reused++
			}
			c2.writeFrame(t, rsFrameMessage, encodeJSON(t, i))
			if got := echoedPublication(t, c2.readMessage(t)); got != i {
				t.Fatalf("echoed publication %d, want %d", got, i)
			}
			must(t, c2.Close())
			_ = r2.waitClosed(t)
			eventually(t, "the new peer is gone", func() bool { return srv.live() == 0 })
		}
		if poller {
			srv.mu.Lock()
			pl := srv.poll
			srv.mu.Unlock()
			if left := pl.known(); left != 0 {
				t.Errorf("the poller still knows %d peers", left)
			}
		}
		t.Logf("descriptor numbers reused: %d of 20", reused)
		if reused == 0 {
			t.Error("no new connection got its predecessor's descriptor number: the test did not test reuse")
		}
	})
}

// peerFD is the descriptor number of p's socket (only for comparing).
func peerFD(t *testing.T, p *rsPeer) uintptr {
	t.Helper()
	var fd uintptr
	rc, err := p.nc.(syscall.Conn).SyscallConn()
	must(t, err)
	must(t, rc.Control(func(f uintptr) { fd = f }))
	return fd
}

func TestRawSocketParkedKeepalive(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		t.Run("closes a silent parked peer", func(t *testing.T) {
			// The interval leaves the reader time to park before the first
			// tick (it is not a timing assertion: a reader that parks late
			// is closed the same way).
			srv := startRS(t, RawSocketConfig{PingInterval: 300 * time.Millisecond, PongTimeout: 50 * time.Millisecond}, nil, nil)
			rsRawConnect(t, srv.addr, 15) // reads nothing, answers nothing
			sr := nextPeer(t, srv.accepted)
			waitParked(t, srv, poller, 1)
			if err := sr.waitClosed(t); !errors.Is(err, ErrKeepaliveTimeout) {
				t.Fatalf("Closed(%v), want ErrKeepaliveTimeout", err)
			}
			if got := srv.stats.KeepaliveTimeouts.Load(); got != 1 {
				t.Errorf("KeepaliveTimeouts = %d", got)
			}
		})
		t.Run("keeps a parked peer that answers", func(t *testing.T) {
			// 10 pings answered: each wakes the reader, the PONG parks it
			// again, and the connection lives on. PongTimeout only guards
			// against scheduling stalls.
			srv := startRS(t, RawSocketConfig{PingInterval: 5 * time.Millisecond, PongTimeout: 10 * time.Second}, nil, nil)
			c := rsRawConnect(t, srv.addr, 15)
			sr := nextPeer(t, srv.accepted)
			for range 10 {
				typ, p, err := c.readFrame()
				if err != nil || typ != rsFramePing {
					t.Fatalf("frame %d, %v; want a PING", typ, err)
				}
				c.writeFrame(t, rsFramePong, p)
			}
			select {
			case err := <-sr.closed:
				t.Fatalf("closed: %v", err)
			default:
			}
			if got := srv.stats.KeepaliveTimeouts.Load(); got != 0 {
				t.Errorf("KeepaliveTimeouts = %d", got)
			}
		})
	})
}

func TestRawSocketShutdownWakesParkedReaders(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		srv := startRS(t, RawSocketConfig{}, nil, nil)
		cs, rs := connectParked(t, srv, 30)
		waitParked(t, srv, poller, 30)
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		for _, c := range cs { // the half-close arrives; the client closes too
			c.waitEOF(t)
			must(t, c.Close())
		}
		recvWithin(t, closed, "Close to return")
		for _, r := range rs {
			if err := r.waitClosed(t); !errors.Is(err, ErrServerClosed) {
				t.Fatalf("Closed(%v), want ErrServerClosed", err)
			}
		}
		// goleak (forEachParking) checks that no reader or poller is left.
	})
}

func TestRawSocketShutdownWithSilentParkedPeer(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		// A peer that never closes its end: the orderly close's linger
		// deadline must still end the reader, parked or not.
		srv := startRS(t, RawSocketConfig{WriteTimeout: 100 * time.Millisecond}, nil, nil)
		rsRawConnect(t, srv.addr, 15)
		sr := nextPeer(t, srv.accepted)
		waitParked(t, srv, poller, 1)
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		recvWithin(t, closed, "Close to return")
		if err := sr.waitClosed(t); !errors.Is(err, ErrServerClosed) {
			t.Fatalf("Closed(%v), want ErrServerClosed", err)
		}
	})
}

// TestRawSocketParkingStress has many connections echo while keepalive
// ticks every millisecond, so parks, input wakes, tick wakes and pending
// input race each other (the race detector watches): every message is
// echoed once, in order, and no peer is closed.
func TestRawSocketParkingStress(t *testing.T) {
	forEachParking(t, func(t *testing.T, poller bool) {
		const conns, msgs = 8, 200
		srv := startRS(t, RawSocketConfig{PingInterval: time.Millisecond, PongTimeout: time.Minute},
			nil, func(r *recorder) { r.onMessage = echo })
		cs, rs := connectParked(t, srv, conns)
		done := make(chan error, conns)
		for _, c := range cs {
			go func() {
				for i := range msgs {
					b, _ := codecJSON.Append(nil, event(i))
					if _, err := c.Write(append(appendRawSocketHeader(nil, rsFrameMessage, len(b)), b...)); err != nil {
						done <- err
						return
					}
					for {
						typ, p, err := c.readFrame()
						if err != nil {
							done <- err
							return
						}
						if typ == rsFramePing {
							if _, err := c.Write(appendRawSocketHeader(nil, rsFramePong, 0)); err != nil {
								done <- err
								return
							}
							continue
						}
						if m, err := codecJSON.Decode(p); err != nil || m.(*wamp.Event).Publication != wamp.ID(i) {
							done <- fmt.Errorf("echo %v (%v), want publication %d", m, err, i)
							return
						}
						break
					}
				}
				done <- nil
			}()
		}
		for range conns {
			if err := recvWithin(t, done, "an echo client"); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range rs {
			select {
			case err := <-r.closed:
				t.Fatalf("a peer closed: %v", err)
			default:
			}
		}
	})
}

func TestRawSocketTLSReaderNotParkedInPoller(t *testing.T) {
	cert, pool := selfSigned(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ln := tls.NewListener(inner, ServerTLSConfig(cert))
	srv := startRS(t, RawSocketConfig{}, ln, func(r *recorder) { r.onMessage = echo })
	client, cr := dialRS(t, srv, RawSocketClientConfig{TLSConfig: &tls.Config{RootCAs: pool}})
	nextPeer(t, srv.accepted)
	for i := range 3 {
		client.Send(event(i))
		if got := publicationOf(t, cr.nextMsg(t)); got != i {
			t.Fatalf("echo %d, want %d", got, i)
		}
		// The reader waits on a goroutine: tls.Conn may hold decrypted
		// bytes the socket's readiness knows nothing about.
		if n := srv.parkedReaders(); n != 0 {
			t.Fatalf("%d TLS readers parked in the poller", n)
		}
	}
}

// processCPU is the process's user+system CPU time in ns.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkRawSocketEchoParking compares the round trip of a connection
// whose reader parks in the poller after every message with one whose
// reader parks on a goroutine. Both pairs run at once and take turns in
// slices of 500 round trips, so the machine's changing load falls on both
// alike; it reports each one's wall and CPU time (user+system of the whole
// process while that pair ran) per round trip.
func BenchmarkRawSocketEchoParking(b *testing.B) {
	type pair struct {
		client Peer
		cr     *recorder
		wall   time.Duration
		cpu    int64
		n      int
		name   string
	}
	var pairs []*pair
	for _, poller := range []bool{true, false} {
		old := rsPollIdle
		rsPollIdle = poller
		client, cr := rsBenchPair(b, codecJSON)
		rsPollIdle = old
		name := "goroutine"
		if poller {
			name = "poller"
		}
		pairs = append(pairs, &pair{client: client, cr: cr, name: name})
	}
	b.ReportAllocs()
	b.ResetTimer()
	const slice = 500
	for done := 0; done < b.N; {
		for _, p := range pairs {
			n := min(slice, b.N-done)
			start, cpu0 := time.Now(), processCPU(b)
			for i := range n {
				p.client.Send(event(i))
				select {
				case <-p.cr.msgs:
				case <-time.After(waitFor):
					b.Fatal("no echo")
				}
			}
			p.wall += time.Since(start)
			p.cpu += processCPU(b) - cpu0
			p.n += n
		}
		done += slice
	}
	for _, p := range pairs {
		b.ReportMetric(float64(p.wall.Nanoseconds())/float64(p.n), p.name+"-ns/op")
		b.ReportMetric(float64(p.cpu)/float64(p.n), p.name+"-cpu-ns/op")
	}
}

// TestRawSocketReadersOutlivePoller stops the poller under parked readers
// (as its failure would): they are woken onto goroutines and serve on, and
// readers that go idle later wait on goroutines.
func TestRawSocketReadersOutlivePoller(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll poller is Linux only")
	}
	srv := startRS(t, RawSocketConfig{}, nil, func(r *recorder) { r.onMessage = echo })
	cs, _ := connectParked(t, srv, 10)
	waitParked(t, srv, true, 10)
	srv.mu.Lock()
	pl := srv.poll
	srv.mu.Unlock()
	pl.close()
	if n := srv.parkedReaders(); n != 0 {
		t.Fatalf("%d readers still parked in a closed poller", n)
	}
	cs = append(cs, rsRawConnect(t, srv.addr, 15))
	nextPeer(t, srv.accepted)
	for round := range 2 {
		for i, c := range cs {
			c.writeFrame(t, rsFrameMessage, encodeJSON(t, round*100+i))
		}
		for i, c := range cs {
			if got := echoedPublication(t, c.readMessage(t)); got != round*100+i {
				t.Fatalf("echoed publication %d, want %d", got, round*100+i)
			}
		}
	}
	if n := srv.parkedReaders(); n != 0 {
		t.Fatalf("%d readers parked in a closed poller", n)
	}
}
