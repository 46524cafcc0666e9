package client

import (
	"context"
	"fmt"
	"maps"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// PublishOptions are the optional settings of a publication. The zero
// value (or nil) publishes without acknowledgement, to every subscriber but
// the publisher.
type PublishOptions struct {
	// Acknowledge makes Publish wait for the router's PUBLISHED or ERROR.
	Acknowledge bool
	// ExcludeMe, when set, is sent as options.exclude_me (the router's
	// default is true: a publisher does not receive its own events).
	ExcludeMe *bool
	// Exclude and Eligible are subscriber session black- and white-lists.
	Exclude  []wamp.ID
	Eligible []wamp.ID
	// ExcludeAuthID, EligibleAuthID, ExcludeAuthRole and EligibleAuthRole
	// are the same lists by the subscribers' authid and authrole.
	ExcludeAuthID    []string
	EligibleAuthID   []string
	ExcludeAuthRole  []string
	EligibleAuthRole []string
	// DiscloseMe asks the router to tell subscribers who published.
	DiscloseMe bool
	// Extra options are sent as they are; the fields above win on conflict.
	Extra wamp.Dict
}

func (o *PublishOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	maps.Copy(d, o.Extra)
	if o.Acknowledge {
		d["acknowledge"] = true
	}
	if o.ExcludeMe != nil {
		d["exclude_me"] = *o.ExcludeMe
	}
	if len(o.Exclude) > 0 {
		d["exclude"] = idList(o.Exclude)
	}
	if len(o.Eligible) > 0 {
		d["eligible"] = idList(o.Eligible)
	}
	setStrList(d, "exclude_authid", o.ExcludeAuthID)
	setStrList(d, "eligible_authid", o.EligibleAuthID)
	setStrList(d, "exclude_authrole", o.ExcludeAuthRole)
	setStrList(d, "eligible_authrole", o.EligibleAuthRole)
	if o.DiscloseMe {
		d["disclose_me"] = true
	}
	return d
}

// setStrList sets d[key] to ss as a list, when ss is not empty.
func setStrList(d wamp.Dict, key string, ss []string) {
	if len(ss) == 0 {
		return
	}
	l := make(wamp.List, len(ss))
	for i, s := range ss {
		l[i] = s
	}
	d[key] = l
}

func idList(ids []wamp.ID) wamp.List {
	l := make(wamp.List, len(ids))
	for i, id := range ids {
		l[i] = uint64(id)
	}
	return l
}

// Publish publishes to topic. Without Acknowledge it returns once the
// PUBLISH is queued on the session (an error only when the session has
// ended); with Acknowledge it waits for the router's answer and returns a
// refusal as *Error, or an error wrapping ctx.Err() if ctx ends first.
// Publications from one goroutine are sent in call order. Safe for
// concurrent use.
func (s *Session) Publish(ctx context.Context, topic wamp.URI, args wamp.List, kwargs wamp.Dict, opts *PublishOptions) error {
	o := opts.dict()
	if opts == nil || !opts.Acknowledge {
		select {
		case <-s.done:
			return s.closedError("publish " + string(topic))
		default:
		}
		if !s.run(func() {
			s.p.Publish(topic, args, kwargs, o, nil, &s.fx)
			s.flush()
		}) {
			return s.closedError("publish " + string(topic))
		}
		return nil
	}
	if err := s.mayWait("publish " + string(topic)); err != nil {
		return err
	}
	w := newWaiter()
	if !s.run(func() {
		s.p.Publish(topic, args, kwargs, o, w, &s.fx)
		s.flush()
	}) {
		return s.closedError("publish " + string(topic))
	}
	c, err := w.next(ctx)
	if err == nil {
		err = replyError(c)
	}
	if err != nil {
		return opError(fmt.Sprintf("publish %s", topic), err)
	}
	return nil
}
