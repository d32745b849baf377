// The back-office workspace (/console/tasks): the queues with open and overdue counts, the
// queue's task list (filters, pages, the nearest deadline first) and the task card, where a
// worker takes a task, moves it, comments, reassigns it and resolves it with an outcome.
// Over the operator socket, supervisors (and a task's assignee) hear of escalations live:
// a notice, and the counts, the list and the open card read again; every worker hears of
// tasks created, moved and reassigned (``tasks_changed``) and the counts follow.
import { $, api, clear, dateTime, dateTimeShort, el, errorText, kv, token, toLogin } from "./common.js";

const PAGE = 50;
const WORKERS = ["backoffice", "supervisor"];
const OPEN = ["new", "in_progress", "waiting"];
const state = { queue: null, offset: 0, me: null, staff: [], current: null };

function can(...roles) {
  return !!state.me && state.me.roles.some((r) => roles.includes(r));
}

// --- queues ---------------------------------------------------------------------------
async function loadQueues() {
  const { queues } = await api("GET", "/api/v1/tasks/queues");
  if (!state.queue) state.queue = (queues.find((q) => q.open) || queues[0]).path;
  clear(
    $("queue-list"),
    queues.map((q) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "queue-button" + (q.path === state.queue ? " selected" : ""), "aria-pressed": String(q.path === state.queue), "data-queue": q.path, onclick: () => selectQueue(q.path) },
          el("span", { class: "queue-title" }, q.title),
          el("span", { class: "queue-counts" }, el("span", { title: "Открытые" }, String(q.open)), q.overdue ? el("span", { class: "overdue", title: "Просроченные" }, " · просрочено " + q.overdue) : null),
        ),
      ),
    ),
  );
}

function selectQueue(path) {
  state.queue = path;
  state.offset = 0;
  loadQueues();
  loadList();
}

// --- the list -------------------------------------------------------------------------
function listParams() {
  const params = new URLSearchParams({ queue: state.queue, limit: String(PAGE), offset: String(state.offset) });
  const status = $("f-status").value;
  for (const s of status === "open" ? OPEN : status ? [status] : []) params.append("status", s);
  const assignee = $("f-assignee").value;
  if (assignee === "mine") params.set("mine", "true");
  else if (assignee) params.set("assignee", assignee);
  if ($("f-overdue").checked) params.set("overdue", "true");
  if ($("f-from").value) params.set("created_from", $("f-from").value);
  if ($("f-to").value) params.set("created_to", $("f-to").value);
  params.set("sort", $("f-sort").value);
  return params;
}

function taskRow(t) {
  const open = () => openTask(t.number);
  return el(
    "tr",
    { class: "task-row" + (t.overdue ? " overdue" : "") + (state.current === t.number ? " selected" : ""), tabindex: "0", "data-number": t.number, onclick: open, onkeydown: (e) => e.key === "Enter" && open() },
    el("td", { class: "nowrap" }, t.number),
    el("td", {}, t.title, t.customer_id ? el("div", { class: "muted small" }, "клиент " + t.customer_id) : null),
    el("td", {}, t.status_title, t.outcome_title ? el("div", { class: "muted small" }, t.outcome_title) : null),
    el("td", { class: "nowrap" }, t.deadline_at ? dateTimeShort(t.deadline_at) : "—", t.overdue ? el("div", { class: "overdue small" }, "просрочена") : null),
    el("td", {}, t.assignee || "—"),
  );
}

async function loadList() {
  $("tasks-status").textContent = "Загрузка…";
  try {
    const page = await api("GET", "/api/v1/tasks?" + listParams());
    clear($("task-rows"), page.tasks.map(taskRow));
    const last = Math.min(state.offset + page.tasks.length, page.total);
    $("tasks-status").textContent = page.total ? `Задачи ${state.offset + 1}–${last} из ${page.total}` : "Задач не найдено.";
    $("prev").disabled = state.offset === 0;
    $("next").disabled = last >= page.total;
  } catch (e) {
    clear($("task-rows"));
    $("tasks-status").textContent = e.message;
  }
}

// --- the card -------------------------------------------------------------------------
async function act(path, body, done) {
  const status = $("task-action-status");
  status.textContent = "";
  try {
    await api("POST", "/api/v1/tasks/" + state.current + path, body);
    if (done) done();
    await Promise.all([openTask(state.current), loadList(), loadQueues()]);
  } catch (e) {
    status.textContent = e.message;
  }
}

function links(t) {
  const items = [];
  if (t.customer_id) items.push(el("a", { href: "/console#customer=" + t.customer_id, class: "link" }, "Клиент " + t.customer_id));
  if (t.conversation_id) items.push(el("a", { href: "/console#conversation=" + t.conversation_id, class: "link" }, "Диалог " + t.conversation_id));
  if (t.order_number) items.push(el("span", {}, "Заказ " + t.order_number));
  if (t.product_id) items.push(el("span", {}, "Товар " + t.product_id));
  return items.length ? el("p", { class: "task-links" }, items.flatMap((node, i) => (i ? [" · ", node] : [node]))) : null;
}

function moveButtons(t) {
  const buttons = [];
  const move = (label, status, id) => buttons.push(el("button", { type: "button", id, onclick: () => act("/status", { status }) }, label));
  if (t.status === "new") move("Взять в работу", "in_progress", "task-take");
  if (t.status === "in_progress") move("Ожидает ответа", "waiting", "task-wait");
  if (t.status === "waiting") move("Вернуть в работу", "in_progress", "task-resume");
  return buttons;
}

function resolveForm(t) {
  if (!["in_progress", "waiting"].includes(t.status)) return null;
  const outcome = el("select", { id: "task-outcome", "aria-label": "Итог" }, t.outcomes.map((o) => el("option", { value: o }, t.outcome_titles[o] || o)));
  const comment = el("textarea", { id: "task-resolve-comment", rows: "2", maxlength: "4000", placeholder: "Комментарий (для отклонения — причина)" });
  return el(
    "form",
    {
      class: "task-resolve",
      onsubmit: (e) => {
        e.preventDefault();
        const body = { status: "done", outcome: outcome.value };
        if (comment.value.trim()) body.comment = comment.value.trim();
        act("/status", body);
      },
    },
    el("h4", {}, "Решение"),
    el("label", {}, "Итог ", outcome),
    comment,
    el(
      "div",
      { class: "dialog-bar" },
      el("button", { type: "submit", id: "task-resolve" }, "Выполнить"),
      el("button", { type: "button", id: "task-reject", onclick: () => act("/status", { status: "rejected", comment: comment.value.trim() }) }, "Отклонить"),
    ),
  );
}

function assignForm(t) {
  if (!can("supervisor") || ["done", "rejected"].includes(t.status)) return null;
  const workers = state.staff.filter((s) => s.roles.some((r) => WORKERS.includes(r)));
  const select = el("select", { id: "task-assignee", "aria-label": "Исполнитель" }, workers.map((s) => el("option", { value: s.login }, s.name)));
  return el(
    "form",
    { class: "inline-form", onsubmit: (e) => (e.preventDefault(), act("/assign", { login: select.value })) },
    el("label", {}, "Назначить ", select),
    el("button", { type: "submit" }, "Назначить"),
  );
}

function commentForm() {
  const text = el("textarea", { id: "task-comment", rows: "2", maxlength: "4000", placeholder: "Комментарий к задаче" });
  return el(
    "form",
    { class: "task-comment-form", onsubmit: (e) => (e.preventDefault(), text.value.trim() && act("/comments", { text: text.value.trim() }, () => (text.value = ""))) },
    text,
    el("button", { type: "submit" }, "Добавить комментарий"),
  );
}

const EVENT_TITLES = { created: "Создана", status: "Статус", comment: "Комментарий", assigned: "Назначена", escalated: "Просрочена: эскалация" };

function historyList(t) {
  return el(
    "ol",
    { class: "task-history" },
    t.history.map((h) => el("li", {}, dateTime(h.at) + " · " + (EVENT_TITLES[h.kind] || h.kind) + (h.actor ? " · " + h.actor : ""))),
  );
}

function renderCard(t) {
  const worker = can(...WORKERS);
  clear(
    $("task-card"),
    el("h2", { id: "task-title" }, t.number + " · " + t.title),
    el("p", { class: "muted small" }, t.queue),
    kv("Статус", t.status_title + (t.outcome_title ? " — " + t.outcome_title : "")),
    kv("Срок", t.deadline_at ? dateTime(t.deadline_at) + (t.overdue ? " (просрочена)" : "") : "—"),
    kv("Исполнитель", t.assignee || "не назначен"),
    links(t),
    t.description ? el("p", { class: "task-description" }, t.description) : null,
    worker ? el("div", { class: "dialog-bar task-moves" }, moveButtons(t)) : null,
    worker ? resolveForm(t) : null,
    assignForm(t),
    el("p", { id: "task-action-status", class: "warning small", role: "alert" }),
    el("h4", {}, "Комментарии"),
    t.comments.length ? el("ul", { id: "task-comments" }, t.comments.map((c) => el("li", {}, c.text, el("div", { class: "muted small" }, (c.author || "—") + " · " + dateTimeShort(c.created_at))))) : el("p", { class: "muted" }, "Комментариев нет."),
    commentForm(),
    el("h4", {}, "История"),
    historyList(t),
  );
}

async function openTask(number) {
  state.current = number;
  try {
    renderCard(await api("GET", "/api/v1/tasks/" + number));
  } catch (e) {
    errorText($("task-card"), e);
  }
}

// --- live: the operator socket (docs/protocol.md) --------------------------------------
const NOTICES_SHOWN = 5;
let backoff = 1000;

function showLive(on) {
  $("tasks-live").textContent = on ? "на связи" : "нет связи";
  $("tasks-live").className = on ? "live on" : "live off";
}

function noticeNode(frame) {
  const first = frame.tasks[0];
  const item = el(
    "li",
    { class: "task-notice" },
    el("span", { class: "notice-text" }, frame.text),
    first ? el("button", { type: "button", class: "link", onclick: () => openTask(first.number) }, "Открыть " + first.number) : null,
  );
  item.append(el("button", { type: "button", class: "link", title: "Скрыть", "aria-label": "Скрыть уведомление", onclick: () => item.remove() }, "×"));
  return item;
}

// an escalation: a notice on top, then what it changed is read again
function escalated(frame) {
  if (!Array.isArray(frame.tasks)) return;
  const list = $("task-notices");
  list.prepend(noticeNode(frame));
  while (list.children.length > NOTICES_SHOWN) list.lastElementChild.remove();
  loadQueues();
  if (frame.queues && Object.hasOwn(frame.queues, state.queue)) loadList();
  if (frame.tasks.some((t) => t.number === state.current)) openTask(state.current);
}

// a colleague's change (or a new task): the counts, and the list and the card it touches,
// read again — several frames in a burst make one reading
const pending = { queues: false, list: false, card: false, timer: null };

function refreshSoon(list, card) {
  pending.queues = true;
  pending.list ||= list;
  pending.card ||= card;
  if (pending.timer) return;
  pending.timer = setTimeout(() => {
    const { list: readList, card: readCard } = pending;
    Object.assign(pending, { queues: false, list: false, card: false, timer: null });
    loadQueues();
    if (readList) loadList();
    if (readCard && state.current) openTask(state.current);
  }, 200);
}

function changed(frame) {
  if (!Array.isArray(frame.queues)) return;
  const mine = !!state.me && String(frame.actor_id) === String(state.me.id); // read already
  const list = frame.queues.includes(state.queue);
  const card = !mine && Array.isArray(frame.tasks) && frame.tasks.includes(state.current) && !typing();
  refreshSoon(list, card);
}

// a card with a comment being written is not redrawn under the worker's hands
function typing() {
  return [...document.querySelectorAll("#task-card textarea")].some((t) => t.value.trim());
}

function onFrame(event) {
  let frame;
  try {
    frame = JSON.parse(event.data);
  } catch {
    return;
  }
  if (frame.type === "ready") {
    backoff = 1000;
    showLive(true);
    loadQueues(); // what changed while the socket was away
  } else if (frame.type === "task_escalated") {
    escalated(frame);
  } else if (frame.type === "tasks_changed") {
    changed(frame);
  } else if (frame.type === "resync") {
    refreshSoon(true, false); // live events may have been lost
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let socket;
  try {
    socket = new WebSocket(scheme + location.host + "/ws/operator");
  } catch {
    setTimeout(connect, backoff);
    return;
  }
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token: token() })));
  socket.addEventListener("message", onFrame);
  socket.addEventListener("close", () => {
    showLive(false);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  });
}

// --- start ----------------------------------------------------------------------------
async function start() {
  if (!token()) return toLogin();
  try {
    state.me = await api("GET", "/api/v1/auth/me");
  } catch {
    return toLogin();
  }
  $("tasks-me").textContent = state.me.name;
  try {
    state.staff = (await api("GET", "/api/v1/operators")).operators;
  } catch {
    state.staff = [];
  }
  const select = $("f-assignee");
  for (const s of state.staff) select.append(el("option", { value: String(s.id) }, s.name));
  const wanted = new URLSearchParams(location.hash.slice(1));
  if (wanted.get("queue")) state.queue = wanted.get("queue");
  await loadQueues();
  await loadList();
  if (wanted.get("task")) openTask(wanted.get("task"));
  $("task-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    state.offset = 0;
    loadList();
  });
  $("prev").addEventListener("click", () => ((state.offset = Math.max(0, state.offset - PAGE)), loadList()));
  $("next").addEventListener("click", () => ((state.offset += PAGE), loadList()));
  connect(); // new tasks, colleagues' moves and escalations arrive over the socket
}

start();
