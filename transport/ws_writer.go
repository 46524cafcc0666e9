package transport

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// writerLinger is how long an idle writer waits for more work before its
// goroutine exits. Starting a writer per message costs a goroutine start and,
// with reflective encoders, repeated stack growth (measured: ~25% of CPU in
// a JSON echo benchmark); an idle connection still holds no writer after
// this long.
const writerLinger = time.Millisecond

// maxPooledBuf is the largest encode buffer returned to the pool.
const maxPooledBuf = 64 << 10

var encodeBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encodeError marks a writer failure that is ours (encoding, size), not the
// socket's: the connection is still healthy and gets an orderly close frame.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return e.err.Error() }

// round is the work one writer iteration took from the peer.
type round struct {
	batch    []wamp.Message
	ping     bool
	pong     []byte
	doPong   bool
	deadline time.Time   // write deadline this writer last set
	timer    *time.Timer // linger timer, created on first use
}

// writeLoop is the peer's writer goroutine: it runs while there is work and
// exits when the queue is drained, after writing a close frame, or when the
// connection is gone. It is the only goroutine that writes through this
// package (gws itself may echo a close frame from the reader).
func (p *wsPeer) writeLoop() {
	defer p.wg.Done()
	bp := encodeBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBuf {
			*bp = (*bp)[:0]
			encodeBufPool.Put(bp)
		}
	}()
	defer p.recoverWriter()
	var r round
	for p.nextRound(&r) {
		if err := p.writeRound(bp, &r); err != nil {
			p.writeFailed(err)
		}
	}
}

// nextRound accounts for the previous round and takes the next one. It
// returns false when the writer must exit; on that path it has already
// written the close frame if one was due. When there is nothing to do it
// lingers (writerLinger) before exiting, so a busy connection keeps one
// writer with a warm stack instead of starting one per message.
func (p *wsPeer) nextRound(r *round) bool {
	done := len(r.batch)
	clear(r.batch)
	r.batch = r.batch[:0]
	lingered := false
	p.mu.Lock()
	if p.state == stateOpen {
		p.pending -= done
	}
	if r.batch == nil {
		r.batch, p.spare = p.spare, nil
	}
	for {
		switch p.state {
		case stateAborting:
			p.finishLocked(r)
			_ = p.conn.NetConn().SetWriteDeadline(time.Now().Add(p.cfg.writeTimeout))
			p.mu.Unlock()
			p.writeClose()
			return false
		case stateClosed:
			p.finishLocked(r)
			p.mu.Unlock()
			return false
		}
		r.ping, r.doPong, r.pong = p.pingDue, p.pongDue, p.pong
		p.pingDue, p.pongDue, p.pong = false, false, nil
		if len(p.queue) > 0 || r.ping || r.doPong {
			r.batch, p.queue = p.queue, r.batch
			if p.state == stateOpen {
				r.refreshDeadline(p)
			}
			p.mu.Unlock()
			return true
		}
		if p.state == stateFlushing {
			p.finishLocked(r)
			p.mu.Unlock()
			p.writeClose() // under the deadline set by shutdown
			return false
		}
		if lingered {
			p.idleLocked(r)
			p.mu.Unlock()
			return false
		}
		if p.wake == nil {
			p.wake = make(chan struct{}, 1)
		}
		p.parked = true
		wake := p.wake
		p.mu.Unlock()
		lingered = !r.linger(wake)
		p.mu.Lock()
		p.parked = false
	}
}

// linger waits for a wake-up or writerLinger; it reports whether it was woken.
func (r *round) linger(wake <-chan struct{}) bool {
	if r.timer == nil {
		r.timer = time.NewTimer(writerLinger)
	} else {
		r.timer.Reset(writerLinger)
	}
	select {
	case <-wake:
		r.timer.Stop()
		return true
	case <-r.timer.C:
		return false
	}
}

// refreshDeadline sets the write deadline to now+WriteTimeout unless the one
// set is still at least 7/8 of that away: a stalled write fails after 7/8 to
// 1 WriteTimeout, for one cheap clock read instead of a deadline update per
// batch.
func (r *round) refreshDeadline(p *wsPeer) {
	now := time.Now()
	if r.deadline.Sub(now) >= p.cfg.writeTimeout/8*7 {
		return
	}
	r.deadline = now.Add(p.cfg.writeTimeout)
	_ = p.conn.NetConn().SetWriteDeadline(r.deadline)
}

// idleLocked ends an idle writer. It clears the write deadline, so a close
// frame gws echoes from the reader is not failed by a stale one (the next
// ping tick starts a writer, which sets one again).
func (p *wsPeer) idleLocked(r *round) {
	_ = p.conn.NetConn().SetWriteDeadline(time.Time{})
	p.writing = false
	if cap(r.batch) <= maxIdleQueueCap {
		p.spare = r.batch
	}
	r.batch = nil
	if cap(p.queue) > maxIdleQueueCap {
		p.queue = nil
	}
	if r.timer != nil {
		r.timer.Stop()
	}
}

// finishLocked ends the writer: the state becomes closed and nothing more is
// written by this package.
func (p *wsPeer) finishLocked(r *round) {
	p.state = stateClosed
	p.stop.Store(true)
	p.writing = false
	p.dropQueueLocked()
	r.batch = nil
	if r.timer != nil {
		r.timer.Stop()
	}
}

// writeClose sends the pending close frame and closes the socket.
func (p *wsPeer) writeClose() {
	p.mu.Lock()
	code, reason := p.closeCode, p.closeReason
	p.mu.Unlock()
	_ = p.conn.WriteClose(code, []byte(reason))
}

// writeRound writes control frames, then the batch, stopping at the first
// error or when the peer is aborted meanwhile.
func (p *wsPeer) writeRound(bp *[]byte, r *round) error {
	if r.doPong {
		if err := p.conn.WritePong(r.pong); err != nil {
			return err
		}
	}
	if r.ping {
		if err := p.conn.WritePing(nil); err != nil {
			return err
		}
	}
	for _, m := range r.batch {
		if p.stop.Load() {
			return nil
		}
		if err := p.writeMessage(bp, m); err != nil {
			return err
		}
	}
	return nil
}

// writeMessage encodes m into *bp and writes it as one frame.
func (p *wsPeer) writeMessage(bp *[]byte, m wamp.Message) error {
	b, err := p.encode((*bp)[:0], m)
	*bp = b
	if err != nil {
		return &encodeError{err}
	}
	if len(b) > p.cfg.maxMessageBytes {
		return &encodeError{fmt.Errorf("%w: %v of %d bytes, limit %d",
			ErrMessageTooLarge, m.Type(), len(b), p.cfg.maxMessageBytes)}
	}
	return p.conn.WriteMessage(p.opcode, b)
}

// encode appends m's encoding to dst, turning a serializer panic into an error.
func (p *wsPeer) encode(dst []byte, m wamp.Message) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = dst, fmt.Errorf("%w: serializer panic: %v", ErrEncode, r)
		}
	}()
	if m == nil {
		return dst, fmt.Errorf("%w: nil message", ErrEncode)
	}
	b, err = p.ser.Append(dst, m)
	if err != nil && !errors.Is(err, ErrEncode) {
		err = fmt.Errorf("%w: %v: %w", ErrEncode, m.Type(), err)
	}
	return b, err
}

// writeFailed handles a writer error. An encoding error aborts the peer with
// close 1011 (the socket is fine, so the close frame can go out). A socket
// error means gws has already closed the connection; the reader reports the
// cause.
func (p *wsPeer) writeFailed(err error) {
	var ee *encodeError
	if errors.As(err, &ee) {
		p.cfg.stats.EncodeErrors.Add(1)
		p.cfg.logger.Error("transport: cannot send message; closing connection",
			"peer", p.info.PeerAddr, "serializer", p.ser.Name(), "err", ee.err)
		reason := "internal error: cannot encode message"
		if errors.Is(ee.err, ErrMessageTooLarge) {
			reason = "outbound message too large"
		}
		p.mu.Lock()
		p.abortLocked(closeInternalError, reason, ee.err) // writer running: no start
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	p.state = stateClosed
	p.stop.Store(true)
	p.dropQueueLocked()
	p.mu.Unlock()
}

// recoverWriter keeps a bug in the writer from killing the process: it logs,
// marks the peer closed and closes the socket.
func (p *wsPeer) recoverWriter() {
	r := recover()
	if r == nil {
		return
	}
	p.cfg.logger.Error("transport: panic in websocket writer; closing connection",
		"peer", p.info.PeerAddr, "panic", r, "stack", string(debug.Stack()))
	p.mu.Lock()
	p.setCauseLocked(fmt.Errorf("%w: writer: %v", ErrHandlerPanic, r))
	p.state = stateClosed
	p.stop.Store(true)
	p.writing = false
	p.dropQueueLocked()
	p.mu.Unlock()
	_ = p.conn.NetConn().Close()
}
