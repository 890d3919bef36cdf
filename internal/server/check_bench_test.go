package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"syscall"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore/sqltest"
)

// BenchmarkCheckHTTP measures POST check over HTTP in batches of 100
// (SPEC §4: ≥ 200,000 checks/s on 2 cores), through the whole stack:
// session, tenant, index, JSON. One op is one batch.
func BenchmarkCheckHTTP(b *testing.B) {
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			e := mustEnv(b, sqltest.Open(b, engine))
			e.mustTenant("acme", nil)
			ada, _ := e.mustMember("acme", "ada", "admin")
			actor, _, err := e.svc.Authenticate(context.Background(), e.staff.token())
			if err != nil {
				b.Fatal(err)
			}
			ctx := admin.WithActor(context.Background(), actor)
			for _, p := range []string{"defects.read", "defects.edit"} {
				kind := admin.KindRead
				if p == "defects.edit" {
					kind = admin.KindWrite
				}
				if _, err := e.svc.RegisterPermission(ctx, p, kind, ""); err != nil {
					b.Fatal(err)
				}
			}
			role, err := e.svc.CreateRole(ctx, "acme", admin.NewRole{Name: "Editor", Permissions: []string{"defects.read", "defects.edit"}})
			if err != nil {
				b.Fatal(err)
			}
			var leaves, users []string
			for p := range 20 {
				parent := ""
				for d := range 10 {
					in := admin.NewResource{Type: "folder", Key: fmt.Sprintf("P%d-F%d", p, d), Parent: parent}
					if d == 0 {
						in = admin.NewResource{Type: "project", Key: fmt.Sprint("P", p)}
					}
					if _, err := e.svc.CreateResource(ctx, "acme", in); err != nil {
						b.Fatal(err)
					}
					parent = in.Type + ":" + in.Key
				}
				leaves = append(leaves, parent)
			}
			for u := range 200 {
				usr, err := e.svc.CreateUser(ctx, "acme", admin.NewUser{Username: fmt.Sprint("user", u), Email: fmt.Sprintf("user%d@example.com", u)})
				if err != nil {
					b.Fatal(err)
				}
				users = append(users, usr.ID)
				if _, err := e.svc.CreateGrant(ctx, "acme", admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: usr.ID, Role: role.ID, Resource: fmt.Sprint("project:P", u%20)}); err != nil {
					b.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var bodies [][]byte
			for range 64 {
				var checks []map[string]string
				for range 100 {
					checks = append(checks, map[string]string{"user": users[rng.IntN(len(users))], "permission": "defects.edit", "resource": leaves[rng.IntN(len(leaves))]})
				}
				body, _ := json.Marshal(map[string]any{"checks": checks})
				bodies = append(bodies, body)
			}
			url := ada.base + "/api/v1/tenants/acme/check"
			cookie := "roster_session=" + ada.token()
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(4)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(bodies))
				for pb.Next() {
					req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[i%len(bodies)]))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Cookie", cookie)
					res, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("status %d", res.StatusCode)
						return
					}
					i++
				}
			})
			b.ReportMetric(float64(100*b.N)/time.Since(start).Seconds(), "checks/s")
			// CPU of the whole process (server and client) per batch: what
			// the checks cost whatever else runs on the machine.
			perBatch := (cpuTime() - cpu0) / time.Duration(b.N)
			b.ReportMetric(float64(perBatch.Microseconds()), "cpu-µs/batch")
			b.ReportMetric(2*100/perBatch.Seconds(), "checks/s-on-2-idle-cores")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
