// The composer: a reply to the customer or a private note, sent with an idempotency key;
// hints and the coupon-ban answer are inserted at the caret.
import { $, api, newId } from "./common.js";
import { renderHeader } from "./conversation.js";
import { checkGuard, showGuard } from "./refusal.js";
import { setStatus, state } from "./state.js";
import { addMessages } from "./transcript.js";

// «Отправить» is off while there is nothing to send to, a send is on its way, or the guard
// refuses the text (the server refuses it too; the button says so before the click)
export function syncSend() {
  const c = state.current;
  $("send").disabled = !c || c.status === "closed" || state.sending || state.guardRefused;
}

export function insertText(text) {
  const box = $("composer-text");
  if (box.disabled) {
    setStatus("Сначала откройте диалог.");
    return;
  }
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.focus();
  const caret = start + text.length;
  box.setSelectionRange(caret, caret);
  checkGuard();
}

function sent(message, text, isPrivate) {
  const box = $("composer-text");
  if (box.value === text) box.value = ""; // not what the operator typed since
  showGuard(null);
  setStatus(isPrivate ? "Заметка сохранена." : "Отправлено.");
  addMessages([message]);
  if (message.conversation) {
    state.current = message.conversation;
    renderHeader();
  }
}

function refused(error) {
  if (error.code === "privacy_violation") {
    showGuard({ ok: false, violations: error.data.violations || [{ message: error.message, fragment: "" }] });
    setStatus("Сообщение не отправлено.");
  } else {
    setStatus(error.message);
  }
}

async function send() {
  const c = state.current;
  const text = $("composer-text").value;
  if (!c || !text.trim() || state.sending) return;
  const isPrivate = $("private-note").checked;
  if (state.guardRefused && !isPrivate) {
    setStatus("Сообщение не отправлено: уберите выделенные фрагменты.");
    return;
  }
  state.sending = true;
  syncSend();
  try {
    const body = { client_msg_id: newId(), text, private: isPrivate };
    sent(await api("POST", "/api/v1/console/conversations/" + c.id + "/messages", body), text, isPrivate);
  } catch (e) {
    refused(e);
  } finally {
    state.sending = false;
    syncSend();
  }
}

export function wireComposer() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
}
