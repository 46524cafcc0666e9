package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// The operator's HTTP endpoint (YAML metrics.address, flag -metrics-addr):
// Prometheus metrics on /metrics, /healthz (the process is up) and /readyz
// (every listener is accepting and every realm's executor answers). Off
// unless configured.
//
// Most figures are read at scrape time from counters the router keeps
// anyway (transport.Stats, the transports' queues, the application's
// session registries, the backends' counters) by a prometheus.Collector;
// the data path pays only for transport.Stats' atomics and, per remote
// call, the engine's call clock (core.Metrics.CallLatency). No label takes
// a URI from a client: realms are the configured ones, and the labels of
// authentication failures are a fixed list.

// metricsNamespace prefixes every metric's name.
const metricsNamespace = "switchboard"

// callLatencyBuckets spans an in-process procedure (tens of µs) to a slow
// remote callee (seconds).
var callLatencyBuckets = prometheus.ExponentialBuckets(50e-6, 4, 10) // 50µs .. ~13s

// observer holds what the router's parts report to the metrics: the
// transport counters every listener shares, the engine's counters, the
// call latency histogram.
type observer struct {
	stats   *transport.Stats
	engine  *core.Metrics
	latency *prometheus.HistogramVec
}

func newObserver() *observer {
	o := &observer{
		stats:  new(transport.Stats),
		engine: new(core.Metrics),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "call_duration_seconds",
			Help:    "Router-side call latency, from a remote session's CALL reaching its realm to the final RESULT leaving it.",
			Buckets: callLatencyBuckets,
		}, []string{"realm"}),
	}
	o.engine.CallLatency = func(realm wamp.URI) func(time.Duration) {
		h := o.latency.WithLabelValues(string(realm))
		return func(d time.Duration) { h.Observe(d.Seconds()) }
	}
	return o
}

// collector reads the router's figures at scrape time.
type collector struct {
	s *server
}

var (
	descSessions = prometheus.NewDesc(metricsNamespace+"_sessions",
		"Admitted remote sessions.", []string{"realm", "transport", "serializer"}, nil)
	descMsgIn = prometheus.NewDesc(metricsNamespace+"_messages_received_total",
		"WAMP messages received and decoded, by type.", []string{"type"}, nil)
	descMsgOut = prometheus.NewDesc(metricsNamespace+"_messages_sent_total",
		"WAMP messages written, by type.", []string{"type"}, nil)
	descBytesIn = prometheus.NewDesc(metricsNamespace+"_received_bytes_total",
		"Bytes of WAMP messages received (without framing).", nil, nil)
	descBytesOut = prometheus.NewDesc(metricsNamespace+"_sent_bytes_total",
		"Bytes of WAMP messages written (without framing).", nil, nil)
	descQueue = prometheus.NewDesc(metricsNamespace+"_outbound_queue_messages",
		"Messages waiting in peers' outbound queues, all peers together.", nil, nil)
	descQueueMax = prometheus.NewDesc(metricsNamespace+"_outbound_queue_longest_messages",
		"Messages waiting in the fullest outbound queue.", nil, nil)
	descQueueBytes = prometheus.NewDesc(metricsNamespace+"_outbound_queue_bytes",
		"Estimated bytes waiting in peers' outbound queues, all peers together (what outbound_budget_bytes bounds).", nil, nil)
	descQueueBudget = prometheus.NewDesc(metricsNamespace+"_outbound_budget_bytes",
		"The outbound byte budget all peers share (outbound_budget_bytes).", nil, nil)
	descOverdraft = prometheus.NewDesc(metricsNamespace+"_outbound_overdraft_bytes",
		"Estimated bytes queued past the outbound budget for peers that had nothing queued (what outbound_overdraft_bytes bounds; beyond it their senders are held).", nil, nil)
	descOverdraftMax = prometheus.NewDesc(metricsNamespace+"_outbound_overdraft_budget_bytes",
		"The outbound overdraft all peers share (outbound_overdraft_bytes).", nil, nil)
	descInBytes = prometheus.NewDesc(metricsNamespace+"_inbound_read_bytes",
		"Bytes of inbound messages being read or inflated, message parts past a session's in-flight bound, and outbound messages held past the overdraft, all peers together (what inbound_budget_bytes bounds).", nil, nil)
	descInBudget = prometheus.NewDesc(metricsNamespace+"_inbound_budget_bytes",
		"The inbound byte budget all peers share (inbound_budget_bytes).", nil, nil)
	descConns = prometheus.NewDesc(metricsNamespace+"_connections",
		"Connected peers (transport level, handshake done).", nil, nil)
	descSlow = prometheus.NewDesc(metricsNamespace+"_slow_consumer_disconnects_total",
		"Peers closed as slow consumers: outbound queue over its message or byte bound, the shared budget exhausted, or stalled while holding senders.", nil, nil)
	descTransport = prometheus.NewDesc(metricsNamespace+"_transport_events_total",
		"Transport events: accepted, rejected, limit_refusals, closed, malformed_frames, keepalive_timeouts, write_timeouts, protocol_errors, encode_errors, throttled, stall_releases, inbound_budget_refusals, overdraft_holds, inflate_refusals, panics.",
		[]string{"event"}, nil)
	descAuthFail = prometheus.NewDesc(metricsNamespace+"_auth_failures_total",
		"Refused authentications, by method.", []string{"method"}, nil)
	descHSTimeouts = prometheus.NewDesc(metricsNamespace+"_handshake_timeouts_total",
		"Connections closed because HELLO or WELCOME did not come within the handshake timeout.", nil, nil)
	descHSRefused = prometheus.NewDesc(metricsNamespace+"_handshakes_refused_total",
		"HELLOs refused because too many sessions were in their handshake (max_handshakes, max_handshakes_per_address).", nil, nil)
	descRateLimited = prometheus.NewDesc(metricsNamespace+"_rate_limited_total",
		"Times a session's reader was paused because it sent faster than rate_limit.", nil, nil)
	descStalls = prometheus.NewDesc(metricsNamespace+"_eventloop_stalls_total",
		"Times a task held the event loop longer than the stall threshold (eventloop backend).", nil, nil)
	descLongest = prometheus.NewDesc(metricsNamespace+"_eventloop_longest_stall_seconds",
		"The longest stall seen (eventloop backend).", nil, nil)
	descPoolQueue = prometheus.NewDesc(metricsNamespace+"_pool_queue_depth",
		"Spawned tasks waiting for a worker (pool backend).", nil, nil)
	descPoolRefused = prometheus.NewDesc(metricsNamespace+"_pool_refusals_total",
		"Spawns refused because the queue was full (pool backend).", nil, nil)
	descPoolRunning = prometheus.NewDesc(metricsNamespace+"_pool_running",
		"Spawned tasks running (pool backend).", nil, nil)
)

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessions, descMsgIn, descMsgOut, descBytesIn, descBytesOut, descQueue,
		descQueueMax, descQueueBytes, descQueueBudget, descOverdraft, descOverdraftMax, descInBytes, descInBudget, descConns, descSlow, descTransport, descAuthFail, descHSTimeouts, descHSRefused, descRateLimited} {
		ch <- d
	}
	switch c.s.backend.(type) {
	case *eventloop.Loop:
		ch <- descStalls
		ch <- descLongest
	case *pool.Pool:
		ch <- descPoolQueue
		ch <- descPoolRefused
		ch <- descPoolRunning
	}
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, g := range c.s.app.SessionGroups() {
		gauge(descSessions, float64(g.Sessions), string(g.Realm), g.Transport, g.Serializer)
	}
	st := c.s.obs.stats
	for t := range st.MessagesIn {
		name := wamp.Type(t).String()
		if name == fmt.Sprint(t) {
			continue // not a message type
		}
		counter(descMsgIn, st.MessagesIn[t].Load(), name)
		counter(descMsgOut, st.MessagesOut[t].Load(), name)
	}
	counter(descBytesIn, st.BytesIn.Load())
	counter(descBytesOut, st.BytesOut.Load())
	q := c.s.queued()
	gauge(descQueue, float64(q.Messages))
	gauge(descQueueMax, float64(q.Longest))
	gauge(descQueueBytes, float64(c.s.budget.Used()))
	gauge(descQueueBudget, float64(c.s.budget.Max()))
	gauge(descOverdraft, float64(c.s.budget.OverdraftUsed()))
	gauge(descOverdraftMax, float64(c.s.budget.OverdraftMax()))
	gauge(descInBytes, float64(c.s.inbound.Used()))
	gauge(descInBudget, float64(c.s.inbound.Max()))
	gauge(descConns, float64(q.Peers))
	counter(descSlow, st.SlowConsumers.Load())
	for _, e := range []struct {
		name string
		v    int64
	}{
		{"accepted", st.Accepted.Load()}, {"rejected", st.Rejected.Load()}, {"limit_refusals", st.LimitRefusals.Load()},
		{"closed", st.Closed.Load()}, {"malformed_frames", st.MalformedFrames.Load()},
		{"keepalive_timeouts", st.KeepaliveTimeouts.Load()}, {"write_timeouts", st.WriteTimeouts.Load()},
		{"protocol_errors", st.ProtocolErrors.Load()}, {"encode_errors", st.EncodeErrors.Load()},
		{"throttled", st.Throttled.Load()}, {"stall_releases", st.StallReleases.Load()},
		{"inbound_budget_refusals", st.InboundBudgetRefusals.Load()}, {"overdraft_holds", st.OverdraftHolds.Load()},
		{"inflate_refusals", st.InflateRefusals.Load()}, {"panics", st.Panics.Load()},
	} {
		counter(descTransport, e.v, e.name)
	}
	fails := c.s.obs.engine.AuthFailures()
	for i, m := range core.AuthMethods {
		counter(descAuthFail, fails[i], m)
	}
	counter(descHSTimeouts, c.s.obs.engine.HandshakeTimeouts.Load())
	counter(descHSRefused, c.s.obs.engine.HandshakesRefused.Load())
	counter(descRateLimited, c.s.obs.engine.RateLimited.Load())
	switch b := c.s.backend.(type) {
	case *eventloop.Loop:
		counter(descStalls, b.Stalls())
		gauge(descLongest, b.LongestStall().Seconds())
	case *pool.Pool:
		ps := b.Stats()
		gauge(descPoolQueue, float64(ps.QueueLen))
		counter(descPoolRefused, ps.Rejected)
		gauge(descPoolRunning, float64(ps.Running))
	}
}

// opsServer is the running operator endpoint.
type opsServer struct {
	http   *http.Server
	ln     net.Listener
	served chan error
}

// startOps binds the operator endpoint and serves it.
func (s *server) startOps(c MetricsConfig) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, s.obs.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET "+c.Path, promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogAdapter{s.log}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	ln, err := net.Listen("tcp", c.Address)
	if err != nil {
		return fmt.Errorf("metrics: listen %s: %w", c.Address, err)
	}
	o := &opsServer{ln: ln, served: make(chan error, 1),
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { o.served <- o.http.Serve(ln) }()
	s.ops = o
	return nil
}

// OpsURL returns the operator endpoint's base URL, "" when it is off.
func (s *server) OpsURL() string {
	if s.ops == nil {
		return ""
	}
	return "http://" + s.ops.ln.Addr().String()
}

// ready reports whether every listener is accepting and every realm
// answers (core.Application.Ready).
func (s *server) ready(ctx context.Context) error {
	s.mu.Lock()
	draining := s.draining
	ls := s.listeners
	s.mu.Unlock()
	if draining {
		return errors.New("shutting down")
	}
	for _, l := range ls {
		select {
		case <-l.done:
			return fmt.Errorf("listener %s stopped: %v", l.url, l.err)
		default:
		}
	}
	return s.app.Ready(ctx)
}

// queued sums the outbound queues of every listener's peers.
func (s *server) queued() transport.QueueFigures {
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	var f transport.QueueFigures
	for _, l := range ls {
		if l.ws != nil {
			f = f.Add(l.ws.Queued())
		}
		if l.rs != nil {
			f = f.Add(l.rs.Queued())
		}
	}
	return f
}

// stopOps closes the operator endpoint.
func (s *server) stopOps(ctx context.Context) error {
	if s.ops == nil {
		return nil
	}
	err := s.ops.http.Shutdown(ctx)
	if serr := <-s.ops.served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// slogAdapter lets promhttp log its errors through slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Println(v ...any) { a.log.Error("metrics: " + fmt.Sprint(v...)) }
