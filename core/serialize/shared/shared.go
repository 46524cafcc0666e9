// Package shared is the encode-once wrapper of fan-out: one outbound
// message sent unchanged to many peers is encoded once per wire format,
// and every peer writes the same bytes. It sits next to the serializers
// rather than in them because filling the cache needs a lock (the first
// peer writer that needs a format encodes it), and core/serialize itself
// is pure.
package shared

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Message wraps one outbound message that is sent, unchanged, to several
// peers (an EVENT fanned out to the subscribers of a subscription). Its
// encoding is cached per wire format: the first peer writer that needs the
// message in, say, wamp.2.json encodes it, and every other writer using
// that format writes the same bytes. The transports' peer writers
// recognise it; other consumers of messages call Unwrap.
//
// The cache is keyed by the serializer's SubProtocol, which names the wire
// format. Cached bytes are plain allocations, never pooled, so they stay
// valid for as long as any peer may still write them. The wrapped message
// must not be modified once wrapped. Safe for concurrent use.
type Message struct {
	msg wamp.Message

	size atomic.Int64 // wamp.SizeHint of msg, computed on first use; 0: not yet

	mu    sync.Mutex // held while encoding, so each format is encoded once
	first sharedEncoding
	more  []sharedEncoding // a third or later format: rare
}

// sharedEncoding is one cached encoding.
type sharedEncoding struct {
	set   bool
	proto string
	b     []byte
	err   error
}

var _ wamp.Message = (*Message)(nil)

// Wrap wraps m for fan-out to several peers; m already wrapped and nil are
// returned as they are. Safe for concurrent use.
func Wrap(m wamp.Message) wamp.Message {
	if m == nil {
		return nil
	}
	if sm, ok := m.(*Message); ok {
		return sm
	}
	return &Message{msg: m}
}

// Unwrap returns the message a Message wraps, or m itself. Code that
// inspects messages handed to a Peer (in-memory peers, tests, logs) calls
// it first. Safe for concurrent use.
func Unwrap(m wamp.Message) wamp.Message {
	if sm, ok := m.(*Message); ok {
		return sm.msg
	}
	return m
}

// Type returns the wrapped message's type. Safe for concurrent use.
func (s *Message) Type() wamp.Type { return s.msg.Type() }

// Message returns the wrapped message, which must not be modified. Safe for
// concurrent use.
func (s *Message) Message() wamp.Message { return s.msg }

// SizeHint is wamp.SizeHint of the wrapped message, computed once however
// many peers queue it. Safe for concurrent use.
func (s *Message) SizeHint() int {
	if n := s.size.Load(); n != 0 {
		return int(n)
	}
	n := wamp.SizeHint(s.msg)
	s.size.Store(int64(n))
	return n
}

// Formats returns how many wire formats the message has been encoded in
// so far. Safe for concurrent use.
func (s *Message) Formats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.first.set {
		return 0
	}
	return 1 + len(s.more)
}

// Encoded returns the message encoded with ser, encoding it (with *bp as
// scratch space) if no writer has yet. An encoding error is cached too:
// every peer using that format fails the same way. The result is shared:
// callers must not modify it.
func (s *Message) Encoded(ser serialize.Serializer, bp *[]byte) ([]byte, error) {
	proto := ser.SubProtocol()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.set && s.first.proto == proto {
		return s.first.b, s.first.err
	}
	for i := range s.more {
		if s.more[i].proto == proto {
			return s.more[i].b, s.more[i].err
		}
	}
	b, err := Encode(ser, (*bp)[:0], s.msg)
	*bp = b
	e := sharedEncoding{set: true, proto: proto, err: err}
	if err == nil {
		e.b = bytes.Clone(b) // exact size; owned by the cache from now on
	}
	if !s.first.set {
		s.first = e
	} else {
		s.more = append(s.more, e)
	}
	return e.b, e.err
}

// Encode appends m's encoding with ser to dst, turning a serializer panic
// into an error; every error wraps serialize.ErrEncode.
func Encode(ser serialize.Serializer, dst []byte, m wamp.Message) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = dst, fmt.Errorf("%w: serializer panic: %v", serialize.ErrEncode, r)
		}
	}()
	if m == nil {
		return dst, fmt.Errorf("%w: nil message", serialize.ErrEncode)
	}
	b, err = ser.Append(dst, m)
	if err != nil && !errors.Is(err, serialize.ErrEncode) {
		err = fmt.Errorf("%w: %v: %w", serialize.ErrEncode, m.Type(), err)
	}
	return b, err
}
