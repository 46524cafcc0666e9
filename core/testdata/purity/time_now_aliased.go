package planted

import t "time"

func stamp() t.Time { return t.Now() } // want: time.Now
