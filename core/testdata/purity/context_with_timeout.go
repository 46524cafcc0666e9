package planted

import (
	"context"
	"time"
)

func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d) // want: context.WithTimeout
}
