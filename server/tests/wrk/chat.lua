-- wrk script for POST /api/chat: 64 guests (32 for each of wrk's 2 threads) asking hotel
-- questions; run by chat_load.sh, which passes the period number as the script's first argument
-- and, when it drives several replicas, where this wrk's guests start as the second.
--
-- wrk's Lua API gives request() no handle on the connection it is for, so each thread deals its
-- 32 guests out round-robin: with 32 connections a thread and one request in flight on each, a
-- guest has about one message in flight at a time, and every guest's thread grows by the same
-- number of messages. (A guest whose previous message is still running waits for it on the
-- server: its turns are one at a time.)

local GUESTS_PER_THREAD = 32

local QUESTIONS = {
  "Is there parking at the Grand Plaza Hotel?",
  "Does the Seaside Resort & Spa have a pool?",
  "What time is check in at Mountain View Lodge?",
  "Is breakfast included at the City Center Inn?",
  "Do you allow pets at the Grand Plaza?",
  "Is there wifi at the Seaside Resort?",
  "How much is a deluxe room at the Grand Plaza from December 3 to December 6 for 2 adults?",
  "What is the cancellation policy at Mountain View Lodge?",
  "Does the City Center Inn have a gym?",
  "What time is check out at the Seaside Resort & Spa?",
  "Which hotels do you have in Miami?",
  "Is there an airport shuttle at the City Center Inn?",
}

local threads = {}
local next_thread = 0

-- Runs in the main Lua state, once per wrk thread, before any starts.
function setup(thread)
  thread:set("first_guest", next_thread * GUESTS_PER_THREAD)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local period = 1
local turn = 0
local sent = {}
non2xx = 0

function init(args)
  period = tonumber(args[1] or "1") or 1
  -- A second wrk beside this one (another replica) takes other guests.
  first_guest = first_guest + (tonumber(args[2] or "0") or 0)
  for g = 1, GUESTS_PER_THREAD do
    sent[g] = 0
  end
end

function request()
  local slot = turn % GUESTS_PER_THREAD + 1
  turn = turn + 1
  local guest = first_guest + slot
  -- Later periods ask other questions first, so the same guests do not repeat one pattern.
  local n = sent[slot] + (period - 1) * 5 + guest
  sent[slot] = sent[slot] + 1
  local body = string.format('{"user_id":"wrk-guest-%02d","text":"%s"}', guest,
    QUESTIONS[n % #QUESTIONS + 1])
  return wrk.format("POST", "/api/chat", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

-- One line for chat_load.sh to read.
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rate=%.1f p50_ms=%.1f p99_ms=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, bad,
    e.connect + e.read + e.write + e.timeout))
end
