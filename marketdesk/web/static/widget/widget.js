// The customer chat widget (an ES module): plain JavaScript, no libraries; the DOM and fetch
// helpers are the ones the console uses too (/static/shared/helpers.js). Every text from the
// server or the user is put into the page with textContent, never as HTML. The socket protocol
// is described in docs/protocol.md.
import { $, el, fetchResponse, newId, refusal, saveBlob } from "/static/shared/helpers.js";
import { resetSurvey, surveyHidden, wireSurvey } from "./survey.js";
import { onNotificationFrame, showCentre, wireCentre } from "./notifications.js";
import { showSettings, wireSettings } from "./settings.js";
import { showPush, wirePush } from "./push.js";
import { showAccount, wireAccount } from "./account.js";
import { markRead, showHub, wireHub } from "./hub.js";
import { onSecurityFrame, showSecurity, wireSecurity } from "./security.js";

const root = $("chat");
const MAX_BYTES = Number(root.dataset.maxBytes);
const MAX_TEXT = Number(root.dataset.maxText);
const KEY = "marketdesk.widget";
const SENDERS = { customer: "Вы", visitor: "Вы", bot: "Бот поддержки", operator: "Оператор", system: "" };

const list = $("messages");
const state = load();
let socket = null;
let retry = 0;
let pending = {}; // client_msg_id -> {text}
let shown = {}; // message id -> element
let reconnectTimer = null;
let sellerChat = false; // the open dialogue is with a seller (line seller_chat)
let readTimer = null;
let readSeq = 0;

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || {};
  } catch (e) {
    return {};
  }
}
function save() {
  localStorage.setItem(KEY, JSON.stringify(state));
}

function showError(text) {
  $("error").textContent = text || "";
  $("error").hidden = !text;
}
function setStatus(text) {
  $("status").textContent = text;
}

// the API with the widget's token; a refusal raises ApiError with the server's message
async function api(method, path, body) {
  const response = await fetchResponse(method, path, { token: state.token, body });
  if (!response.ok) throw await refusal(response, "Ошибка сервера, попробуйте ещё раз.");
  return response.json().catch(() => ({}));
}

async function ensureToken() {
  if (state.token) return;
  const data = await api("POST", "/api/v1/visitors");
  state.token = data.token;
  state.kind = "visitor";
  save();
}

async function ensureConversation(line, extra) {
  if (state.conversationId) return;
  await openConversationWith(line, extra, null);
}

// a new conversation; with ``first`` ({client_msg_id, text}) it opens with that message, and
// the bot's answer comes back in the same response (one request for the first question)
async function openConversationWith(line, extra, first) {
  const body = { line: line || "general", ...(extra || {}) };
  if (first) body.first_message = first;
  opened(await api("POST", "/api/v1/conversations", body));
}

// a new visitor's first question: the visitor, its conversation and the bot's answer in one
// request (POST /api/v1/visitors with the conversation; nothing is made when it is refused)
async function arriveWith(line, first) {
  const data = await api("POST", "/api/v1/visitors", {
    conversation: { line: line || "general", first_message: first },
  });
  state.token = data.token;
  state.kind = "visitor";
  save();
  opened(data.conversation);
}

function opened(data) {
  state.conversationId = data.id;
  state.lastSeq = 0;
  save();
  applyConversation(data);
  if (data.first_message) {
    render(data.first_message);
    (data.first_message.replies || []).forEach(render);
  }
  connect();
}

// ---------------------------------------------------------------- rendering
function draftOf(clientId) {
  return document.querySelector('[data-client-id="' + CSS.escape(clientId) + '"]');
}

// a message the server sent replaces its pending draft (same client_msg_id)
function dropDraft(clientId) {
  if (!clientId || !pending[clientId]) return;
  const draft = draftOf(clientId);
  if (draft) draft.remove();
  delete pending[clientId];
}

function suggestionsNode(suggestions) {
  return el(
    "div",
    { class: "suggestions" },
    suggestions.map((s) => el("button", { type: "button", class: "suggestion", onclick: () => send(s.title) }, s.title)),
  );
}

function render(message) {
  if (message.private) return;
  dropDraft(message.client_msg_id);
  if (shown[message.id]) return;
  const mine = message.sender_kind === "customer" || message.sender_kind === "visitor";
  const item = bubble(message.sender_kind, mine, message.text);
  for (const file of message.attachments || []) item.append(attachmentNode(file));
  const suggestions = message.bot && message.bot.suggestions;
  if (suggestions && suggestions.length) item.append(suggestionsNode(suggestions));
  item.dataset.seq = message.seq;
  shown[message.id] = item;
  if (!mine) noteSeen(message.seq);
  list.append(item);
  list.scrollTop = list.scrollHeight;
  if (message.seq > (state.lastSeq || 0)) {
    state.lastSeq = message.seq;
    save();
  }
}

// what the customer has seen goes to the hub's unread counts, once the messages settle
function noteSeen(seq) {
  if (state.kind !== "customer" || document.hidden) return;
  readSeq = Math.max(readSeq, seq);
  clearTimeout(readTimer);
  readTimer = setTimeout(flushRead, 400);
}
function flushRead() {
  clearTimeout(readTimer);
  if (readSeq) markRead(state.conversationId, readSeq);
  readSeq = 0;
}

function bubble(kind, mine, text) {
  const who = sellerChat && kind === "operator" ? "Продавец" : SENDERS[kind];
  return el(
    "li",
    { class: "msg msg--" + kind + (mine ? " msg--mine" : "") },
    who && !mine ? el("span", { class: "msg__who" }, who) : null,
    el("span", { class: "msg__text" }, text),
  );
}

async function fetchFile(file) {
  const response = await fetchResponse("GET", "/api/v1/attachments/" + encodeURIComponent(file.id), { token: state.token });
  return response.blob();
}

function attachmentNode(file) {
  const link = el("a", { href: "#" }, "📎 " + file.filename);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    fetchFile(file).then((blob) => saveBlob(blob, file.filename), () => {});
  });
  const box = el("span", { class: "msg__file" }, link);
  if (/^image\//.test(file.content_type)) {
    const img = el("img", { alt: file.filename });
    fetchFile(file).then((blob) => (img.src = URL.createObjectURL(blob)), () => {});
    box.prepend(img);
  }
  return box;
}

function applyConversation(view) {
  const closed = view.status === "closed";
  sellerChat = view.line === "seller_chat";
  $("chat-title").textContent = sellerChat ? "Чат с продавцом" : "Чат с поддержкой";
  $("start").hidden = true;
  $("rating").hidden = surveyHidden(view);
  $("new-chat").hidden = !closed;
  $("handoff").hidden = view.status !== "bot" && view.status !== "resolved";
  $("text").disabled = closed;
  $("send").disabled = closed;
  let title = view.status_title || "";
  if (view.ticket_number) title += " · обращение " + view.ticket_number;
  setStatus(title);
  offerEscalation(view);
}

// «Обратиться к руководству» (seed 002): offered only once an answer is late; the view says
// when that will be (escalation_available_from), so the button appears then by itself
let escalationTimer = null;
function offerEscalation(view) {
  clearTimeout(escalationTimer);
  $("escalate").hidden = !view.escalation_available;
  if (view.escalation_available || !view.escalation_available_from) return;
  const wait = new Date(view.escalation_available_from).getTime() - Date.now() + 1000;
  if (wait > 0 && wait < 2 ** 31 - 1) {
    escalationTimer = setTimeout(() => {
      api("GET", "/api/v1/conversations/" + view.id).then(applyConversation).catch(() => {});
    }, wait);
  }
}

// ---------------------------------------------------------------- the socket
function refused(frame) {
  if (frame.client_msg_id && pending[frame.client_msg_id]) {
    const failed = draftOf(frame.client_msg_id);
    if (failed) failed.remove();
    delete pending[frame.client_msg_id];
  }
  if (frame.code === "conversation_not_found" || frame.code === "invalid_token") {
    resetConversation(frame.code === "invalid_token");
    if (frame.code === "invalid_token") showWho(); // logged out elsewhere («на всех устройствах»)
  }
  showError(frame.message);
}

// one handler a frame type
const FRAMES = {
  ready(frame) {
    retry = 0;
    showError("");
    applyConversation(frame.conversation);
    Object.keys(pending).forEach(transmit); // resend, same ids
  },
  message: (frame) => render(frame.message),
  conversation: (frame) => applyConversation(frame.conversation),
  ack(frame) {
    const draft = draftOf(frame.client_msg_id);
    if (draft) draft.classList.remove("msg--pending");
  },
  error: refused,
  notification: onNotificationFrame,
  security_message: onSecurityFrame,
  ping: (frame, ws) => ws.send(JSON.stringify({ type: "pong" })),
};

function connect() {
  if (!state.conversationId || !state.token) return;
  if (socket && socket.readyState <= 1) return;
  clearTimeout(reconnectTimer);
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/ws/conversations/" + state.conversationId);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: state.token, last_seq: state.lastSeq || 0 }));
  ws.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (Object.hasOwn(FRAMES, frame.type)) FRAMES[frame.type](frame, ws);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    setStatus("Нет связи, переподключаемся…");
    retry = Math.min(retry + 1, 6);
    reconnectTimer = setTimeout(connect, Math.min(15000, 500 * Math.pow(2, retry)));
  };
}

function closeSocket() {
  if (!socket) return;
  const old = socket;
  socket = null;
  old.close();
}

function transmit(clientId) {
  const item = pending[clientId];
  if (!item) return;
  if (socket && socket.readyState === 1) {
    socket.send(JSON.stringify({ type: "message", client_msg_id: clientId, text: item.text }));
    return;
  }
  // no socket: the same message over REST (idempotent on client_msg_id)
  api("POST", "/api/v1/conversations/" + state.conversationId + "/messages", { client_msg_id: clientId, text: item.text })
    .then((data) => {
      render(data);
      (data.replies || []).forEach(render);
      if (data.conversation) applyConversation(data.conversation);
    })
    .catch((error) => {
      if (error.status) {
        delete pending[clientId];
        showError(error.message);
      }
    });
}

function send(text, line) {
  text = (text || "").trim() ? text : "";
  if (!text) return;
  if (text.length > MAX_TEXT) {
    showError("Сообщение длиннее " + MAX_TEXT + " символов.");
    return;
  }
  showError("");
  const clientId = newId();
  pending[clientId] = { text };
  const draft = bubble("customer", true, text);
  draft.classList.add("msg--pending");
  draft.dataset.clientId = clientId;
  list.append(draft);
  list.scrollTop = list.scrollHeight;
  if (state.conversationId) return transmit(clientId);
  // the first question opens the conversation (a new visitor's, the visitor too): one
  // request, the bot's answer with it; not opened (refused, or no connection): the draft
  // goes, its text back to the field
  const first = { client_msg_id: clientId, text };
  const opening = state.token ? openConversationWith(line, null, first) : arriveWith(line, first);
  opening.catch((error) => {
    const shown = draftOf(clientId);
    if (shown) shown.remove();
    delete pending[clientId];
    if (!$("text").value) $("text").value = text;
    showError(error.message);
  });
}

// a dialogue chosen in «Сообщения» (or opened by «Написать продавцу») replaces the one shown
function openConversation(id) {
  if (id === null) return resetConversation(false); // «Новый вопрос в поддержку»
  if (state.conversationId === id && socket) return;
  clearTimeout(reconnectTimer);
  flushRead(); // what was seen of the dialogue left behind
  closeSocket();
  pending = {};
  shown = {};
  list.textContent = "";
  state.conversationId = id;
  state.lastSeq = 0;
  save();
  showError("");
  $("start").hidden = true;
  connect();
}

function resetConversation(dropToken) {
  closeSocket();
  sellerChat = false;
  $("chat-title").textContent = "Чат с поддержкой";
  delete state.conversationId;
  state.lastSeq = 0;
  if (dropToken) {
    delete state.token;
    delete state.kind;
  }
  save();
  list.textContent = "";
  shown = {};
  $("start").hidden = false;
  $("rating").hidden = true;
  resetSurvey();
  $("new-chat").hidden = true;
  $("handoff").hidden = false;
  $("escalate").hidden = true;
  clearTimeout(escalationTimer);
  $("text").disabled = false;
  $("send").disabled = false;
  setStatus("Задайте вопрос — ответим в чате.");
}

// ---------------------------------------------------------------- the controls
function wireComposer() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    send(text);
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("topics").addEventListener("click", (event) => {
    const button = event.target.closest(".topic");
    if (!button || button.id === "seller-open") return;
    send(button.dataset.text, button.dataset.line);
  });
}

function wireSellerForm() {
  const sellerTopics = JSON.parse($("seller-data").textContent || "[]");
  const fillSubtopics = () => {
    const topic = sellerTopics.find((t) => t.title === $("seller-topic").value);
    $("seller-subtopic").replaceChildren(...(topic ? topic.subtopics : []).map((name) => el("option", { value: name }, name)));
  };
  $("seller-topic").addEventListener("change", fillSubtopics);
  fillSubtopics();
  $("seller-open").addEventListener("click", () => {
    $("seller-form").hidden = !$("seller-form").hidden;
  });
  $("seller-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ensureToken()
      .then(() => ensureConversation("seller", { seller_topic: $("seller-topic").value, seller_subtopic: $("seller-subtopic").value }))
      .catch((error) => showError(error.message));
  });
}

function sendFile() {
  const file = $("file").files[0];
  $("file").value = "";
  if (!file) return;
  if (file.size > MAX_BYTES) {
    showError("Файл больше " + Math.round(MAX_BYTES / 1048576) + " МБ.");
    return;
  }
  ensureToken()
    .then(() => ensureConversation("general"))
    .then(() => {
      const form = new FormData();
      form.append("file", file);
      form.append("client_msg_id", newId());
      return api("POST", "/api/v1/conversations/" + state.conversationId + "/attachments", form);
    })
    .then(render)
    .catch((error) => showError(error.message));
}

function wireConversationControls() {
  $("handoff").addEventListener("click", () => {
    ensureToken()
      .then(() => ensureConversation("general"))
      .then(() => api("POST", "/api/v1/conversations/" + state.conversationId + "/handoff"))
      .then(applyConversation)
      .catch((error) => showError(error.message));
  });
  wireSurvey({
    send: (body) => api("POST", "/api/v1/conversations/" + state.conversationId + "/rating", body),
    onRated: applyConversation,
    showError,
  });
  $("escalate").addEventListener("click", () => {
    api("POST", "/api/v1/conversations/" + state.conversationId + "/escalate")
      .then(applyConversation)
      .catch((error) => showError(error.message));
  });
  $("new-chat").addEventListener("click", () => resetConversation(false));
  $("file").addEventListener("change", sendFile);
}

// ---------------------------------------------------------------- logging in and out
function verifyCode() {
  const body = { phone: $("phone").value, code: $("code").value.trim() };
  if (state.kind === "visitor" && state.token) body.visitor_token = state.token;
  api("POST", "/api/v1/auth/phone/verify", body)
    .then((data) => {
      state.token = data.token;
      state.kind = "customer";
      save();
      $("login").hidden = true;
      showWho();
      closeSocket();
      connect();
    })
    .catch((error) => {
      $("login-note").textContent = error.message;
    });
}

const CODE_LABELS = {
  sms: "Код из SMS",
  security_chat: "Код из чата «Безопасность»",
  push: "Код из push-уведомления",
};

function wireLogin() {
  $("login-open").addEventListener("click", () => {
    $("login").hidden = !$("login").hidden;
  });
  $("phone-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const method = document.querySelector('input[name="login-method"]:checked').value;
    api("POST", "/api/v1/auth/phone/code", { phone: $("phone").value, method })
      .then((data) => {
        $("login-note").textContent = data.message;
        $("code-label").textContent = CODE_LABELS[method];
        $("code-form").hidden = false;
        $("code").focus();
      })
      .catch((error) => {
        $("login-note").textContent = error.message;
      });
  });
  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    verifyCode();
  });
}

function showWho() {
  const customer = state.kind === "customer";
  $("who").textContent = customer ? "Вы вошли" : "Гость";
  $("login-open").hidden = customer;
  $("logout").hidden = !customer;
  showCentre(customer); // the notification centre, its settings and push: the customer's
  showSettings(customer);
  showPush(customer);
  showAccount(customer); // «Личный кабинет»
  showHub(customer); // «Сообщения»
  showSecurity(customer); // «Безопасность»: the security chat, devices, the codeword
}

// «Выйти»: the session ends on the server (its sockets close), the widget forgets the token
// and the conversation and starts again as a new visitor
function forgetLogin(text) {
  clearTimeout(reconnectTimer);
  closeSocket();
  pending = {};
  resetConversation(true);
  $("login").hidden = true;
  $("code-form").hidden = true;
  $("code").value = "";
  $("login-note").textContent = "";
  showWho();
  setStatus(text + " Задайте вопрос — ответим в чате.");
}

function wireLogout() {
  $("logout").addEventListener("click", () => {
    clearTimeout(reconnectTimer);
    closeSocket();
    const forget = () => forgetLogin("Вы вышли.");
    api("POST", "/api/v1/auth/logout").then(forget, forget);
  });
}

// ---------------------------------------------------------------- start
wireComposer();
wireSellerForm();
wireConversationControls();
wireLogin();
wireLogout();
wireCentre(api);
wireSettings(api);
wirePush(api);
wireAccount(api);
wireHub(api, openConversation);
wireSecurity(api, forgetLogin);
showWho();
if (state.conversationId && state.token) {
  state.lastSeq = 0; // the page is new: show the whole conversation again
  connect();
} else {
  setStatus("Задайте вопрос — ответим в чате.");
}
