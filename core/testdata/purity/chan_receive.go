package planted

import "context"

func await(ctx context.Context) error {
	<-ctx.Done() // want: channel receive
	return ctx.Err()
}
