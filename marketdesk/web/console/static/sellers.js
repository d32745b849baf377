// The seller's workspace (/console/sellers), the tab «Покупатели» (seed 001, issue 14): the
// buyers' dialogues of the sellers this account answers for, with unread counts; a dialogue's
// messages, the answer (through the chat's one door: POST …/messages, refused with the
// guard's message when it carries contacts) and «Передать в поддержку». The list and the open
// dialogue are read again every few seconds.
import { $, api, clear, dateTime, el, newId, token, toLogin } from "./common.js";

const REFRESH_MS = 3000;
const WHO = { customer: "Покупатель", visitor: "Покупатель", bot: "Бот", operator: "Продавец", system: "" };
let openId = null;
let lastSeq = 0;
let refreshing = false;

function showError(text) {
  $("buyer-error").textContent = text || "";
  $("buyer-error").hidden = !text;
}

function subjectOf(dialogue) {
  const parts = [];
  if (dialogue.product_id) parts.push("товар " + dialogue.product_id);
  if (dialogue.order_number) parts.push("заказ " + dialogue.order_number);
  if (dialogue.line !== "seller_chat") parts.push("передан в поддержку");
  return parts.join(" · ");
}

function itemNode(dialogue) {
  const button = el(
    "button",
    { type: "button", class: "sellers__item" + (dialogue.id === openId ? " sellers__item--on" : ""), dataset: { dialogue: dialogue.id } },
    el(
      "span",
      { class: "sellers__item-head" },
      el("strong", {}, dialogue.title),
      dialogue.unread ? el("span", { class: "sellers__badge", "aria-label": "непрочитанных: " + dialogue.unread }, String(dialogue.unread)) : null,
    ),
    el("span", { class: "muted small" }, subjectOf(dialogue)),
    el("span", { class: "sellers__last" }, dialogue.last_text || ""),
  );
  button.addEventListener("click", () => open(dialogue));
  return el("li", {}, button);
}

async function loadList() {
  const hub = await api("GET", "/api/v1/seller/dialogues");
  clear($("buyers"), hub.buyers.map(itemNode));
  $("buyers-status").textContent = hub.buyers.length ? "" : "Покупатели вам пока не писали.";
  $("buyers-unread").textContent = hub.unread ? "непрочитанных: " + hub.unread : "";
  $("buyers-unread").hidden = !hub.unread;
  return hub;
}

function messageNode(message) {
  const mine = message.sender_kind === "operator";
  const kind = message.sender_kind === "system" ? " sellers__msg--system" : mine ? " sellers__msg--mine" : "";
  const who = WHO[message.sender_kind];
  return el(
    "li",
    { class: "sellers__msg" + kind, dataset: { seq: message.seq } },
    who ? el("span", { class: "sellers__who" }, who + " · " + dateTime(message.created_at)) : null,
    el("span", {}, message.text),
  );
}

async function loadMessages() {
  if (openId === null) return;
  const id = openId;
  const data = await api("GET", "/api/v1/conversations/" + id + "/messages?after_seq=" + lastSeq);
  if (id !== openId) return;
  const fresh = data.messages.filter((m) => !m.private && m.seq > lastSeq);
  for (const message of fresh) $("buyer-messages").append(messageNode(message));
  if (fresh.length) {
    lastSeq = fresh[fresh.length - 1].seq;
    $("buyer-messages").scrollTop = $("buyer-messages").scrollHeight;
    await api("POST", "/api/v1/seller/dialogues/" + id + "/read", { seq: lastSeq });
  }
}

async function open(dialogue) {
  openId = dialogue.id;
  lastSeq = 0;
  showError("");
  clear($("buyer-messages"));
  $("buyer-chat").hidden = false;
  $("buyer-title").textContent = dialogue.title;
  $("buyer-subject").textContent = subjectOf(dialogue);
  const ours = dialogue.line === "seller_chat";
  $("to-support").hidden = !ours;
  $("buyer-text").disabled = !ours;
  $("buyer-send").disabled = !ours;
  await loadMessages();
  await loadList();
}

async function reply(text) {
  const id = openId;
  try {
    await api("POST", "/api/v1/conversations/" + id + "/messages", { client_msg_id: newId(), text });
    $("buyer-text").value = "";
    showError("");
    await loadMessages();
  } catch (error) {
    showError(error.message);
  }
}

async function toSupport() {
  try {
    await api("POST", "/api/v1/seller/dialogues/" + openId + "/to-support");
    const hub = await loadList();
    const dialogue = hub.buyers.find((d) => d.id === openId);
    if (dialogue) await open(dialogue);
  } catch (error) {
    showError(error.message);
  }
}

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    await loadMessages();
    await loadList();
  } catch (error) {
    $("buyers-status").textContent = error.message;
  } finally {
    refreshing = false;
  }
}

function start() {
  if (!token()) return toLogin();
  $("buyer-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("buyer-text").value;
    if (text.trim()) reply(text);
  });
  $("buyer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("buyer-composer").requestSubmit();
    }
  });
  $("to-support").addEventListener("click", toSupport);
  loadList().catch((error) => ($("buyers-status").textContent = error.message));
  setInterval(refresh, REFRESH_MS);
}

start();
