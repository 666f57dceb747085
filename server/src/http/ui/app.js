// Local test console for the hotel booking agent server.
// Plain ES2020, no dependencies. All server-provided text is inserted with
// textContent (never innerHTML).
'use strict';

const $ = (id) => document.getElementById(id);
const el = {
  userId: $('user-id'),
  userError: $('user-error'),
  threadLabel: $('thread-label'),
  token: $('admin-token'),
  tokenError: $('token-error'),
  chat: $('chat'),
  composer: $('composer'),
  message: $('message'),
  send: $('send'),
  clearChat: $('clear-chat'),
  path: $('path'),
  intent: $('intent'),
  graph: $('graph'),
  graphStatus: $('graph-status'),
  bookings: $('bookings'),
  bookingsStatus: $('bookings-status'),
  state: $('state'),
  history: $('history'),
  historyStatus: $('history-status'),
  historyMore: $('history-more'),
};

const TOKEN_KEY = 'hotel-agent.admin-token';
const USER_ID_RE = /^[A-Za-z0-9_.:@+-]{1,64}$/;
const MAX_TEXT = 2000;
const HISTORY_PAGE = 20;
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

let currentUser = null;   // user id whose thread the panels show
let lastPath = [];        // node ids of the last run
let graphData = null;     // last GET /api/graph response
let historyBefore = null; // cursor for "Load more"
let busy = false;
let showTranscript = false; // the next state load replays the thread's earlier messages

// ---------------------------------------------------------------- helpers

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** fetch wrapper: JSON in/out, bearer token, uniform errors. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = el.token.value.trim();
  if (token) headers.Authorization = `Bearer ${token}`;

  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, `Network error: ${err.message}`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.status === 401) el.tokenError.hidden = false;
  if (!res.ok) {
    const msg = (data && typeof data.error === 'string' && data.error)
      || text.trim() || res.statusText || 'Request failed';
    throw new ApiError(res.status, msg);
  }
  return data;
}

function describeError(err) {
  if (err instanceof ApiError && err.status) return `${err.message} (HTTP ${err.status})`;
  return err.message || String(err);
}

/** Returns a function telling whether this request is still the latest of its kind. */
const tickets = {};
function ticket(kind) {
  const t = (tickets[kind] = (tickets[kind] || 0) + 1);
  return () => tickets[kind] === t;
}

const enc = encodeURIComponent;
const threadId = () => `web:${currentUser}`;

function validateUserId(id) {
  if (!id) return 'User id must not be empty';
  if (!USER_ID_RE.test(id)) {
    return 'User id must be 1–64 characters of letters, digits and _ . : @ + -';
  }
  return null;
}

function validateText(text) {
  if (!text.trim()) return 'Message must not be empty';
  const n = [...text].length;
  if (n > MAX_TEXT) return `Message is too long (${n} characters, max ${MAX_TEXT})`;
  return null;
}

function setStatus(node, text, isError = false) {
  node.textContent = text || '';
  node.classList.toggle('error', Boolean(isError));
}

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const listText = (v) => (Array.isArray(v) ? (v.length ? v.join(', ') : '—') : (v ?? '—'));

// ---------------------------------------------------------------- chat

function scrollChat() {
  el.chat.scrollTop = el.chat.scrollHeight;
}

function addLine(kind, text) {
  const node = h('div', { class: `msg ${kind}`, text });
  el.chat.append(node);
  scrollChat();
  return node;
}

function addReply(res) {
  if (res.reply) addLine('reply', res.reply);
  else if (res.handoff) addLine('meta', 'A person from the hotel has this conversation and will answer here.');
  else addLine('reply', '');
  const meta = [];
  if (res.intent) meta.push(`intent: ${res.intent}`);
  if (Array.isArray(res.nodes) && res.nodes.length) meta.push(res.nodes.join(' → '));
  if (meta.length) addLine('meta', meta.join(' · '));
}

function setBusy(on) {
  busy = on;
  el.send.disabled = on;
  el.composer.setAttribute('aria-busy', String(on));
  const pending = el.chat.querySelector('.pending');
  if (on && !pending) {
    el.chat.append(h('div', { class: 'msg pending', text: '…', 'aria-label': 'Waiting for the agent' }));
    scrollChat();
  } else if (!on && pending) {
    pending.remove();
  }
}

function setLastRun(nodes, intent) {
  lastPath = Array.isArray(nodes) ? nodes : [];
  el.path.textContent = lastPath.length ? lastPath.join(' → ') : '—';
  el.intent.textContent = intent || '—';
  renderGraph();
}

async function sendMessage() {
  if (busy) return;
  const user = el.userId.value.trim();
  const text = el.message.value;
  const problem = validateUserId(user) || validateText(text);
  if (problem) {
    addLine('error', problem);
    return;
  }
  syncUser();
  showTranscript = false; // this turn's reply shows the conversation from here on
  addLine('guest', text);
  el.message.value = '';
  setBusy(true);
  try {
    const res = await api('/api/chat', { method: 'POST', body: { user_id: user, text } });
    setBusy(false);
    addReply(res || {});
    setLastRun(res && res.nodes, res && res.intent);
  } catch (err) {
    setBusy(false);
    addLine('error', `Error: ${describeError(err)}`);
    if (!el.message.value) el.message.value = text; // let the user retry
  } finally {
    el.message.focus();
    refreshThreadPanels();
  }
}

// ---------------------------------------------------------------- user / token

/** Adopts the user id from the input if valid; refreshes panels when it changed. */
function syncUser() {
  const id = el.userId.value.trim();
  const problem = validateUserId(id);
  el.userError.hidden = !problem;
  el.userError.textContent = problem || '';
  el.userId.setAttribute('aria-invalid', String(Boolean(problem)));
  if (problem || id === currentUser) return;
  const first = currentUser === null;
  currentUser = id;
  el.threadLabel.textContent = `thread ${threadId()}`;
  if (!first) addLine('note', `Now chatting as ${id} (thread ${threadId()})`);
  setLastRun([], null);
  showTranscript = true;
  refreshThreadPanels();
}

function onTokenChanged() {
  const token = el.token.value.trim();
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  el.tokenError.hidden = true;
}

function refreshThreadPanels() {
  if (!currentUser) return;
  refreshState();
  refreshBookings();
  refreshHistory();
}

// ---------------------------------------------------------------- thread state

async function refreshState() {
  const fresh = ticket('state');
  try {
    const data = await api(`/api/threads/${enc(threadId())}/state`);
    if (!fresh()) return;
    el.state.textContent = JSON.stringify(data, null, 2);
    if (showTranscript) {
      showTranscript = false;
      replayTranscript(data);
    }
  } catch (err) {
    if (!fresh()) return;
    showTranscript = false;
    el.state.textContent = err.status === 404 ? 'No conversation yet' : `Error: ${describeError(err)}`;
  }
}

/** Shows the messages already in the thread, so a reload or a switch of user continues it. */
function replayTranscript(data) {
  const lines = data && data.values && Array.isArray(data.values.transcript) ? data.values.transcript : [];
  if (!lines.length) return;
  addLine('note', `Earlier in thread ${threadId()}:`);
  for (const line of lines) addLine(line.from === 'guest' ? 'guest' : 'reply', String(line.text ?? ''));
}

// ---------------------------------------------------------------- bookings

async function refreshBookings() {
  const fresh = ticket('bookings');
  try {
    const list = await api(`/api/users/${enc(currentUser)}/bookings`);
    if (!fresh()) return;
    setStatus(el.bookingsStatus, '');
    renderBookings(Array.isArray(list) ? list : []);
  } catch (err) {
    if (fresh()) setStatus(el.bookingsStatus, `Error: ${describeError(err)}`, true);
  }
}

function renderBookings(list) {
  const tbody = el.bookings.tBodies[0];
  tbody.replaceChildren();
  if (!list.length) {
    tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '8', text: 'No bookings yet' })));
    return;
  }
  for (const b of list) {
    const total = typeof b.total === 'number' ? money.format(b.total) : String(b.total ?? '—');
    const hotel = h('td', { text: b.hotel ?? b.hotel_code ?? '—' });
    if (b.hotel_code) hotel.title = b.hotel_code;
    const status = String(b.status ?? '');
    tbody.append(h('tr', { 'data-reference': String(b.reference ?? '') },
      h('td', { class: 'mono', text: b.reference ?? '—' }),
      hotel,
      h('td', { text: b.room_type ?? '—' }),
      h('td', { text: b.check_in ?? '—' }),
      h('td', { text: b.check_out ?? '—' }),
      h('td', { class: 'num', text: String(b.guests ?? '—') }),
      h('td', { class: 'num', text: total }),
      h('td', {}, h('span', { class: `badge ${status.replace(/[^a-z_-]/gi, '')}`, text: status || '—' })),
    ));
  }
}

// ---------------------------------------------------------------- history

async function refreshHistory() {
  historyBefore = null;
  el.history.tBodies[0].replaceChildren();
  el.historyMore.hidden = true;
  await loadHistory(ticket('history'));
}

async function loadHistory(fresh = ticket('history')) {
  let url = `/api/threads/${enc(threadId())}/history?limit=${HISTORY_PAGE}`;
  if (historyBefore !== null && historyBefore !== undefined) url += `&before=${enc(String(historyBefore))}`;
  el.historyMore.disabled = true;
  try {
    const data = await api(url);
    if (!fresh()) return;
    const checkpoints = (data && Array.isArray(data.checkpoints)) ? data.checkpoints : [];
    appendHistory(checkpoints);
    historyBefore = (data && data.next_before) ?? null;
    el.historyMore.hidden = historyBefore === null;
    const count = el.history.tBodies[0].rows.length;
    setStatus(el.historyStatus, count ? '' : 'No checkpoints yet');
  } catch (err) {
    if (!fresh()) return;
    if (err.status === 404) setStatus(el.historyStatus, 'No conversation yet');
    else setStatus(el.historyStatus, `Error: ${describeError(err)}`, true);
  } finally {
    el.historyMore.disabled = false;
  }
}

function appendHistory(checkpoints) {
  const tbody = el.history.tBodies[0];
  for (const cp of checkpoints) {
    const ms = Number(cp.created_at_ms);
    const created = Number.isFinite(ms) && ms > 0 ? new Date(ms).toLocaleString() : '—';
    const row = h('tr', {},
      h('td', { class: 'mono', text: String(cp.id ?? '—') }),
      h('td', { class: 'num', text: String(cp.step ?? '—') }),
      h('td', { text: String(cp.source ?? '—') }),
      h('td', { text: listText(cp.writers) }),
      h('td', { text: listText(cp.next) }),
      h('td', { text: created }),
    );
    if (cp.metadata !== undefined) row.title = `metadata: ${JSON.stringify(cp.metadata)}`;
    tbody.append(row);
  }
}

// ---------------------------------------------------------------- graph

const SVG_NS = 'http://www.w3.org/2000/svg';
const NODE_H = 30;
const ROW_GAP = 72;   // vertical distance between layer rows (top to top)
const COL_GAP = 26;   // horizontal gap between nodes of a row
const MARGIN = 24;
const nodeWidth = (id) => Math.max(64, id.length * 7.3 + 26);

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

async function loadGraph() {
  setStatus(el.graphStatus, 'Loading graph…');
  try {
    graphData = await api('/api/graph');
    setStatus(el.graphStatus, '');
  } catch (err) {
    graphData = null;
    setStatus(el.graphStatus, `Error: ${describeError(err)}`, true);
  }
  renderGraph();
}

/** Layered layout: longest path from __start__, ignoring DFS back-edges. */
function layoutGraph(graph) {
  const types = new Map();
  const ids = [];
  for (const n of graph.nodes || []) {
    if (!types.has(n.id)) ids.push(n.id);
    types.set(n.id, n.type || 'node');
  }
  const edges = (graph.edges || []).filter((e) => e && e.source != null && e.target != null);
  for (const e of edges) {
    for (const id of [e.source, e.target]) {
      if (!types.has(id)) { types.set(id, 'node'); ids.push(id); }
    }
  }
  const out = new Map(ids.map((id) => [id, []]));
  edges.forEach((e, i) => out.get(e.source).push(i));

  // DFS (from __start__ first) marking edges that close a cycle.
  const back = new Set();
  const color = new Map(); // 1 = on stack, 2 = finished
  const postorder = [];
  const dfs = (id) => {
    color.set(id, 1);
    for (const i of out.get(id)) {
      const t = edges[i].target;
      if (color.get(t) === 1) back.add(i);
      else if (!color.has(t)) dfs(t);
    }
    color.set(id, 2);
    postorder.push(id);
  };
  const roots = types.has('__start__') ? ['__start__', ...ids] : ids;
  for (const id of roots) if (!color.has(id)) dfs(id);

  // Longest path over forward edges, in topological (reverse post-) order.
  const layer = new Map(ids.map((id) => [id, 0]));
  const preds = new Map(ids.map((id) => [id, []]));
  for (const id of postorder.reverse()) {
    for (const i of out.get(id)) {
      if (back.has(i)) continue;
      const t = edges[i].target;
      layer.set(t, Math.max(layer.get(t), layer.get(id) + 1));
      preds.get(t).push(id);
    }
  }
  if (types.has('__end__') && ids.length > 1) {
    const maxOther = Math.max(...ids.filter((id) => id !== '__end__').map((id) => layer.get(id)));
    layer.set('__end__', maxOther + 1);
  }

  const rows = [];
  ids.forEach((id) => { (rows[layer.get(id)] ||= []).push(id); });
  const pos = new Map();
  let minX = Infinity;
  let maxX = -Infinity;
  rows.forEach((row = [], li) => {
    // Order each row by the mean x of its already-placed predecessors.
    const bary = (id) => {
      const xs = preds.get(id).filter((p) => pos.has(p)).map((p) => pos.get(p).x);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Infinity;
    };
    const keyed = row.map((id, idx) => ({ id, idx, b: li ? bary(id) : idx }));
    keyed.sort((a, b) => (a.b - b.b) || (a.idx - b.idx));
    const widths = keyed.map((k) => nodeWidth(k.id));
    const total = widths.reduce((a, b) => a + b, 0) + COL_GAP * Math.max(0, keyed.length - 1);
    let x = -total / 2;
    keyed.forEach((k, i) => {
      pos.set(k.id, { x: x + widths[i] / 2, y: li * ROW_GAP, w: widths[i], type: types.get(k.id) });
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x + widths[i]);
      x += widths[i] + COL_GAP;
    });
  });
  return { edges, back, pos, rows: rows.length, minX, maxX };
}

function renderGraph() {
  el.graph.replaceChildren();
  if (!graphData || !Array.isArray(graphData.nodes) || !graphData.nodes.length) return;
  const { edges, back, pos, rows, minX, maxX } = layoutGraph(graphData);

  const hotNodes = new Set();
  const hotEdges = new Set();
  if (lastPath.length) {
    const full = ['__start__', ...lastPath, '__end__'];
    full.forEach((id) => hotNodes.add(id));
    for (let i = 0; i + 1 < full.length; i++) hotEdges.add(`${full[i]}\u0000${full[i + 1]}`);
  }

  const loopRoom = back.size ? 40 + 12 * back.size : 0; // space for cycle loops on each side
  const dx = MARGIN + loopRoom - minX;
  const centerX = dx + (minX + maxX) / 2;
  const width = Math.ceil(maxX - minX + 2 * (MARGIN + loopRoom));
  const height = Math.ceil((rows - 1) * ROW_GAP + NODE_H + 2 * MARGIN);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
  const caption = svg('title');
  caption.textContent = lastPath.length ? `Agent graph; last run: ${lastPath.join(' → ')}` : 'Agent graph';
  root.append(caption);

  const defs = svg('defs');
  for (const [id, cls] of [['arrow', 'g-arrow'], ['arrow-hot', 'g-arrow hot']]) {
    const marker = svg('marker', {
      id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse',
    });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    defs.append(marker);
  }
  root.append(defs);

  const P = (id) => {
    const p = pos.get(id);
    return { ...p, x: p.x + dx, y: p.y + MARGIN };
  };

  const edgeLayer = svg('g');
  const hotLayer = svg('g');
  let loopIndex = 0;
  edges.forEach((e, i) => {
    const s = P(e.source);
    const t = P(e.target);
    let d;
    if (back.has(i) || t.y <= s.y) {
      // Cycle-closing edge: loop out on the side of the target (left or right).
      const dir = t.x < centerX - 1 ? -1 : 1;
      const sx = s.x + (dir * s.w) / 2;
      const tx = t.x + (dir * t.w) / 2 + dir;
      const reach = 30 + 12 * loopIndex++;
      const cx = dir > 0 ? Math.max(sx, tx) + reach : Math.min(sx, tx) - reach;
      const sy = s.y + NODE_H / 2;
      const ty = t.y + NODE_H / 2 + (e.source === e.target ? -8 : 0);
      d = `M${sx},${sy} C${cx},${sy} ${cx},${ty} ${tx},${ty}`;
    } else {
      const y1 = s.y + NODE_H;
      const y2 = t.y - 1;
      const c = (y2 - y1) / 2;
      d = `M${s.x},${y1} C${s.x},${y1 + c} ${t.x},${y2 - c} ${t.x},${y2}`;
    }
    const hot = hotEdges.has(`${e.source}\u0000${e.target}`);
    const path = svg('path', {
      d,
      class: `g-edge${e.conditional ? ' conditional' : ''}${hot ? ' hot' : ''}`,
      'marker-end': `url(#${hot ? 'arrow-hot' : 'arrow'})`,
    });
    const tip = svg('title');
    tip.textContent = `${e.source} → ${e.target}${e.conditional ? ' (conditional)' : ''}${e.kind ? ` [${e.kind}]` : ''}`;
    path.append(tip);
    (hot ? hotLayer : edgeLayer).append(path);
  });
  root.append(edgeLayer, hotLayer);

  const nodeLayer = svg('g');
  for (const id of pos.keys()) {
    const p = P(id);
    const g = svg('g', { class: `g-node ${p.type}${hotNodes.has(id) ? ' hot' : ''}` });
    const round = p.type === 'start' || p.type === 'end' ? NODE_H / 2 : 6;
    g.append(svg('rect', { x: p.x - p.w / 2, y: p.y, width: p.w, height: NODE_H, rx: round, ry: round }));
    const label = svg('text', { x: p.x, y: p.y + NODE_H / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
    label.textContent = id;
    const tip = svg('title');
    tip.textContent = `${id} (${p.type})`;
    g.append(label, tip);
    nodeLayer.append(g);
  }
  root.append(nodeLayer);
  el.graph.append(root);
  // The graph is wider than its panel: bring the last run's nodes into view (centred).
  const hotX = [...hotNodes].filter((id) => pos.has(id)).map((id) => P(id).x);
  if (hotX.length) {
    const middle = (Math.min(...hotX) + Math.max(...hotX)) / 2;
    el.graph.scrollLeft = Math.max(0, middle - el.graph.clientWidth / 2);
  }
}

/** With a token set, plain links would get a 401: fetch with auth and open the text. */
async function openWithAuth(event) {
  if (!el.token.value.trim()) return;
  event.preventDefault();
  const href = event.currentTarget.getAttribute('href');
  const win = window.open('', '_blank');
  try {
    const res = await fetch(href, { headers: { Authorization: `Bearer ${el.token.value.trim()}` } });
    if (res.status === 401) el.tokenError.hidden = false;
    const text = await res.text();
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    if (win) win.location.href = url;
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (err) {
    if (win) win.close();
    setStatus(el.graphStatus, `Error: ${describeError(err)}`, true);
  }
}

// ---------------------------------------------------------------- wiring

function init() {
  el.token.value = localStorage.getItem(TOKEN_KEY) || '';

  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage();
  });
  el.userId.addEventListener('change', syncUser);
  el.userId.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); syncUser(); }
  });
  el.token.addEventListener('input', onTokenChanged);
  el.token.addEventListener('change', () => { loadGraph(); refreshThreadPanels(); });
  el.clearChat.addEventListener('click', () => { el.chat.replaceChildren(); setBusy(busy); });

  $('refresh-graph').addEventListener('click', loadGraph);
  $('refresh-bookings').addEventListener('click', () => currentUser && refreshBookings());
  $('refresh-state').addEventListener('click', () => currentUser && refreshState());
  $('refresh-history').addEventListener('click', () => currentUser && refreshHistory());
  el.historyMore.addEventListener('click', () => historyBefore !== null && loadHistory());
  $('graph-dot').addEventListener('click', openWithAuth);
  $('graph-mermaid').addEventListener('click', openWithAuth);

  setStatus(el.bookingsStatus, 'Loading…');
  loadGraph();
  syncUser();
  el.message.focus();
}

init();
