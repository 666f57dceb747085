#!/usr/bin/env python3
"""The LangGraph side of the W1–W5 benchmark: the same workloads as `benches/src/lib.rs`, run
on Python LangGraph (versions pinned in requirements.txt beside this file), so that the
LangGraph column of the README's "## Performance" section can be reproduced.

Usage: python workloads.py [--only W1,W3] [--skip W3] [--config sqlite] [--json]

Prints a table like `cargo run --release -p benches --bin workloads`, or with --json one JSON
object per line with the same fields (workload, config, unit, throughput, per_step_us, p50_us,
p99_us, peak_rss_kb, bytes_per_step, machine, note) plus mean_us, load_avg (at the end of the
workload) and, for SQLite configurations, disk_commits_per_s (single-row commits per second on
the same disk just before the workload). Every workload/configuration runs in a child process
of its own, so peak_rss_kb (the child's VmHWM) belongs to that workload alone. W3 takes about
half a minute on a quiet machine; `--skip W3` leaves it out.

Configurations: `none` (no checkpointer), `memory` (InMemorySaver), `sqlite` (SqliteSaver,
LangGraph's default durability, "async"), `sqlite-sync` (SqliteSaver, durability="sync") and
`aiosqlite` (AsyncSqliteSaver, driven with ainvoke, default durability). W1 and W5 run in all
five, W2 in `sqlite`, W3 in `aiosqlite`, W4 in `sqlite-sync`. SQLite files go in a fresh
temporary directory (under $BENCH_DB_DIR if set; it must be on the disk being measured, not a
tmpfs), removed when the child ends.

Method (as in the Rust binary): a warm-up of about 0.2 s of untimed calls calibrates the number
of calls per repetition to about 0.8 s; throughput is the median of 5 repetitions; p50/p99 are
over every timed call. Graphs are compiled once, outside the timed region, except in W4's
resume, whose fresh connection and graph are part of what it measures.
"""

import os

# A benchmark must not trace: LangSmith would try to reach the network on every run.
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"

import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import operator  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from contextlib import asynccontextmanager, contextmanager  # noqa: E402
from importlib.metadata import version  # noqa: E402
from time import perf_counter  # noqa: E402
from typing import Annotated, TypedDict  # noqa: E402

REPS = 5
TARGET = 0.8  # seconds per repetition

PINNED = {
    "langgraph": "1.2.22",
    "langgraph-checkpoint": "4.3.2",
    "langgraph-checkpoint-sqlite": "3.1.2",
    "aiosqlite": "0.22.1",
}
CONFIGS = ["none", "memory", "sqlite", "sqlite-sync", "aiosqlite"]
PLAN = {
    "W1": CONFIGS,
    "W2": ["sqlite"],
    "W3": ["aiosqlite"],
    "W4": ["sqlite-sync"],
    "W5": CONFIGS,
}
DURABILITY = {"sqlite-sync": "sync"}  # the others keep LangGraph's default ("async")


# ---------------------------------------------------------------------------------------------
# Measuring


class Samples:
    """Seconds of every timed call, and the calls per second of each repetition."""

    def __init__(self, latencies, per_second):
        self.latencies = latencies
        self.per_second = per_second


def measure(op):
    """Calls op(i), which returns the seconds of its timed region, in calibrated repetitions."""
    i = 0
    start = perf_counter()
    while perf_counter() - start < TARGET / 4:
        op(i)
        i += 1
    batch = max(1, int(TARGET / ((perf_counter() - start) / i)))
    latencies, per_second = [], []
    for _ in range(REPS):
        rep = perf_counter()
        for _ in range(batch):
            latencies.append(op(i))
            i += 1
        per_second.append(batch / (perf_counter() - rep))
    return Samples(latencies, per_second)


async def ameasure(op):
    """[`measure`] for a coroutine function op."""
    i = 0
    start = perf_counter()
    while perf_counter() - start < TARGET / 4:
        await op(i)
        i += 1
    batch = max(1, int(TARGET / ((perf_counter() - start) / i)))
    latencies, per_second = [], []
    for _ in range(REPS):
        rep = perf_counter()
        for _ in range(batch):
            latencies.append(await op(i))
            i += 1
        per_second.append(batch / (perf_counter() - rep))
    return Samples(latencies, per_second)


def percentile_us(latencies, p):
    ordered = sorted(latencies)
    return ordered[round((len(ordered) - 1) * p)] * 1e6


def report(workload, config, unit, s, steps, note=None):
    """A report of samples s whose calls each run `steps` supersteps (node-steps for W1)."""
    ordered = sorted(s.per_second)
    throughput = ordered[len(ordered) // 2]
    return {
        "workload": workload,
        "config": config,
        "unit": unit,
        "throughput": throughput,
        "per_step_us": 1e6 / throughput / steps,
        "p50_us": percentile_us(s.latencies, 0.5),
        "p99_us": percentile_us(s.latencies, 0.99),
        "mean_us": sum(s.latencies) / len(s.latencies) * 1e6,
        "note": note,
    }


def peak_rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = ", ".join(f"{name} {version(name)}" for name in PINNED)
    return (
        f"{os.cpu_count()} cores, {cpu}; Python {sys.version.split()[0]}, {versions}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


# ---------------------------------------------------------------------------------------------
# The workloads' graphs, as in benches/src/lib.rs. Nodes are plain functions: LangGraph calls
# them inline under ainvoke too, so the async configuration runs the same graphs.

from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402
from langgraph.types import Command, Send, interrupt  # noqa: E402


class Bench(TypedDict):
    """The state of every workload: a message log, a counter and a scratch value."""

    log: Annotated[list[str], operator.add]
    count: Annotated[int, operator.add]
    value: str


def w1():
    """W1: A -> B -> C -> END; each node overwrites `value`."""
    g = StateGraph(Bench)
    for name in ["a", "b", "c"]:
        g.add_node(name, lambda _s, name=name: {"value": name})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g


def looping(supersteps):
    """W2/W3/W4-history: router <-> worker until `count` reaches `supersteps`.

    As in the Rust `looping`, the router routes on the count after its own increment, so the
    run ends on the first router step whose count is not below `supersteps`: an odd number of
    supersteps, `supersteps` when it is odd, one more when it is even (W2's looping(50) runs 51
    and W3's looping(10) 11, on both sides). Reports count `supersteps` per thread, as the Rust
    binary does, so the two stay comparable."""
    g = StateGraph(Bench)
    g.add_node("router", lambda _s: {"count": 1})
    g.add_node("worker", lambda s: {"count": 1, "log": [f"message {s['count']}"]})
    g.add_edge(START, "router")
    g.add_edge("worker", "router")
    g.add_conditional_edges(
        "router", lambda s: "worker" if s["count"] < supersteps else END, ["worker", END]
    )
    return g


def _approve(_s):
    return {"value": interrupt("approve?")}


def w4():
    """W4: A -> B -> C where B asks a human."""
    g = StateGraph(Bench)
    g.add_node("a", lambda _s: {"value": "a"})
    g.add_node("b", _approve)
    g.add_node("c", lambda _s: {"value": "c"})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g


def w5(fanout):
    """W5: `plan` sends `fanout` tasks to `worker` (each appends), then `merge`."""
    g = StateGraph(Bench)
    g.add_node("plan", lambda _s: {})
    g.add_node("worker", lambda i: {"log": [f"result {i}"]})
    g.add_node("merge", lambda s: {"value": f"{len(s['log'])} results"})
    g.add_edge(START, "plan")
    g.add_conditional_edges(
        "plan", lambda _s: [Send("worker", i) for i in range(fanout)], ["worker"]
    )
    g.add_edge("worker", "merge")
    g.add_edge("merge", END)
    return g


# ---------------------------------------------------------------------------------------------
# Checkpointers


class Dbs:
    """Fresh SQLite paths in a temporary directory of this process."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lg-bench-", dir=os.environ.get("BENCH_DB_DIR"))
        self.next = 0

    def fresh(self):
        self.next += 1
        return os.path.join(self.dir, f"w-{self.next}.db")


def on_disk(path):
    """Bytes of the database file and its WAL."""
    return sum(os.path.getsize(p) for p in [path, path + "-wal"] if os.path.exists(p))


def synchronous_of(conn):
    level = conn.execute("PRAGMA synchronous").fetchone()[0]
    return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(level, str(level))


@contextmanager
def saver(config, dbs):
    """A checkpointer of a synchronous configuration (None for `none`)."""
    if config == "none":
        yield None
    elif config == "memory":
        yield InMemorySaver()
    else:
        with SqliteSaver.from_conn_string(dbs.fresh()) as s:
            yield s


@asynccontextmanager
async def asaver(dbs, path=None):
    async with AsyncSqliteSaver.from_conn_string(path or dbs.fresh()) as s:
        yield s


def commits_per_call(s, call, calls=20):
    """SQLite commits per call of `call`, counted untimed after a measurement: each COMMIT the
    saver's connection runs (from any thread: the default durability writes in the
    background, and a call returns only once its writes are done)."""
    seen = [0]

    def trace(statement):
        if statement.lstrip().upper().startswith("COMMIT"):
            seen[0] += 1

    s.conn.set_trace_callback(trace)
    try:
        for k in range(calls):
            call(k)
    finally:
        s.conn.set_trace_callback(None)
    return seen[0] / calls


def kwargs_of(config):
    return {"durability": DURABILITY[config]} if config in DURABILITY else {}


def thread(name):
    return {"configurable": {"thread_id": name}}


def config_note(config, s):
    if config == "none":
        return "no checkpointer"
    durability = DURABILITY.get(config, "async (the default)")
    if config == "memory":
        return f"InMemorySaver, durability {durability}"
    if config == "aiosqlite":
        return f"AsyncSqliteSaver, ainvoke, durability {durability}, WAL"
    return f"SqliteSaver, durability {durability}, WAL, synchronous={synchronous_of(s.conn)}"


# ---------------------------------------------------------------------------------------------
# W1 and W5: one invocation per timed call, on a fresh thread


def run_invocations(workload, config, dbs, builder, check, steps, unit):
    graph_of = lambda s: builder().compile(checkpointer=s)  # noqa: E731
    if config == "aiosqlite":

        async def main():
            async with asaver(dbs) as s:
                graph = graph_of(s)

                async def op(i):
                    cfg = thread(f"{workload}-{i}")
                    t = perf_counter()
                    out = await graph.ainvoke({}, cfg)
                    elapsed = perf_counter() - t
                    check(out)
                    return elapsed

                return await ameasure(op), config_note(config, s)

        samples, note = asyncio.run(main())
    else:
        kwargs = kwargs_of(config)
        with saver(config, dbs) as s:
            graph = graph_of(s)

            def op(i):
                cfg = thread(f"{workload}-{i}")
                t = perf_counter()
                out = graph.invoke({}, cfg, **kwargs)
                elapsed = perf_counter() - t
                check(out)
                return elapsed

            samples = measure(op)
            note = config_note(config, s)
            if isinstance(s, SqliteSaver):
                per_call = commits_per_call(
                    s, lambda k: graph.invoke({}, thread(f"{workload}-commits-{k}"), **kwargs)
                )
                note += f"; {per_call:.2f} commits per invocation"
    return report(workload, config, unit, samples, steps, note)


def check_w1(out):
    assert out["value"] == "c", out


def check_w5(out):
    assert len(out["log"]) == 100 and out["value"] == "100 results", out


def disk_probe(dbs, seconds=0.5):
    """Single-row commits per second on a fresh file for `seconds`, run just before a SQLite
    workload and reported with it (disk_commits_per_s): on a shared machine the fsync rate
    varies more than anything LangGraph does."""
    conn = sqlite3.connect(dbs.fresh(), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    n, start = 0, perf_counter()
    while perf_counter() - start < seconds:
        conn.execute("INSERT INTO t VALUES (?)", (n,))
        n += 1
    rate = n / (perf_counter() - start)
    conn.close()
    return rate


def raw_commits(dbs):
    """Single-row autocommit INSERTs on a fresh file with SqliteSaver's settings (WAL, the
    default synchronous): the fsync ceiling of the disk, as the Rust binary's `disk` row."""
    conn = sqlite3.connect(dbs.fresh(), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    latencies, per_second, n = [], [], 0
    for _ in range(REPS):
        start = perf_counter()
        k = 0
        while perf_counter() - start < TARGET:
            t = perf_counter()
            conn.execute("INSERT INTO t VALUES (?, x'00')", (n,))
            latencies.append(perf_counter() - t)
            n += 1
            k += 1
        per_second.append(k / (perf_counter() - start))
    note = (
        f"raw single-row autocommit INSERTs, WAL, synchronous={synchronous_of(conn)}, same "
        "disk: the fsync ceiling"
    )
    conn.close()
    return report("disk", "sqlite", "commits/s", Samples(latencies, per_second), 1, note)


# ---------------------------------------------------------------------------------------------
# W2: 100 threads of 50 supersteps, one after another


def loop_bytes(dbs, threads, supersteps):
    """Bytes per superstep of `threads` loop threads on a fresh file: with its WAL right after
    the run, and after the connection closed (SQLite then folds the WAL into the file)."""
    path = dbs.fresh()
    with SqliteSaver.from_conn_string(path) as s:
        s.setup()
        empty = on_disk(path)
        graph = looping(supersteps).compile(checkpointer=s)
        for k in range(threads):
            graph.invoke({}, thread(f"bytes-{k}"))
        with_wal = on_disk(path)
    closed = on_disk(path)
    steps = threads * supersteps
    return (with_wal - empty) / steps, (closed - empty) / steps


def run_w2(config, dbs):
    with saver(config, dbs) as s:
        graph = looping(50).compile(checkpointer=s)
        kwargs = kwargs_of(config)

        def op(i):
            t = perf_counter()
            for k in range(100):
                out = graph.invoke({}, thread(f"w2-{i}-{k}"), **kwargs)
            elapsed = perf_counter() - t
            assert out["count"] == 51, out  # 51 supersteps: see `looping`
            return elapsed

        samples = measure(op)
        note = config_note(config, s)
        per_thread = commits_per_call(
            s, lambda k: graph.invoke({}, thread(f"w2-commits-{k}"), **kwargs), calls=5
        )
        note += f"; {per_thread:.0f} commits per thread"
    r = report("W2", config, "steps/s", samples, 1)
    r["throughput"] *= 5000
    r["per_step_us"] = 1e6 / r["throughput"]
    for key in ["p50_us", "p99_us", "mean_us"]:
        r[key] /= 5000
    with_wal, closed = loop_bytes(dbs, 100, 50)
    long_wal, long_closed = loop_bytes(dbs, 2, 2000)
    r["bytes_per_step"] = with_wal
    r["note"] = (
        f"{note}; p50/p99 are per superstep, averaged over 100 threads × 50 supersteps; "
        f"bytes_per_step: file + WAL right after 100 threads × 50 supersteps on a fresh file "
        f"({closed:.0f} B/step once closed, the WAL folded in); 2 threads × 2000 supersteps: "
        f"{long_wal:.0f} B/step with the WAL, {long_closed:.0f} closed"
    )
    return [r]


# ---------------------------------------------------------------------------------------------
# W3: 1000 threads × 10 supersteps, all in flight on one AsyncSqliteSaver


def run_w3(config, dbs):
    async def main():
        async with asaver(dbs) as s:
            graph = looping(10).compile(checkpointer=s)

            async def one(name, start):
                out = await graph.ainvoke({}, thread(name))
                return perf_counter() - start, out["count"]

            # Warm-up: a few threads through the same path, untimed.
            warm = perf_counter()
            await asyncio.gather(*(one(f"warm-{k}", warm) for k in range(10)))
            gc.collect()
            start = perf_counter()
            done = await asyncio.gather(*(one(f"w3-{k}", start) for k in range(1000)))
            wall = perf_counter() - start
            assert all(count == 11 for _, count in done)  # 11 supersteps: see `looping`
            return wall, [t for t, _ in done], config_note(config, s)

    wall, latencies, note = asyncio.run(main())
    r = report("W3", config, "steps/s", Samples(latencies, [10_000 / wall]), 1)
    r["per_step_us"] = wall * 1e6 / 10_000
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r["note"] = (
        f"{note}; 1000 threads × 10 supersteps all in flight (asyncio.gather), one repetition; "
        f"wall {wall:.2f} s; p50/p99 are thread completion times; ru_maxrss {maxrss} KiB"
    )
    return [r]


# ---------------------------------------------------------------------------------------------
# W4: resume from an interrupt; get_state and the history of a 500-checkpoint thread


def run_w4(config, dbs):
    kwargs = kwargs_of(config)
    reports = []
    path = dbs.fresh()
    with SqliteSaver.from_conn_string(path) as s:
        graph = w4().compile(checkpointer=s)
        note = config_note(config, s)
        split = {"open": 0.0, "resume": 0.0}

        def fresh(i):
            """Runs to the interrupt (untimed), then times a resume by a fresh connection and
            graph, as a new process or request handler would do it."""
            cfg = thread(f"w4-{i}")
            assert "__interrupt__" in graph.invoke({}, cfg, **kwargs)
            t = perf_counter()
            with SqliteSaver.from_conn_string(path) as s2:
                g = w4().compile(checkpointer=s2)
                opened = perf_counter()
                out = g.invoke(Command(resume="yes"), cfg, **kwargs)
            elapsed = perf_counter() - t
            split["open"] += opened - t
            split["resume"] += elapsed - (opened - t)
            assert out["value"] == "c", out
            return elapsed

        samples = measure(fresh)
        n = len(samples.latencies)
        r = report("W4-resume", config, "resumes/s", samples, 1)
        r["note"] = (
            f"{note}; resume from the interrupt in B to END (runs B and C) by a fresh "
            f"connection + SqliteSaver + compiled graph, all timed: of the mean, opening and "
            f"compiling {split['open'] / n * 1e6:.0f} µs, the resume itself "
            f"{split['resume'] / n * 1e6:.0f} µs (SqliteSaver's setup() on first use, the "
            f"resume, closing the connection); throughput counts the untimed run to the interrupt too"
        )
        reports.append(r)

        def same(i):
            cfg = thread(f"w4-same-{i}")
            assert "__interrupt__" in graph.invoke({}, cfg, **kwargs)
            t = perf_counter()
            out = graph.invoke(Command(resume="yes"), cfg, **kwargs)
            elapsed = perf_counter() - t
            assert out["value"] == "c", out
            return elapsed

        r = report("W4-resume-same-graph", config, "resumes/s", measure(same), 1)
        r["note"] = (
            f"{note}; resume on the long-lived graph and connection that ran to the interrupt "
            f"(as the Rust binary's W4-resume does); throughput counts the untimed run to the "
            f"interrupt too"
        )
        reports.append(r)

    with SqliteSaver.from_conn_string(dbs.fresh()) as s:
        # The Rust binary's history thread, looping(499): 499 supersteps, so 500 checkpoints
        # there (the input's and one per superstep) and 501 here (LangGraph adds one for the
        # step that runs START).
        graph = looping(499).compile(checkpointer=s)
        cfg = thread("w4-history")
        graph.invoke({}, cfg, **kwargs)
        assert len(list(graph.get_state_history(cfg))) == 501

        def get_state(_i):
            t = perf_counter()
            graph.get_state(cfg)
            return perf_counter() - t

        def history(_i):
            t = perf_counter()
            h = list(graph.get_state_history(cfg))
            elapsed = perf_counter() - t
            assert len(h) == 501
            return elapsed

        r = report("W4-get_state", config, "calls/s", measure(get_state), 1)
        r["note"] = f"{note}; latest state of a 501-checkpoint thread (looping(499))"
        reports.append(r)
        r = report("W4-history", config, "calls/s", measure(history), 1)
        r["note"] = (
            f"{note}; full get_state_history of a 501-checkpoint thread (looping(499); "
            f"StateSnapshots with values, as LangGraph returns them)"
        )
        reports.append(r)
    return reports


# ---------------------------------------------------------------------------------------------
# Running


def run_one(workload, config, dbs):
    gc.collect()
    if workload == "W1":
        reports = [run_invocations("W1", config, dbs, w1, check_w1, 3, "invocations/s")]
        if config == "sqlite":
            reports.append(raw_commits(dbs))
        return reports
    if workload == "W2":
        return run_w2(config, dbs)
    if workload == "W3":
        return run_w3(config, dbs)
    if workload == "W4":
        return run_w4(config, dbs)
    if workload == "W5":
        r = run_invocations("W5", config, dbs, lambda: w5(100), check_w5, 3, "runs/s")
        r["note"] += "; per_step_us is per superstep (plan, 100 workers, merge)"
        return [r]
    raise SystemExit(f"unknown workload {workload}; expected W1..W5")


def child(workload, config):
    # A terminated child still removes its temporary directory (see the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    dbs = Dbs()
    try:
        disk = disk_probe(dbs) if "sqlite" in config else None
        reports = run_one(workload, config, dbs)
    finally:
        shutil.rmtree(dbs.dir, ignore_errors=True)
    peak = peak_rss_kb()
    for r in reports:
        r["peak_rss_kb"] = peak
        r["machine"] = machine()
        r["load_avg"] = [round(x, 2) for x in os.getloadavg()]
        if disk is not None:
            r["disk_commits_per_s"] = round(disk)
        if r.get("bytes_per_step") is None:
            r.pop("bytes_per_step", None)
        print(json.dumps(r, ensure_ascii=False), flush=True)


def flag(args, name):
    if name in args and args.index(name) + 1 < len(args):
        return args[args.index(name) + 1]
    return None


def main():
    args = sys.argv[1:]
    if "--child" in args:
        child(flag(args, "--only"), flag(args, "--config"))
        return
    as_json = "--json" in args
    workloads = (flag(args, "--only") or ",".join(PLAN)).split(",")
    skip = set((flag(args, "--skip") or "").split(","))
    workloads = [w for w in workloads if w not in skip]
    for w in workloads:
        if w not in PLAN:
            raise SystemExit(f"unknown workload {w}; expected one of {', '.join(PLAN)}")
    asked = flag(args, "--config")
    if asked is not None and asked not in CONFIGS:
        raise SystemExit(f"unknown config {asked}; expected one of {', '.join(CONFIGS)}")
    for name, pinned in PINNED.items():
        if version(name) != pinned:
            print(f"warning: {name} {version(name)} installed, {pinned} pinned", file=sys.stderr)
    if not as_json:
        print(
            f"{'workload':<21} {'config':<12} {'throughput':>11} {'unit':<14} "
            f"{'per-step µs':>12} {'p50 µs':>10} {'p99 µs':>11} {'RSS KiB':>9} {'B/step':>7}",
            flush=True,
        )
    for workload in workloads:
        for config in PLAN[workload]:
            if asked is not None and config != asked:
                continue
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--child", "--only", workload,
                 "--config", config],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                sys.stderr.write(f"{workload}/{config}:\n{out.stderr}")
                raise SystemExit(1)
            for line in out.stdout.splitlines():
                if as_json:
                    print(line, flush=True)
                    continue
                v = json.loads(line)
                b = v.get("bytes_per_step")
                print(
                    f"{v['workload']:<21} {v['config']:<12} {v['throughput']:>11.1f} "
                    f"{v['unit']:<14} {v['per_step_us']:>12.1f} {v['p50_us']:>10.1f} "
                    f"{v['p99_us']:>11.1f} {v['peak_rss_kb']:>9} "
                    f"{'' if b is None else format(b, '.0f'):>7}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
