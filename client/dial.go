package client

import (
	"context"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Dial connects to a WAMP router over WebSocket (ws://, wss://, ws+unix://)
// and joins cfg.Realm: it is Join with transport.DialWebSocket, offering
// cfg.Serializers (nil = JSON) with cfg.Header and cfg.TLSConfig. Errors
// are as for Join. Safe for concurrent use.
func Dial(ctx context.Context, url string, cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wsCfg := transport.WebSocketClientConfig{
		Serializers: cfg.Serializers,
		Header:      cfg.Header,
		TLSConfig:   cfg.TLSConfig,
		Logger:      cfg.Logger,
	}
	if len(wsCfg.Serializers) == 0 {
		wsCfg.Serializers = []serialize.Serializer{serialize.JSON}
	}
	return Join(ctx, func(ctx context.Context, a transport.Acceptor) (transport.Peer, error) {
		return transport.DialWebSocket(ctx, url, wsCfg, a)
	}, cfg)
}
