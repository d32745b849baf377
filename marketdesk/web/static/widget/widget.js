/* The customer chat widget: plain JavaScript, no libraries.
 * Every text from the server or the user is put into the page with textContent, never
 * as HTML. The socket protocol is described in marketdesk/channels/webchat.py. */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var MAX_BYTES = Number(root.dataset.maxBytes);
  var MAX_TEXT = Number(root.dataset.maxText);
  var KEY = "marketdesk.widget";
  var SENDERS = { customer: "Вы", visitor: "Вы", bot: "Бот поддержки", operator: "Оператор", system: "" };

  var el = function (id) { return document.getElementById(id); };
  var list = el("messages");
  var state = load();
  var socket = null;
  var retry = 0;
  var pending = {};       // client_msg_id -> {text, line}
  var shown = {};         // message id -> element
  var conversation = null;
  var reconnectTimer = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function showError(text) {
    var box = el("error");
    box.textContent = text || "";
    box.hidden = !text;
  }
  function setStatus(text) { el("status").textContent = text; }

  function api(method, path, body, isForm) {
    var headers = {};
    if (state.token) { headers.Authorization = "Bearer " + state.token; }
    var init = { method: method, headers: headers };
    if (body !== undefined) {
      if (isForm) { init.body = body; } else {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || "Ошибка сервера, попробуйте ещё раз.");
          error.status = response.status;
          error.code = data.error && data.error.code;
          throw error;
        }
        return data;
      });
    });
  }

  function ensureToken() {
    if (state.token) { return Promise.resolve(); }
    return api("POST", "/api/v1/visitors").then(function (data) {
      state.token = data.token;
      state.kind = "visitor";
      save();
    });
  }

  function ensureConversation(line, extra) {
    if (state.conversationId) { return Promise.resolve(); }
    var body = Object.assign({ line: line || "general" }, extra || {});
    return api("POST", "/api/v1/conversations", body).then(function (data) {
      state.conversationId = data.id;
      state.lastSeq = 0;
      save();
      applyConversation(data);
      connect();
    });
  }

  /* ---------------------------------------------------------------- rendering */
  function render(message) {
    if (message.private) { return; }
    if (message.client_msg_id && pending[message.client_msg_id]) {
      var draft = document.querySelector('[data-client-id="' + CSS.escape(message.client_msg_id) + '"]');
      if (draft) { draft.remove(); }
      delete pending[message.client_msg_id];
    }
    if (shown[message.id]) { return; }
    var mine = message.sender_kind === "customer" || message.sender_kind === "visitor";
    var item = bubble(message.sender_kind, mine, message.text);
    (message.attachments || []).forEach(function (file) { item.appendChild(attachmentNode(file)); });
    var suggestions = message.bot && message.bot.suggestions;
    if (suggestions && suggestions.length) {
      var box = document.createElement("div");
      box.className = "suggestions";
      suggestions.forEach(function (s) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "suggestion";
        button.textContent = s.title;
        button.addEventListener("click", function () { send(s.title); });
        box.appendChild(button);
      });
      item.appendChild(box);
    }
    item.dataset.seq = message.seq;
    shown[message.id] = item;
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    if (message.seq > (state.lastSeq || 0)) { state.lastSeq = message.seq; save(); }
  }

  function bubble(kind, mine, text) {
    var item = document.createElement("li");
    item.className = "msg msg--" + kind + (mine ? " msg--mine" : "");
    var who = SENDERS[kind];
    if (who && !mine) {
      var label = document.createElement("span");
      label.className = "msg__who";
      label.textContent = who;
      item.appendChild(label);
    }
    var body = document.createElement("span");
    body.className = "msg__text";
    body.textContent = text;
    item.appendChild(body);
    return item;
  }

  function attachmentNode(file) {
    var box = document.createElement("span");
    box.className = "msg__file";
    var link = document.createElement("a");
    link.href = "#";
    link.textContent = "📎 " + file.filename;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      fetchFile(file).then(function (url) {
        var a = document.createElement("a");
        a.href = url;
        a.download = file.filename;
        a.click();
      });
    });
    box.appendChild(link);
    if (/^image\//.test(file.content_type)) {
      var img = document.createElement("img");
      img.alt = file.filename;
      fetchFile(file).then(function (url) { img.src = url; });
      box.insertBefore(img, link);
    }
    return box;
  }

  function fetchFile(file) {
    return fetch("/api/v1/attachments/" + encodeURIComponent(file.id), {
      headers: { Authorization: "Bearer " + state.token }
    }).then(function (r) { return r.blob(); }).then(function (blob) { return URL.createObjectURL(blob); });
  }

  function applyConversation(view) {
    conversation = view;
    var closed = view.status === "closed";
    el("start").hidden = true;
    el("rating").hidden = !(view.status === "resolved" || (closed && !view.rating)) || !!view.rating;
    el("new-chat").hidden = !closed;
    el("handoff").hidden = view.status !== "bot" && view.status !== "resolved";
    el("text").disabled = closed;
    el("send").disabled = closed;
    var title = view.status_title || "";
    if (view.ticket_number) { title += " · обращение " + view.ticket_number; }
    setStatus(title);
  }

  /* ---------------------------------------------------------------- the socket */
  function connect() {
    if (!state.conversationId || !state.token) { return; }
    if (socket && socket.readyState <= 1) { return; }
    clearTimeout(reconnectTimer);
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(proto + "//" + location.host + "/ws/conversations/" + state.conversationId);
    socket = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "auth", token: state.token, last_seq: state.lastSeq || 0 }));
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "ready") {
        retry = 0;
        showError("");
        applyConversation(frame.conversation);
        Object.keys(pending).forEach(function (id) { transmit(id); });  // resend, same ids
      } else if (frame.type === "message") {
        render(frame.message);
      } else if (frame.type === "conversation") {
        applyConversation(frame.conversation);
      } else if (frame.type === "ack") {
        var draft = document.querySelector('[data-client-id="' + CSS.escape(frame.client_msg_id) + '"]');
        if (draft) { draft.classList.remove("msg--pending"); }
      } else if (frame.type === "error") {
        if (frame.client_msg_id && pending[frame.client_msg_id]) {
          var failed = document.querySelector('[data-client-id="' + CSS.escape(frame.client_msg_id) + '"]');
          if (failed) { failed.remove(); }
          delete pending[frame.client_msg_id];
        }
        if (frame.code === "conversation_not_found" || frame.code === "invalid_token") {
          resetConversation(frame.code === "invalid_token");
        }
        showError(frame.message);
      } else if (frame.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      }
    };
    ws.onclose = function () {
      if (socket !== ws) { return; }
      socket = null;
      setStatus("Нет связи, переподключаемся…");
      retry = Math.min(retry + 1, 6);
      reconnectTimer = setTimeout(connect, Math.min(15000, 500 * Math.pow(2, retry)));
    };
  }

  function transmit(clientId) {
    var item = pending[clientId];
    if (!item) { return; }
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ type: "message", client_msg_id: clientId, text: item.text }));
      return;
    }
    // no socket: the same message over REST (idempotent on client_msg_id)
    api("POST", "/api/v1/conversations/" + state.conversationId + "/messages",
        { client_msg_id: clientId, text: item.text })
      .then(function (data) {
        render(data);
        (data.replies || []).forEach(render);
        if (data.conversation) { applyConversation(data.conversation); }
      })
      .catch(function (error) { if (error.status) { delete pending[clientId]; showError(error.message); } });
  }

  function send(text, line) {
    text = (text || "").trim() ? text : "";
    if (!text) { return; }
    if (text.length > MAX_TEXT) { showError("Сообщение длиннее " + MAX_TEXT + " символов."); return; }
    showError("");
    ensureToken()
      .then(function () { return ensureConversation(line); })
      .then(function () {
        var clientId = uuid();
        pending[clientId] = { text: text };
        var draft = bubble("customer", true, text);
        draft.classList.add("msg--pending");
        draft.dataset.clientId = clientId;
        list.appendChild(draft);
        list.scrollTop = list.scrollHeight;
        transmit(clientId);
      })
      .catch(function (error) { showError(error.message); });
  }

  function resetConversation(dropToken) {
    if (socket) { var old = socket; socket = null; old.close(); }
    delete state.conversationId;
    state.lastSeq = 0;
    if (dropToken) { delete state.token; delete state.kind; }
    save();
    list.textContent = "";
    shown = {};
    conversation = null;
    el("start").hidden = false;
    el("rating").hidden = true;
    el("new-chat").hidden = true;
    el("handoff").hidden = false;
    el("text").disabled = false;
    el("send").disabled = false;
    setStatus("Задайте вопрос — ответим в чате.");
  }

  /* ---------------------------------------------------------------- the controls */
  el("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el("text").value;
    if (!text.trim()) { return; }
    el("text").value = "";
    send(text);
  });
  el("text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      el("composer").requestSubmit();
    }
  });

  el("topics").addEventListener("click", function (event) {
    var button = event.target.closest(".topic");
    if (!button || button.id === "seller-open") { return; }
    send(button.dataset.text, button.dataset.line);
  });

  var sellerTopics = JSON.parse(el("seller-data").textContent || "[]");
  function fillSubtopics() {
    var topic = sellerTopics.find(function (t) { return t.title === el("seller-topic").value; });
    var select = el("seller-subtopic");
    select.textContent = "";
    (topic ? topic.subtopics : []).forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    });
  }
  el("seller-topic").addEventListener("change", fillSubtopics);
  fillSubtopics();
  el("seller-open").addEventListener("click", function () { el("seller-form").hidden = !el("seller-form").hidden; });
  el("seller-form").addEventListener("submit", function (event) {
    event.preventDefault();
    ensureToken()
      .then(function () {
        return ensureConversation("seller", {
          seller_topic: el("seller-topic").value, seller_subtopic: el("seller-subtopic").value
        });
      })
      .catch(function (error) { showError(error.message); });
  });

  el("handoff").addEventListener("click", function () {
    ensureToken()
      .then(function () { return ensureConversation("general"); })
      .then(function () { return api("POST", "/api/v1/conversations/" + state.conversationId + "/handoff"); })
      .then(applyConversation)
      .catch(function (error) { showError(error.message); });
  });

  el("rating").addEventListener("click", function (event) {
    var star = event.target.closest(".star");
    if (!star) { return; }
    api("POST", "/api/v1/conversations/" + state.conversationId + "/rating", { rating: Number(star.dataset.rating) })
      .then(function (view) {
        applyConversation(view);
        el("rating").hidden = false;
        el("rating-note").textContent = "Спасибо за оценку!";
      })
      .catch(function (error) { showError(error.message); });
  });

  el("new-chat").addEventListener("click", function () { resetConversation(false); });

  el("file").addEventListener("change", function () {
    var file = el("file").files[0];
    el("file").value = "";
    if (!file) { return; }
    if (file.size > MAX_BYTES) {
      showError("Файл больше " + Math.round(MAX_BYTES / 1048576) + " МБ.");
      return;
    }
    ensureToken()
      .then(function () { return ensureConversation("general"); })
      .then(function () {
        var form = new FormData();
        form.append("file", file);
        form.append("client_msg_id", uuid());
        return api("POST", "/api/v1/conversations/" + state.conversationId + "/attachments", form, true);
      })
      .then(function (data) { render(data); })
      .catch(function (error) { showError(error.message); });
  });

  el("login-open").addEventListener("click", function () { el("login").hidden = !el("login").hidden; });
  el("phone-form").addEventListener("submit", function (event) {
    event.preventDefault();
    api("POST", "/api/v1/auth/phone/code", { phone: el("phone").value })
      .then(function (data) {
        el("login-note").textContent = data.message;
        el("code-form").hidden = false;
        el("code").focus();
      })
      .catch(function (error) { el("login-note").textContent = error.message; });
  });
  el("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var visitor = state.kind === "visitor" ? state.token : null;
    var body = { phone: el("phone").value, code: el("code").value.trim() };
    if (visitor) { body.visitor_token = visitor; }
    api("POST", "/api/v1/auth/phone/verify", body)
      .then(function (data) {
        state.token = data.token;
        state.kind = "customer";
        save();
        el("login").hidden = true;
        showWho();
        if (socket) { var old = socket; socket = null; old.close(); }
        connect();
      })
      .catch(function (error) { el("login-note").textContent = error.message; });
  });

  /* «Выйти»: the session ends on the server (its sockets close), the widget forgets the
   * token and the conversation and starts again as a new visitor. */
  function showWho() {
    var customer = state.kind === "customer";
    el("who").textContent = customer ? "Вы вошли" : "Гость";
    el("login-open").hidden = customer;
    el("logout").hidden = !customer;
  }
  el("logout").addEventListener("click", function () {
    clearTimeout(reconnectTimer);
    if (socket) { var old = socket; socket = null; old.close(); }
    var forget = function () {
      pending = {};
      resetConversation(true);
      el("login").hidden = true;
      el("code-form").hidden = true;
      el("code").value = "";
      el("login-note").textContent = "";
      showWho();
      setStatus("Вы вышли. Задайте вопрос — ответим в чате.");
    };
    api("POST", "/api/v1/auth/logout").then(forget, forget);
  });

  /* ---------------------------------------------------------------- start */
  showWho();
  if (state.conversationId && state.token) {
    state.lastSeq = 0;  // the page is new: show the whole conversation again
    connect();
  } else {
    setStatus("Задайте вопрос — ответим в чате.");
  }
})();
