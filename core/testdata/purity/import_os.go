package planted

import "os" // want: import os

var _ = os.Getenv("HOME")
