package planted

import "sync" // want: import sync

var mu sync.Mutex
