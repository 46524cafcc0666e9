package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrConfig wraps every reason a Config is refused.
var ErrConfig = errors.New("cluster: invalid config")

// Defaults of Config's zero values.
const (
	DefaultSubjectPrefix     = "switchboard"
	DefaultHeartbeatInterval = time.Second
	DefaultNodeTimeout       = 5 * time.Second
)

// Config makes an application one node of a cluster: its realms are shared
// with every other node connected to the same NATS servers under the same
// SubjectPrefix. Plain data; the zero value of every field but URLs and
// NodeName is usable.
type Config struct {
	// URLs are the NATS servers to connect to ("nats://host:4222"); the
	// client picks one and fails over to the others. Required.
	URLs []string
	// NodeName names this node in the cluster: letters, digits, '-' and
	// '_' only (it is a NATS subject token). Unique among live nodes: a
	// second node of the same name replaces the first in the eyes of the
	// others. Required.
	NodeName string
	// CredentialsFile is a NATS user credentials file (JWT and NKey seed);
	// "" = none.
	CredentialsFile string
	// TLS, when not nil, is the TLS configuration of the connection to
	// NATS (client certificates, root CAs). A "tls://" URL turns TLS on
	// with the system's roots without it.
	TLS *tls.Config
	// SubjectPrefix is the first token of every subject the cluster uses,
	// so that several clusters can share NATS servers; "" =
	// DefaultSubjectPrefix.
	SubjectPrefix string
	// HeartbeatInterval is how often the node tells the others it lives;
	// 0 = DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration
	// NodeTimeout: a node not heard of for this long is dead, and the
	// others drop its sessions' subscriptions and registrations and end
	// the calls in flight to it. 0 = DefaultNodeTimeout; at least twice
	// HeartbeatInterval.
	NodeTimeout time.Duration
	// Log receives the cluster's logs; nil = slog.Default().
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.NodeTimeout <= 0 {
		c.NodeTimeout = max(DefaultNodeTimeout, 2*c.HeartbeatInterval)
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Validate reports what is wrong with c (ErrConfig).
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case len(c.URLs) == 0:
		return fmt.Errorf("%w: no NATS URL", ErrConfig)
	case !validToken(c.NodeName):
		return fmt.Errorf("%w: node name %q: want letters, digits, '-' and '_' only", ErrConfig, c.NodeName)
	case !validPrefix(c.SubjectPrefix):
		return fmt.Errorf("%w: subject prefix %q: want dot-separated tokens of letters, digits, '-' and '_'", ErrConfig, c.SubjectPrefix)
	case c.NodeTimeout < 2*c.HeartbeatInterval:
		return fmt.Errorf("%w: node timeout %v is less than twice the heartbeat interval %v", ErrConfig, c.NodeTimeout, c.HeartbeatInterval)
	}
	return nil
}
