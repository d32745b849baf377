// The customer's notification centre in the widget: the bell with the unread count, the list,
// «прочитано» when the list is opened. Items arrive live as `notification` frames on the
// customer's socket (docs/protocol.md) and are listed from GET /api/v1/me/notifications.
// Every text is put into the page with textContent (el), never as HTML.
import { $, clear, el } from "/static/shared/helpers.js";

let api = null; // (method, path, body) -> Promise, the widget's, with its token
let items = []; // newest first
let unread = 0;

const DATE = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });

function showCount() {
  const badge = $("centre-count");
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.hidden = unread === 0;
  $("centre-open").setAttribute("aria-label", unread ? "Уведомления, непрочитанных: " + unread : "Уведомления");
}

function itemNode(item) {
  return el(
    "li",
    { class: "centre__item" + (item.read ? "" : " centre__item--unread"), dataset: { id: item.id } },
    el("span", { class: "centre__kind" }, item.type_title),
    el("strong", { class: "centre__title" }, item.title),
    el("span", { class: "centre__text" }, item.text),
    el("time", { class: "centre__time", datetime: item.created_at }, item.created_at ? DATE.format(new Date(item.created_at)) : ""),
  );
}

function render() {
  const list = $("centre-list");
  clear(list, items.map(itemNode));
  $("centre-empty").hidden = items.length > 0;
  showCount();
}

function apply(view) {
  items = view.items || [];
  unread = view.unread || 0;
  render();
}

export function loadCentre() {
  if (!api) return Promise.resolve();
  return api("GET", "/api/v1/me/notifications").then(apply, () => {});
}

// a `notification` frame: a new item, unread (the same id twice is shown once)
export function onNotificationFrame(frame) {
  const item = frame.notification;
  if (!item || items.some((known) => known.id === item.id)) return;
  items.unshift(item);
  unread += 1;
  render();
  if (!$("centre").hidden) markAllRead();
}

function markAllRead() {
  if (!unread) return;
  api("POST", "/api/v1/me/notifications/read", {}).then(apply, () => {});
}

export function wireCentre(request) {
  api = request;
  $("centre-open").addEventListener("click", () => {
    const panel = $("centre");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) markAllRead();
  });
}

// logged in: the bell shows and the list loads; logged out: both go
export function showCentre(customer) {
  $("centre-open").hidden = !customer;
  if (!customer) {
    $("centre").hidden = true;
    items = [];
    unread = 0;
    render();
    return;
  }
  loadCentre();
}
