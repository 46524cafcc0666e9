package peer

import (
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Cancel modes of the advanced profile's call canceling.
const (
	CancelSkip       = "skip"
	CancelKill       = "kill"
	CancelKillNoWait = "killnowait"
)

// noOptions is the empty options (or details) dict of the messages this
// peer sends most often (a final YIELD, an INVOCATION's ERROR): one shared
// map instead of one per message. Nothing may write to it; the router and
// the serializers only read a message's options.
var noOptions = wamp.Dict{}

// registration is a procedure registered by this session.
type registration struct {
	token         any
	unregistering bool
}

// invocation is an INVOCATION received and not yet answered.
type invocation struct {
	token           any
	receiveProgress bool
}

// Call sends CALL and records a pending call completed by RESULT or ERROR.
// opts is sent as CALL.Options (nil = {}); opts.receive_progress = true
// makes each progressive RESULT a Progress completion. It returns the
// request ID, or 0 when the session is not established (a failed
// completion is reported instead).
func (p *Peer) Call(procedure wamp.URI, args wamp.List, kwargs wamp.Dict, opts wamp.Dict, token any, out *Effects) wamp.ID {
	if !p.admit(wamp.CALL, token, out) {
		return 0
	}
	if opts == nil {
		opts = wamp.Dict{}
	}
	id := p.nextID()
	p.pending[id] = request{kind: wamp.CALL, token: token, progress: optBool(opts, "receive_progress")}
	out.Send = append(out.Send, &wamp.Call{Request: id, Options: opts, Procedure: procedure, Args: args, Kwargs: kwargs})
	return id
}

// Cancel sends CANCEL for a pending call, with options.mode = mode unless
// mode is "". The call stays pending: the router still answers it with a
// RESULT or an ERROR (wamp.error.canceled), which completes it. Cancel
// reports false, sending nothing, when the call is not pending or was
// already canceled.
func (p *Peer) Cancel(request wamp.ID, mode string, out *Effects) bool {
	r, ok := p.pending[request]
	if !ok || r.kind != wamp.CALL || r.canceled || p.st != stEstablished {
		return false
	}
	r.canceled = true
	p.pending[request] = r
	opts := wamp.Dict{}
	if mode != "" {
		opts["mode"] = mode
	}
	out.Send = append(out.Send, &wamp.Cancel{Request: request, Options: opts})
	return true
}

func (p *Peer) onResult(m *wamp.Result, out *Effects) error {
	r, ok := p.pending[m.Request]
	if !ok || r.kind != wamp.CALL {
		return violation("RESULT for unknown call request %d", m.Request)
	}
	progress := optBool(m.Details, "progress")
	if !progress {
		delete(p.pending, m.Request)
	}
	out.Completions = append(out.Completions, Completion{
		Token: r.token, Kind: wamp.CALL, Request: m.Request, Progress: progress, Reply: m,
	})
	return nil
}

// Register sends REGISTER. token identifies the registration: it is
// reported with the completion and with every Invocation of the
// registration. opts (match, invoke, ...) is passed through.
func (p *Peer) Register(procedure wamp.URI, opts wamp.Dict, token any, out *Effects) wamp.ID {
	if !p.admit(wamp.REGISTER, token, out) {
		return 0
	}
	if opts == nil {
		opts = wamp.Dict{}
	}
	id := p.nextID()
	p.pending[id] = request{kind: wamp.REGISTER, token: token}
	out.Send = append(out.Send, &wamp.Register{Request: id, Options: opts, Procedure: procedure})
	return id
}

func (p *Peer) onRegistered(m *wamp.Registered, out *Effects) error {
	r, ok := p.pending[m.Request]
	if !ok || r.kind != wamp.REGISTER {
		return violation("REGISTERED for unknown register request %d", m.Request)
	}
	if _, dup := p.regs[m.Registration]; dup {
		return violation("REGISTERED with registration %d already in use", m.Registration)
	}
	delete(p.pending, m.Request)
	p.regs[m.Registration] = &registration{token: r.token}
	out.Completions = append(out.Completions, Completion{Token: r.token, Kind: wamp.REGISTER, Request: m.Request, Reply: m})
	return nil
}

// AddRegistration tells the peer about a registration the router holds for
// this session although the session never sent REGISTER for it: one the
// router set up on the session's behalf (a router's fallback callee, a
// registration made by configuration or by another party's meta call).
// From then on it is like a registration of Register's: its INVOCATIONs
// are reported with token, a revocation reports token, and Unregister
// removes it. Nothing is sent and nothing completes. It fails with
// ErrNotEstablished or ErrSessionClosed outside the established state, and
// with ErrBadState for an invalid ID or one the peer already knows.
func (p *Peer) AddRegistration(id wamp.ID, token any) error {
	switch {
	case p.st == stInit || p.st == stJoining:
		return ErrNotEstablished
	case p.st != stEstablished:
		return ErrSessionClosed
	case !id.Valid():
		return fmt.Errorf("%w: registration ID %d out of range", ErrBadState, id)
	}
	if _, dup := p.regs[id]; dup {
		return fmt.Errorf("%w: registration %d already known", ErrBadState, id)
	}
	p.regs[id] = &registration{token: token}
	return nil
}

// Unregister sends UNREGISTER for a registration. Invocations that arrive
// before UNREGISTERED are still reported. token receives the completion.
func (p *Peer) Unregister(registration wamp.ID, token any, out *Effects) wamp.ID {
	if !p.admit(wamp.UNREGISTER, token, out) {
		return 0
	}
	reg, ok := p.regs[registration]
	if !ok || reg.unregistering {
		fail(out, wamp.UNREGISTER, token, ErrNoSuchRegistration)
		return 0
	}
	reg.unregistering = true
	id := p.nextID()
	p.pending[id] = request{kind: wamp.UNREGISTER, token: token, id: registration}
	out.Send = append(out.Send, &wamp.Unregister{Request: id, Registration: registration})
	return id
}

func (p *Peer) onUnregistered(m *wamp.Unregistered, out *Effects) error {
	if m.Request == 0 {
		return p.revokeRegistration(m, out)
	}
	r, ok := p.pending[m.Request]
	if !ok || r.kind != wamp.UNREGISTER {
		return violation("UNREGISTERED for unknown unregister request %d", m.Request)
	}
	delete(p.pending, m.Request)
	delete(p.regs, r.id)
	out.Completions = append(out.Completions, Completion{Token: r.token, Kind: wamp.UNREGISTER, Request: m.Request, Reply: m})
	return nil
}

// revokeRegistration handles [UNREGISTERED, 0, {registration, reason}].
func (p *Peer) revokeRegistration(m *wamp.Unregistered, out *Effects) error {
	id, ok := wamp.OptID(m.Details, "registration")
	if !ok {
		return violation("UNREGISTERED revocation without details.registration")
	}
	reg, ok := p.regs[id]
	if !ok {
		return nil // we were unregistering it already, or never had it
	}
	delete(p.regs, id)
	reason, _ := m.Details["reason"].(string)
	out.Revoked = append(out.Revoked, Revocation{Kind: wamp.REGISTER, ID: id, Tokens: []any{reg.token}, Reason: reason})
	return nil
}

func (p *Peer) onInvocation(m *wamp.Invocation, out *Effects) error {
	if p.st != stEstablished {
		return nil // leaving: nobody will read the answer
	}
	reg, ok := p.regs[m.Registration]
	if !ok {
		return violation("INVOCATION for unknown registration %d", m.Registration)
	}
	rp := optBool(m.Details, "receive_progress")
	// One map access for the insert and the duplicate check: a duplicate
	// leaves the length as it was (and aborts the session anyway).
	n := len(p.invs)
	p.invs[m.Request] = invocation{token: reg.token, receiveProgress: rp}
	if len(p.invs) == n {
		return violation("INVOCATION with request %d already in progress", m.Request)
	}
	out.Invocations = append(out.Invocations, Invocation{Token: reg.token, Msg: m, ReceiveProgress: rp})
	return nil
}

func (p *Peer) onInterrupt(m *wamp.Interrupt, out *Effects) {
	inv, ok := p.invs[m.Request]
	if !ok || p.st != stEstablished {
		return // already answered: the INTERRUPT crossed our YIELD
	}
	mode, _ := m.Options["mode"].(string)
	out.Interrupts = append(out.Interrupts, Interrupt{Token: inv.token, Request: m.Request, Mode: mode, Msg: m})
}

// Yield answers an invocation with YIELD. With progress = true it sends a
// progressive result (options.progress = true) and the invocation stays
// open; it fails with ErrProgressNotRequested when the caller did not ask
// for progress. It fails with ErrNoSuchInvocation when the invocation is
// unknown or already answered, and with ErrSessionClosed after the session
// left the established state.
func (p *Peer) Yield(request wamp.ID, args wamp.List, kwargs wamp.Dict, progress bool, out *Effects) error {
	opts := noOptions
	if progress {
		inv, err := p.openInvocation(request)
		if err != nil {
			return err
		}
		if !inv.receiveProgress {
			return ErrProgressNotRequested
		}
		opts = wamp.Dict{"progress": true}
	} else if err := p.closeInvocation(request); err != nil {
		return err
	}
	out.Send = append(out.Send, &wamp.Yield{Request: request, Options: opts, Args: args, Kwargs: kwargs})
	return nil
}

// InvocationError answers an invocation with ERROR (uri, args, kwargs).
// Errors as for Yield.
func (p *Peer) InvocationError(request wamp.ID, uri wamp.URI, args wamp.List, kwargs wamp.Dict, out *Effects) error {
	if err := p.closeInvocation(request); err != nil {
		return err
	}
	out.Send = append(out.Send, &wamp.Error{
		RequestType: wamp.INVOCATION, Request: request, Details: noOptions,
		Error: uri, Args: args, Kwargs: kwargs,
	})
	return nil
}

// closeInvocation ends an open invocation, with one map access: the
// delete tells by the map's length whether it was open.
func (p *Peer) closeInvocation(request wamp.ID) error {
	if p.st != stEstablished {
		return ErrSessionClosed
	}
	n := len(p.invs)
	delete(p.invs, request)
	if len(p.invs) == n {
		return ErrNoSuchInvocation
	}
	return nil
}

func (p *Peer) openInvocation(request wamp.ID) (invocation, error) {
	if p.st != stEstablished {
		return invocation{}, ErrSessionClosed
	}
	inv, ok := p.invs[request]
	if !ok {
		return invocation{}, ErrNoSuchInvocation
	}
	return inv, nil
}
