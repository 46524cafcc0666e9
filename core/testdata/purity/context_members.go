package planted

import (
	"context"
	cx "context"
	"time"
)

func all(ctx context.Context, t time.Time, d time.Duration) {
	_, _ = context.WithTimeout(ctx, d)            // want: context.WithTimeout
	_, _ = cx.WithDeadline(ctx, t)                // want: context.WithDeadline
	_, _ = context.WithTimeoutCause(ctx, d, nil)  // want: context.WithTimeoutCause
	_, _ = context.WithDeadlineCause(ctx, t, nil) // want: context.WithDeadlineCause
	_ = context.AfterFunc(ctx, func() {})         // want: context.AfterFunc

	_, _ = context.WithCancel(context.Background())
}
