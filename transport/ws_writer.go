package transport

// The wsPeer's wire: WebSocket framing through gws. gws builds and writes
// one frame per call under its own lock, so writeMessage writes at once and
// flush has nothing to do (coalescing several frames into one syscall would
// need our own framing under gws's write lock: future work).

func (p *wsPeer) writePing() error               { return p.conn.WritePing(nil) }
func (p *wsPeer) writePong(payload []byte) error { return p.conn.WritePong(payload) }
func (p *wsPeer) writeMessage(b []byte) error    { return p.conn.WriteMessage(p.opcode, b) }
func (p *wsPeer) flush() error                   { return nil }

// writeClose sends the close frame; gws then closes the socket.
func (p *wsPeer) writeClose(code uint16, reason string) {
	_ = p.conn.WriteClose(code, []byte(reason))
}

// failed does nothing: gws closed the connection when the write failed and
// hands the error to OnClose, which classifies it.
func (p *wsPeer) failed(error) {}
