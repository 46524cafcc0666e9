package transport

import (
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Inline closes (InlineSender.SendHeld, CloseInline): an event loop that
// answers a GOODBYE and closes the session in the same step has the
// answer and the WebSocket close frame written together, in one
// non-blocking write on the loop, instead of writing the answer inline
// and then waking a writer goroutine to write the close frame in a
// second write. What the socket does not take is finished by a writer
// goroutine, which then closes, exactly as after a queued close.

// closingWire is the part of a wire an inline close needs.
type closingWire interface {
	// appendFrame appends the frame of the encoded message b to f.
	appendFrame(f, b []byte) []byte
	// appendCloseFrame appends the frame of an orderly close to f; false
	// when the wire has none (RawSocket closes its socket instead).
	appendCloseFrame(f []byte, code uint16, reason string) ([]byte, bool)
	// writeDirectClose is writeDirect for frames that end with the close
	// frame: once it is called, nothing more is written on the
	// connection but the rest it keeps.
	writeDirectClose(f []byte, out *[]byte) (rest bool)
}

// inlineCloses counts the closes written inline (for tests).
var inlineCloses atomic.Int64

// SendHeld implements InlineSender.
func (q *peerCore) SendHeld(m wamp.Message) bool { return q.send(m, sendModeHeld) }

// CloseInline implements InlineSender.
func (q *peerCore) CloseInline() {
	cw, _ := q.dw.(closingWire)
	q.mu.Lock()
	if q.state != stateOpen {
		q.mu.Unlock()
		return
	}
	if cw == nil || !q.inline || !q.accepted || q.writing || q.pingDue || len(q.pongs) > 0 || q.restDue {
		q.mu.Unlock()
		q.shutdown(closeNormal, "", nil)
		return
	}
	q.state = stateFlushing
	q.leaveOpenLocked()
	q.setCauseLocked(nil)
	q.closeCode, q.closeReason = closeNormal, ""
	q.wdl.freeze()
	// The writer role, for one attempt. Nothing can be queued any more.
	batch, queued := q.queue, q.queuedBytes
	q.queue, q.queuedBytes = nil, 0
	q.writing = true
	q.wg.Add(1)
	q.mu.Unlock()

	tried, rest := q.tryCloseInline(cw, batch)
	q.mu.Lock()
	if !tried || rest {
		if !tried { // the writer writes the batch and the close
			q.queue, q.queuedBytes = batch, queued
		}
		q.restDue = rest // the writer finishes the frames, the close frame's included, then closes
		if rest {
			inlineRests.Add(1)
		}
		q.mu.Unlock()
		go q.writeLoop() // the writer role (and its wg count) passes to it
		return
	}
	clear(batch)
	var r round
	q.finishLocked(&r)
	q.mu.Unlock()
	inlineCloses.Add(1)
	q.w.writeClose(closeNormal, "") // the frame went out: the wire only closes
	q.wg.Done()
}

// tryCloseInline frames batch and the close frame into one buffer and
// writes it without waiting, if the wire allows it now and every message
// may be written inline. It reports whether it tried (then everything is
// sent, or its rest kept) and whether a rest is left.
func (q *peerCore) tryCloseInline(cw closingWire, batch []wamp.Message) (tried, rest bool) {
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
	out := frameBufPool.Get().(*[]byte)
	f := (*out)[:0]
	give := func() (bool, bool) {
		*out = f[:0]
		frameBufPool.Put(out)
		return false, false
	}
	var sizes [4]int
	for i, m := range batch {
		b, err := q.encodeFor(bp, m)
		if err != nil || !q.dw.directable(b) || len(f)+len(b) > wsBatchBytes || i >= len(sizes) {
			return give() // the writer encodes it again, and refuses it if need be
		}
		sizes[i] = len(b)
		f = cw.appendFrame(f, b)
	}
	f, ok := cw.appendCloseFrame(f, closeNormal, "")
	if !ok {
		return give()
	}
	for i, m := range batch {
		q.cfg.stats.countOut(m, sizes[i])
	}
	*out = f
	return true, cw.writeDirectClose(f, out)
}
