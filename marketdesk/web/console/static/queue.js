// The left column: each line's queue (the first page) and the operator's own conversations,
// read again at most once a second however many live events arrive.
import { $, api, clear, coalesce, el, waited } from "./common.js";
import { openConversation } from "./conversation.js";
import { slaBadge, tickSla } from "./sla.js";
import { LINE_TITLES, setStatus, state, topicTitle, who } from "./state.js";

const QUEUE_PAGE = 50;

function activeClass(conversation) {
  return "item" + (state.current && state.current.id === conversation.id ? " active" : "");
}

function queueItemNode(item) {
  const c = item.conversation;
  const last = item.preview; // the customer's last message; the transcript opens on demand
  const since = c.queued_at || c.created_at;
  return el(
    "div",
    { class: activeClass(c), role: "listitem", dataset: { conversation: c.id } },
    el(
      "button",
      { type: "button", class: "item-open", onclick: () => openConversation(c.id, item) },
      el("span", { class: "item-title" }, "№ " + c.id + " · " + who(c)),
      el("span", { class: "item-sub" }, topicTitle(c.topic) || c.status_title),
      last ? el("span", { class: "item-text" }, last.slice(0, 80)) : null,
      slaBadge(c),
    ),
    el("span", { class: "wait", dataset: { since }, title: "Время ожидания" }, waited(since)),
    el("button", { type: "button", class: "take", onclick: () => take(c.id), "aria-label": "Взять диалог " + c.id }, "Взять"),
  );
}

function lineGroup(line, page) {
  const title = LINE_TITLES[line] || line;
  const more = page.total - page.items.length;
  return el(
    "div",
    { class: "line-group", dataset: { line } },
    el("h3", { class: "line-title" }, title + " ", el("span", { class: "count muted-count" }, String(page.total))),
    el("div", { class: "list", role: "list", "aria-label": title }, page.items.map(queueItemNode)),
    more > 0 ? el("p", { class: "small muted queue-more" }, "Ещё в очереди: " + more + ". Они появятся здесь, когда подойдёт их черёд.") : null,
  );
}

export function renderQueue() {
  let total = 0;
  const groups = [];
  for (const line of state.lines) {
    const page = state.queue.get(line) || { items: [], total: 0 };
    total += page.total;
    groups.push(lineGroup(line, page));
  }
  $("queue-count").textContent = String(total);
  $("queue-empty").hidden = total > 0;
  clear($("queue"), groups);
}

function mineItemNode(c) {
  return el(
    "div",
    { class: activeClass(c), role: "listitem" },
    el(
      "button",
      { type: "button", class: "item-open", onclick: () => openConversation(c.id) },
      el("span", { class: "item-title" }, "№ " + c.id + " · " + who(c)),
      el("span", { class: "item-sub" }, c.status_title + (c.topic ? " · " + topicTitle(c.topic) : "")),
      slaBadge(c),
    ),
  );
}

export function renderMine() {
  $("mine-count").textContent = String(state.mine.length);
  $("mine-empty").hidden = state.mine.length > 0;
  clear($("mine"), state.mine.map(mineItemNode));
}

async function fetchQueue() {
  await Promise.all(
    state.lines.map(async (line) => {
      try {
        const data = await api("GET", "/api/v1/queue/" + encodeURIComponent(line) + "?limit=" + QUEUE_PAGE);
        state.queue.set(line, { items: data.items, total: data.total });
      } catch (e) {
        state.queue.set(line, { items: [], total: 0 });
      }
    }),
  );
}

export async function loadQueue() {
  await fetchQueue();
  renderQueue();
}

async function fetchMine() {
  const data = await api("GET", "/api/v1/conversations");
  state.mine = data.conversations;
}

export async function loadMine() {
  await fetchMine();
  renderMine();
}

// events come in bursts (every message of every queued chat): the lists are read again at
// most once a second, however many events arrive; both are shown at once, so that a taken
// conversation is never in the queue and in «Мои» together
export const refreshLists = coalesce(() => {
  Promise.allSettled([fetchQueue(), fetchMine()]).then(() => {
    renderQueue();
    renderMine();
  });
}, 1000);

export async function take(conversationId) {
  try {
    const view = await api("POST", "/api/v1/conversations/" + conversationId + "/take");
    setStatus("Диалог № " + conversationId + " взят.");
    await openConversation(view.id);
    refreshLists();
    $("composer-text").focus();
  } catch (e) {
    setStatus(e.message);
    refreshLists();
  }
}

// the waiting times and the SLA clocks tick every second; the lists are read every 20 s when the socket is down
export function wireQueue() {
  setInterval(() => {
    for (const node of document.querySelectorAll(".wait[data-since]")) node.textContent = waited(node.dataset.since);
    tickSla();
  }, 1000);
  setInterval(refreshLists, 20000);
}
