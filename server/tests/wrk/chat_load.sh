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
#
# On PostgreSQL: PG=1 starts a throwaway cluster of its own in the temp dir with the server's
# default durability (fsync and synchronous_commit on; PostgreSQL's server binaries needed,
# run as the `postgres` user when root), or DATABASE_URL=postgres://… uses yours (its tables
# must be empty or from a previous run of the same build). REPLICAS=2 starts two servers on
# that database, each driven by its own wrk with half the connections and its own guests;
# each period prints one line per replica and their sum.
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
pg_stop() { :; }
stop() {
  for pid in $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pg_stop
  rm -rf "$work"
}
trap stop EXIT

replicas=${REPLICAS:-1}
database=${DATABASE_URL:-sqlite://$work/agent.db}
if [ "${PG:-0}" = 1 ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  as_pg=()
  if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); chown postgres "$work"; fi
  "${as_pg[@]}" "$bin/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 >/dev/null
  "${as_pg[@]}" "$bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-c listen_addresses='' -k $work -c max_connections=200" start >/dev/null
  pg_stop() { "${as_pg[@]}" "$bin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true; }
  database="postgresql://postgres@/postgres?host=$work"
fi
if [ "$replicas" -gt 1 ] && [[ "$database" != postgres* ]]; then
  echo "REPLICAS=$replicas needs Postgres: PG=1 or DATABASE_URL=postgres://…" >&2
  exit 1
fi

# Port 0: each server picks a free port and logs it; JSON logs, so it reads without colours.
addrs=()
server_pids=()
for r in $(seq "$replicas"); do
  RUST_LOG=warn,server=info LOG_FORMAT=json "$binary" \
    --bind-addr 127.0.0.1:0 \
    --database-url "$database" \
    --llm-provider offline \
    --rate-limit-per-guest 1000000 \
    --rate-limit-global 1000000 \
    >"$work/server-$r.log" 2>&1 &
  server_pids+=($!)
  addr=
  for _ in $(seq 100); do
    addr=$(grep -o '"addr":"[0-9.:]*"' "$work/server-$r.log" | head -1 | cut -d'"' -f4 || true)
    [ -n "$addr" ] && break
    kill -0 "${server_pids[-1]}" 2>/dev/null || { cat "$work/server-$r.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "server $r did not say where it listens" >&2; cat "$work/server-$r.log" >&2; exit 1; }
  curl -fsS "http://$addr/health/live" >/dev/null
  addrs+=("$addr")
done
server_pid="${server_pids[*]}"

per_wrk_threads=$(( wrk_threads / replicas > 0 ? wrk_threads / replicas : 1 ))
per_connections=$(( connections / replicas ))
echo "database: ${database%%\?*} ($replicas replica(s))"
echo "wrk: $wrk_threads threads, $connections connections, $periods periods of ${seconds}s on the same guests"
echo "machine: $(nproc) CPU(s), shared by wrk, the server(s) and the database"
printf '%-7s %-8s %10s %9s %9s %8s %9s %16s\n' period replica "msgs/s" "p50 ms" "p99 ms" non-2xx "sock err" "msgs/guest after"
total=0
guests=$((per_wrk_threads * 32 * replicas))
for period in $(seq "$periods"); do
  wrk_pids=()
  for r in $(seq "$replicas"); do
    offset=$(( (r - 1) * per_wrk_threads * 32 ))
    wrk -t"$per_wrk_threads" -c"$per_connections" -d"${seconds}s" --timeout 10s \
      -s "$here/chat.lua" "http://${addrs[$((r - 1))]}" -- "$period" "$offset" \
      | grep '^RESULT' >"$work/wrk-$r.out" &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  sum=0
  for r in $(seq "$replicas"); do
    result=$(cat "$work/wrk-$r.out")
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
    total=$((total + $(field requests)))
    sum=$(awk -v a="$sum" -v b="$(field rate)" 'BEGIN { printf "%.1f", a + b }')
    printf '%-7s %-8s %10s %9s %9s %8s %9s %16s\n' "$period" "$r" "$(field rate)" "$(field p50_ms)" \
      "$(field p99_ms)" "$(field non2xx)" "$(field socket_errors)" "$((total / guests))"
  done
  if [ "$replicas" -gt 1 ]; then
    printf '%-7s %-8s %10s\n' "$period" all "$sum"
  fi
done

if grep -q '"level":"ERROR"' "$work"/server-*.log; then
  echo "the server logged errors:" >&2
  grep -h '"level":"ERROR"' "$work"/server-*.log | head -5 >&2
fi
