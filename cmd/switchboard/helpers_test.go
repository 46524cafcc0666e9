package main

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/internal/testwait"
)

// waitUntil polls cond until it holds, failing after 30s: the one wait
// helper of this package. The poll interval only bounds how soon a
// condition that already holds is seen; no outcome depends on it.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, 30*time.Second, cond)
}

// quietLog discards the server's logs.
func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// httpGet returns the status and body of a GET.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// scrape is one read of the metrics endpoint: series (name and labels, as
// written) to value.
type scrape map[string]float64

func scrapeMetrics(t *testing.T, base string) scrape {
	t.Helper()
	code, body := httpGet(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	s := scrape{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		s[line[:i]] = v
	}
	return s
}

// get returns a series' value, failing when it is absent.
func (s scrape) get(t *testing.T, series string) float64 {
	t.Helper()
	v, ok := s[series]
	if !ok {
		t.Fatalf("no series %s in the scrape", series)
	}
	return v
}
