package transport

// Outbound queue figures, read when metrics are scraped: they walk the
// server's peers under its lock and take each peer's lock once, so the
// cost is paid by the scrape, never by the data path.

// Queued returns the number of peers and the messages waiting in their
// outbound queues (queued, or in the batch their writer is writing), and
// the largest single queue. A queue holds messages, not bytes: a message is
// encoded by the peer's writer just before it is written, so the bytes a
// queue stands for are not known until then (Stats.BytesOut counts them
// once written). Safe for concurrent use.
func (s *WebSocketServer) Queued() QueueFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f QueueFigures
	for p := range s.peers {
		f.add(p.queued())
	}
	return f
}

// Queued is WebSocketServer.Queued for RawSocket peers. Safe for
// concurrent use.
func (s *RawSocketServer) Queued() QueueFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f QueueFigures
	for p := range s.peers {
		f.add(p.queued())
	}
	return f
}

// QueueFigures summarises the outbound queues of a server's peers.
type QueueFigures struct {
	Peers    int // connected peers
	Messages int // messages waiting in all their queues
	Longest  int // messages waiting in the fullest queue
}

func (f *QueueFigures) add(n int) {
	f.Peers++
	f.Messages += n
	f.Longest = max(f.Longest, n)
}

// Add merges g into f (figures of several servers).
func (f QueueFigures) Add(g QueueFigures) QueueFigures {
	return QueueFigures{Peers: f.Peers + g.Peers, Messages: f.Messages + g.Messages, Longest: max(f.Longest, g.Longest)}
}

// queued returns the messages waiting for this peer's writer.
func (q *peerCore) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pending
}
