#!/usr/bin/env bash
# The project's whole test command (see README): formatting, vet, every test
# under the race detector (including the autobahn-js interop tests, which
# install their pinned npm packages themselves), and a short run of every
# fuzz target. Works on a fresh machine with Go and Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-4s}"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tests/interop/js/node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 8m ./...

echo "== fuzz (${fuzztime} per target)"
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "-- $pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/switchboard-fuzz.log 2>&1 || {
			cat /tmp/switchboard-fuzz.log; exit 1
		}
	done
done
echo "all tests passed"
