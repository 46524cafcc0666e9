package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// wsEvents is the gws.Event of every connection of this package. Its
// callbacks run on the connection's reader goroutine; the peer is the
// connection's session storage.
type wsEvents struct{}

// OnOpen runs first on the reader goroutine: Accept, then keepalive.
func (wsEvents) OnOpen(c *gws.Conn) {
	p := peerOf(c)
	p.accept()
	p.startKeepalive()
}

// OnMessage decodes the frame and delivers it, in arrival order.
func (wsEvents) OnMessage(c *gws.Conn, msg *gws.Message) {
	p := peerOf(c)
	p.heard()
	defer p.recoverHandler("Message")
	b, taken, err := p.payload(msg.Bytes(), msg.Opcode == gws.OpcodeText)
	n := len(b)
	var m wamp.Message
	if err == nil {
		m, err = p.decode(b, taken)
	}
	_ = msg.Close()
	if p.wc != nil {
		p.wc.scan.delivered()
	}
	if p.h == nil || p.stop.Load() { // Accept failed, or the connection is being aborted
		return
	}
	if err != nil {
		if !errors.Is(err, serialize.ErrDecode) {
			err = fmt.Errorf("%w: %w", serialize.ErrDecode, err)
		}
		p.cfg.stats.MalformedFrames.Add(1)
		p.h.Malformed(err)
		return
	}
	p.cfg.stats.countIn(m, n)
	p.h.Message(m)
	p.waitReader()
}

// OnPing queues the pong reply for the writer.
func (wsEvents) OnPing(c *gws.Conn, payload []byte) {
	p := peerOf(c)
	p.heard()
	p.queuePong(payload, true) // gws allocates control payloads per frame
	p.waitReader()
}

// OnPong only counts as activity.
func (wsEvents) OnPong(c *gws.Conn, _ []byte) { peerOf(c).heard() }

// OnClose runs last on the reader goroutine, exactly once per connection.
func (wsEvents) OnClose(c *gws.Conn, err error) { peerOf(c).finish(err) }

// finish is the end of the connection: the peer is marked closed, counted,
// deregistered, and the Handler told. It runs once, from OnClose or, when
// gws's read loop panicked before reaching OnClose, from readLoop's
// recovery. Reader goroutine.
func (p *wsPeer) finish(err error) {
	if !p.finished.CompareAndSwap(false, true) {
		return
	}
	defer p.slot.release() // after Handler.Closed, even if it panicked
	if p.wc != nil {
		p.wc.scan.releaseAll()
		if fe := p.wc.frameRefusal(); fe != nil {
			err = fe // whatever gws recorded first, this is why it ended
		}
	}
	cause := p.markClosed(func() error { return p.classify(err) })
	p.cfg.stats.Closed.Add(1)
	if p.onClosed != nil {
		p.onClosed(p)
	}
	if p.h != nil {
		p.closed(cause)
	}
}

// classify turns the error gws reports at close into the cause given to
// Handler.Closed, counting timeouts.
func (p *wsPeer) classify(err error) error {
	var ce *gws.CloseError
	var fe *wsFrameError
	var ne net.Error
	switch {
	case err == nil || err.Error() == "":
		return ErrClosed
	case errors.As(err, &fe): // refused by the frame guard, which sent the close frame
		if errors.Is(fe, ErrInboundBudget) {
			return fmt.Errorf("%w: %w", ErrInboundBudget, &CloseError{Code: int(fe.Code), Reason: fe.Reason})
		}
		return &CloseError{Code: int(fe.Code), Reason: fe.Reason}
	case errors.As(err, &ce):
		return &CloseError{Code: int(ce.Code), Reason: string(ce.Reason), Remote: true}
	case errors.As(err, &ne) && ne.Timeout():
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "write" {
			p.cfg.stats.WriteTimeouts.Add(1)
			return fmt.Errorf("%w: %w", ErrWriteTimeout, err)
		}
		p.cfg.stats.KeepaliveTimeouts.Add(1)
		return fmt.Errorf("%w: %w", ErrKeepaliveTimeout, err)
	case errors.Is(err, gws.ErrTextEncoding):
		return &CloseError{Code: 1007, Reason: "invalid UTF-8 in text frame"}
	}
	if sc, ok := err.(interface{ Uint16() uint16 }); ok { // gws's own close codes
		return &CloseError{Code: int(sc.Uint16()), Reason: err.Error()}
	}
	return err
}

// gwsLogger adapts slog to gws's logger.
type gwsLogger struct{ l *slog.Logger }

// Error logs gws's message at Error level.
func (g gwsLogger) Error(v ...any) { g.l.Error("gws: " + fmt.Sprint(v...)) }
