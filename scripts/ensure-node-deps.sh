#!/usr/bin/env bash
# Installs the pinned npm packages of the autobahn-js interop tests
# (tests/interop/js) when they are missing or older than package-lock.json.
# The Go tests do the same by themselves (interop.EnsureNodeDeps); this script
# is for running scenario.js by hand.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/interop/js"

for bin in node npm; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "ensure-node-deps: $bin not found; install Node.js >= 20 and npm (Debian: apt-get install nodejs npm)" >&2
		exit 1
	fi
done

stamp="$dir/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
	echo "ensure-node-deps: npm ci in $dir"
	(cd "$dir" && npm ci --no-audit --no-fund)
else
	echo "ensure-node-deps: $dir is up to date"
fi
