#!/usr/bin/env bash
# Load on POST /api/chat with wrk, to see whether the message rate decays as conversation
# threads grow: the release server (offline NLU, a fresh embedded SQLite file) is driven by
# wrk (2 threads, 64 connections, chat.lua: 64 guests asking hotel questions) for four
# consecutive periods on the same guests, and each period's messages/s, p50, p99 and non-2xx
# count are printed. The in-process load test beside it (tests/it/load.rs) checks replies;
# this one measures the HTTP server as deployed.
#
# Run from anywhere in the repository:  server/tests/wrk/chat_load.sh
# Settings (environment): PERIODS (4), SECONDS_EACH (6), CONNECTIONS (64), WRK_THREADS (2),
# SKIP_BUILD=1 to use the release binary already built. Needs wrk (`apt-get install wrk`).
# wrk and the server share the machine: on a small one the figures are rough.
set -euo pipefail

periods=${PERIODS:-4}
seconds=${SECONDS_EACH:-6}
connections=${CONNECTIONS:-64}
wrk_threads=${WRK_THREADS:-2}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
# chat.lua deals 32 guests to each wrk thread.
if [ "$connections" -ne $((wrk_threads * 32)) ]; then
  echo "note: chat.lua has $((wrk_threads * 32)) guests for $connections connections" >&2
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$root" && cargo build --release -j2 -p server --bin server)
fi
binary="$root/target/release/server"

work=$(mktemp -d)
server_pid=
stop() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

# Port 0: the server picks a free port and logs it; JSON logs, so it reads without colours.
RUST_LOG=warn,server=info LOG_FORMAT=json "$binary" \
  --bind-addr 127.0.0.1:0 \
  --database-url "sqlite://$work/agent.db" \
  --llm-provider offline \
  --rate-limit-per-guest 1000000 \
  --rate-limit-global 1000000 \
  >"$work/server.log" 2>&1 &
server_pid=$!

addr=
for _ in $(seq 100); do
  addr=$(grep -o '"addr":"[0-9.:]*"' "$work/server.log" | head -1 | cut -d'"' -f4 || true)
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "the server did not say where it listens" >&2; cat "$work/server.log" >&2; exit 1; }
curl -fsS "http://$addr/health/live" >/dev/null

echo "wrk: $wrk_threads threads, $connections connections, $periods periods of ${seconds}s on the same guests"
echo "machine: $(nproc) CPU(s), shared by wrk and the server"
printf '%-7s %10s %9s %9s %8s %9s %16s\n' period "msgs/s" "p50 ms" "p99 ms" non-2xx "sock err" "msgs/guest after"
total=0
guests=$((wrk_threads * 32))
for period in $(seq "$periods"); do
  result=$(wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 10s \
    -s "$here/chat.lua" "http://$addr" -- "$period" | grep '^RESULT')
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  total=$((total + $(field requests)))
  printf '%-7s %10s %9s %9s %8s %9s %16s\n' "$period" "$(field rate)" "$(field p50_ms)" \
    "$(field p99_ms)" "$(field non2xx)" "$(field socket_errors)" "$((total / guests))"
done

if grep -q '"level":"ERROR"' "$work/server.log"; then
  echo "the server logged errors:" >&2
  grep '"level":"ERROR"' "$work/server.log" | head -5 >&2
fi
