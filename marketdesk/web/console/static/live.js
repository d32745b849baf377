// Live: the operator socket (/ws/operator, see docs/protocol.md). It authenticates with the
// tab's token, then each frame updates the lists and the open conversation; a lost connection
// is retried with a growing pause.
import { $, token } from "./common.js";
import { fetchNewMessages, renderHeader } from "./conversation.js";
import { loadDeliveries, onDelivery } from "./deliveries.js";
import { loadMe } from "./me.js";
import { loadUnread, mandatoryNews } from "./news.js";
import { loadQueue, refreshLists, renderMine } from "./queue.js";
import { slaAlert } from "./sla.js";
import { setStatus, state } from "./state.js";
import { addMessages } from "./transcript.js";

let backoff = 1000;

function showLive(on) {
  $("live").textContent = on ? "на связи" : "нет связи";
  $("live").className = on ? "live on" : "live off";
}

function catchUp() {
  if (state.current) fetchNewMessages().catch(() => {});
}

function applyConversation(c) {
  if (state.current && c.id === state.current.id) {
    state.current = c;
    renderHeader();
    if (c.last_seq > state.lastSeq) fetchNewMessages().catch(() => {});
  }
}

// one handler a frame type; the server's {"type": "ping"} needs no answer
const FRAMES = {
  ready(frame) {
    backoff = 1000;
    showLive(true);
    state.lines = frame.lines || [];
    state.mine = frame.conversations || [];
    renderMine();
    loadQueue();
    catchUp();
  },
  // a message that started or stopped a service-level clock carries the conversation after it
  message(frame) {
    const m = frame.message;
    if (state.current && m.conversation_id === state.current.id) addMessages([m]);
    if (frame.conversation) applyConversation(frame.conversation);
    refreshLists();
  },
  conversation(frame) {
    applyConversation(frame.conversation);
    refreshLists();
  },
  error() {
    // refused before "ready": an expired session goes back to the login page
    if (!state.lines.length) loadMe().catch(() => {});
  },
  sla(frame) {
    slaAlert(frame);
    refreshLists();
  },
  escalation(frame) {
    slaAlert(frame);
    refreshLists();
  },
  // a back-office task's deadline passed (supervisors, the assignee): said on the status line;
  // the workspace (/console/tasks) shows it with the task
  task_escalated(frame) {
    if (frame.text) setStatus("⚠ " + frame.text);
  },
  // a supervisor published or edited a news item for this operator (issue 16): the unread
  // count, and a mandatory item opens the mandatory-news window at once
  news_published(frame) {
    loadUnread();
    if (frame.news && frame.news.mandatory) mandatoryNews();
    else if (frame.news) setStatus("Новость: " + frame.news.title);
  },
  resync() {
    refreshLists();
    catchUp();
    loadDeliveries();
  },
  delivery(frame) {
    onDelivery(frame);
  },
};

function onFrame(event) {
  let frame;
  try {
    frame = JSON.parse(event.data);
  } catch (e) {
    return;
  }
  if (Object.hasOwn(FRAMES, frame.type)) FRAMES[frame.type](frame);
}

export function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let socket;
  try {
    socket = new WebSocket(scheme + location.host + "/ws/operator");
  } catch (e) {
    setTimeout(connect, backoff);
    return;
  }
  state.socket = socket;
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token: token() })));
  socket.addEventListener("message", onFrame);
  socket.addEventListener("close", () => {
    showLive(false);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  });
}
