package planted

import . "strings" // want: dot import strings

var _ = ToUpper("x")
