package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStart measures SPEC §4's idle-server line on the real binary: the
// time from exec to the first 200 from /readyz, and the resident memory of
// the idle process a second later. "first" starts on an empty SQLite file
// (migrations and the staff bootstrap included); "restart" on a database
// that is already set up.
func BenchmarkStart(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "roster")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, mode := range []string{"first", "restart"} {
		b.Run(mode, func(b *testing.B) {
			b.StopTimer() // only the custom metrics mean something here
			var total time.Duration
			var rss float64
			dir := b.TempDir()
			for i := 0; i < b.N; i++ {
				db := filepath.Join(dir, "roster.db")
				if mode == "first" {
					db = filepath.Join(dir, fmt.Sprintf("roster-%d.db", i))
				} else if i == 0 {
					startOnce(b, bin, db) // set the database up outside the timing
				}
				took, kb := startOnce(b, bin, db)
				total += took
				rss = max(rss, float64(kb)/1024)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "start-ms")
			b.ReportMetric(rss, "idle-rss-MB")
		})
	}
}

// startOnce runs the binary on db until /readyz answers, lets it idle for a
// second, reads its resident set size and stops it.
func startOnce(b *testing.B, bin, db string) (time.Duration, int) {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db)
	cmd.Env = append(os.Environ(), "ROSTER_ADMIN_PASSWORD=benchmark staff password")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > 10*time.Second {
			b.Fatalf("server did not become ready: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(time.Second)
	return took, residentKB(b, cmd.Process.Pid)
}

// residentKB reads VmRSS of pid from /proc.
func residentKB(b *testing.B, pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatal("VmRSS not found")
	return 0
}
