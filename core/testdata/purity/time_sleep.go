package planted

import "time"

func wait(d time.Duration) {
	time.Sleep(d) // want: time.Sleep
}
