#!/usr/bin/env bash
# Runs `npm test` with the clock moved for every process, to show no outcome depends on today's
# date: tools/testkit/bin/test-with-clock.sh +365d (any FAKETIME offset: +365d, +3600s, -30d).
# Needs libfaketime (Debian: apt-get install faketime). Debian's Redis programs cannot run
# under it (jemalloc recurses into the faked clock), so they run through wrappers that keep the
# real clock, and so does openssl, so the test certificates are valid in Redis's eyes. Only the
# apps, the tests and Chromium see the moved clock: Redis a year behind them is a harsher test
# than a machine whose whole clock moved.
set -euo pipefail
offset=${1:?usage: test-with-clock.sh OFFSET, e.g. +365d}
library=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$library" ] || { echo "libfaketime not found: apt-get install faketime" >&2; exit 2; }

wrappers=$(mktemp -d)
trap 'rm -rf "$wrappers"' EXIT
for tool in redis-server redis-cli redis-check-aof redis-check-rdb openssl; do
  real=$(command -v "$tool") || { echo "$tool not found" >&2; exit 2; }
  printf '#!/bin/sh\nunset LD_PRELOAD FAKETIME\nexec %s "$@"\n' "$real" > "$wrappers/$tool"
  chmod +x "$wrappers/$tool"
done

cd "$(dirname "$0")/../../.."
PATH="$wrappers:$PATH" LD_PRELOAD="$library" FAKETIME="$offset" npm test
