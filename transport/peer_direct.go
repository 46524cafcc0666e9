package transport

import (
	"io"
	"slices"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Inline writes: a peer with nothing queued and no writer running may be
// written from the goroutine that sends to it, when that goroutine is one
// for which waking a writer costs more than the write (an event loop).
// The write never waits: it is one attempt on the non-blocking socket.
// Whatever the socket does not take (a full send buffer, a partial write,
// an error) is kept by the wire and handed to a writer goroutine, which
// writes it before anything else, so frames stay whole and in order. Only
// plain TCP and Unix sockets are written so (not TLS, whose records the
// writer goroutine must build), and only messages the writer would batch
// (under 16 KiB; for WebSocket, not compressed and valid UTF-8 text).

// InlineSender is implemented by the socket transports' peers (WebSocket
// and RawSocket, both sides).
type InlineSender interface {
	// SendInline is Peer.Send, except that when the peer has nothing
	// queued and no writer running it encodes m and writes it to the
	// socket on the calling goroutine, without ever waiting: what the
	// socket does not take at once is finished by the peer's writer
	// goroutine, before anything sent after m. The byte budgets, flow
	// control and statistics count m exactly as a queued message. Meant
	// for a goroutine that must not block and for which waking a writer
	// costs more than a write (an event loop). Safe for concurrent use.
	SendInline(m wamp.Message) bool
	// SendHeld is Peer.Send, except that it starts no writer goroutine
	// for m: the caller calls CloseInline next, on the same goroutine,
	// and m goes out with the close (a writer already running takes m
	// as usual). Safe for concurrent use.
	SendHeld(m wamp.Message) bool
	// CloseInline is Peer.Close, except that when no writer runs, what
	// is queued (SendHeld) and the WebSocket close frame are written on
	// the calling goroutine in one write that never waits; what the
	// socket does not take is finished by the peer's writer goroutine,
	// which then closes. Without a close frame (RawSocket), or when a
	// message cannot be written inline, it is Close. Safe for concurrent
	// use.
	CloseInline()
}

// inlineRests counts the inline writes that left a rest to a writer
// goroutine (for tests: the path is taken only when a socket is full).
var inlineRests atomic.Int64

// directWire is the part of a wire that writes inline. beginDirect and
// endDirect bracket one attempt, made only by whoever holds the writer
// role (peerCore.writing), so nothing else of this package writes
// meanwhile.
type directWire interface {
	// beginDirect reserves the socket for one attempt; false when an
	// attempt cannot be made now (WebSocket: gws is writing, or a close
	// frame went out).
	beginDirect() bool
	// directable reports whether the encoding b may be written inline.
	directable(b []byte) bool
	// writeDirect frames b and writes what the socket takes at once; it
	// keeps the rest, to be written (finishRest) before anything else, and
	// reports whether there is a rest.
	writeDirect(b []byte) (rest bool)
	// endDirect ends the attempt.
	endDirect()
	// finishRest writes what an inline write left, blocking under the
	// write deadline. Writer goroutine.
	finishRest() error
}

// SendInline implements InlineSender.
func (q *peerCore) SendInline(m wamp.Message) bool {
	if !q.inline {
		return q.send(m, sendModeQueued)
	}
	return q.send(m, sendModeInline)
}

// takeInlineLocked decides whether m, just queued (n estimated bytes),
// is written inline: only when it is all the peer has to write and no
// writer runs. Then it takes m back out of the queue (it stays counted as
// pending, as a message in a writer's batch is) and takes the writer role
// for one attempt: Sends meanwhile queue behind m, and writeInline hands
// them to a writer. Called with q.mu held.
func (q *peerCore) takeInlineLocked(n int) bool {
	if !q.accepted || q.writing || q.pending != 1 || q.pingDue || len(q.pongs) > 0 || q.restDue {
		return false
	}
	q.queue[0] = nil
	q.queue = q.queue[:0]
	q.queuedBytes -= n
	q.writing = true
	q.wg.Add(1)
	return true
}

// writeInline makes one non-blocking attempt to write m (n estimated
// bytes, already counted as pending), with the writer role held, and then
// gives the role up or hands it to a writer goroutine.
func (q *peerCore) writeInline(m wamp.Message, n int) {
	tried, rest := q.tryInline(m)
	q.mu.Lock()
	switch {
	case !tried && (q.state == stateOpen || q.state == stateFlushing):
		// The writer sends it first, as if it had been queued.
		q.queue = slices.Insert(q.queue, 0, m)
		q.queuedBytes += n
	case rest:
		q.restBytes = n // pending until the writer has finished it
		q.restDue = true
		inlineRests.Add(1)
	case q.state == stateOpen: // written (otherwise the queue was discarded, m's bytes with it)
		q.pending--
		q.releaseBytesLocked(n)
		q.noteDrainedLocked()
	}
	if q.state == stateOpen && !q.restDue && len(q.queue) == 0 && !q.pingDue && len(q.pongs) == 0 {
		q.writing = false
		q.mu.Unlock()
		q.wg.Done()
		return
	}
	q.mu.Unlock()
	go q.writeLoop() // the writer role (and its wg count) passes to it
}

// tryInline encodes m and writes it inline if the wire allows it now. It
// reports whether it tried (m is then sent, or its rest kept) and whether
// a rest is left.
func (q *peerCore) tryInline(m wamp.Message) (tried, rest bool) {
	if !q.dw.beginDirect() {
		return false, false
	}
	defer q.dw.endDirect()
	bp := encodeBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBuf {
			*bp = (*bp)[:0]
			encodeBufPool.Put(bp)
		}
	}()
	b, err := q.encodeFor(bp, m)
	if err != nil || !q.dw.directable(b) {
		return false, false // the writer encodes it again, and refuses it if need be
	}
	q.cfg.stats.countOut(m, len(b))
	return true, q.dw.writeDirect(b)
}

// inlineRest is a wire's unwritten tail of an inline frame, held in its
// frameBufPool buffer until a writer finishes it.
type inlineRest struct {
	rest []byte  // the frame's unwritten tail, in buf
	buf  *[]byte // from frameBufPool
}

// try writes the frame f (in out, from frameBufPool) through sw without
// waiting and keeps what the socket did not take; it reports whether
// there is such a rest.
func (r *inlineRest) try(sw *sockWriter, f []byte, out *[]byte) bool {
	n := sw.writeNow(f)
	if n == len(f) {
		*out = f[:0]
		frameBufPool.Put(out)
		return false
	}
	r.rest, r.buf = f[n:], out
	return true
}

// pending reports whether a rest waits to be written.
func (r *inlineRest) pending() bool { return r.buf != nil }

// finish writes the rest, if any, to w, blocking under the write deadline
// dl and counting progress; the wire's writer (or its write lock) holds r.
func (r *inlineRest) finish(w io.Writer, progress *atomic.Uint64, dl *writeDeadline) error {
	out := r.buf
	if out == nil {
		return nil
	}
	rest := r.rest
	r.rest, r.buf = nil, nil
	_, err := writeCounting(w, rest, progress, dl)
	*out = (*out)[:0]
	frameBufPool.Put(out)
	return err
}
