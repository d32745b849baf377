// The card's «Коммуникации» tab: the customer's conversations across lines and channels (one the
// operator may read opens in the console) and the notifications sent to them (the delivery log:
// type, channel, sender, template, status and times — never the text or a code it carried).
import { $, api, clear, dateTimeShort, el, errorText } from "./common.js";
import { openConversation } from "./conversation.js";

// the titles of marketdesk.domain.notifications (CATALOGUE, CHANNEL_TITLES_RU, the statuses)
const NOTIFICATION_TYPES = {
  orders: "Уведомления по заказам",
  goods: "Уведомления по товарам",
  marketing: "Маркетинговые рассылки",
  reviews: "Новые отзывы о товаре",
  account: "Уведомления о регистрационных данных",
  service_rating: "Оценка сервиса",
};
const NOTIFICATION_CHANNELS = { sms: "SMS", push: "Push-уведомления", center: "Центр нотификаций", email: "Email", vk: "ВКонтакте", ok: "Одноклассники" };
const NOTIFICATION_STATUSES = { queued: "В очереди", sent: "Отправлено", delivered: "Доставлено", failed: "Не доставлено", expired: "Устарело, не отправлялось" };

function conversationNode(c) {
  const title = "№ " + c.id + " · " + c.line.title + " · " + c.channel.title;
  const head = c.readable
    ? el("button", { type: "button", class: "link comm-open", "data-conversation": String(c.id), onclick: () => openConversation(c.id) }, title)
    : el("span", { title: "Диалог линии, которую вы не обслуживаете" }, title);
  const facts = [c.status.title, "начат " + dateTimeShort(c.created_at), "записей: " + c.entries];
  if (c.ticket_number) facts.push("обращение " + c.ticket_number);
  if (c.rating) facts.push("оценка " + c.rating);
  return el("li", { class: "comm-conversation" }, head, el("div", { class: "small muted" }, facts.join(" · ")));
}

function statusTimes(n) {
  const times = [];
  if (n.sent_at) times.push("отправлено " + dateTimeShort(n.sent_at));
  if (n.delivered_at) times.push("доставлено " + dateTimeShort(n.delivered_at));
  if (n.failed_at) times.push("ошибка " + dateTimeShort(n.failed_at));
  if (!times.length && n.next_attempt_at) times.push("следующая попытка " + dateTimeShort(n.next_attempt_at));
  return times.join(" · ");
}

function notificationNode(n) {
  const status = NOTIFICATION_STATUSES[n.status] || n.status;
  return el(
    "li",
    { class: "comm-notification" },
    el("strong", {}, NOTIFICATION_TYPES[n.type] || n.type),
    " · " + (NOTIFICATION_CHANNELS[n.channel] || n.channel) + " · ",
    el("span", { class: "tag" + (n.status === "failed" ? " ban" : "") }, status),
    el("div", { class: "small" }, dateTimeShort(n.created_at) + " · " + (n.sender ? "от " + n.sender + " · " : "") + "кому " + n.address + " · шаблон " + n.template),
    el("div", { class: "small muted" }, [statusTimes(n), n.attempts > 1 ? "попыток: " + n.attempts : "", n.error ? "причина: " + n.error : ""].filter(Boolean).join(" · ")),
  );
}

async function loadConversations(customerId, box) {
  try {
    const page = await api("GET", "/api/v1/customers/" + customerId + "/conversations?limit=50");
    const more = page.total > page.conversations.length ? el("p", { class: "small muted" }, "Показаны последние " + page.conversations.length + " из " + page.total + ".") : null;
    clear(box, page.conversations.length ? el("ul", { id: "comm-conversations", class: "plain" }, page.conversations.map(conversationNode)) : el("p", { class: "muted" }, "Диалогов нет."), more);
  } catch (e) {
    errorText(box, e);
  }
}

async function loadNotifications(customerId, box) {
  try {
    const log = await api("GET", "/api/v1/customers/" + customerId + "/notifications?limit=50");
    clear(box, log.notifications.length ? el("ul", { id: "comm-notifications", class: "plain" }, log.notifications.map(notificationNode)) : el("p", { class: "muted" }, "Уведомлений клиенту не отправлялось."));
  } catch (e) {
    errorText(box, e);
  }
}

// the tab's content, read when it is first shown
export function communicationsPanel(card) {
  const conversations = el("div", {}, el("p", { class: "muted" }, "Загрузка…"));
  const notifications = el("div", {}, el("p", { class: "muted" }, "Загрузка…"));
  const panel = el(
    "div",
    { id: "card-comms", role: "tabpanel", "aria-labelledby": "card-tab-comms", hidden: true },
    el("section", { class: "block" }, el("h4", {}, "Диалоги"), conversations),
    el("section", { class: "block" }, el("h4", {}, "Уведомления"), notifications),
  );
  let loaded = false;
  panel.load = () => {
    if (loaded) return;
    loaded = true;
    loadConversations(card.id, conversations);
    loadNotifications(card.id, notifications);
  };
  return panel;
}

// «Карточка» | «Коммуникации» above the card's content
export function cardTabs(main, comms) {
  const select = (showComms) => {
    main.hidden = showComms;
    comms.hidden = !showComms;
    $("card-tab-main").setAttribute("aria-selected", String(!showComms));
    $("card-tab-comms").setAttribute("aria-selected", String(showComms));
    if (showComms) comms.load();
  };
  return el(
    "div",
    { class: "card-tabs", role: "tablist" },
    el("button", { type: "button", role: "tab", id: "card-tab-main", "aria-selected": "true", onclick: () => select(false) }, "Карточка"),
    el("button", { type: "button", role: "tab", id: "card-tab-comms", "aria-selected": "false", onclick: () => select(true) }, "Коммуникации"),
  );
}
