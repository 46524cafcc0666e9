package planted

// Every banned standard import; blank imports count too.

import (
	_ "C"             // want: import C
	_ "crypto/tls"    // want: import crypto/tls
	_ "expvar"        // want: import expvar
	_ "hash/maphash"  // want: import hash/maphash
	_ "io/ioutil"     // want: import io/ioutil
	_ "log"           // want: import log
	_ "log/slog"      // want: import log/slog
	_ "math/rand/v2"  // want: import math/rand/v2
	_ "net/http"      // want: import net/http
	_ "os/exec"       // want: import os/exec
	_ "path/filepath" // want: import path/filepath
	_ "plugin"        // want: import plugin
	_ "runtime"       // want: import runtime
	_ "runtime/debug" // want: import runtime/debug
	_ "sync/atomic"   // want: import sync/atomic
	_ "syscall"       // want: import syscall
	_ "testing"       // want: import testing
	_ "unsafe"        // want: import unsafe

	_ "bytes"
	_ "crypto/sha256"
	_ "io"
	_ "iter"
	_ "math"
	_ "math/bits"
	_ "path"
	_ "reflect"
)
