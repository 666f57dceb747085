// Drives the server's Agent Protocol API with the official LangGraph JS/TS SDK, unmodified.
//
// Usage (after `npm ci` here):
//   AGENT_URL=http://127.0.0.1:8080 [AGENT_API_KEY=<ADMIN_TOKEN>] node suite.mjs [check ...]
//
// Needs a server started with AGENT_TEST_GRAPHS=1. Prints `PASS name` or `FAIL name: reason`
// per check and, as its last line, `N passed, M failed`; exits 0 only when nothing failed.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Client } from "@langchain/langgraph-sdk";

const URL = (process.env.AGENT_URL ?? "").replace(/\/+$/, "");
const API_KEY = process.env.AGENT_API_KEY || null;

// LangGraph's system assistant of the approval graph: uuid5(6ba7b821-…, "approval").
const APPROVAL = "e234584d-b7bf-527f-9d06-ba77f8f5172d";
const ASK = { ask: "suite 2 nights" };
const QUESTION = { question: "approve this quote?", quote_usd: "440.00" };
// Each check's time limit, in milliseconds.
const CHECK_TIMEOUT_MS = 60_000;

// `apiKey: null` sends no key: the SDK must not pick one up from LANGSMITH_API_KEY & co.
const client = (apiKey = API_KEY) => new Client({ apiUrl: URL, apiKey });

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

async function collect(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function noErrorEvent(parts) {
  const errors = parts.filter((p) => p.event === "error").map((p) => p.data);
  assert.deepEqual(errors, [], `the stream sent error events: ${JSON.stringify(errors)}`);
}

function interruptValues(interrupts) {
  assert.ok(Array.isArray(interrupts) && interrupts.length > 0, `no interrupts: ${JSON.stringify(interrupts)}`);
  for (const i of interrupts) assert.ok(i && "value" in i && i.id, `interrupt shape: ${JSON.stringify(i)}`);
  return interrupts.map((i) => i.value);
}

async function newThread(c, metadata = {}) {
  const thread = await c.threads.create({ metadata: { suite: "sdk-ts", ...metadata } });
  return thread.thread_id;
}

async function streamToInterrupt(c, threadId) {
  const parts = await collect(
    c.runs.stream(threadId, APPROVAL, { input: ASK, streamMode: ["values", "updates"] }),
  );
  noErrorEvent(parts);
  return parts;
}

check("assistants_search_by_graph_id", async () => {
  const found = await client().assistants.search({ graphId: "approval" });
  assert.ok(found.some((a) => a.assistant_id === APPROVAL), JSON.stringify(found));
  assert.ok(found.every((a) => a.graph_id === "approval"), JSON.stringify(found));
});

check("threads_search_by_metadata", async () => {
  const c = client();
  const tag = randomUUID();
  const tid = await newThread(c, { tag });
  const found = await c.threads.search({ metadata: { tag }, limit: 100 });
  assert.deepEqual(found.map((t) => t.thread_id), [tid]);
  assert.equal(found[0].metadata.tag, tag);
});

check("stream_values_and_updates_to_the_interrupt", async () => {
  const c = client();
  const tid = await newThread(c);
  const parts = await streamToInterrupt(c, tid);
  const kinds = parts.map((p) => p.event);
  assert.equal(kinds[0], "metadata", `events: ${kinds}`);
  assert.ok(parts[0].data.run_id, JSON.stringify(parts[0]));
  const updates = parts.filter((p) => p.event === "updates").map((p) => p.data);
  assert.ok(updates.some((u) => "draft" in u), `no draft update: ${JSON.stringify(updates)}`);
  const stops = updates.filter((u) => "__interrupt__" in u);
  assert.ok(stops.length > 0, `no updates event with __interrupt__: ${JSON.stringify(updates)}`);
  assert.deepEqual(interruptValues(stops.at(-1).__interrupt__), [QUESTION]);
  const values = parts.filter((p) => p.event === "values").map((p) => p.data);
  assert.ok(values.at(-1)?.__interrupt__, `last values: ${JSON.stringify(values.at(-1))}`);
  assert.deepEqual(interruptValues(values.at(-1).__interrupt__), [QUESTION]);
  const state = await c.threads.getState(tid);
  assert.deepEqual(state.next, ["approve"]);
  assert.equal((await c.threads.get(tid)).status, "interrupted");
});

check("resume_with_command_yes_confirms", async () => {
  const c = client();
  const tid = await newThread(c);
  await streamToInterrupt(c, tid);
  const parts = await collect(
    c.runs.stream(tid, APPROVAL, { command: { resume: "yes" }, streamMode: "values" }),
  );
  noErrorEvent(parts);
  const values = parts.filter((p) => p.event === "values").map((p) => p.data);
  assert.ok(values.length > 0, `no values events: ${parts.map((p) => p.event)}`);
  const log = values.at(-1).log;
  assert.ok(log.some((line) => line.startsWith("confirmed as REF-")), JSON.stringify(log));
  const state = await c.threads.getState(tid);
  assert.deepEqual(state.next, []);
  assert.equal(state.values.approved, true);
  assert.ok(state.values.log.some((line) => line.startsWith("confirmed as REF-")));
});

check("runs_wait_and_resume_with_no", async () => {
  const c = client();
  const tid = await newThread(c);
  const first = await c.runs.wait(tid, APPROVAL, { input: ASK });
  assert.deepEqual(interruptValues(first.__interrupt__), [QUESTION]);
  const done = await c.runs.wait(tid, "approval", { command: { resume: "no" } });
  assert.equal(done.log.at(-1), "declined", JSON.stringify(done));
  assert.equal(done.approved, false);
  assert.ok(!("__interrupt__" in done), JSON.stringify(done));
});

if (API_KEY) {
  check("a_client_without_the_key_is_refused", async () => {
    const search = client(null).assistants.search({ limit: 1 });
    await assert.rejects(search, (e) => {
      assert.equal(e.status, 401, `expected HTTP 401, got ${e}`);
      return true;
    }, "POST /assistants/search without x-api-key was accepted");
  });
}

function describe(e) {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const at = (e?.stack ?? "").split("\n").find((line) => line.includes("suite.mjs"));
  const where = at?.match(/suite\.mjs:(\d+)/);
  return (text + (where ? ` (suite.mjs:${where[1]})` : "")).replace(/\s+/g, " ").trim();
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function reachable() {
  // One plain request, no retries: fail fast when nothing listens.
  try {
    await fetch(`${URL}/ok`, { signal: AbortSignal.timeout(5000) });
    return null;
  } catch (e) {
    return `cannot reach the server at AGENT_URL=${URL}: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
  }
}

async function main(selected) {
  const bail = (line) => {
    console.log(line);
    console.log("0 passed, 1 failed");
    return 1;
  };
  if (!URL) return bail("FAIL setup: AGENT_URL is not set (e.g. AGENT_URL=http://127.0.0.1:8080)");
  const unknown = selected.filter((name) => !checks.some(([n]) => n === name));
  if (unknown.length) return bail(`FAIL setup: no such checks: ${unknown.join(", ")}`);
  const why = await reachable();
  if (why) return bail(`FAIL server_reachable: ${why}`);
  if (!API_KEY) console.error("note: AGENT_API_KEY is not set, so the auth check does not run");
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of checks) {
    if (selected.length && !selected.includes(name)) continue;
    const started = performance.now();
    try {
      await withTimeout(fn(), CHECK_TIMEOUT_MS);
      passed += 1;
      console.log(`PASS ${name} (${((performance.now() - started) / 1000).toFixed(2)} s)`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${name}: ${describe(e)}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

// Exit at once: a timed-out check may still hold a connection open.
process.exit(await main(process.argv.slice(2)));
