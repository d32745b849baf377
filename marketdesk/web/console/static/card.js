// The customer card in the right column: contacts (masked until «Показать», which is audited),
// balances, orders (filtered by status), certificates, active tasks, returns and comments; the
// «Коммуникации» tab beside it (card_comms.js).
import { openBan } from "./ban.js";
import { cardTabs, communicationsPanel } from "./card_comms.js";
import { identityBlock } from "./identity.js";
import { openNewTask } from "./new_task.js";
import { openOrder } from "./order.js";
import { $, api, clear, date, dateTimeShort, el, errorText, kv, money } from "./common.js";
import { setStatus, state, TASK_STATUS } from "./state.js";

export async function openCustomer(customerId) {
  state.customerId = customerId;
  const box = $("customer-card");
  clear(box, el("p", { class: "muted" }, "Загрузка…"));
  try {
    const card = await api("GET", "/api/v1/customers/" + customerId);
    if (state.customerId !== customerId) return;
    state.card = card;
    box.dataset.customerId = String(card.id);
    renderCustomer(card);
  } catch (e) {
    errorText(box, e);
  }
}

function block(title, ...children) {
  return el("section", { class: "block" }, el("h4", {}, title), children);
}

// the phone and the e-mail, masked; «Показать» asks for them in full
function contactRows(card) {
  const masked = card.contacts_masked;
  const phone = el("span", { id: "customer-phone" }, masked.phone || "—");
  const email = el("span", { id: "customer-email" }, masked.email || "—");
  const reveal = el("button", { type: "button", class: "link", id: "reveal", title: "Каждый показ записывается в журнал аудита" }, "Показать");
  reveal.addEventListener("click", async () => {
    try {
      const contacts = await api("POST", "/api/v1/customers/" + card.id + "/contacts/reveal");
      phone.textContent = contacts.phone || "—";
      email.textContent = contacts.email || "—";
      reveal.hidden = true;
    } catch (e) {
      setStatus(e.message);
    }
  });
  return [
    el("div", { class: "kv" }, el("span", { class: "k" }, "Телефон"), el("span", { class: "v" }, phone, " ", masked.phone || masked.email ? reveal : null)),
    el("div", { class: "kv" }, el("span", { class: "k" }, "Email"), el("span", { class: "v" }, email)),
  ];
}

function generalBlock(card) {
  return block(
    "Общая информация",
    kv("Тип", card.kind.title),
    kv("Регистрация", date(card.registered_on)),
    kv("Дата рождения", card.birth_date ? date(card.birth_date) : "—"),
    contactRows(card),
    kv("Время у клиента", card.local_time + " (" + card.timezone + ")"),
  );
}

function balancesBlock(card) {
  const balance = (b) =>
    el(
      "div",
      { class: "balance", title: b.sources.map((s) => s.source.title + ": " + money(s.amount, b.unit)).join("\n") || null },
      el("span", { class: "k" }, b.kind.title),
      el("strong", {}, money(b.amount, b.unit)),
    );
  return block("Баланс", el("div", { class: "balances" }, card.balances.map(balance)));
}

function orderNode(o) {
  return el(
    "li",
    {},
    el("button", { type: "button", class: "link order-open", onclick: () => openOrder(o.number) }, el("strong", {}, o.number)),
    " ",
    el("span", { class: "tag" }, o.status.title),
    el("div", { class: "small" }, o.delivery_type.title + " · создан " + o.age_days + " дн. назад · " + money(o.total, "₽")),
  );
}

// the titles of services/labels.py ORDER_STATUS_TITLES, for the filter
const ORDER_STATUSES = { created: "Создан", processing: "В обработке", in_delivery: "Передан в доставку", ready_for_pickup: "Ожидает в пункте выдачи", completed: "Выполнен", cancelled: "Отменён" };

// the last orders; «Все заказы» and the status filter read up to a hundred
function ordersBlock(card) {
  const orders = card.last_orders.length ? el("ul", { class: "orders" }, card.last_orders.map(orderNode)) : el("p", { class: "muted" }, "Заказов нет.");
  const list = el("div", {}, orders);
  const allOrders = el("button", { type: "button", class: "link" }, "Все заказы (" + card.statistics.orders_total + ")");
  const read = async (status) => {
    try {
      const page = await api("GET", "/api/v1/customers/" + card.id + "/orders?limit=100" + (status ? "&status=" + status : ""));
      clear(list, page.orders.length ? el("ul", { class: "orders" }, page.orders.map(orderNode)) : el("p", { class: "muted", id: "orders-none" }, "Заказов с таким статусом нет."));
      allOrders.remove();
    } catch (e) {
      setStatus(e.message);
    }
  };
  allOrders.addEventListener("click", () => read(filter.value));
  const filter = el(
    "select",
    { id: "orders-status", "aria-label": "Статус заказов", onchange: () => read(filter.value) },
    el("option", { value: "" }, "все статусы"),
    Object.entries(ORDER_STATUSES).map(([code, title]) => el("option", { value: code }, title)),
  );
  const more = card.statistics.orders_total > card.last_orders.length ? allOrders : null;
  return block("Последние заказы", card.statistics.orders_total ? filter : null, list, more);
}

function statisticsBlock(stats) {
  return block(
    "Статистика клиента",
    kv("Доходность клиента", stats.profitability.title),
    kv("Заказов", String(stats.orders_total)),
    kv("Выполненных", String(stats.orders_completed)),
    kv("Отменённых", String(stats.orders_cancelled)),
  );
}

function certificateText(c) {
  const expires = c.expires_at ? " · до " + date(c.expires_at) : "";
  return "…" + c.code_tail + " · " + money(c.nominal, "₽") + " · активирован " + date(c.activated_at) + expires;
}

function certificatesBlock(card) {
  return block(
    "Сертификаты",
    card.certificates.length ? el("ul", {}, card.certificates.map((c) => el("li", {}, certificateText(c)))) : el("p", { class: "muted" }, "Нет сертификатов"),
    el("p", { class: "small muted" }, "Сотруднику КЦ запрещено самостоятельно активировать сертификат: клиент вводит код активации сам в личном кабинете."),
  );
}

function taskNode(t) {
  const deadline = t.deadline_at ? " · срок " + dateTimeShort(t.deadline_at) : "";
  return el("li", {}, el("strong", {}, t.number), " " + t.title, el("div", { class: "small muted" }, t.queue + " · " + (TASK_STATUS[t.status] || t.status) + deadline));
}

function tasksBlock(card) {
  return block("Активные задачи", card.active_tasks.length ? el("ul", {}, card.active_tasks.map(taskNode)) : el("p", { class: "muted" }, "Нет ни одной активной задачи."));
}

function returnsBlock(card) {
  if (!card.returns || !card.returns.length) return null;
  const node = (r) =>
    el("li", {}, el("strong", {}, r.number), " · заказ " + r.order_number + " · " + r.reason.title, el("div", { class: "small muted" }, dateTimeShort(r.created_at) + (r.task_number ? " · " + r.task_number : "")));
  return block("Возвраты", el("ul", { id: "customer-returns" }, card.returns.map(node)));
}

function commentNode(c) {
  return el("li", {}, el("div", { class: "comment-text" }, c.text), el("div", { class: "small muted" }, (c.author || "—") + " · " + dateTimeShort(c.created_at)));
}

// the comments, newest first, and a form that adds one
function commentsBlock(card) {
  const comments = el("ul", { id: "comments" }, card.comments.map(commentNode));
  const empty = card.comments.length ? null : el("p", { class: "muted" }, "Нет ни одного комментария.");
  const text = el("textarea", { id: "comment-text", rows: "2", maxlength: "2000", "aria-label": "Новый комментарий", placeholder: "Написать комментарий" });
  const form = el("form", { class: "comment-form" }, text, el("button", { type: "submit" }, "Добавить комментарий"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    try {
      const c = await api("POST", "/api/v1/customers/" + card.id + "/comments", { text: text.value });
      text.value = "";
      comments.prepend(commentNode(c));
      if (empty) empty.remove();
    } catch (e) {
      setStatus(e.message);
    }
  });
  return block("Комментарии", empty, comments, form);
}

function cardHead(card) {
  const lifted = card.coupon_ban && card.coupon_ban.lifted_at;
  const ban = card.coupon_ban
    ? el("button", { type: "button", class: lifted ? "badge" : "badge ban", id: "ban-badge", onclick: () => openBan(card) }, lifted ? "Купоны доступны" : "Бан купонов")
    : null;
  const task = el("button", { type: "button", class: "link", id: "card-new-task", onclick: () => openNewTask({ customer_id: card.id }) }, "Создать задачу");
  return el("div", { class: "card-head" }, el("h3", { id: "customer-name" }, card.full_name), el("span", { class: "muted" }, "ID " + card.id), ban, task);
}

function renderCustomer(card) {
  const main = el(
    "div",
    { id: "card-main", role: "tabpanel", "aria-labelledby": "card-tab-main" },
    generalBlock(card),
    identityBlock(card),
    balancesBlock(card),
    ordersBlock(card),
    statisticsBlock(card.statistics),
    certificatesBlock(card),
    tasksBlock(card),
    returnsBlock(card),
    commentsBlock(card),
  );
  const comms = communicationsPanel(card);
  clear(
    $("customer-card"),
    cardHead(card),
    card.company_name && card.company_name !== card.full_name ? el("p", {}, card.company_name) : null,
    cardTabs(main, comms),
    main,
    comms,
  );
}
