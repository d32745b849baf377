// The supervisors' wallboard (/console/board): the snapshot of GET /api/v1/board first, then
// the ones the server pushes over the operator socket ({"type": "board", "board": …}, every
// few seconds and soon after a queue changes) — no reloads. Low ratings waiting for a review
// are listed from GET /api/v1/rating-reviews and closed with «Разобрано».
import { $, api, clear, el, token, toLogin } from "./common.js";

let backoff = 1000;
let reviewsShown = -1;

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? h + " ч " + pad(m) + " мин" : m + ":" + pad(s % 60);
}

function percent(rate) {
  return rate === null || rate === undefined ? "—" : Math.round(rate * 100) + "%";
}

function setText(id, value) {
  $(id).textContent = String(value);
}

function mark(id, level) {
  $(id).classList.toggle("warn", level === "warn");
  $(id).classList.toggle("alarm", level === "alarm");
}

function lineRow(row) {
  return el(
    "tr",
    {},
    el("td", {}, row.line_title),
    el("td", {}, row.channel_title),
    el("td", { class: "num" }, String(row.bot)),
    el("td", { class: "num" }, String(row.waiting)),
    el("td", { class: "num" }, String(row.active)),
    el("td", { class: "num" }, duration(row.longest_wait_s)),
  );
}

function taskRow(row) {
  return el(
    "tr",
    { class: row.overdue ? "late" : "" },
    el("td", {}, row.title),
    el("td", { class: "num" }, String(row.backlog)),
    el("td", { class: "num late" }, String(row.overdue)),
  );
}

function render(board) {
  setText("waiting", board.waiting);
  setText("longest-wait", duration(board.longest_wait_s));
  setText("active", board.active);
  setText("bot", board.bot);
  setText("online", board.operators.online);
  setText("at-capacity", board.operators.at_capacity);
  setText("load", board.operators.chats + " из " + board.operators.capacity);
  setText("sla-risk", board.sla.at_risk + board.sla.overdue);
  setText("sla-overdue", board.sla.overdue);
  setText("sla-window", board.sla.warning_minutes);
  setText("containment", percent(board.containment.rate));
  setText("contained", board.containment.contained);
  setText("created-today", board.containment.created);
  setText("reviews-open", board.reviews_open);
  mark("tile-waiting", board.waiting && !board.operators.online ? "alarm" : board.waiting ? "warn" : "");
  mark("tile-sla", board.sla.overdue ? "alarm" : board.sla.at_risk ? "warn" : "");
  mark("tile-reviews", board.reviews_open ? "warn" : "");
  clear($("lines"), ...board.lines.map(lineRow));
  clear($("tasks"), ...board.tasks.map(taskRow));
  setText("updated", new Date(board.at).toLocaleTimeString("ru-RU"));
  if (board.reviews_open !== reviewsShown) loadReviews();
}

function review(item) {
  const done = el("button", { type: "button" }, "Разобрано");
  done.addEventListener("click", () => {
    done.disabled = true;
    api("POST", "/api/v1/rating-reviews/" + item.id + "/done", {})
      .then(() => loadReviews())
      .catch((error) => {
        done.disabled = false;
        setText("reviews-status", error.message);
      });
  });
  return el(
    "li",
    { class: "review" },
    el(
      "div",
      { class: "review__head" },
      el("span", { class: "review__rating" }, "Оценка " + item.rating + " из 5"),
      el("span", { class: "muted small" }, item.line_title + " · диалог №" + item.conversation_id),
    ),
    el("p", { class: "review__comment" }, item.comment || "Без комментария."),
    done,
  );
}

async function loadReviews() {
  try {
    const page = await api("GET", "/api/v1/rating-reviews?status=open&limit=20");
    reviewsShown = page.reviews.length;
    clear($("reviews"), ...page.reviews.map(review));
    setText("reviews-status", page.reviews.length ? "" : "Низких оценок без разбора нет.");
  } catch (error) {
    setText("reviews-status", error.message);
  }
}

function showError(message) {
  $("board-error").hidden = !message;
  $("board-error").textContent = message || "";
}

function showLive(on) {
  $("live").textContent = on ? "на связи" : "нет связи";
  $("live").className = on ? "live on" : "live off";
}

function onFrame(event) {
  let frame;
  try {
    frame = JSON.parse(event.data);
  } catch (e) {
    return;
  }
  if (frame.type === "ready") {
    backoff = 1000;
    showLive(true);
  } else if (frame.type === "board" && frame.board) {
    render(frame.board);
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let socket;
  try {
    socket = new WebSocket(scheme + location.host + "/ws/operator");
  } catch (e) {
    setTimeout(connect, backoff);
    return;
  }
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token: token() })));
  socket.addEventListener("message", onFrame);
  socket.addEventListener("close", () => {
    showLive(false);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  });
}

async function start() {
  if (!token()) {
    toLogin();
    return;
  }
  try {
    render(await api("GET", "/api/v1/board"));
  } catch (error) {
    showError(error.status === 403 ? "Монитор поддержки доступен старшим смены и администраторам." : error.message);
    return;
  }
  connect();
}

start();
