package planted

// Packages from other modules: none is allowed to core/router, not even
// the codecs core/serialize may import.

import (
	_ "github.com/fxamacker/cbor/v2" // want: import github.com/fxamacker/cbor/v2
	_ "gopkg.in/yaml.v3"             // want: import gopkg.in/yaml.v3
)
