// The transcript of the open conversation: messages in seq order, bot tags, private notes and
// attachments (downloaded with the tab's token).
import { $, clear, el, request, saveBlob, time } from "./common.js";
import { deliveryMark } from "./deliveries.js";
import { updateHints } from "./hints.js";
import { SENDER_TITLES, setStatus, state, topicTitle } from "./state.js";

const BOT_ACTIONS = { answer: "ответ", handoff: "передача оператору", refuse: "отказ" };

async function openAttachment(attachment, name) {
  try {
    const response = await request("GET", "/api/v1/attachments/" + encodeURIComponent(attachment.id));
    saveBlob(await response.blob(), name);
  } catch (e) {
    setStatus("Не удалось открыть файл.");
  }
}

function attachmentNode(attachment) {
  const name = String(attachment.filename || "файл");
  return el(
    "button",
    { type: "button", class: "attachment link", title: "Открыть файл", onclick: () => openAttachment(attachment, name) },
    "📎 ",
    name,
  );
}

function messageTags(m) {
  const tags = [];
  if (m.sender_kind === "bot") {
    tags.push(el("span", { class: "tag bot-tag" }, "Ответ бота"));
    if (m.bot && m.bot.action) {
      const action = BOT_ACTIONS[m.bot.action] || m.bot.action;
      tags.push(el("span", { class: "tag" }, action + (m.bot.topic ? " · " + topicTitle(m.bot.topic) : "")));
    }
  }
  if (m.private) tags.push(el("span", { class: "tag note-tag" }, "Заметка — клиент не видит"));
  const delivery = deliveryMark(m);
  if (delivery) tags.push(delivery);
  return tags;
}

function messageNode(m) {
  const kind = m.sender_kind;
  if (kind === "system") {
    return el("div", { class: "msg system", dataset: { seq: m.seq } }, el("span", { class: "msg-text" }, m.text), deliveryMark(m), el("time", {}, time(m.created_at)));
  }
  const classes = ["msg", kind];
  if (m.private) classes.push("note");
  let label = SENDER_TITLES[kind] || kind;
  if (kind === "operator" && m.sender_name) label = m.sender_name;
  return el(
    "div",
    { class: classes.join(" "), dataset: { seq: m.seq } },
    el("div", { class: "msg-head" }, el("strong", {}, label), messageTags(m), el("time", {}, time(m.created_at))),
    el("div", { class: "msg-text" }, m.text),
    (m.attachments || []).length ? el("div", { class: "attachments" }, m.attachments.map(attachmentNode)) : null,
  );
}

export function renderTranscript() {
  const box = $("transcript");
  clear(box, state.messages.map(messageNode));
  box.scrollTop = box.scrollHeight;
}

// adds the messages not shown yet (by seq) and finds hints for the customer's last one
export function addMessages(messages) {
  let added = false;
  for (const m of messages) {
    if (state.messages.some((x) => x.seq === m.seq)) continue;
    state.messages.push(m);
    added = true;
  }
  if (!added) return;
  state.messages.sort((a, b) => a.seq - b.seq);
  state.lastSeq = Math.max(state.lastSeq, ...state.messages.map((m) => m.seq));
  renderTranscript();
  updateHints();
}
