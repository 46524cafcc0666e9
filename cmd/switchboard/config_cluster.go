package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/cluster"
)

// ClusterConfig is the cluster section: the router is one node of a
// cluster whose nodes share their realms through NATS (package cluster).
// Absent = a standalone router. Example:
//
//	cluster:
//	  node: a                                  # this node's name, unique in the cluster
//	  urls: [nats://10.0.0.5:4222, nats://10.0.0.6:4222]
//	  credentials: /etc/switchboard/nats.creds # NATS user credentials (JWT + seed); optional
//	  tls: {ca: nats-ca.pem, cert: node.crt, key: node.key}   # optional; tls:// URLs work without it
//	  subject_prefix: switchboard              # several clusters on one NATS: one prefix each
//	  heartbeat: 1s
//	  node_timeout: 5s                         # a node silent this long is dead
type ClusterConfig struct {
	Node          string        `yaml:"node"`
	URLs          []string      `yaml:"urls"`
	Credentials   string        `yaml:"credentials"`
	TLS           *ClusterTLS   `yaml:"tls"`
	SubjectPrefix string        `yaml:"subject_prefix"`
	Heartbeat     time.Duration `yaml:"heartbeat"`
	NodeTimeout   time.Duration `yaml:"node_timeout"`
}

// ClusterTLS is the TLS of the connection to NATS: the CA that signs the
// servers' certificates (absent = the system's roots) and, for servers
// that verify clients, this node's certificate and key.
type ClusterTLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// problems lists what is wrong with the section, paths relative to it.
func (c *ClusterConfig) problems() []configProblem {
	var ps []configProblem
	add := func(msg string, path ...any) { ps = append(ps, configProblem{path, msg}) }
	cc := cluster.Config{URLs: c.URLs, NodeName: c.Node, SubjectPrefix: c.SubjectPrefix,
		HeartbeatInterval: c.Heartbeat, NodeTimeout: c.NodeTimeout}
	switch {
	case c.Node == "":
		add("empty: name this node (letters, digits, - and _)", "node")
	case len(c.URLs) == 0:
		add("at least one NATS URL is needed", "urls")
	case c.Heartbeat < 0:
		add(fmt.Sprintf("%v: want 0 (the default, 1s) or more", c.Heartbeat), "heartbeat")
	case c.NodeTimeout < 0:
		add(fmt.Sprintf("%v: want 0 (the default, 5s) or more", c.NodeTimeout), "node_timeout")
	default:
		if err := cc.Validate(); err != nil {
			add(strings.TrimPrefix(err.Error(), cluster.ErrConfig.Error()+": "))
		}
	}
	if t := c.TLS; t != nil && (t.Cert == "") != (t.Key == "") {
		add("cert and key go together", "tls")
	}
	return ps
}

// config is the section for package cluster; it reads the TLS files.
func (c *ClusterConfig) config() (*cluster.Config, error) {
	cc := &cluster.Config{URLs: c.URLs, NodeName: c.Node, CredentialsFile: c.Credentials,
		SubjectPrefix: c.SubjectPrefix, HeartbeatInterval: c.Heartbeat, NodeTimeout: c.NodeTimeout}
	if t := c.TLS; t != nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if t.CA != "" {
			pem, err := os.ReadFile(t.CA)
			if err != nil {
				return nil, fmt.Errorf("cluster.tls.ca: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("cluster.tls.ca: %s: no PEM certificate", t.CA)
			}
		}
		if t.Cert != "" {
			cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
			if err != nil {
				return nil, fmt.Errorf("cluster.tls: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		cc.TLS = tc
	}
	return cc, nil
}
