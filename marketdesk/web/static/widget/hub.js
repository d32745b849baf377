// «Сообщения» in the widget (issue 14, item 1; seed 001, «Ozon Chat»): every dialogue of the
// logged-in customer, on any device, in the tabs «Поддержка» and «Продавцы» with their unread
// counts; a dialogue opens in the widget's chat. «Написать продавцу» (from an order here, or
// from a product card of the site by the link /#seller/product/<id>) opens the dialogue with
// the seller. /messages is the same page with the hub open. Texts go in with textContent (el).
import { $, clear, el } from "/static/shared/helpers.js";

const REFRESH_MS = 15000;
const TABS = { support: "Поддержка", sellers: "Продавцы" };
let api = null;
let openConversation = null;
let current = "support";
let timer = null;
let customer = false;

function countNode(n) {
  return n ? el("span", { class: "hub__count", "aria-label": "непрочитанных: " + n }, String(n)) : null;
}

function dialogueNode(dialogue) {
  const subject = [dialogue.product_id ? "товар " + dialogue.product_id : null, dialogue.order_number ? "заказ " + dialogue.order_number : null]
    .filter(Boolean)
    .join(" · ");
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "hub__item", dataset: { dialogue: dialogue.id }, onclick: () => open(dialogue.id) },
      el("span", { class: "hub__item-head" }, el("strong", {}, dialogue.title), countNode(dialogue.unread)),
      subject ? el("span", { class: "hub__muted" }, subject) : null,
      el("span", { class: "hub__last" }, dialogue.last_text || ""),
    ),
  );
}

function renderTabs(hub) {
  for (const button of document.querySelectorAll("#hub-tabs [data-tab]")) {
    const tab = button.dataset.tab;
    const on = tab === current;
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.classList.toggle("hub__tab--on", on);
    clear(button, TABS[tab], countNode(tab === "support" ? hub.unread_support : hub.unread_sellers));
  }
}

function render(hub) {
  renderTabs(hub);
  const list = hub[current];
  const empty = el("li", { class: "hub__muted" }, current === "sellers" ? "Вы ещё не писали продавцам: кнопка «Написать продавцу» есть у товаров в заказах." : "Диалогов с поддержкой пока нет.");
  const ask = current === "support" ? el("li", {}, el("button", { type: "button", class: "link", id: "hub-new", onclick: () => open(null) }, "Новый вопрос в поддержку")) : null;
  clear($("hub-list"), list.length ? list.map(dialogueNode) : empty, ask);
  const total = hub.unread_support + hub.unread_sellers;
  $("hub-count").textContent = String(total);
  $("hub-count").hidden = !total;
}

export function refreshHub() {
  if (!customer) return Promise.resolve();
  return api("GET", "/api/v1/me/dialogues")
    .then(render)
    .catch((error) => clear($("hub-list"), el("li", { class: "hub__muted", role: "alert" }, error.message)));
}

function open(id) {
  $("hub").hidden = true;
  openConversation(id);
  if (id !== null) markRead(id, 2147483647);
}

// the customer has seen the dialogue up to seq (the server keeps the mark at its last message)
export function markRead(id, seq) {
  if (!customer || !id) return;
  api("POST", "/api/v1/me/dialogues/" + encodeURIComponent(id) + "/read", { seq }).then(refreshHub, () => {});
}

// «Написать продавцу»: the dialogue with the seller of a product or an order (the same one
// again while it is open); a refusal (Retail goods: support answers them) comes back as text
export function writeToSeller(subject) {
  return api("POST", "/api/v1/me/seller-chats", subject).then((view) => {
    $("hub").hidden = true;
    $("account").hidden = true;
    openConversation(view.id);
    refreshHub();
    return view;
  });
}

function showPanel(tab) {
  if (tab) current = tab;
  $("hub").hidden = false;
  refreshHub();
}

// /#messages, /#messages/sellers, /#seller/product/<id>, /#seller/order/<number>
function openFromHash() {
  const hub = /^#messages(?:\/(support|sellers))?$/.exec(location.hash);
  const seller = /^#seller\/(product|order)\/([\w-]{1,32})$/.exec(location.hash);
  if (!hub && !seller && document.body.dataset.page !== "messages") return;
  if (!customer) {
    $("login").hidden = false;
    $("login-note").textContent = "Войдите по номеру телефона, чтобы открыть сообщения.";
    return;
  }
  if (seller) {
    const subject = seller[1] === "product" ? { product_id: Number(seller[2]) } : { order_number: seller[2] };
    history.replaceState(null, "", location.pathname);
    writeToSeller(subject).catch((error) => {
      $("error").textContent = error.message;
      $("error").hidden = false;
    });
    return;
  }
  showPanel(hub ? hub[1] : null);
}

export function wireHub(request, opener) {
  api = request;
  openConversation = opener;
  window.addEventListener("hashchange", openFromHash);
  $("hub-open").addEventListener("click", () => {
    if ($("hub").hidden) showPanel();
    else $("hub").hidden = true;
  });
  $("hub-tabs").addEventListener("click", (event) => {
    const button = event.target.closest("[data-tab]");
    if (!button) return;
    current = button.dataset.tab;
    refreshHub();
  });
}

export function showHub(isCustomer) {
  customer = isCustomer;
  $("hub-open").hidden = !customer;
  clearInterval(timer);
  if (!customer) {
    $("hub").hidden = true;
    clear($("hub-list"));
    return openFromHash(); // a link to the hub asks a visitor to log in first
  }
  refreshHub();
  timer = setInterval(refreshHub, REFRESH_MS);
  openFromHash();
}
