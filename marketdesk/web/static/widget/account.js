// «Личный кабинет» in the widget (issue 14, item 3): the customer's orders with their items and
// a return request by the return rule, and the tabs of wallet.js (balance, withdrawal,
// certificates). Only a logged-in customer sees it. Every text goes in with textContent (el).
import { $, clear, el } from "/static/shared/helpers.js";
import { renderBalance, renderCertificates, renderWithdrawal } from "./wallet.js";
import { formatDate, formatRub, note } from "./format.js";
import { writeToSeller } from "./hub.js";

let api = null;

// the reasons of domain/returns.py (ReturnReason) and their titles
const RETURN_REASONS = [
  ["proper_quality", "Товар надлежащего качества"],
  ["defect", "Брак"],
  ["not_as_described", "Не соответствует описанию"],
  ["warranty", "Гарантийный случай"],
];

const TABS = {
  orders: renderOrders,
  balance: renderBalance,
  withdraw: renderWithdrawal,
  certificates: renderCertificates,
};
let current = "orders";

function body() {
  return $("account-body");
}

// ---------------------------------------------------------------- orders and returns
function returnForm(order, item) {
  const id = "ret-" + order.number + "-" + item.product_id;
  const reason = el(
    "select",
    { id: id + "-reason", name: "reason" },
    RETURN_REASONS.map(([code, title]) => el("option", { value: code }, title)),
  );
  const quantity = el("input", { id: id + "-qty", name: "quantity", type: "number", min: 1, max: item.quantity, value: 1, inputmode: "numeric" });
  const result = el("p", { class: "account__note", role: "status" });
  const form = el(
    "form",
    { class: "account__return", hidden: true, dataset: { product: item.product_id } },
    el("label", { for: id + "-reason" }, "Причина возврата"),
    reason,
    item.quantity > 1 ? [el("label", { for: id + "-qty" }, "Количество"), quantity] : null,
    el("button", { type: "submit" }, "Оформить возврат"),
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const payload = { items: [{ product_id: item.product_id, quantity: Number(quantity.value) || 1 }], reason: reason.value };
    api("POST", "/api/v1/orders/" + encodeURIComponent(order.number) + "/returns", payload)
      .then((data) => note(result, data.message, "ok"))
      .catch((error) => note(result, error.message, "error"))
      .finally(() => (button.disabled = false));
  });
  return form;
}

// «Написать продавцу» (issue 14): the dialogue with the seller of this item opens in the chat;
// Retail goods are the marketplace's own, and the refusal says to write to support
function sellerButton(order, item) {
  const result = el("p", { class: "account__note", role: "status" });
  const button = el("button", { type: "button", class: "link" }, "Написать продавцу");
  button.addEventListener("click", () => {
    writeToSeller({ order_number: order.number, product_id: item.product_id }).catch((error) => note(result, error.message, "error"));
  });
  return [button, result];
}

function itemNode(order, item) {
  // the rule decides (domain/returns.py): an order not yet received is refused with its reason
  const canReturn = order.status.code !== "cancelled" && item.product_id !== null;
  const form = canReturn ? returnForm(order, item) : null;
  const open = canReturn
    ? el("button", { type: "button", class: "link", onclick: () => (form.hidden = !form.hidden) }, "Вернуть товар")
    : null;
  return el(
    "li",
    { class: "account__item" },
    el("span", { class: "account__item-name" }, item.name),
    el("span", { class: "account__muted" }, item.quantity + " шт. × " + formatRub(item.price) + " = " + formatRub(item.sum)),
    open,
    form,
    item.product_id !== null ? sellerButton(order, item) : null,
  );
}

function orderNode(order) {
  const received = order.received_on ? "получен " + formatDate(order.received_on) : null;
  return el(
    "article",
    { class: "account__card", dataset: { order: order.number } },
    el(
      "header",
      { class: "account__card-head" },
      el("strong", {}, "Заказ " + order.number),
      el("span", { class: "account__status account__status--" + order.status.code }, order.status.title),
    ),
    el("p", { class: "account__muted" }, ["от " + formatDate(order.created_at), order.delivery_type.title, received, formatRub(order.total)].filter(Boolean).join(" · ")),
    order.items.length
      ? el("ul", { class: "account__items" }, order.items.map((item) => itemNode(order, item)))
      : el("p", { class: "account__muted" }, "Состав заказа не передан."),
    order.returns.length ? el("p", { class: "account__muted" }, "Заявки на возврат: " + order.returns.join(", ")) : null,
  );
}

function renderOrders(target) {
  return api("GET", "/api/v1/me/orders").then((data) => {
    if (!data.orders.length) return clear(target, el("p", { class: "account__muted" }, "Заказов пока нет."));
    clear(target, data.orders.map(orderNode));
  });
}

// ---------------------------------------------------------------- the panel
function show(tab) {
  current = tab;
  for (const button of document.querySelectorAll("#account-tabs [data-tab]")) {
    const on = button.dataset.tab === tab;
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.classList.toggle("account__tab--on", on);
  }
  const target = body();
  clear(target, el("p", { class: "account__muted" }, "Загружаем…"));
  TABS[tab](target, api).catch((error) => clear(target, el("p", { class: "account__note account__note--error", role: "alert" }, error.message)));
}

// a link may open a screen: /#account, /#account/withdraw (the bot's «вывести деньги»)
function tabOfHash() {
  const found = /^#account(?:\/(\w+))?$/.exec(location.hash);
  if (!found) return null;
  return Object.hasOwn(TABS, found[1] || "") ? found[1] : "orders";
}

function openFromHash() {
  const tab = tabOfHash();
  if (!tab) return;
  if ($("account-open").hidden) {
    // a visitor: the login comes first, then the screen opens by itself (showAccount)
    $("login").hidden = false;
    $("login-note").textContent = "Войдите по номеру телефона, чтобы открыть личный кабинет.";
    return;
  }
  $("account").hidden = false;
  show(tab);
  $("account").scrollIntoView();
}

export function wireAccount(request) {
  api = request;
  window.addEventListener("hashchange", openFromHash);
  $("account-open").addEventListener("click", () => {
    const panel = $("account");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) show(current);
  });
  $("account-tabs").addEventListener("click", (event) => {
    const button = event.target.closest("[data-tab]");
    if (button) show(button.dataset.tab);
  });
}

export function showAccount(customer) {
  $("account-open").hidden = !customer;
  if (customer) return openFromHash();
  $("account").hidden = true;
  clear(body());
  current = "orders";
}
