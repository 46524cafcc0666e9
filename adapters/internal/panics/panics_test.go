package panics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
)

// panicky panics with v, under a deferred Recover.
func panicky(rep *Reporter, kind, executor string, v any) {
	defer rep.Recover(kind, executor)
	panic(v)
}

func TestRecoverReportsAndStops(t *testing.T) {
	tests := []struct {
		name      string
		counted   bool
		kind, ex  string
		v         any
		wantPanic string
	}{
		{"counted_executor", true, "executor", "realm-7", "boom-42", "boom-42"},
		{"uncounted_spawn", false, "spawn", "", 42, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			rep := &Reporter{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Backend: "pool"}
			var n atomic.Int64
			if tt.counted {
				rep.Count = &n
			}
			panicky(rep, tt.kind, tt.ex, tt.v) // returns: the panic is stopped
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log output %q: %v", buf.String(), err)
			}
			if rec["level"] != "ERROR" || rec["msg"] != "pool: task panicked; recovered" ||
				rec["kind"] != tt.kind || rec["executor"] != tt.ex || fmt.Sprint(rec["panic"]) != tt.wantPanic {
				t.Fatalf("logged %v", rec)
			}
			if stack, _ := rec["stack"].(string); !strings.Contains(stack, "panicky") {
				t.Fatalf("stack does not show the panicking function:\n%s", stack)
			}
			if want := map[bool]int64{true: 1, false: 0}[tt.counted]; n.Load() != want {
				t.Fatalf("counted %d, want %d", n.Load(), want)
			}
		})
	}
}

func TestRecoverWithoutPanicIsSilent(t *testing.T) {
	var buf bytes.Buffer
	var n atomic.Int64
	rep := &Reporter{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Backend: "x", Count: &n}
	func() { defer rep.Recover("timer", "") }()
	if buf.Len() != 0 || n.Load() != 0 {
		t.Fatalf("no panic, yet logged %q and counted %d", buf.String(), n.Load())
	}
}
