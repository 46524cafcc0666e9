package core

import (
	"math/rand/v2"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// IDSource yields WAMP IDs in 1..2^53. Implementations must be safe for
// concurrent use: session IDs are drawn on connections' reader goroutines.
type IDSource interface {
	NextID() wamp.ID
}

// randomIDs draws from math/rand/v2's global generator, which is seeded from
// the operating system's entropy and safe for concurrent use.
type randomIDs struct{}

func (randomIDs) NextID() wamp.ID { return wamp.ID(rand.Uint64N(uint64(wamp.MaxID))) + 1 }

// SeededIDs returns a deterministic IDSource for tests and replays.
func SeededIDs(seed uint64) IDSource {
	return &seededIDs{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

type seededIDs struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (s *seededIDs) NextID() wamp.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return wamp.ID(s.r.Uint64N(uint64(wamp.MaxID))) + 1
}
