#!/usr/bin/env python3
"""Drives the server's Agent Protocol API with the official LangGraph Python SDK, unmodified.

Usage:
    AGENT_URL=http://127.0.0.1:8080 [AGENT_API_KEY=<ADMIN_TOKEN>] python suite.py [check ...]

Needs `langgraph-sdk` (pinned with everything it pulls in by requirements.txt beside this
file) and a server started with AGENT_TEST_GRAPHS=1, which serves the `hotel`, `approval` and
`sleepy` graphs. Every check runs on threads of its own, so one failure does not cascade.
Prints `PASS name` or `FAIL name: reason` per check and, as its last line, `N passed, M
failed`; exits 0 only when nothing failed. Naming checks on the command line runs only those.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.errors import AuthenticationError, ConflictError, NotFoundError
from langgraph_sdk.schema import Command

URL = (os.environ.get("AGENT_URL") or "").rstrip("/")
API_KEY = os.environ.get("AGENT_API_KEY") or None

# LangGraph's system assistants: uuid5 of this namespace and the graph id.
ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
HOTEL = "f738c1c9-89db-5dd9-ad4b-f7547e591f4e"
APPROVAL = "e234584d-b7bf-527f-9d06-ba77f8f5172d"
ASK = {"ask": "suite 2 nights"}
# What `approve` asks: 2 nights at 220.00 each.
QUESTION = {"question": "approve this quote?", "quote_usd": "440.00"}
# Each check's time limit, in seconds.
CHECK_TIMEOUT = 60
# A run's status once it has stopped for good.
FINAL_STATUSES = ("success", "error", "timeout", "interrupted")

CHECKS: list[tuple[str, Callable[[], Awaitable[None]]]] = []


def check(fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """Registers `fn` as a check named after it."""
    CHECKS.append((fn.__name__, fn))
    return fn


def client(api_key: str | None = API_KEY):
    # api_key=None sends no key: the SDK must not pick one up from LANGSMITH_API_KEY & co.
    return get_client(url=URL, api_key=api_key)


async def new_thread(c, **metadata: Any) -> str:
    thread = await c.threads.create(metadata={"suite": "sdk", **metadata})
    return thread["thread_id"]


async def collect(stream) -> list:
    """All parts of an SDK stream, in order."""
    return [part async for part in stream]


def events(parts: list) -> list[str]:
    return [p.event for p in parts]


def no_error_event(parts: list) -> None:
    errors = [p.data for p in parts if p.event == "error"]
    assert not errors, f"the stream sent error events: {errors}"


def interrupt_values(interrupts: Any) -> list:
    """The `value`s of a list of `{"value", "id"}` interrupts, checking their shape."""
    assert isinstance(interrupts, list) and interrupts, f"no interrupts: {interrupts!r}"
    for i in interrupts:
        assert isinstance(i, dict) and "value" in i and i.get("id"), f"interrupt shape: {i!r}"
    return [i["value"] for i in interrupts]


async def stream_to_interrupt(c, thread_id: str) -> list:
    """Streams an approval run with values+updates until it stops at `approve`."""
    parts = await collect(
        c.runs.stream(thread_id, APPROVAL, input=ASK, stream_mode=["values", "updates"])
    )
    no_error_event(parts)
    return parts


async def approved_thread(c) -> str:
    """A thread whose approval run was interrupted and then resumed with "yes"."""
    thread_id = await new_thread(c)
    await stream_to_interrupt(c, thread_id)
    await collect(c.runs.stream(thread_id, APPROVAL, command=Command(resume="yes")))
    return thread_id


async def settle(c, thread_id: str, run_id: str, seconds: float = 20) -> dict:
    """Polls a run until it reaches a final status."""
    deadline = time.monotonic() + seconds
    while True:
        run = await c.runs.get(thread_id, run_id)
        if run["status"] in FINAL_STATUSES or time.monotonic() > deadline:
            return run
        await asyncio.sleep(0.05)


async def until_running(c, thread_id: str, run_id: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while True:
        run = await c.runs.get(thread_id, run_id)
        if run["status"] == "running":
            return
        assert run["status"] == "pending", f"run {run_id} is {run['status']}, not running yet"
        assert time.monotonic() < deadline, f"run {run_id} still pending after {seconds} s"
        await asyncio.sleep(0.05)


def log_of(values: Any) -> list[str]:
    assert isinstance(values, dict), f"values are not an object: {values!r}"
    log = values.get("log")
    assert isinstance(log, list), f"values have no log list: {values!r}"
    return log


# ---------------------------------------------------------------------------------------------
# assistants


@check
async def assistant_ids_are_uuid5_of_the_graph_id():
    # A sanity check of the constants this suite uses (no server call).
    assert str(uuid.uuid5(ASSISTANT_NAMESPACE, "hotel")) == HOTEL
    assert str(uuid.uuid5(ASSISTANT_NAMESPACE, "approval")) == APPROVAL


@check
async def assistants_search_by_graph_id():
    async with client() as c:
        found = await c.assistants.search(graph_id="approval")
        assert found, "no assistant for graph approval"
        assert all(a["graph_id"] == "approval" for a in found), found
        assert APPROVAL in [a["assistant_id"] for a in found], found
        hotel = await c.assistants.search(graph_id="hotel")
        assert HOTEL in [a["assistant_id"] for a in hotel], hotel
        every = await c.assistants.search(limit=100)
        graphs = {a["graph_id"] for a in every}
        assert {"hotel", "approval", "sleepy"} <= graphs, f"graphs listed: {graphs}"


@check
async def assistants_get():
    async with client() as c:
        a = await c.assistants.get(APPROVAL)
        assert a["assistant_id"] == APPROVAL, a
        assert a["graph_id"] == "approval", a
        for key in ("config", "metadata", "name", "version", "created_at", "updated_at"):
            assert key in a, f"no {key!r} in {a}"


@check
async def assistants_get_missing_is_not_found():
    async with client() as c:
        try:
            await c.assistants.get(str(uuid.uuid4()))
        except NotFoundError:
            return
        raise AssertionError("GET /assistants/<unknown uuid> did not raise NotFoundError")


@check
async def assistants_get_graph():
    async with client() as c:
        g = await c.assistants.get_graph(APPROVAL)
        ids = {n["id"] for n in g["nodes"]}
        expected = {"__start__", "draft", "approve", "confirm", "decline", "__end__"}
        assert expected <= ids, f"nodes {sorted(ids)} lack {sorted(expected - ids)}"
        edges = {(e["source"], e["target"]) for e in g["edges"]}
        for edge in [("__start__", "draft"), ("draft", "approve"), ("approve", "confirm")]:
            assert edge in edges, f"no edge {edge} in {sorted(edges)}"


@check
async def assistants_get_schemas():
    async with client() as c:
        s = await c.assistants.get_schemas(APPROVAL)
        assert s["graph_id"] == "approval", s
        for key in ("input_schema", "output_schema", "state_schema", "config_schema"):
            assert key in s, f"no {key!r} in {sorted(s)}"
        state = s["state_schema"]
        if state is not None:
            props = set(state.get("properties", {}))
            assert {"ask", "quote_cents", "approved", "log"} <= props, f"state properties: {props}"


# ---------------------------------------------------------------------------------------------
# threads


@check
async def threads_create_get_search():
    async with client() as c:
        tag = uuid.uuid4().hex
        created = await c.threads.create(metadata={"suite": "sdk", "tag": tag})
        tid = created["thread_id"]
        assert created["metadata"].get("tag") == tag, created
        assert created["status"] == "idle", created
        got = await c.threads.get(tid)
        assert got["thread_id"] == tid and got["metadata"].get("tag") == tag, got
        found = await c.threads.search(metadata={"tag": tag}, limit=100)
        assert [t["thread_id"] for t in found] == [tid], found
        assert await c.threads.search(metadata={"tag": uuid.uuid4().hex}) == []


@check
async def threads_get_missing_is_not_found():
    async with client() as c:
        try:
            await c.threads.get(str(uuid.uuid4()))
        except NotFoundError:
            return
        raise AssertionError("GET /threads/<unknown> did not raise NotFoundError")


@check
async def threads_empty_state():
    async with client() as c:
        tid = await new_thread(c)
        state = await c.threads.get_state(tid)
        assert not state["values"], state
        assert list(state["next"]) == [] and list(state["tasks"]) == [], state


# ---------------------------------------------------------------------------------------------
# streaming, interrupts and resuming


@check
async def stream_values_and_updates_to_the_interrupt():
    async with client() as c:
        tid = await new_thread(c)
        parts = await stream_to_interrupt(c, tid)
        kinds = events(parts)
        assert kinds[0] == "metadata", f"first event is {kinds[0]!r}: {kinds}"
        assert parts[0].data.get("run_id"), parts[0]
        updates = [p.data for p in parts if p.event == "updates"]
        assert any("draft" in u for u in updates), f"no draft update in {updates}"
        stops = [u["__interrupt__"] for u in updates if "__interrupt__" in u]
        assert stops, f"no updates event with __interrupt__: {updates}"
        assert interrupt_values(stops[-1]) == [QUESTION], stops[-1]
        values = [p.data for p in parts if p.event == "values"]
        assert values and values[-1].get("__interrupt__"), f"last values: {values[-1:]}"
        assert interrupt_values(values[-1]["__interrupt__"]) == [QUESTION]
        assert values[-1]["quote_cents"] == 44000, values[-1]
        assert "end" not in kinds[:-1], f"events after end: {kinds}"


@check
async def state_at_the_interrupt():
    async with client() as c:
        tid = await new_thread(c)
        await stream_to_interrupt(c, tid)
        state = await c.threads.get_state(tid)
        assert list(state["next"]) == ["approve"], state["next"]
        tasks = [t for t in state["tasks"] if t["name"] == "approve"]
        assert tasks, f"no approve task: {state['tasks']}"
        assert interrupt_values(tasks[0]["interrupts"]) == [QUESTION], tasks[0]
        assert state["values"]["ask"] == ASK["ask"] and state["values"]["quote_cents"] == 44000
        assert state["checkpoint"]["checkpoint_id"], state["checkpoint"]
        thread = await c.threads.get(tid)
        assert thread["status"] == "interrupted", thread["status"]
        pending = [i for group in (thread.get("interrupts") or {}).values() for i in group]
        assert interrupt_values(pending) == [QUESTION], thread.get("interrupts")


@check
async def resume_with_command_yes_confirms():
    async with client() as c:
        tid = await new_thread(c)
        await stream_to_interrupt(c, tid)
        parts = await collect(c.runs.stream(tid, APPROVAL, command=Command(resume="yes")))
        no_error_event(parts)
        values = [p.data for p in parts if p.event == "values"]
        assert values, f"no values events: {events(parts)}"
        log = log_of(values[-1])
        assert any(line.startswith("confirmed as REF-") for line in log), log
        state = await c.threads.get_state(tid)
        assert list(state["next"]) == [], state["next"]
        assert state["values"]["approved"] is True, state["values"]
        assert any(line.startswith("confirmed as REF-") for line in log_of(state["values"]))
        assert (await c.threads.get(tid))["status"] == "idle"


@check
async def history_newest_first_with_paging():
    async with client() as c:
        tid = await approved_thread(c)
        everything = await c.threads.get_history(tid, limit=100)
        assert len(everything) >= 4, f"only {len(everything)} checkpoints"
        head = await c.threads.get_state(tid)
        ids = [h["checkpoint"]["checkpoint_id"] for h in everything]
        assert ids[0] == head["checkpoint"]["checkpoint_id"], "history does not start at the head"
        assert len(set(ids)) == len(ids), f"duplicate checkpoints: {ids}"
        for newer, older in zip(everything, everything[1:]):
            parent = newer.get("parent_checkpoint") or {}
            assert parent.get("checkpoint_id") == older["checkpoint"]["checkpoint_id"], (
                f"not newest first: {newer['checkpoint']} has parent {parent}, "
                f"next entry is {older['checkpoint']}"
            )
        first = await c.threads.get_history(tid, limit=3)
        assert [h["checkpoint"]["checkpoint_id"] for h in first] == ids[:3]
        # `before` as a checkpoint id string.
        rest = await c.threads.get_history(tid, limit=100, before=ids[2])
        assert [h["checkpoint"]["checkpoint_id"] for h in rest] == ids[3:], (
            f"page before {ids[2]!r}: {[h['checkpoint']['checkpoint_id'] for h in rest]}"
        )
        # `before` as the checkpoint dict of the last entry seen, as a script pages.
        rest = await c.threads.get_history(tid, limit=100, before=first[-1]["checkpoint"])
        assert [h["checkpoint"]["checkpoint_id"] for h in rest] == ids[3:], (
            f"page before {first[-1]['checkpoint']}: "
            f"{[h['checkpoint']['checkpoint_id'] for h in rest]}"
        )


@check
async def state_at_a_checkpoint_id():
    async with client() as c:
        tid = await approved_thread(c)
        history = await c.threads.get_history(tid, limit=100)
        at_interrupt = [h for h in history if list(h["next"]) == ["approve"]]
        assert at_interrupt, f"no checkpoint with next == ['approve'] in {len(history)}"
        cid = at_interrupt[0]["checkpoint"]["checkpoint_id"]
        state = await c.threads.get_state(tid, checkpoint_id=cid)
        assert state["checkpoint"]["checkpoint_id"] == cid, state["checkpoint"]
        assert list(state["next"]) == ["approve"], state["next"]
        assert state["values"].get("approved") is None, state["values"]
        assert not any("confirmed" in line for line in log_of(state["values"]))


@check
async def update_state_as_node():
    async with client() as c:
        tid = await approved_thread(c)
        before = await c.threads.get_state(tid)
        r = await c.threads.update_state(tid, values={"log": ["manual note"]}, as_node="confirm")
        cid = r["checkpoint"]["checkpoint_id"]
        assert cid and cid != before["checkpoint"]["checkpoint_id"], r
        state = await c.threads.get_state(tid)
        assert state["checkpoint"]["checkpoint_id"] == cid, (state["checkpoint"], r)
        log = log_of(state["values"])
        assert log[-1] == "manual note", log
        assert log[:-1] == log_of(before["values"]), "the append reducer was not applied"
        assert list(state["next"]) == [], state["next"]


# ---------------------------------------------------------------------------------------------
# runs


@check
async def background_run_join_get_list():
    async with client() as c:
        tid = await new_thread(c)
        run = await c.runs.create(tid, APPROVAL, input=ASK)
        rid = run["run_id"]
        assert run["thread_id"] == tid, run
        assert run["status"] in ("pending", "running"), run["status"]
        joined = await c.runs.join(tid, rid)
        assert isinstance(joined, dict), joined
        assert interrupt_values(joined.get("__interrupt__")) == [QUESTION], joined
        got = await c.runs.get(tid, rid)
        assert got["run_id"] == rid and got["status"] == "success", got
        listed = await c.runs.list(tid)
        assert [r["run_id"] for r in listed] == [rid], listed
        assert listed[0]["status"] == "success", listed[0]


@check
async def wait_by_graph_id_and_resume_with_no():
    async with client() as c:
        tid = await new_thread(c)
        # Run endpoints take the bare graph id as the assistant.
        first = await c.runs.wait(tid, "approval", input=ASK)
        assert interrupt_values(first.get("__interrupt__")) == [QUESTION], first
        done = await c.runs.wait(tid, "approval", command=Command(resume="no"))
        log = log_of(done)
        assert log[-1] == "declined", log
        assert done["approved"] is False, done
        assert "__interrupt__" not in done, done
        runs = await c.runs.list(tid)
        assert len(runs) == 2 and all(r["status"] == "success" for r in runs), runs


@check
async def join_stream_of_a_running_run():
    async with client() as c:
        tid = await new_thread(c)
        run = await c.runs.create(tid, "sleepy", input={"ms": 1500})
        parts = await collect(c.runs.join_stream(tid, run["run_id"]))
        no_error_event(parts)
        values = [p.data for p in parts if p.event == "values"]
        assert values, f"no values events: {events(parts)}"
        assert len(log_of(values[-1])) == 1, values[-1]
        assert (await c.runs.get(tid, run["run_id"]))["status"] == "success"


@check
async def multitask_reject_on_a_busy_thread():
    async with client() as c:
        tid = await new_thread(c)
        first = await c.runs.create(tid, "sleepy", input={"ms": 5000})
        try:
            try:
                await c.runs.create(
                    tid, "sleepy", input={"ms": 10}, multitask_strategy="reject"
                )
            except ConflictError:
                pass
            else:
                raise AssertionError("a second run with multitask_strategy=reject was accepted")
            assert (await c.threads.get(tid))["status"] == "busy"
        finally:
            with contextlib.suppress(Exception):  # the failure above is the one to report
                await c.runs.cancel(tid, first["run_id"])


@check
async def multitask_enqueue_runs_in_creation_order():
    async with client() as c:
        tid = await new_thread(c)
        first = await c.runs.create(tid, "sleepy", input={"ms": 800})
        second = await c.runs.create(tid, "sleepy", input={"ms": 30}, multitask_strategy="enqueue")
        queued = await c.runs.get(tid, second["run_id"])
        assert queued["status"] == "pending", f"the enqueued run is {queued['status']}"
        await c.runs.join(tid, second["run_id"])
        for run in (first, second):
            got = await c.runs.get(tid, run["run_id"])
            assert got["status"] == "success", got
        state = await c.threads.get_state(tid)
        # The second run went last: its input is the thread's ms, after both runs' lines.
        assert state["values"]["ms"] == 30, state["values"]
        assert len(log_of(state["values"])) == 2, state["values"]


@check
async def multitask_interrupt_cancels_the_running_run():
    async with client() as c:
        tid = await new_thread(c)
        first = await c.runs.create(tid, "sleepy", input={"ms": 20000})
        await until_running(c, tid, first["run_id"])
        second = await c.runs.create(
            tid, "sleepy", input={"ms": 30}, multitask_strategy="interrupt"
        )
        await c.runs.join(tid, second["run_id"])
        assert (await c.runs.get(tid, second["run_id"]))["status"] == "success"
        got = await settle(c, tid, first["run_id"])
        assert got["status"] == "interrupted", got["status"]
        state = await c.threads.get_state(tid)
        assert state["values"]["ms"] == 30 and len(log_of(state["values"])) == 1, state["values"]


@check
async def cancel_with_wait_interrupts_the_run():
    async with client() as c:
        tid = await new_thread(c)
        run = await c.runs.create(tid, "sleepy", input={"ms": 30000})
        rid = run["run_id"]
        await until_running(c, tid, rid)
        assert (await c.threads.get(tid))["status"] == "busy"
        started = time.monotonic()
        await c.runs.cancel(tid, rid, wait=True, action="interrupt")
        took = time.monotonic() - started
        assert took < 10, f"cancel(wait=True) took {took:.1f} s: the run was not stopped"
        got = await c.runs.get(tid, rid)
        assert got["status"] == "interrupted", got["status"]
        assert (await c.threads.get(tid))["status"] != "busy"


@check
async def stateless_wait():
    async with client() as c:
        done = await c.runs.wait(None, "sleepy", input={"ms": 10})
        assert done["ms"] == 10 and len(log_of(done)) == 1, done


# ---------------------------------------------------------------------------------------------
# resumable streams: the SDK reconnects with Last-Event-ID


def id_key(event_id: str) -> tuple:
    """Orders ids such as `7` or `1795302000000-7` numerically."""
    numbers = re.findall(r"\d+", event_id)
    return tuple(int(n) for n in numbers) if numbers else (event_id,)


@check
async def resumable_stream_survives_a_cut_connection():
    sent: list[tuple[str, str, str | None]] = []

    async def record(request: httpx.Request) -> None:
        sent.append((request.method, request.url.path, request.headers.get("last-event-id")))

    async with client() as c:
        c.http.client.event_hooks = {"request": [record], "response": []}
        tid = await new_thread(c)
        sent.clear()
        parts = await collect(
            c.runs.stream(
                tid,
                "sleepy",
                input={"ms": 3000},
                stream_mode=["values", "updates", "custom"],
                stream_resumable=True,
                # Test hook: the server cuts the first connection after 2 frames.
                metadata={"test_cut_stream_after": 2},
            )
        )
        no_error_event(parts)
        kinds = events(parts)
        assert kinds[0] == "metadata", kinds
        rid = parts[0].data["run_id"]
        run_path = f"/threads/{tid}/runs/{rid}"
        gets = [(path, last) for method, path, last in sent if method == "GET"]
        assert (run_path, None) in gets, f"the SDK did not check the run; requests: {sent}"
        reconnects = [last for path, last in gets if path == run_path + "/stream"]
        assert reconnects and all(reconnects), f"no reconnect with Last-Event-ID: {sent}"
        # Every frame exactly once and in order: ids strictly increasing; `end` (which may
        # come without an id, so the SDK repeats the last one) only last.
        if "end" in kinds:
            assert kinds.count("end") == 1 and kinds[-1] == "end", kinds
        body = parts[:-1] if kinds[-1] == "end" else parts
        ids = [p.id for p in body]
        assert all(ids), f"frames without an id: {list(zip(kinds, ids))}"
        keys = [id_key(i) for i in ids]
        assert all(a < b for a, b in zip(keys, keys[1:])), f"ids not increasing: {ids}"
        if all(i.isdigit() for i in ids):
            assert [int(i) for i in ids] == list(range(int(ids[0]), int(ids[0]) + len(ids))), (
                f"a gap in the ids: {ids}"
            )
        updates = [p.data for p in body if p.event == "updates"]
        assert [list(u) for u in updates] == [["sleep"]], f"updates: {updates}"
        values = [p.data for p in body if p.event == "values"]
        assert values and len(log_of(values[-1])) == 1, values
        assert (await c.runs.get(tid, rid))["status"] == "success"


# ---------------------------------------------------------------------------------------------
# store


@check
async def store_put_get_search_list_delete():
    async with client() as c:
        tag = uuid.uuid4().hex
        ns = ["sdk-suite", tag, "prefs"]
        await c.store.put_item(ns, key="u1", value={"lang": "es", "theme": "dark"})
        await c.store.put_item(ns, key="u2", value={"lang": "en"})
        # A sibling whose label starts with the same text: not under the prefix.
        await c.store.put_item(["sdk-suite", tag + "x"], key="u3", value={"lang": "es"})
        item = await c.store.get_item(ns, key="u1")
        assert item is not None, "get_item returned None for a stored item"
        assert item["key"] == "u1" and list(item["namespace"]) == ns, item
        assert item["value"] == {"lang": "es", "theme": "dark"}, item
        found = await c.store.search_items(["sdk-suite", tag], filter={"lang": "es"})
        assert [i["key"] for i in found["items"]] == ["u1"], found
        both = await c.store.search_items(["sdk-suite", tag])
        assert sorted(i["key"] for i in both["items"]) == ["u1", "u2"], both
        listed = await c.store.list_namespaces(prefix=["sdk-suite", tag])
        assert [list(n) for n in listed["namespaces"]] == [ns], listed
        await c.store.delete_item(ns, key="u1")
        assert await c.store.get_item(ns, key="u1") is None
        assert await c.store.get_item(ns, key="u2") is not None


# ---------------------------------------------------------------------------------------------
# the hotel agent


@check
async def hotel_replies_through_the_sdk():
    async with client() as c:
        tid = await new_thread(c)
        message = {
            "channel": "web",
            "user": "sdk-guest",
            "message": "hi, do you have rooms in Miami?",
        }
        values = await c.runs.wait(tid, HOTEL, input=message)
        reply = values.get("reply") if isinstance(values, dict) else None
        assert isinstance(reply, str) and reply.strip(), f"no reply in {values!r}"


# ---------------------------------------------------------------------------------------------
# auth


if API_KEY:

    @check
    async def a_client_without_the_key_is_refused():
        async with client(api_key=None) as c:
            try:
                await c.assistants.search()
            except AuthenticationError as e:
                assert e.response.status_code == 401
            else:
                raise AssertionError("POST /assistants/search without x-api-key was accepted")
        async with client(api_key=API_KEY + "-wrong") as c:
            try:
                await c.assistants.search()
            except AuthenticationError:
                return
            raise AssertionError("POST /assistants/search with a wrong x-api-key was accepted")


# ---------------------------------------------------------------------------------------------
# the harness


def describe(e: BaseException) -> str:
    """One line: the exception, the HTTP exchange when there is one, and where it was raised."""
    if isinstance(e, asyncio.TimeoutError):
        text = f"timed out after {CHECK_TIMEOUT} s"
    else:
        text = f"{type(e).__name__}: {e}".strip()
    response = getattr(e, "response", None)
    if isinstance(response, httpx.Response):
        req = response.request
        text += f" [{req.method} {req.url.path} -> {response.status_code}]"
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == __file__]
    if frames:
        text += f" (suite.py:{frames[-1].lineno})"
    return " ".join(text.split())


async def reachable() -> str | None:
    """None when something answers HTTP at AGENT_URL, else why not (fast: no retries)."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            await http.get(URL + "/ok")
    except httpx.HTTPError as e:
        return f"cannot reach the server at AGENT_URL={URL}: {type(e).__name__}: {e}"
    return None


async def main(selected: list[str]) -> int:
    if not URL:
        print("FAIL setup: AGENT_URL is not set (e.g. AGENT_URL=http://127.0.0.1:8080)")
        print("0 passed, 1 failed")
        return 1
    unknown = set(selected) - {name for name, _ in CHECKS}
    if unknown:
        print(f"FAIL setup: no such checks: {', '.join(sorted(unknown))}")
        print("0 passed, 1 failed")
        return 1
    why = await reachable()
    if why:
        print(f"FAIL server_reachable: {why}")
        print("0 passed, 1 failed")
        return 1
    if not API_KEY:
        print("note: AGENT_API_KEY is not set, so the auth check does not run", file=sys.stderr)
    passed = failed = 0
    for name, fn in CHECKS:
        if selected and name not in selected:
            continue
        started = time.monotonic()
        try:
            await asyncio.wait_for(fn(), CHECK_TIMEOUT)
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the suite
            failed += 1
            print(f"FAIL {name}: {describe(e)}", flush=True)
        else:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - started:.2f} s)", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
