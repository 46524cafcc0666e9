package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The bench runs every server it measures (a router per backend, the echo
// floor) in a child process: the same binary re-executed with a hidden
// subcommand. The child prints one JSON line (its addresses) on stdout and
// runs until its stdin reaches EOF, so it also ends when the parent dies
// however it dies; the parent can then read the child's CPU time and RSS
// from /proc without counting its own load generator.

// childAddrs is the line a child prints once it listens.
type childAddrs struct {
	WS string `json:"ws"`           // WebSocket URL
	RS string `json:"rs,omitempty"` // RawSocket address host:port (router only)
	// Monitor is the NATS child's monitoring URL (bench_cluster_child.go).
	Monitor string `json:"monitor,omitempty"`
}

// child is one running server process.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addrs childAddrs
	done  chan struct{} // closed when the process has been waited for
	once  sync.Once
}

// children tracks every live child so that an interrupt can stop them all.
var children struct {
	mu   sync.Mutex
	live map[*child]struct{}
}

// startChild runs exe with args and waits (up to a minute: a child under
// the race detector or a cold cache is slow) for its address line.
func startChild(name, exe string, args []string, stderr io.Writer) (*child, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	children.mu.Lock()
	if children.live == nil {
		children.live = make(map[*child]struct{})
	}
	children.live[c] = struct{}{}
	children.mu.Unlock()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		s, _ := r.ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, r) // keep the pipe drained until the child exits
		_ = cmd.Wait()                // after the reads, as exec requires
		close(c.done)
	}()
	select {
	case s := <-line:
		if err := json.Unmarshal([]byte(s), &c.addrs); err != nil || c.addrs.WS == "" {
			c.stop()
			return nil, fmt.Errorf("%s: bad address line %q: %v", name, s, err)
		}
	case <-c.done:
		c.stop()
		return nil, fmt.Errorf("%s exited before listening: %v", name, cmd.ProcessState)
	case <-time.After(time.Minute):
		c.stop()
		return nil, fmt.Errorf("%s did not report its address within a minute", name)
	}
	return c, nil
}

// pid is the child's process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to exit (EOF on stdin), waits up to 10s for it (it
// may be writing a CPU profile), then kills it. Idempotent.
func (c *child) stop() {
	c.once.Do(func() {
		_ = c.stdin.Close()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		children.mu.Lock()
		delete(children.live, c)
		children.mu.Unlock()
	})
}

// killChildren kills every live child at once (interrupt path).
func killChildren() {
	children.mu.Lock()
	defer children.mu.Unlock()
	for c := range children.live {
		_ = c.cmd.Process.Kill()
	}
}

// threadCPU returns the CPU time each live thread of a process has used so
// far (user plus system, nanosecond accounting from
// /proc/<pid>/task/<tid>/schedstat), or nil when schedstat is unavailable.
func threadCPU(pid int) map[string]time.Duration {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return nil
	}
	m := make(map[string]time.Duration, len(tasks))
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited between Glob and ReadFile
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return nil
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil
		}
		m[filepath.Base(filepath.Dir(p))] = time.Duration(n)
	}
	return m
}

// statCPU reads utime+stime from /proc/<pid>/stat.
func statCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed utime/stime in /proc stat")
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticks, nil
}

// rssBytes returns a process's resident set size (VmRSS).
func rssBytes(pid int) (int64, error) { return procStatusBytes(pid, "VmRSS:") }

// procStatusBytes returns a size field of /proc/PID/status (VmRSS:, or
// VmHWM: for the peak resident set size), in bytes.
func procStatusBytes(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// raiseNoFile lifts the soft open-file limit to the hard limit, for the
// thousands of sockets the fan-out and idle-session phases hold. It returns
// the limit in force.
func raiseNoFile() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return rl.Cur
}

// cpuMeter measures a child's CPU time over one phase: per thread (so a
// thread that exits during the phase cannot make the sum go backwards, as
// a sum over live threads did), falling back to the process's utime+stime
// (10 ms ticks) where schedstat is unavailable.
type cpuMeter struct {
	pid     int
	threads map[string]time.Duration // nil: the fallback is used
	start   time.Duration            // fallback
	err     error
}

func startCPU(pid int) *cpuMeter {
	m := &cpuMeter{pid: pid, threads: threadCPU(pid)}
	if m.threads == nil {
		m.start, m.err = statCPU(pid)
	}
	return m
}

// used returns the CPU time used since startCPU: the growth of every
// thread alive at the end (a thread started meanwhile counts in full).
func (m *cpuMeter) used() (time.Duration, error) {
	if m.err != nil {
		return 0, m.err
	}
	if m.threads != nil {
		if end := threadCPU(m.pid); end != nil {
			var d time.Duration
			for tid, t := range end {
				d += max(0, t-m.threads[tid])
			}
			return d, nil
		}
		return 0, errors.New("schedstat became unreadable")
	}
	end, err := statCPU(m.pid)
	return max(0, end-m.start), err
}

// perOp returns the CPU used since startCPU divided by ops, in µs.
func (m *cpuMeter) perOp(ops int64) (float64, error) {
	used, err := m.used()
	if err != nil {
		return 0, err
	}
	if ops <= 0 {
		return 0, errors.New("no operations completed")
	}
	return float64(used) / float64(time.Microsecond) / float64(ops), nil
}
