package testkit

import (
	"fmt"
	"log/slog"
	"testing"
)

// recTB records Errorf calls instead of failing the test.
type recTB struct {
	testing.TB
	errs []string
}

func (r *recTB) Helper() {}

func (r *recTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheckPanicLogs(t *testing.T) {
	want := []PanicLog{{Kind: "executor", Executor: "realm-7", Panic: "boom"}}
	tests := []struct {
		name    string
		log     func(l *slog.Logger)
		wantErr bool
	}{
		{"matching", func(l *slog.Logger) {
			l.Error("x: task panicked", "kind", "executor", "executor", "realm-7", "panic", "boom", "stack", "goroutine 1")
		}, false},
		{"warn_only", func(l *slog.Logger) {
			l.Warn("stall", "kind", "executor", "executor", "realm-7")
		}, true},
		{"wrong_executor", func(l *slog.Logger) {
			l.Error("x", "kind", "executor", "executor", "other", "panic", "boom", "stack", "goroutine 1")
		}, true},
		{"no_stack", func(l *slog.Logger) {
			l.Error("x", "kind", "executor", "executor", "realm-7", "panic", "boom")
		}, true},
		{"nothing", func(*slog.Logger) {}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &Captured{}
			tt.log(slog.New(logs).With("ignored", "attr"))
			rec := &recTB{TB: t}
			CheckPanicLogs(rec, logs, want)
			if got := len(rec.errs) > 0; got != tt.wantErr {
				t.Fatalf("errors %q, want failure = %v", rec.errs, tt.wantErr)
			}
		})
	}
}

func TestCapturedAttrs(t *testing.T) {
	logs := &Captured{}
	slog.New(logs).WithGroup("g").Info("hello", "k", 1)
	got := logs.Attrs()
	if len(got) != 1 || got[0]["msg"] != "hello" || got[0]["level"] != "INFO" || got[0]["k"] != "1" {
		t.Fatalf("Attrs() = %v", got)
	}
}
