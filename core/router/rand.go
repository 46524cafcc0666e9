package router

// prng is a tiny deterministic generator (SplitMix64) for invoke "random":
// the realm's choices replay exactly from RealmConfig.RandomSeed.
type prng struct{ state uint64 }

func (p *prng) next() uint64 {
	p.state += 0x9e3779b97f4a7c15
	z := p.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n); n > 0. The modulo bias is negligible for
// the callee counts involved.
func (p *prng) intn(n int) int { return int(p.next() % uint64(n)) }
