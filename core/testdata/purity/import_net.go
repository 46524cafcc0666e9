package planted

import "net" // want: import net

var _ = net.IPv4len
