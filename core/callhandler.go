package core

import "context"

// SetCallHandler replaces the realm's call routing with h: from then on
// every CALL in the realm, whoever makes it and whatever URI it names,
// reaches h as an invocation (Procedure, Args, Kwargs, Details, Session;
// ReceiveProgress, Timeout, DiscloseCaller) and is answered by what h
// returns: a result, an error, or, through Progressive (or
// Invocation.Progress), progress reports and then a result. It can answer
// wamp.error.no_such_procedure itself with an *Error.
//
// Route sets added to the realm (Application.AddRoutes, Realm.AddRoutes)
// and procedures registered by remote callees stay registered in the dealer
// but receive no calls while a call handler is set; calls under the
// reserved "wamp." prefix still resolve to the router's own procedures
// only. Timeouts, CANCEL and callers leaving cancel h's context as for any
// procedure. SetCallHandler(ctx, nil) restores normal routing.
//
// It returns once calls route to h. Safe for concurrent use.
func (r *Realm) SetCallHandler(ctx context.Context, h Handler) error {
	done := make(chan error, 1)
	posted := r.e.Post(func() {
		l := r.local
		if l.gone() {
			done <- ErrClosed
			return
		}
		l.callHandler = h
		l.updateFallback()
		done <- nil
	})
	if !posted {
		return ErrClosed
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
