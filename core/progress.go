package core

import (
	"context"
	"errors"
	"iter"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Stream is what a progressive procedure produces: a sequence of progress
// reports (Results made by ProgressReport), then one final Result, or an
// error. See Progressive.
type Stream = iter.Seq2[*Result, error]

// ProgressReport returns a progress report for a Stream: a Result with
// Progress set.
func ProgressReport(args wamp.List, kwargs wamp.Dict) *Result {
	return &Result{Args: args, Kwargs: kwargs, Progress: true}
}

// Progressive adapts a procedure that produces its answer as a Stream (a Go
// iterator) into a Handler:
//
//	core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
//		return func(yield func(*core.Result, error) bool) {
//			for i := range 3 {
//				if !yield(core.ProgressReport(wamp.List{i}, nil), nil) {
//					return // the call was cancelled
//				}
//			}
//			yield(&core.Result{Args: wamp.List{"done"}}, nil)
//		}
//	})
//
// Items with Result.Progress set are progress reports, sent to the caller
// as progressive results (RESULT details.progress=true) when it asked for
// them (options.receive_progress) and otherwise discarded, while the
// stream still runs. The first item without Progress is the final result:
// the call is answered and the iteration stops there. An item with a
// non-nil error ends the call with that error (mapped as for any Handler).
// A stream that ends without a final result answers an empty result.
// When the call is cancelled (CANCEL, timeout, the caller leaving) ctx is
// cancelled and the next yield returns false, ending the iteration. A
// panic in the stream answers wamp.error.runtime_error.
func Progressive(f func(ctx context.Context, inv *Invocation) Stream) Handler {
	if f == nil {
		panic("core: Progressive(nil)")
	}
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		for res, err := range f(ctx, inv) {
			if err != nil {
				return nil, err
			}
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			if res == nil || !res.Progress {
				return res, nil
			}
			err := inv.Progress(res.Args, res.Kwargs)
			if err != nil && !errors.Is(err, ErrProgressNotRequested) {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return &Result{}, nil
	}
}
