#!/usr/bin/env bash
# The project's whole test command (see README): formatting, vet, every test
# under the race detector (including the autobahn-js interop tests, which
# install their pinned npm packages themselves), and a short run of every
# fuzz target. Works on a fresh machine with Go and Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."

# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# fail a clean run with "context deadline exceeded" when the deadline races a
# worker's last input (golang/go#75804, fixed in Go 1.27). A count has no
# deadline to race. 30000 inputs take one to a few seconds per target here.
fuzztime="${FUZZTIME:-30000x}"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tests/interop/js/node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== headless Chromium for the browser test (examples/browser)"
# Debian's chromium, driven by playwright-core (pinned in tests/interop/js,
# installed by the tests' own npm ci). Under CI the test fails without it.
if [ ! -x /usr/bin/chromium ]; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

echo "== go test -race"
# The timeout only ends a package that hangs: the two end-to-end packages
# take about 3 minutes on a quiet 2-core machine and over 8 under heavy load.
go test -race -count=1 -timeout 15m ./...

echo "== fuzz (${fuzztime} inputs per target, after the seed corpus)"
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "-- $pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/switchboard-fuzz.log 2>&1 || {
			cat /tmp/switchboard-fuzz.log; exit 1
		}
	done
done
echo "all tests passed"
