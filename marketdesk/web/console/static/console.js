"use strict";
// The operator console. Plain JavaScript, no libraries. Every text that comes from the server
// (messages, names, file names, news, hints) is put into the page with textContent, never as
// HTML; the page's Content-Security-Policy forbids inline script as a second line of defence.
(function () {
  const TOKEN_KEY = "marketdesk.console.token";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    location.replace("/console/login");
    return;
  }

  // ------------------------------------------------------------------ helpers
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  }

  class ApiError extends Error {
    constructor(status, code, message, data) {
      super(message);
      this.status = status;
      this.code = code;
      this.data = data || {};
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + token };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network", "Сервер недоступен. Проверьте соединение.");
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      location.replace("/console/login");
      throw new ApiError(401, "unauthorized", "Сессия истекла, войдите снова.");
    }
    if (!response.ok) {
      const err = data.error || {};
      throw new ApiError(response.status, err.code || "error", err.message || "Ошибка запроса.", err);
    }
    return data;
  }

  const moneyFormat = new Intl.NumberFormat("ru-RU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function money(value, unit) {
    const number = Number(value);
    const text = Number.isFinite(number) ? moneyFormat.format(number) : String(value);
    return unit ? text + " " + unit : text;
  }
  function date(value) {
    if (!value) return "—";
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value);
    return d.toLocaleDateString("ru-RU");
  }
  function dateTime(value) {
    if (!value) return "—";
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value);
    return d.toLocaleString("ru-RU", { day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  function time(value) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
  }
  function waited(since) {
    const start = new Date(since).getTime();
    if (!Number.isFinite(start)) return "";
    let seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
    const h = Math.floor(seconds / 3600);
    seconds -= h * 3600;
    const m = Math.floor(seconds / 60);
    const s = seconds - m * 60;
    const pad = (n) => String(n).padStart(2, "0");
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }
  // fn at most once per ms: the first call runs it soon, calls meanwhile run it once after
  function coalesce(fn, ms) {
    let timer = null;
    let last = 0;
    return () => {
      if (timer) return;
      const wait = Math.max(50, last + ms - Date.now());
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, wait);
    };
  }
  function kv(label, value) {
    return el("div", { class: "kv" }, el("span", { class: "k" }, label), el("span", { class: "v" }, value));
  }
  function errorText(node, error) {
    clear(node, el("p", { class: "error", role: "alert" }, error.message || "Ошибка."));
  }

  const topics = {};
  function topicTitle(slug) {
    return slug ? topics[slug] || slug : "";
  }
  async function loadTopics() {
    try {
      Object.assign(topics, (await api("GET", "/api/v1/hints/topics")).topics);
      renderQueue();
      renderMine();
      if (state.current) renderHeader();
    } catch (e) {
      /* slugs stay as they are */
    }
  }

  // the titles of marketdesk.domain.tasks.TASK_STATUS_TITLES_RU
  const TASK_STATUS = { new: "Новая", in_progress: "В работе", waiting: "Ожидает ответа", done: "Выполнена", rejected: "Отклонена" };

  const SENDER_TITLES = { customer: "Клиент", visitor: "Посетитель", bot: "Бот", operator: "Оператор", system: "Система" };

  // ------------------------------------------------------------------ state
  const state = {
    me: null,
    lines: [],
    queue: new Map(), // line → {items, total} (the first page of the line's queue)
    mine: [],
    current: null, // conversation view
    sending: false, // a send of the composer is on its way
    guardRefused: false, // the guard refuses what the composer holds
    messages: [],
    lastSeq: 0,
    hints: [],
    customerId: null,
    card: null,
    newsFilter: "all",
    hintTree: [],
    socket: null,
  };

  // ------------------------------------------------------------------ tabs
  const TABS = ["customer", "product", "news", "hints"];
  function showTab(name) {
    for (const tab of TABS) {
      const selected = tab === name;
      $("tab-" + tab).setAttribute("aria-selected", String(selected));
      $("tab-" + tab).tabIndex = selected ? 0 : -1;
      $("panel-" + tab).hidden = !selected;
    }
    if (name === "news") loadNews();
    if (name === "hints" && !state.hintTree.length) loadHintTree();
  }
  for (const tab of TABS) $("tab-" + tab).addEventListener("click", () => showTab(tab));
  document.querySelector(".tabs").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const current = TABS.findIndex((t) => $("tab-" + t).getAttribute("aria-selected") === "true");
    const next = (current + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length;
    showTab(TABS[next]);
    $("tab-" + TABS[next]).focus();
  });

  // ------------------------------------------------------------------ me, logout, availability
  async function loadMe() {
    state.me = await api("GET", "/api/v1/auth/me");
    if (state.me.kind !== "operator") {
      sessionStorage.removeItem(TOKEN_KEY);
      location.replace("/console/login");
      return;
    }
    $("me").textContent = state.me.name;
    const roles = state.me.roles || [];
    $("audit-link").hidden = !(roles.includes("supervisor") || roles.includes("admin"));
    loadColleagues();
  }

  $("logout").addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch (e) {
      /* the token is dropped anyway */
    }
    sessionStorage.removeItem(TOKEN_KEY);
    location.replace("/console/login");
  });

  $("available").addEventListener("change", async (event) => {
    try {
      await api("PUT", "/api/v1/operator/availability", { available: event.target.checked });
      refreshLists();
    } catch (e) {
      event.target.checked = !event.target.checked;
      setStatus(e.message);
    }
  });

  // ------------------------------------------------------------------ queue and my conversations
  const QUEUE_PAGE = 50;
  const LINE_TITLES = { general: "Общая линия", travel_priority: "Приоритетная линия Travel", seller: "Поддержка продавцов" };

  function who(conversation) {
    if (conversation.customer_id) return "Клиент " + conversation.customer_id;
    return "Посетитель";
  }

  function queueItemNode(item) {
    const c = item.conversation;
    const last = item.preview; // the customer's last message; the transcript opens on demand
    return el(
      "div",
      { class: "item" + (state.current && state.current.id === c.id ? " active" : ""), role: "listitem", dataset: { conversation: c.id } },
      el(
        "button",
        { type: "button", class: "item-open", onclick: () => openConversation(c.id, item) },
        el("span", { class: "item-title" }, "№ " + c.id + " · " + who(c)),
        el("span", { class: "item-sub" }, topicTitle(c.topic) || c.status_title),
        last ? el("span", { class: "item-text" }, last.slice(0, 80)) : null,
      ),
      el("span", { class: "wait", dataset: { since: c.queued_at || c.created_at }, title: "Время ожидания" }, waited(c.queued_at || c.created_at)),
      el("button", { type: "button", class: "take", onclick: () => take(c.id), "aria-label": "Взять диалог " + c.id }, "Взять"),
    );
  }

  function renderQueue() {
    let total = 0;
    const groups = [];
    for (const line of state.lines) {
      const page = state.queue.get(line) || { items: [], total: 0 };
      const items = page.items;
      total += page.total;
      const more = page.total - items.length;
      groups.push(
        el(
          "div",
          { class: "line-group", dataset: { line } },
          el("h3", { class: "line-title" }, (LINE_TITLES[line] || line) + " ", el("span", { class: "count muted-count" }, String(page.total))),
          el("div", { class: "list", role: "list", "aria-label": LINE_TITLES[line] || line }, items.map(queueItemNode)),
          more > 0 ? el("p", { class: "small muted queue-more" }, "Ещё в очереди: " + more + ". Они появятся здесь, когда подойдёт их черёд.") : null,
        ),
      );
    }
    $("queue-count").textContent = String(total);
    $("queue-empty").hidden = total > 0;
    clear($("queue"), groups);
  }

  function renderMine() {
    $("mine-count").textContent = String(state.mine.length);
    $("mine-empty").hidden = state.mine.length > 0;
    clear(
      $("mine"),
      state.mine.map((c) =>
        el(
          "div",
          { class: "item" + (state.current && state.current.id === c.id ? " active" : ""), role: "listitem" },
          el(
            "button",
            { type: "button", class: "item-open", onclick: () => openConversation(c.id) },
            el("span", { class: "item-title" }, "№ " + c.id + " · " + who(c)),
            el("span", { class: "item-sub" }, c.status_title + (c.topic ? " · " + topicTitle(c.topic) : "")),
          ),
        ),
      ),
    );
  }

  async function fetchQueue() {
    await Promise.all(
      state.lines.map(async (line) => {
        try {
          const data = await api("GET", "/api/v1/queue/" + encodeURIComponent(line) + "?limit=" + QUEUE_PAGE);
          state.queue.set(line, { items: data.items, total: data.total });
        } catch (e) {
          state.queue.set(line, { items: [], total: 0 });
        }
      }),
    );
  }

  async function loadQueue() {
    await fetchQueue();
    renderQueue();
  }

  async function fetchMine() {
    const data = await api("GET", "/api/v1/conversations");
    state.mine = data.conversations;
  }

  async function loadMine() {
    await fetchMine();
    renderMine();
  }

  // events come in bursts (every message of every queued chat): the lists are read again at
  // most once a second, however many events arrive; both are shown at once, so that a taken
  // conversation is never in the queue and in «Мои» together
  const refreshLists = coalesce(() => {
    Promise.allSettled([fetchQueue(), fetchMine()]).then(() => {
      renderQueue();
      renderMine();
    });
  }, 1000);

  setInterval(() => {
    for (const node of document.querySelectorAll(".wait[data-since]")) node.textContent = waited(node.dataset.since);
  }, 1000);
  setInterval(refreshLists, 20000); // a fallback when the socket is down

  async function take(conversationId) {
    try {
      const view = await api("POST", "/api/v1/conversations/" + conversationId + "/take");
      setStatus("Диалог № " + conversationId + " взят.");
      await openConversation(view.id);
      refreshLists();
      $("composer-text").focus();
    } catch (e) {
      setStatus(e.message);
      refreshLists();
    }
  }

  // ------------------------------------------------------------------ the conversation
  function setStatus(text) {
    $("composer-status").textContent = text || "";
  }

  function canWrite() {
    const c = state.current;
    if (!c || !state.me) return false;
    if (c.status === "closed") return false;
    return String(c.assigned_operator_id) === String(state.me.id);
  }

  function renderHeader() {
    const c = state.current;
    if (!c) return;
    $("conv-title").textContent = "№ " + c.id + " · " + who(c);
    const parts = [c.status_title, c.line_title];
    if (c.topic) parts.push("тема: " + topicTitle(c.topic));
    if (c.ticket_number) parts.push("обращение " + c.ticket_number);
    if (c.seller_topic) parts.push(c.seller_topic + " / " + (c.seller_subtopic || ""));
    $("conv-meta").textContent = parts.join(" · ");
    $("conv-meta").title = parts.join(" · ");
    $("conv-actions").hidden = false;
    const mine = String(c.assigned_operator_id) === String(state.me && state.me.id);
    $("take").hidden = c.status !== "queued";
    $("resolve").hidden = !(c.status === "assigned" && mine);
    $("close").hidden = c.status === "closed";
    const writable = canWrite();
    const noteable = c.status !== "closed";
    $("composer-text").disabled = !noteable;
    syncSend();
    if (!writable && noteable) {
      $("private-note").checked = true;
      $("private-note").disabled = true;
      setStatus("Писать клиенту можно после того, как вы возьмёте диалог; сейчас — только заметка.");
    } else {
      $("private-note").disabled = false;
      if (writable && $("composer-status").textContent.startsWith("Писать клиенту")) setStatus("");
    }
  }

  function attachmentNode(attachment) {
    const name = String(attachment.filename || "файл");
    return el(
      "button",
      {
        type: "button",
        class: "attachment link",
        title: "Открыть файл",
        onclick: async () => {
          try {
            const response = await fetch("/api/v1/attachments/" + encodeURIComponent(attachment.id), {
              headers: { Authorization: "Bearer " + token },
            });
            if (!response.ok) throw new Error();
            const url = URL.createObjectURL(await response.blob());
            const a = el("a", { href: url, download: name });
            document.body.append(a);
            a.click();
            a.remove();
            setTimeout(() => URL.revokeObjectURL(url), 60000);
          } catch (e) {
            setStatus("Не удалось открыть файл.");
          }
        },
      },
      "📎 ",
      name,
    );
  }

  function messageNode(m) {
    const kind = m.sender_kind;
    if (kind === "system") {
      return el("div", { class: "msg system", dataset: { seq: m.seq } }, el("span", { class: "msg-text" }, m.text), el("time", {}, time(m.created_at)));
    }
    const classes = ["msg", kind];
    if (m.private) classes.push("note");
    let label = SENDER_TITLES[kind] || kind;
    if (kind === "operator" && m.sender_name) label = m.sender_name;
    const tags = [];
    if (kind === "bot") {
      tags.push(el("span", { class: "tag bot-tag" }, "Ответ бота"));
      if (m.bot && m.bot.action) {
        const action = { answer: "ответ", handoff: "передача оператору", refuse: "отказ" }[m.bot.action] || m.bot.action;
        tags.push(el("span", { class: "tag" }, action + (m.bot.topic ? " · " + topicTitle(m.bot.topic) : "")));
      }
    }
    if (m.private) tags.push(el("span", { class: "tag note-tag" }, "Заметка — клиент не видит"));
    return el(
      "div",
      { class: classes.join(" "), dataset: { seq: m.seq } },
      el("div", { class: "msg-head" }, el("strong", {}, label), tags, el("time", {}, time(m.created_at))),
      el("div", { class: "msg-text" }, m.text),
      (m.attachments || []).length ? el("div", { class: "attachments" }, m.attachments.map(attachmentNode)) : null,
    );
  }

  function renderTranscript() {
    const box = $("transcript");
    clear(box, state.messages.map(messageNode));
    box.scrollTop = box.scrollHeight;
  }

  function addMessages(messages) {
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

  async function openConversation(id, queueItem) {
    try {
      const view = await api("GET", "/api/v1/conversations/" + id);
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
      renderHeader();
      const data = await api("GET", "/api/v1/conversations/" + id + "/messages?after_seq=" + state.lastSeq);
      addMessages(data.messages);
      if (switching) renderTranscript();
      renderQueue();
      renderMine();
      if (view.customer_id) {
        if (state.customerId !== view.customer_id) openCustomer(view.customer_id);
      } else {
        state.customerId = null;
        clear($("customer-card"), el("p", { class: "muted" }, "Посетитель не вошёл в аккаунт: карточки клиента нет."));
      }
      if (queueItem === undefined) updateHints();
    } catch (e) {
      setStatus(e.message);
    }
  }

  async function fetchNewMessages() {
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
  $("take").addEventListener("click", () => state.current && take(state.current.id));
  $("resolve").addEventListener("click", () => conversationAction("resolve"));
  $("close").addEventListener("click", () => {
    if (confirm("Закрыть диалог? Клиент сможет написать только в новом диалоге.")) conversationAction("close");
  });
  $("transfer").addEventListener("click", () => {
    const target = $("transfer-line").value;
    if (!target) {
      setStatus("Выберите линию или коллегу, кому передать диалог.");
      $("transfer-line").focus();
      return;
    }
    if (target.startsWith("op:")) {
      conversationAction("transfer", { to_operator_id: Number(target.slice(3)) });
    } else {
      conversationAction("transfer", { to_line: target });
    }
  });

  // colleagues who serve chat lines, as transfer targets next to the lines
  async function loadColleagues() {
    try {
      const data = await api("GET", "/api/v1/operators");
      const group = document.createElement("optgroup");
      group.label = "Коллеге";
      for (const op of data.operators) {
        if (state.me && String(op.id) === String(state.me.id)) continue;
        const option = document.createElement("option");
        option.value = "op:" + op.id;
        option.textContent = op.name + (op.available ? " · на связи" : " · не на связи") +
          " · " + op.chats + "/" + op.capacity;
        group.appendChild(option);
      }
      if (group.children.length) $("transfer-line").appendChild(group);
    } catch (e) {
      setStatus(e.message);
    }
  }

  // ------------------------------------------------------------------ hints for the last message
  function lastCustomerText() {
    for (let i = state.messages.length - 1; i >= 0; i -= 1) {
      const m = state.messages[i];
      if ((m.sender_kind === "customer" || m.sender_kind === "visitor") && m.text.trim()) return m.text;
    }
    return null;
  }

  function hintCard(hint, index) {
    const compact = index !== undefined; // the strip above the composer
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
        { type: "button", class: "insert", onclick: () => insertText(hint.body), title: index !== undefined ? "Alt+" + (index + 1) : null },
        index !== undefined ? "Вставить (Alt+" + (index + 1) + ")" : "Вставить в ответ",
      ),
    );
  }

  async function updateHints() {
    const text = lastCustomerText();
    if (text === state.lastHintText) return;
    state.lastHintText = text;
    if (!text) {
      state.hints = [];
      clear($("hint-cards"), el("p", { class: "muted small" }, "Клиент ещё ничего не написал."));
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
        clear($("hint-cards"), el("p", { class: "muted small" }, "Подходящих подсказок нет — найдите во вкладке «Подсказки»."));
        return;
      }
      clear($("hint-cards"), data.hints.map((h, i) => hintCard(h, i)));
    } catch (e) {
      errorText($("hint-cards"), e);
    }
  }

  function insertText(text) {
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

  // ------------------------------------------------------------------ the composer and the guard
  // «Отправить» is off while there is nothing to send to, a send is on its way, or the guard
  // refuses the text (the server refuses it too; the button says so before the click)
  function syncSend() {
    const c = state.current;
    $("send").disabled = !c || c.status === "closed" || state.sending || state.guardRefused;
  }

  function showGuard(result) {
    const box = $("guard");
    state.guardRefused = Boolean(result && !result.ok && (result.violations || []).length);
    syncSend();
    if (!state.guardRefused) {
      box.hidden = true;
      clear(box);
      return;
    }
    const messages = [];
    for (const v of result.violations) if (!messages.includes(v.message)) messages.push(v.message);
    clear(
      box,
      el("strong", {}, "Отправка запрещена"),
      el("ul", {}, messages.map((m) => el("li", {}, m))),
      el(
        "p",
        { class: "small" },
        "Фрагменты: ",
        result.violations.filter((v) => v.fragment).map((v, i) => [i ? ", " : "", el("mark", {}, v.fragment)]),
      ),
    );
    box.hidden = false;
  }

  let guardVersion = 0;
  const checkGuard = debounce(async () => {
    const text = $("composer-text").value;
    const version = ++guardVersion;
    if (!text.trim() || $("private-note").checked) {
      showGuard(null);
      return;
    }
    try {
      const body = { text };
      if (state.current && state.current.customer_id) body.customer_id = state.current.customer_id;
      const result = await api("POST", "/api/v1/guard/check", body);
      if (version === guardVersion) showGuard(result);
    } catch (e) {
      /* the server checks again on sending */
    }
  }, 300);
  $("composer-text").addEventListener("input", checkGuard);
  $("private-note").addEventListener("change", checkGuard);

  async function send() {
    const c = state.current;
    const box = $("composer-text");
    const text = box.value;
    if (!c || !text.trim() || state.sending) return;
    const isPrivate = $("private-note").checked;
    if (state.guardRefused && !isPrivate) {
      setStatus("Сообщение не отправлено: уберите выделенные фрагменты.");
      return;
    }
    state.sending = true;
    syncSend();
    try {
      const message = await api("POST", "/api/v1/console/conversations/" + c.id + "/messages", {
        client_msg_id: newId(),
        text,
        private: isPrivate,
      });
      if (box.value === text) box.value = ""; // not what the operator typed since
      showGuard(null);
      setStatus(isPrivate ? "Заметка сохранена." : "Отправлено.");
      addMessages([message]);
      if (message.conversation) {
        state.current = message.conversation;
        renderHeader();
      }
    } catch (e) {
      if (e.code === "privacy_violation") {
        showGuard({ ok: false, violations: e.data.violations || [{ message: e.message, fragment: "" }] });
        setStatus("Сообщение не отправлено.");
      } else {
        setStatus(e.message);
      }
    } finally {
      state.sending = false;
      syncSend();
    }
  }
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

  // ------------------------------------------------------------------ the customer card
  async function openCustomer(customerId) {
    state.customerId = customerId;
    const box = $("customer-card");
    clear(box, el("p", { class: "muted" }, "Загрузка…"));
    try {
      const card = await api("GET", "/api/v1/customers/" + customerId);
      if (state.customerId !== customerId) return;
      state.card = card;
      $("customer-card").dataset.customerId = String(card.id);
      renderCustomer(card);
    } catch (e) {
      errorText(box, e);
    }
  }

  function renderCustomer(card) {
    const box = $("customer-card");
    const phone = el("span", { id: "customer-phone" }, card.contacts_masked.phone || "—");
    const email = el("span", { id: "customer-email" }, card.contacts_masked.email || "—");
    const reveal = el(
      "button",
      {
        type: "button",
        class: "link",
        id: "reveal",
        onclick: async () => {
          try {
            const contacts = await api("POST", "/api/v1/customers/" + card.id + "/contacts/reveal");
            phone.textContent = contacts.phone || "—";
            email.textContent = contacts.email || "—";
            reveal.hidden = true;
          } catch (e) {
            setStatus(e.message);
          }
        },
        title: "Каждый показ записывается в журнал аудита",
      },
      "Показать",
    );
    const ban = card.coupon_ban
      ? el("button", { type: "button", class: "badge ban", id: "ban-badge", onclick: () => openBan(card) }, "Бан купонов")
      : null;
    const orders = card.last_orders.length
      ? el(
          "ul",
          { class: "orders" },
          card.last_orders.map((o) =>
            el(
              "li",
              {},
              el("strong", {}, o.number),
              " ",
              el("span", { class: "tag" }, o.status.title),
              el("div", { class: "small" }, o.delivery_type.title + " · создан " + o.age_days + " дн. назад · " + money(o.total, "₽")),
            ),
          ),
        )
      : el("p", { class: "muted" }, "Заказов нет.");
    const allOrders = el(
      "button",
      {
        type: "button",
        class: "link",
        onclick: async () => {
          try {
            const page = await api("GET", "/api/v1/customers/" + card.id + "/orders?limit=100");
            clear(
              orders,
              page.orders.map((o) =>
                el("li", {}, el("strong", {}, o.number), " ", el("span", { class: "tag" }, o.status.title), el("div", { class: "small" }, o.delivery_type.title + " · создан " + o.age_days + " дн. назад · " + money(o.total, "₽"))),
              ),
            );
            allOrders.remove();
          } catch (e) {
            setStatus(e.message);
          }
        },
      },
      "Все заказы (" + card.statistics.orders_total + ")",
    );
    const balances = el(
      "div",
      { class: "balances" },
      card.balances.map((b) =>
        el(
          "div",
          { class: "balance", title: b.sources.map((s) => s.source.title + ": " + money(s.amount, b.unit)).join("\n") || null },
          el("span", { class: "k" }, b.kind.title),
          el("strong", {}, money(b.amount, b.unit)),
        ),
      ),
    );
    const certificates = card.certificates.length
      ? el(
          "ul",
          {},
          card.certificates.map((c) =>
            el("li", {}, "…" + c.code_tail + " · " + money(c.nominal, "₽") + " · активирован " + date(c.activated_at) + (c.expires_at ? " · до " + date(c.expires_at) : "")),
          ),
        )
      : el("p", { class: "muted" }, "Нет сертификатов");
    const tasks = card.active_tasks.length
      ? el(
          "ul",
          {},
          card.active_tasks.map((t) =>
            el("li", {}, el("strong", {}, t.number), " " + t.title, el("div", { class: "small muted" }, t.queue + " · " + (TASK_STATUS[t.status] || t.status) + (t.deadline_at ? " · срок " + dateTime(t.deadline_at) : ""))),
          ),
        )
      : el("p", { class: "muted" }, "Нет ни одной активной задачи.");
    const comments = el(
      "ul",
      { id: "comments" },
      card.comments.map((c) => el("li", {}, el("div", { class: "comment-text" }, c.text), el("div", { class: "small muted" }, (c.author || "—") + " · " + dateTime(c.created_at)))),
    );
    const commentText = el("textarea", { id: "comment-text", rows: "2", maxlength: "2000", "aria-label": "Новый комментарий", placeholder: "Написать комментарий" });
    const commentForm = el(
      "form",
      {
        class: "comment-form",
        onsubmit: async (event) => {
          event.preventDefault();
          if (!commentText.value.trim()) return;
          try {
            const c = await api("POST", "/api/v1/customers/" + card.id + "/comments", { text: commentText.value });
            commentText.value = "";
            comments.prepend(el("li", {}, el("div", { class: "comment-text" }, c.text), el("div", { class: "small muted" }, (c.author || "—") + " · " + dateTime(c.created_at))));
            if (empty) empty.remove();
          } catch (e) {
            setStatus(e.message);
          }
        },
      },
      commentText,
      el("button", { type: "submit" }, "Добавить комментарий"),
    );
    const empty = card.comments.length ? null : el("p", { class: "muted" }, "Нет ни одного комментария.");
    const stats = card.statistics;
    clear(
      box,
      el("div", { class: "card-head" }, el("h3", { id: "customer-name" }, card.full_name), el("span", { class: "muted" }, "ID " + card.id), ban),
      card.company_name && card.company_name !== card.full_name ? el("p", {}, card.company_name) : null,
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Общая информация"),
        kv("Тип", card.kind.title),
        kv("Регистрация", date(card.registered_on)),
        kv("Дата рождения", card.birth_date ? date(card.birth_date) : "—"),
        el("div", { class: "kv" }, el("span", { class: "k" }, "Телефон"), el("span", { class: "v" }, phone, " ", (card.contacts_masked.phone || card.contacts_masked.email) ? reveal : null)),
        el("div", { class: "kv" }, el("span", { class: "k" }, "Email"), el("span", { class: "v" }, email)),
        kv("Время у клиента", card.local_time + " (" + card.timezone + ")"),
      ),
      el("section", { class: "block" }, el("h4", {}, "Баланс"), balances),
      el("section", { class: "block" }, el("h4", {}, "Последние заказы"), orders, card.statistics.orders_total > card.last_orders.length ? allOrders : null),
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Статистика клиента"),
        kv("Доходность клиента", stats.profitability.title),
        kv("Заказов", String(stats.orders_total)),
        kv("Выполненных", String(stats.orders_completed)),
        kv("Отменённых", String(stats.orders_cancelled)),
      ),
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Сертификаты"),
        certificates,
        el("p", { class: "small muted" }, "Сотруднику КЦ запрещено самостоятельно активировать сертификат: клиент вводит код активации сам в личном кабинете."),
      ),
      el("section", { class: "block" }, el("h4", {}, "Активные задачи"), tasks),
      el("section", { class: "block" }, el("h4", {}, "Комментарии"), empty, comments, commentForm),
    );
  }

  $("customer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("customer-id").value.trim();
    if (!/^\d{1,19}$/.test(value)) {
      errorText($("customer-card"), new Error("ID клиента — число."));
      return;
    }
    openCustomer(Number(value));
  });

  // the coupon-ban badge: the rule's decision and, where it allows, «Сделать заявку»
  let banCustomerMessage = null;
  function openBan(card) {
    const ban = card.coupon_ban;
    $("ban-message").textContent = ban.operator_message;
    $("ban-result").textContent = "";
    banCustomerMessage = null;
    $("ban-insert").hidden = true;
    const request = $("ban-request");
    request.hidden = !ban.can_create_task;
    request.disabled = false;
    request.onclick = async () => {
      request.disabled = true;
      try {
        const body = state.current && state.current.customer_id === card.id ? { conversation_id: state.current.id } : {};
        const result = await api("POST", "/api/v1/customers/" + card.id + "/coupon-ban/review", body);
        $("ban-result").textContent = (result.created ? "Задание создано: " : "Задание уже есть: ") + result.task_number + ". Сориентируйте клиента на ожидание ответа.";
        banCustomerMessage = result.customer_message;
        $("ban-insert").hidden = !banCustomerMessage;
        openCustomer(card.id);
      } catch (e) {
        $("ban-result").textContent = e.status === 404 && e.code === "not_found"
          ? "Создание заданий пока недоступно на этом сервере: создайте задание в очередь «Фрод-мониторинг / Не могу активировать / Кодовое слово по акции» вручную."
          : e.message;
        request.disabled = false;
      }
    };
    $("ban-dialog").showModal();
    (ban.can_create_task ? request : $("ban-close")).focus();
  }
  $("ban-close").addEventListener("click", () => $("ban-dialog").close());
  $("ban-insert").addEventListener("click", () => {
    $("ban-dialog").close();
    if (banCustomerMessage) insertText(banCustomerMessage);
  });

  // ------------------------------------------------------------------ products
  async function openProduct(code) {
    const box = $("product-card");
    clear(box, el("p", { class: "muted" }, "Загрузка…"));
    try {
      renderProduct(await api("GET", "/api/v1/products/" + code));
    } catch (e) {
      errorText(box, e);
    }
  }

  function renderProduct(p) {
    const link = /^https:\/\//.test(p.link) ? el("a", { href: p.link, target: "_blank", rel: "noopener noreferrer" }, "Открыть") : el("span", {}, p.link);
    const pkg = p.package || {};
    clear(
      $("product-card"),
      el("h3", { id: "product-name" }, p.name),
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Основная информация"),
        kv("Наименование", p.name),
        kv("ID товара", String(p.id)),
        kv("Серийный номер", p.serial_number),
        kv("Продавец", p.seller.name),
        kv("Категория", p.category_path),
        el("div", { class: "kv" }, el("span", { class: "k" }, "Ссылка на товар"), el("span", { class: "v" }, link)),
        kv("Схема продаж", p.sale_scheme.title),
      ),
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Дополнительные данные"),
        p.attributes.length ? el("table", { class: "table" }, el("tbody", {}, p.attributes.map((a) => el("tr", {}, el("th", { scope: "row" }, a.name), el("td", {}, a.value))))) : el("p", { class: "muted" }, "Нет данных."),
      ),
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Остатки и габариты"),
        p.stock.length
          ? el("table", { class: "table", id: "stock" }, el("tbody", {}, p.stock.map((s) => el("tr", {}, el("th", { scope: "row" }, s.warehouse), el("td", { class: "num" }, String(s.quantity))))))
          : el("p", { class: "muted" }, "Нет в наличии."),
        kv("Всего", String(p.stock_total)),
        kv("Габариты упаковки, мм", pkg.length_mm ? pkg.length_mm + " X " + pkg.width_mm + " X " + pkg.height_mm : pkg.text || "—"),
        kv("Вес с упаковкой, г", pkg.weight_g ? String(pkg.weight_g) : "—"),
      ),
      el("section", { class: "block" }, el("h4", {}, "Сроки возврата"), p.return_terms.map((r) => kv(r.title, r.value || "—"))),
      el(
        "section",
        { class: "block" },
        el("h4", {}, "Цена"),
        kv("Цена", money(p.price, "₽")),
        kv("Скидка", money(p.discount, "₽") + (p.discount_percent ? " (" + p.discount_percent + " %)" : "")),
        kv("Цена со скидкой", money(p.price_with_discount, "₽")),
        p.markdown
          ? [kv("Уценка", "балл " + p.markdown.grade + " — " + p.markdown.grade_reason), kv("Причина", p.markdown.reason || "—"), kv("Скидка за уценку", p.markdown.discount_percent + " %")]
          : null,
        p.nominals && p.nominals.length ? kv("Номиналы", p.nominals.map((n) => money(n)).join("; ")) : null,
      ),
    );
  }

  $("product-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("product-q").value.trim();
    if (!q) return;
    clear($("product-results"));
    if (/^\d{1,19}$/.test(q)) {
      openProduct(q);
      return;
    }
    try {
      const data = await api("GET", "/api/v1/products?q=" + encodeURIComponent(q));
      clear($("product-card"));
      if (!data.products.length) {
        clear($("product-results"), el("p", { class: "muted" }, "Ничего не найдено."));
        return;
      }
      if (data.products.length === 1) {
        openProduct(data.products[0].id);
        return;
      }
      clear(
        $("product-results"),
        data.products.map((p) =>
          el("button", { type: "button", class: "item-open result", onclick: () => openProduct(p.id) }, el("span", { class: "item-title" }, p.name), el("span", { class: "item-sub" }, p.id + " · " + p.seller + " · " + money(p.price_with_discount, "₽") + " · остаток " + p.stock_total)),
        ),
      );
    } catch (e) {
      errorText($("product-results"), e);
    }
  });

  // ------------------------------------------------------------------ news
  function newsItem(item, onRead) {
    const node = el(
      "article",
      { class: "news" + (item.read ? " read" : " unread") },
      el(
        "div",
        { class: "news-head" },
        el("span", { class: "tag" }, item.kind.title),
        item.urgent ? el("span", { class: "tag urgent" }, "Срочная") : null,
        item.mandatory ? el("span", { class: "tag mandatory" }, "Обязательная") : null,
        el("span", { class: "small muted" }, "созд. " + dateTime(item.created_at) + (item.edited_at ? " · ред. " + dateTime(item.edited_at) : "")),
      ),
      el("strong", { class: "news-title" }, item.title),
      el("div", { class: "small muted" }, item.category + (item.starts_on ? " · с " + date(item.starts_on) : "") + (item.ends_on ? " по " + date(item.ends_on) : "")),
      item.body ? el("details", { open: item.mandatory && !item.read ? true : null }, el("summary", {}, "Подробнее"), el("p", { class: "news-body" }, item.body)) : null,
    );
    if (!item.read) {
      node.append(
        el(
          "button",
          {
            type: "button",
            class: "mark-read",
            onclick: async (event) => {
              event.target.disabled = true;
              try {
                await api("POST", "/api/v1/news/" + item.id + "/read");
                item.read = true;
                node.classList.replace("unread", "read");
                event.target.remove();
                if (onRead) onRead(item);
                loadUnread();
              } catch (e) {
                event.target.disabled = false;
                setStatus(e.message);
              }
            },
          },
          "Прочитано",
        ),
      );
    }
    return node;
  }

  async function loadCategories() {
    try {
      const data = await api("GET", "/api/v1/news/categories");
      const select = $("news-category");
      clear(select, el("option", { value: "" }, "Категория: все"), data.categories.map((c) => el("option", { value: c }, c)));
    } catch (e) {
      /* the filter stays empty */
    }
  }

  async function loadNews() {
    const params = new URLSearchParams({ filter: state.newsFilter, limit: "100" });
    const q = $("news-q").value.trim();
    if (q) params.set("q", q);
    if ($("news-category").value) params.set("category", $("news-category").value);
    if ($("news-from").value) params.set("date_from", $("news-from").value);
    if ($("news-to").value) params.set("date_to", $("news-to").value);
    try {
      const data = await api("GET", "/api/v1/news?" + params.toString());
      clear($("news-list"), data.items.length ? data.items.map((i) => newsItem(i)) : el("p", { class: "muted" }, "Новостей нет."));
      showUnread(data.unread);
    } catch (e) {
      errorText($("news-list"), e);
    }
  }

  function showUnread(count) {
    $("news-unread").textContent = String(count);
    $("news-unread").hidden = !count;
  }

  async function loadUnread() {
    try {
      const data = await api("GET", "/api/v1/news?filter=unread&limit=1");
      showUnread(data.unread);
    } catch (e) {
      /* not important */
    }
  }

  $("news-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadNews();
  });
  $("news-category").addEventListener("change", loadNews);
  for (const button of document.querySelectorAll(".filter")) {
    button.addEventListener("click", () => {
      state.newsFilter = button.dataset.filter;
      for (const b of document.querySelectorAll(".filter")) b.setAttribute("aria-pressed", String(b === button));
      loadNews();
    });
  }
  $("news-read-all").addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/news/read-all");
      loadNews();
    } catch (e) {
      setStatus(e.message);
    }
  });
  $("news-button").addEventListener("click", () => {
    showTab("news");
    $("news-q").focus();
  });

  // mandatory news after login: shown until every one is read
  async function mandatoryNews() {
    let items;
    try {
      const data = await api("GET", "/api/v1/news?filter=mandatory&limit=200");
      items = data.items.filter((i) => !i.read);
    } catch (e) {
      return;
    }
    if (!items.length) return;
    const dialog = $("mandatory-dialog");
    let left = items.length;
    clear(
      $("mandatory-list"),
      items.map((item) =>
        newsItem(item, () => {
          left -= 1;
          if (left <= 0) {
            dialog.close();
            $("composer-text").focus();
            return;
          }
          const next = dialog.querySelector(".mark-read");
          if (next) next.focus();
        }),
      ),
    );
    dialog.addEventListener("cancel", (event) => {
      if (left > 0) event.preventDefault();
    });
    dialog.showModal();
    const first = dialog.querySelector(".mark-read");
    if (first) first.focus();
  }

  // ------------------------------------------------------------------ hints browse and search
  async function loadHintTree() {
    try {
      const data = await api("GET", "/api/v1/hints/tree");
      state.hintTree = data.sections;
      clear($("hint-section"), el("option", { value: "" }, "Выберите…"), data.sections.map((s, i) => el("option", { value: String(i) }, s.title)));
    } catch (e) {
      errorText($("hint-results"), e);
    }
  }
  $("hint-section").addEventListener("change", () => {
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
    clear($("hint-results"), section.situations.flatMap((s) => s.hints).map((h) => hintCard(h)));
  });
  $("hint-situation").addEventListener("change", () => {
    const section = state.hintTree[Number($("hint-section").value)];
    const situation = section && section.situations[Number($("hint-situation").value)];
    if (!situation) return;
    clear($("hint-results"), situation.hints.map((h) => hintCard(h)));
  });
  $("hints-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("hints-q").value.trim();
    if (!q) return;
    try {
      const data = await api("POST", "/api/v1/hints", { text: q.slice(0, 2000), limit: 10 });
      clear($("hint-results"), data.hints.length ? data.hints.map((h) => hintCard(h)) : el("p", { class: "muted" }, "Ничего не найдено."));
    } catch (e) {
      errorText($("hint-results"), e);
    }
  });

  // ------------------------------------------------------------------ keyboard
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    if (["1", "2", "3"].includes(key) && state.hints[Number(key) - 1]) {
      event.preventDefault();
      insertText(state.hints[Number(key) - 1].body);
    } else if (key === "c" || key === "с") {
      event.preventDefault();
      showTab("customer");
      $("customer-id").focus();
    } else if (key === "p" || key === "з") {
      event.preventDefault();
      showTab("product");
      $("product-q").focus();
    } else if (key === "4") {
      event.preventDefault();
      showTab("news");
      $("news-q").focus();
    } else if (key === "h" || key === "р") {
      event.preventDefault();
      showTab("hints");
      $("hints-q").focus();
    } else if (key === "q" || key === "й") {
      event.preventDefault();
      const first = document.querySelector("#queue .take, #mine .item-open");
      if (first) first.focus();
    } else if (key === "m" || key === "ь") {
      event.preventDefault();
      $("composer-text").focus();
    }
  });

  // ------------------------------------------------------------------ live: the operator socket
  let backoff = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let socket;
    try {
      socket = new WebSocket(scheme + location.host + "/ws/operator");
    } catch (e) {
      setTimeout(connect, backoff);
      return;
    }
    state.socket = socket;
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token })));
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === "ready") {
        backoff = 1000;
        $("live").textContent = "на связи";
        $("live").className = "live on";
        state.lines = frame.lines || [];
        state.mine = frame.conversations || [];
        renderMine();
        loadQueue();
        if (state.current) fetchNewMessages().catch(() => {});
      } else if (frame.type === "message") {
        const m = frame.message;
        if (state.current && m.conversation_id === state.current.id) addMessages([m]);
        refreshLists();
      } else if (frame.type === "conversation") {
        const c = frame.conversation;
        if (state.current && c.id === state.current.id) {
          state.current = c;
          renderHeader();
          if (c.last_seq > state.lastSeq) fetchNewMessages().catch(() => {});
        }
        refreshLists();
      } else if (frame.type === "error" && !state.lines.length) {
        // refused before "ready": an expired session goes back to the login page
        loadMe().catch(() => {});
      } else if (frame.type === "resync") {
        refreshLists();
        if (state.current) fetchNewMessages().catch(() => {});
      }
      // the server's {"type": "ping"} needs no answer
    });
    socket.addEventListener("close", () => {
      $("live").textContent = "нет связи";
      $("live").className = "live off";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    });
  }

  // ------------------------------------------------------------------ start
  (async function start() {
    try {
      await loadMe();
    } catch (e) {
      setStatus(e.message);
      return;
    }
    clear($("hint-cards"), el("p", { class: "muted small" }, "Откройте диалог — здесь появятся подсказки."));
    connect();
    loadTopics();
    loadCategories();
    loadUnread();
    loadMine().catch(() => {});
    await mandatoryNews();
    sessionStorage.removeItem("marketdesk.console.fresh");
    document.body.dataset.ready = "1";
  })();
})();
