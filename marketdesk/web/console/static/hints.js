// Hints: the strip of three above the composer for the customer's last message (ranked in the
// conversation's context), and the hints tab (browse section → situation, or search).
import { $, api, clear, el, errorText } from "./common.js";
import { insertText } from "./composer.js";
import { state } from "./state.js";

function lastCustomerText() {
  for (let i = state.messages.length - 1; i >= 0; i -= 1) {
    const m = state.messages[i];
    if ((m.sender_kind === "customer" || m.sender_kind === "visitor") && m.text.trim()) return m.text;
  }
  return null;
}

// a hint; with an index it is one of the strip's (compact, Alt+1…3)
function hintCard(hint, index) {
  const compact = index !== undefined;
  const where = hint.section ? hint.section + " → " + hint.situation : "";
  return el(
    "div",
    { class: "hint-card" + (compact ? " compact" : ""), title: compact ? [where, hint.internal_note].filter(Boolean).join("\n\n") || null : null },
    el("div", { class: "hint-title" }, el("strong", {}, hint.title)),
    where && !compact ? el("div", { class: "muted small" }, where) : null,
    el("div", { class: "hint-body" }, hint.body),
    hint.internal_note && !compact ? el("details", {}, el("summary", {}, "Для оператора"), el("p", { class: "small" }, hint.internal_note)) : null,
    el(
      "button",
      { type: "button", class: "insert", onclick: () => insertText(hint.body), title: compact ? "Alt+" + (index + 1) : null },
      compact ? "Вставить (Alt+" + (index + 1) + ")" : "Вставить в ответ",
    ),
  );
}

function stripNote(text) {
  clear($("hint-cards"), el("p", { class: "muted small" }, text));
}

export async function updateHints() {
  const text = lastCustomerText();
  if (text === state.lastHintText) return;
  state.lastHintText = text;
  if (!text) {
    state.hints = [];
    stripNote("Клиент ещё ничего не написал.");
    return;
  }
  try {
    // ranked in the case's context: its topic and earlier messages, the card's facts
    const query = { text: text.slice(0, 2000), limit: 3 };
    if (state.current) query.conversation_id = state.current.id;
    if (state.customerId) query.customer_id = state.customerId;
    const data = await api("POST", "/api/v1/hints", query);
    state.hints = data.hints;
    if (!data.hints.length) {
      stripNote("Подходящих подсказок нет — найдите во вкладке «Подсказки».");
      return;
    }
    clear($("hint-cards"), data.hints.map((h, i) => hintCard(h, i)));
  } catch (e) {
    errorText($("hint-cards"), e);
  }
}

export function showHintsPlaceholder() {
  stripNote("Откройте диалог — здесь появятся подсказки.");
}

export async function loadHintTree() {
  try {
    const data = await api("GET", "/api/v1/hints/tree");
    state.hintTree = data.sections;
    clear($("hint-section"), el("option", { value: "" }, "Выберите…"), data.sections.map((s, i) => el("option", { value: String(i) }, s.title)));
  } catch (e) {
    errorText($("hint-results"), e);
  }
}

function showResults(hints) {
  clear($("hint-results"), hints.map((h) => hintCard(h)));
}

function chooseSection() {
  const section = state.hintTree[Number($("hint-section").value)];
  const select = $("hint-situation");
  if (!section || $("hint-section").value === "") {
    select.disabled = true;
    clear(select, el("option", { value: "" }, "Выберите…"));
    clear($("hint-results"));
    return;
  }
  select.disabled = false;
  clear(select, el("option", { value: "" }, "Выберите…"), section.situations.map((s, i) => el("option", { value: String(i) }, s.title)));
  showResults(section.situations.flatMap((s) => s.hints));
}

function chooseSituation() {
  const section = state.hintTree[Number($("hint-section").value)];
  const situation = section && section.situations[Number($("hint-situation").value)];
  if (situation) showResults(situation.hints);
}

async function searchHints(event) {
  event.preventDefault();
  const q = $("hints-q").value.trim();
  if (!q) return;
  try {
    const data = await api("POST", "/api/v1/hints", { text: q.slice(0, 2000), limit: 10 });
    if (data.hints.length) showResults(data.hints);
    else clear($("hint-results"), el("p", { class: "muted" }, "Ничего не найдено."));
  } catch (e) {
    errorText($("hint-results"), e);
  }
}

export function wireHints() {
  $("hint-section").addEventListener("change", chooseSection);
  $("hint-situation").addEventListener("change", chooseSituation);
  $("hints-form").addEventListener("submit", searchHints);
}
