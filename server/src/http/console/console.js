// The staff console: plain JavaScript, no framework, served by the server. Every text that
// staff or guests wrote is put on the page as textContent, never as HTML. The session is an
// HttpOnly cookie the login sets; this script never sees it.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

/// An element with attributes and children (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  return node;
}

function say(text, isError) {
  const status = $("status");
  status.textContent = text || "";
  status.classList.toggle("error", Boolean(isError));
}

function when(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/// Calls the staff API; a 401 shows the login form.
async function api(path, options) {
  const init = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
  if (init.body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(init.body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (response.status === 401 && !path.startsWith("/staff/login")) {
    showLogin();
    throw new Refused(401, "please log in");
  }
  if (!response.ok) {
    throw new Refused(response.status, (body && body.error) || `the server answered ${response.status}`);
  }
  return body;
}

function query(form) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (String(value).trim()) params.set(key, value);
  return params.toString();
}

const views = ["login", "conversations", "conversation", "bookings", "booking", "inventory", "activity"];

function show(name) {
  for (const view of views) $(`${view}-view`).hidden = view !== name;
  for (const link of document.querySelectorAll("#nav a")) {
    const here = location.hash.startsWith(link.getAttribute("href").replace(/s$/, ""));
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showLogin() {
  $("nav").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  show("login");
  $("login-name").focus();
}

// ---- Conversations ---------------------------------------------------------------------

const STATUS_TEXT = { active: "active", handoff: "handoff open", closed: "closed" };

async function listConversations() {
  show("conversations");
  const rows = await api(`/staff/api/conversations?${query($("conversation-search"))}`);
  const body = $("conversation-rows");
  body.replaceChildren(...rows.map((c) => el("tr", { dataset: { thread: c.thread_id, status: c.status } },
    el("td", {}, el("a", { href: `#conversation/${encodeURIComponent(c.thread_id)}` }, c.thread_id)),
    el("td", {}, el("span", { className: `badge ${c.status}` }, STATUS_TEXT[c.status] || c.status)),
    el("td", { className: "clip" }, c.last_text),
    el("td", {}, when(c.last_ms)),
    el("td", { className: "num" }, c.messages))));
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 5 }, "No conversation matches.")));
}

function facts(dl, pairs) {
  dl.replaceChildren();
  for (const [name, value] of pairs) {
    dl.append(el("dt", {}, name), el("dd", {}, value === null || value === undefined || value === "" ? "–" : String(value)));
  }
}

async function openConversation(thread) {
  show("conversation");
  const c = await api(`/staff/api/conversations/${encodeURIComponent(thread)}`);
  $("conversation-title").textContent = c.thread_id;
  const handoff = c.handoff;
  $("conversation-state").textContent = handoff
    ? `A person has this conversation (handoff ${handoff.id}: ${handoff.why || handoff.reason}), opened ${when(handoff.opened_ms)}; the guest last wrote ${when(handoff.last_guest_ms)}.`
    : "The assistant has this conversation.";
  const box = $("handoff-box");
  box.hidden = !handoff;
  box.dataset.handoff = handoff ? handoff.id : "";
  $("transcript").replaceChildren(...c.transcript.map((line) =>
    el("li", { className: line.from.startsWith("staff") ? "staff" : line.from },
      el("span", { className: "from" }, line.from), " ", el("span", { className: "text" }, line.text))));
  const draft = c.draft || {};
  const slots = draft.slots || {};
  facts($("draft"), [
    ["Hotel", slots.hotel], ["Room", slots.room], ["Check-in", slots.check_in],
    ["Check-out", slots.check_out], ["Guests", slots.guests], ["Talking about", draft.focus],
    ["Waiting for a yes", draft.pending ? JSON.stringify(draft.pending) : null],
    ["Change under way", draft.change ? JSON.stringify(draft.change) : null],
  ]);
  $("turn-rows").replaceChildren(...c.turns.slice().reverse().map((t) => el("tr", {},
    el("td", {}, when(t.at_ms)), el("td", {}, t.by),
    el("td", { className: "clip" }, t.message || t.reply),
    el("td", { className: "path" }, t.nodes.join(" → ")))));
}

async function reply(event) {
  event.preventDefault();
  const id = $("handoff-box").dataset.handoff;
  const text = $("reply-text").value.trim();
  if (!id || !text) return;
  const sent = await api(`/staff/api/handoffs/${id}/reply`, { method: "POST", body: { text } });
  $("reply-text").value = "";
  say(sent.parts ? `Sent to the guest (${sent.form}).` : "Kept in the conversation for the web chat.");
  await openConversation(currentThread());
}

async function handBack(event) {
  event.preventDefault();
  const id = $("handoff-box").dataset.handoff;
  if (!id) return;
  const note = $("handback-note").value.trim();
  await api(`/staff/api/handoffs/${id}/close`, { method: "POST", body: note ? { note } : {} });
  $("handback-note").value = "";
  say("Handed back: the assistant answers the guest's next message.");
  await openConversation(currentThread());
}

function currentThread() {
  return decodeURIComponent(location.hash.slice("#conversation/".length));
}

// ---- Bookings ------------------------------------------------------------------------

async function listBookings() {
  show("bookings");
  const rows = await api(`/staff/api/bookings?${query($("booking-search"))}`);
  const body = $("booking-rows");
  body.replaceChildren(...rows.map((b) => el("tr", { dataset: { reference: b.reference, status: b.status } },
    el("td", {}, el("a", { href: `#booking/${encodeURIComponent(b.reference)}` }, b.reference)),
    el("td", {}, b.thread_id), el("td", {}, b.hotel), el("td", {}, b.room_type),
    el("td", {}, `${b.check_in} → ${b.check_out}`), el("td", { className: "num" }, b.total),
    el("td", {}, el("span", { className: `badge ${b.status}` }, b.status)))));
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 7 }, "No booking matches.")));
}

let currentBooking = null;

async function openBooking(reference) {
  show("booking");
  $("booking-result").textContent = "";
  for (const id of ["cancel-quote", "reschedule-quote"]) $(id).textContent = "";
  for (const id of ["confirm-cancel", "confirm-reschedule"]) $(id).hidden = true;
  const { booking: b, changes } = await api(`/staff/api/bookings/${encodeURIComponent(reference)}`);
  currentBooking = b.reference;
  $("booking-title").textContent = `Booking ${b.reference}`;
  facts($("booking-facts"), [
    ["Guest", b.thread_id], ["Hotel", b.hotel], ["Room", b.room_type],
    ["Stay", `${b.check_in} → ${b.check_out}`], ["Guests", b.guests], ["Total", b.total], ["Status", b.status],
  ]);
  $("booking-facts").dataset.status = b.status;
  $("booking-actions").hidden = b.status !== "confirmed";
  $("change-rows").replaceChildren(...changes.map((m) => el("tr", {},
    el("td", {}, m.day), el("td", {}, m.kind),
    el("td", {}, [m.old, m.new].map((d) => (d ? `${d[0]} → ${d[1]}` : "–")).join(" ⇒ ")),
    el("td", { className: "num" }, m.fee), el("td", { className: "num" }, m.total),
    el("td", {}, m.by_staff ? `staff: ${m.by_staff}` : "guest"))));
}

async function quoteCancel(event) {
  event.preventDefault();
  const q = await api(`/staff/api/bookings/${encodeURIComponent(currentBooking)}/quote?action=cancel`);
  $("cancel-quote").textContent = `Cancelling today costs the guest ${q.fee} (of ${q.total}).`;
  $("confirm-cancel").hidden = false;
  $("confirm-cancel").focus();
}

async function quoteReschedule(event) {
  event.preventDefault();
  const dates = `check_in=${$("new-check-in").value}&check_out=${$("new-check-out").value}`;
  const q = await api(`/staff/api/bookings/${encodeURIComponent(currentBooking)}/quote?action=reschedule&${dates}`);
  $("reschedule-quote").textContent = `The change fee is ${q.fee}; the new total would be ${q.total}.`;
  $("confirm-reschedule").hidden = false;
  $("confirm-reschedule").focus();
}

async function change(kind, body) {
  const done = await api(`/staff/api/bookings/${encodeURIComponent(currentBooking)}/${kind}`, { method: "POST", body });
  const reference = currentBooking;
  await openBooking(reference);
  $("booking-result").textContent = `Done: ${done.booking.status}, fee ${done.fee}. ` +
    (done.told ? `The guest was told (${done.told_why}).` : `The guest was not told: ${done.told_why}`);
  $("booking-result").focus();
}

// ---- Inventory and activity ----------------------------------------------------------

async function showInventory() {
  show("inventory");
  const inv = await api("/staff/api/inventory?days=30");
  const head = el("tr", {}, el("th", { scope: "col" }, "Hotel"), el("th", { scope: "col" }, "Room"),
    ...inv.nights.map((night) => el("th", { scope: "col", title: night, className: "day" }, night.slice(8))));
  const rows = inv.rows.map((r) => el("tr", {},
    el("th", { scope: "row" }, r.hotel), el("td", {}, `${r.room_type} (${r.rooms})`),
    ...r.booked.map((n, i) => {
      const share = r.rooms ? n / r.rooms : 0;
      const cell = el("td", {
        className: "cell", title: `${inv.nights[i]}: ${n} of ${r.rooms} booked`,
        dataset: { hotel: r.hotel_code, room: r.room_type, night: inv.nights[i], booked: n },
      }, String(n));
      cell.style.background = `hsl(24 90% ${Math.round(97 - share * 55)}%)`;
      if (share > 0.6) cell.style.color = "#fff";
      return cell;
    })));
  $("heatmap").replaceChildren(el("caption", { className: "visually-hidden" }, "Rooms booked per night"),
    el("thead", {}, head), el("tbody", {}, rows));
}

/// A bar chart of `values` over `days`, as inline SVG with a title per bar.
function chart(title, days, values, format) {
  const width = 620, height = 150, left = 70, bottom = 20;
  const max = Math.max(1, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const figure = el("figure", { className: "chart" });
  const label = `${title}: ${format(total)} in ${days.length} days, at most ${format(max)} a day`;
  const drawing = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  const step = (width - left) / days.length;
  drawing.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }));
  const top = svg("text", { x: left - 4, y: 12, "text-anchor": "end", class: "tick" });
  top.textContent = format(max);
  drawing.append(top);
  values.forEach((v, i) => {
    const h = ((height - bottom - 16) * v) / max;
    const bar = svg("rect", { x: left + i * step + 1, y: height - bottom - h, width: Math.max(1, step - 2), height: h, class: "bar" });
    const tip = svg("title", {});
    tip.textContent = `${days[i]}: ${format(v)}`;
    bar.append(tip);
    drawing.append(bar);
  });
  // The first and last days under the axis, kept inside the drawing.
  for (const [i, x, anchor] of [[0, left, "start"], [days.length - 1, width, "end"]]) {
    const t = svg("text", { x, y: height - 4, "text-anchor": anchor, class: "tick" });
    t.textContent = days[i] || "";
    drawing.append(t);
  }
  figure.append(el("figcaption", {}, `${title} · total ${format(total)}`), drawing);
  return figure;
}

async function showActivity() {
  show("activity");
  const a = await api("/staff/api/activity?days=30");
  const count = (n) => String(n);
  const money = (cents) => `$${(cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  $("charts").replaceChildren(
    chart("Guest messages", a.days, a.messages, count),
    chart("Bookings made", a.days, a.bookings, count),
    chart("Revenue (bookings, fees and charges)", a.days, a.revenue_cents, money),
    chart("Handoffs to staff", a.days, a.handoffs, count),
  );
  const calls = a.llm.reduce((sum, u) => sum + u.calls, 0);
  $("llm-summary").textContent = a.provider === "offline"
    ? "The offline NLU reads every message (no language model is configured)."
    : `Provider ${a.provider}: ${calls} calls since the server started, ${a.fallbacks} answered by the offline NLU instead (fallbacks).`;
  $("llm-table").hidden = !a.llm.length;
  $("llm-rows").replaceChildren(...a.llm.map((u) => el("tr", {},
    el("td", {}, u.provider), el("td", {}, u.outcome), el("td", { className: "num" }, u.calls))));
}

// ---- Routing and start ---------------------------------------------------------------

async function route() {
  say("");
  const hash = location.hash || "#conversations";
  try {
    if (hash.startsWith("#conversation/")) await openConversation(currentThread());
    else if (hash.startsWith("#booking/")) await openBooking(decodeURIComponent(hash.slice("#booking/".length)));
    else if (hash === "#bookings") await listBookings();
    else if (hash === "#inventory") await showInventory();
    else if (hash === "#activity") await showActivity();
    else await listConversations();
  } catch (e) {
    if (!(e instanceof Refused && e.status === 401)) say(e.message, true);
  }
}

async function start() {
  try {
    const me = await api("/staff/api/me");
    if (me.via !== "session") return showLogin();
    $("who").textContent = `Logged in as ${me.name}`;
    $("nav").hidden = false;
    $("logout").hidden = false;
    const hotels = await api("/api/hotels").catch(() => []);
    $("hotel-filter").replaceChildren(el("option", { value: "" }, "any"),
      ...hotels.map((h) => el("option", { value: h.code }, h.name)));
    await route();
  } catch (e) {
    if (!(e instanceof Refused && e.status === 401)) say(e.message, true);
  }
}

/// Runs `f` for a form's submit (or a button's click), showing a refusal in the status line.
function on(id, type, f) {
  $(id).addEventListener(type, async (event) => {
    try { await f(event); } catch (e) {
      event.preventDefault();
      if (!(e instanceof Refused && e.status === 401)) say(e.message, true);
    }
  });
}

on("login-form", "submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    await api("/staff/login", { method: "POST", body: { name: $("login-name").value, password: $("login-password").value } });
  } catch (e) {
    $("login-error").textContent = e.message;
    return;
  }
  $("login-password").value = "";
  await start();
  $("main").focus();
});
on("logout", "click", async () => {
  await api("/staff/logout", { method: "POST" });
  showLogin();
});
on("conversation-search", "submit", (event) => { event.preventDefault(); return listConversations(); });
on("booking-search", "submit", (event) => { event.preventDefault(); return listBookings(); });
on("reply-form", "submit", reply);
on("handback-form", "submit", handBack);
on("cancel-form", "submit", quoteCancel);
on("reschedule-form", "submit", quoteReschedule);
on("confirm-cancel", "click", () => change("cancel", {}));
on("confirm-reschedule", "click", () => change("reschedule", { check_in: $("new-check-in").value, check_out: $("new-check-out").value }));
window.addEventListener("hashchange", route);
start();
