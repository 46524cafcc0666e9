package planted

// This module's packages: only core/wamp is allowed to core/router.

import (
	_ "github.com/switchboard-wamp/switchboard"                    // want: import github.com/switchboard-wamp/switchboard
	_ "github.com/switchboard-wamp/switchboard/adapters/goroutine" // want: import github.com/switchboard-wamp/switchboard/adapters/goroutine
	_ "github.com/switchboard-wamp/switchboard/client"             // want: import github.com/switchboard-wamp/switchboard/client
	_ "github.com/switchboard-wamp/switchboard/core"               // want: import github.com/switchboard-wamp/switchboard/core
	_ "github.com/switchboard-wamp/switchboard/core/peer"          // want: import github.com/switchboard-wamp/switchboard/core/peer
	_ "github.com/switchboard-wamp/switchboard/core/wamp/wamptest" // want: import github.com/switchboard-wamp/switchboard/core/wamp/wamptest
	_ "github.com/switchboard-wamp/switchboard/internal/timerheap" // want: import github.com/switchboard-wamp/switchboard/internal/timerheap
	_ "github.com/switchboard-wamp/switchboard/scheduler"          // want: import github.com/switchboard-wamp/switchboard/scheduler
	_ "github.com/switchboard-wamp/switchboard/transport"          // want: import github.com/switchboard-wamp/switchboard/transport

	_ "github.com/switchboard-wamp/switchboard/core/wamp"
)
