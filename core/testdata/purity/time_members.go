package planted

// Every banned member of package time, called or as a value, under its
// own name and under others.

import (
	"time"
	clock "time"
)

type deadline struct {
	timer  *time.Timer   // want: time.Timer
	ticker *clock.Ticker // want: time.Ticker
}

var now = time.Now // want: time.Now

func all(d time.Duration, t time.Time) {
	_ = time.Since(t)            // want: time.Since
	_ = clock.Until(t)           // want: time.Until
	clock.Sleep(d)               // want: time.Sleep
	_ = time.After(d)            // want: time.After
	_ = time.AfterFunc(d, nil)   // want: time.AfterFunc
	_ = time.NewTimer(d)         // want: time.NewTimer
	_ = time.NewTicker(d)        // want: time.NewTicker
	_ = time.Tick(d)             // want: time.Tick
	_, _ = time.LoadLocation("") // want: time.LoadLocation

	_ = t.Add(d).Sub(t).Round(time.Second)
	_ = t.After(t)
}
