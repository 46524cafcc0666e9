package planted

import "context"

func poll(ctx context.Context) bool {
	select { // want: select statement
	case <-ctx.Done():
		return true
	default:
		return false
	}
}
