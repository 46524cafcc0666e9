package planted

import "math/rand" // want: import math/rand

func pick(n int) int { return rand.Intn(n) }
