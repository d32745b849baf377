// What the console's modules share: the page's state, the status line under the composer, the
// titles of topics, lines and senders.
import { $ } from "./common.js";

export const state = {
  me: null,
  lines: [],
  queue: new Map(), // line → {items, total} (the first page of the line's queue)
  mine: [],
  current: null, // conversation view
  sending: false, // a send of the composer is on its way
  guardRefused: false, // the guard refuses what the composer holds
  messages: [],
  lastSeq: 0,
  lastHintText: null, // the customer's text the hint strip was found for
  hints: [],
  customerId: null,
  card: null,
  newsFilter: "all",
  hintTree: [],
  socket: null,
};

export function setStatus(text) {
  $("composer-status").textContent = text || "";
}

// topic titles by slug, filled from GET /api/v1/hints/topics; until then a slug stays a slug
export const topics = {};

export function topicTitle(slug) {
  return slug ? topics[slug] || slug : "";
}

export const LINE_TITLES = { general: "Общая линия", travel_priority: "Приоритетная линия Travel", seller: "Поддержка продавцов" };

export const SENDER_TITLES = { customer: "Клиент", visitor: "Посетитель", bot: "Бот", operator: "Оператор", system: "Система" };

// the titles of marketdesk.domain.tasks.TASK_STATUS_TITLES_RU
export const TASK_STATUS = { new: "Новая", in_progress: "В работе", waiting: "Ожидает ответа", done: "Выполнена", rejected: "Отклонена" };

export function who(conversation) {
  if (conversation.customer_id) return "Клиент " + conversation.customer_id;
  return "Посетитель";
}

// is the open conversation the operator's own
export function isMine(conversation) {
  return String(conversation.assigned_operator_id) === String(state.me && state.me.id);
}
