// The open conversation: its head (title, state, actions), opening one, the actions (take,
// resolve, close, transfer) and the colleagues to transfer to.
import { openCustomer } from "./card.js";
import { $, api, clear, el } from "./common.js";
import { channelTitle, loadDeliveries } from "./deliveries.js";
import { syncSend } from "./composer.js";
import { updateHints } from "./hints.js";
import { openNewTask } from "./new_task.js";
import { renderMine, renderQueue, refreshLists, take } from "./queue.js";
import { showGuard } from "./refusal.js";
import { slaBadge } from "./sla.js";
import { isMine, setStatus, state, topicTitle, who } from "./state.js";
import { addMessages, renderTranscript } from "./transcript.js";

const NOTE_ONLY = "Писать клиенту можно после того, как вы возьмёте диалог; сейчас — только заметка.";

function canWrite() {
  const c = state.current;
  if (!c || !state.me) return false;
  if (c.status === "closed") return false;
  return isMine(c);
}

function metaText(c) {
  const parts = [c.status_title, c.line_title];
  if (channelTitle(c)) parts.push(channelTitle(c));
  if (c.topic) parts.push("тема: " + topicTitle(c.topic));
  if (c.ticket_number) parts.push("обращение " + c.ticket_number);
  if (c.seller_topic) parts.push(c.seller_topic + " / " + (c.seller_subtopic || ""));
  return parts.join(" · ");
}

// a conversation the operator may not answer still takes a private note
function syncComposer(c) {
  const writable = canWrite();
  const noteable = c.status !== "closed";
  $("composer-text").disabled = !noteable;
  syncSend();
  if (!writable && noteable) {
    $("private-note").checked = true;
    $("private-note").disabled = true;
    setStatus(NOTE_ONLY);
  } else {
    $("private-note").disabled = false;
    if (writable && $("composer-status").textContent.startsWith("Писать клиенту")) setStatus("");
  }
}

export function renderHeader() {
  const c = state.current;
  if (!c) return;
  $("conv-title").textContent = "№ " + c.id + " · " + who(c);
  const meta = metaText(c);
  $("conv-meta").textContent = meta;
  $("conv-meta").title = meta;
  clear($("conv-sla"), slaBadge(c));
  $("conv-actions").hidden = false;
  $("take").hidden = c.status !== "queued";
  $("resolve").hidden = !(c.status === "assigned" && isMine(c));
  $("close").hidden = c.status === "closed";
  $("conv-new-task").hidden = c.status === "closed";
  syncComposer(c);
}

// another conversation: the transcript, the composer and the refusal start empty
function switchTo(view) {
  const switching = !state.current || state.current.id !== view.id;
  state.current = view;
  if (switching) {
    state.messages = [];
    state.lastSeq = 0;
    state.lastHintText = null;
    $("composer-text").value = "";
    $("private-note").checked = false;
    showGuard(null);
  }
  return switching;
}

function showCustomerOf(view) {
  if (view.customer_id) {
    // the same customer in another conversation: the card again, for its identity check
    if (state.customerId !== view.customer_id || state.cardConversationId !== view.id) openCustomer(view.customer_id);
    state.cardConversationId = view.id;
    return;
  }
  state.customerId = null;
  clear($("customer-card"), el("p", { class: "muted" }, "Посетитель не вошёл в аккаунт: карточки клиента нет."));
}

export async function openConversation(id, queueItem) {
  try {
    const view = await api("GET", "/api/v1/conversations/" + id);
    const switching = switchTo(view);
    renderHeader();
    const data = await api("GET", "/api/v1/conversations/" + id + "/messages?after_seq=" + state.lastSeq);
    addMessages(data.messages);
    if (switching) renderTranscript();
    if (switching) loadDeliveries();
    renderQueue();
    renderMine();
    showCustomerOf(view);
    if (queueItem === undefined) updateHints();
  } catch (e) {
    setStatus(e.message);
  }
}

export async function fetchNewMessages() {
  if (!state.current) return;
  const id = state.current.id;
  const data = await api("GET", "/api/v1/conversations/" + id + "/messages?after_seq=" + state.lastSeq);
  if (state.current && state.current.id === id) addMessages(data.messages);
}

async function conversationAction(action, body) {
  const c = state.current;
  if (!c) return;
  try {
    state.current = await api("POST", "/api/v1/conversations/" + c.id + "/" + action, body);
    renderHeader();
    await fetchNewMessages();
    refreshLists();
  } catch (e) {
    setStatus(e.message);
  }
}

function transfer() {
  const target = $("transfer-line").value;
  if (!target) {
    setStatus("Выберите линию или коллегу, кому передать диалог.");
    $("transfer-line").focus();
    return;
  }
  if (target === "product-seller") {
    // support brings the seller of the product open in the product tab into the case
    const seller = $("product-card").dataset.sellerId;
    if (!seller) {
      setStatus("Откройте карточку товара: диалог передаётся его продавцу.");
      return;
    }
    conversationAction("seller", { seller_id: Number(seller) });
  } else if (target.startsWith("op:")) {
    conversationAction("transfer", { to_operator_id: Number(target.slice(3)) });
  } else {
    conversationAction("transfer", { to_line: target });
  }
}

// the customer's order the conversation speaks of: the last one of theirs the customer named
function mentionedOrder(c) {
  if (!c.customer_id) return undefined;
  const own = new RegExp("(?:^|\\D)(" + c.customer_id + "-\\d{4})(?!\\d)", "g");
  for (const m of [...state.messages].reverse()) {
    if (m.sender_kind !== "customer" || !m.text) continue;
    const found = [...m.text.matchAll(own)];
    if (found.length) return found[found.length - 1][1];
  }
  return undefined;
}

// «Создать задачу» in the head: the customer, the conversation, the order they named and the
// product open in the product tab
function newTaskFromConversation() {
  const c = state.current;
  if (!c) return;
  const product = $("product-card").dataset.productId;
  openNewTask({ customer_id: c.customer_id || undefined, conversation_id: c.id, order_number: mentionedOrder(c), product_id: product || undefined });
}

export function wireConversation() {
  $("conv-new-task").addEventListener("click", newTaskFromConversation);
  $("take").addEventListener("click", () => state.current && take(state.current.id));
  $("resolve").addEventListener("click", () => conversationAction("resolve"));
  $("close").addEventListener("click", () => {
    if (confirm("Закрыть диалог? Клиент сможет написать только в новом диалоге.")) conversationAction("close");
  });
  $("transfer").addEventListener("click", transfer);
}

function colleagueOption(op) {
  const presence = op.available ? " · на связи" : " · не на связи";
  return el("option", { value: "op:" + op.id }, op.name + presence + " · " + op.chats + "/" + op.capacity);
}

// colleagues who serve chat lines, as transfer targets next to the lines
export async function loadColleagues() {
  try {
    const data = await api("GET", "/api/v1/operators");
    const others = data.operators.filter((op) => !(state.me && String(op.id) === String(state.me.id)));
    if (others.length) $("transfer-line").append(el("optgroup", { label: "Коллеге" }, others.map(colleagueOption)));
  } catch (e) {
    setStatus(e.message);
  }
}
