package planted

import "crypto/rand" // want: import crypto/rand

func token() string { return rand.Text() }
