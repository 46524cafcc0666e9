package main

import (
	"strings"
	"testing"
	"time"
)

// The cluster section loads into package cluster's Config.
func TestClusterConfig(t *testing.T) {
	c, err := decodeConfig([]byte(`
realms: [{uri: realm1}]
listeners: [{type: websocket, address: "127.0.0.1:0"}]
cluster:
  node: node-1
  urls: [nats://127.0.0.1:4222, nats://127.0.0.1:4223]
  credentials: /etc/nats.creds
  subject_prefix: sb.test
  heartbeat: 200ms
  node_timeout: 2s
`))
	if err != nil {
		t.Fatal(err)
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	cc, err := c.Cluster.config()
	if err != nil {
		t.Fatal(err)
	}
	if cc.NodeName != "node-1" || len(cc.URLs) != 2 || cc.CredentialsFile != "/etc/nats.creds" || cc.SubjectPrefix != "sb.test" ||
		cc.HeartbeatInterval != 200*time.Millisecond || cc.NodeTimeout != 2*time.Second || cc.TLS != nil {
		t.Fatalf("cluster config %+v", cc)
	}
}

// What is wrong with a cluster section is said with its key path.
func TestClusterConfigProblems(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`{urls: [nats://h:4222]}`, "cluster.node: empty"},
		{`{node: "a.b", urls: [nats://h:4222]}`, `cluster: node name "a.b": want letters, digits, '-' and '_' only`},
		{`{node: a}`, "cluster.urls: at least one NATS URL is needed"},
		{`{node: a, urls: [nats://h:4222], heartbeat: 1s, node_timeout: 1500ms}`, "cluster: node timeout 1.5s is less than twice the heartbeat interval 1s"},
		{`{node: a, urls: [nats://h:4222], subject_prefix: "a..b"}`, `cluster: subject prefix "a..b"`},
		{`{node: a, urls: [nats://h:4222], tls: {cert: c.pem}}`, "cluster.tls: cert and key go together"},
	} {
		c, err := decodeConfig([]byte("realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\ncluster: " + tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		err = c.withDefaults().Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
