# Roster's developer commands. `make test` is the whole test suite, the
# same command CI runs (.ci/run); it starts PostgreSQL when it is down.
GO ?= go

.PHONY: test vet build bench lint serve clean screenshots

test: vet
	@./scripts/ensure-postgres.sh
	@./scripts/ensure-chromium.sh
	$(GO) test -race -count=1 -timeout 45m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

build:
	$(GO) build -o bin/roster ./cmd/roster

serve:
	$(GO) run ./cmd/roster serve

# Benchmarks of the SPEC §4 budget (not part of `make test`). The first run
# seeds 1,000,000 users per engine once and keeps them (see docs/BENCHMARKS.md).
bench:
	@./scripts/ensure-postgres.sh
	$(GO) test -run '^$$' -bench . -benchtime 2000x -timeout 60m ./internal/sqlstore/
	$(GO) test -run '^$$' -bench . -timeout 20m ./internal/password/
	$(GO) test -run '^$$' -bench Start -benchtime 10x ./cmd/roster/
	$(GO) test -run '^$$' -bench 'MailDelivery|QueueNotification' -benchtime 500x ./internal/admin/
	$(GO) test -run '^$$' -bench 'SignIn|Argon2idAlone' -benchtime 400x ./internal/admin/
	$(GO) test -run '^$$' -bench 'SessionCheck' -benchtime 5000x ./internal/admin/
	$(GO) test -run '^$$' -bench 'Check' -benchtime 2000000x ./internal/access/
	$(GO) test -run '^$$' -bench 'CheckHTTP' -benchtime 3000x ./internal/server/
	$(GO) test -run '^$$' -bench 'ChangeSeen' -benchtime 20x ./internal/admin/
	$(GO) test -run '^$$' -bench 'IndexLoad' -benchtime 2x -timeout 60m ./internal/admin/
	$(GO) test -run '^$$' -bench 'UsersPage|PermissionPages' -benchtime 200x ./internal/console/

# Renders the console's main pages into docs/screenshots/ with headless Chromium.
screenshots:
	@./scripts/ensure-chromium.sh
	ROSTER_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' ./internal/console/

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...

clean:
	rm -rf bin
