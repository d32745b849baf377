// The operator console's entry (an ES module): without a token it goes to the login page;
// otherwise it wires the areas' modules to the page and starts. Every text that comes from the
// server (messages, names, file names, news, hints) is put into the page with textContent,
// never as HTML; the page's Content-Security-Policy forbids inline script as a second line of
// defence.
import { wireBan } from "./ban.js";
import { openCustomer } from "./card.js";
import { wireCustomerSearch } from "./customer_search.js";
import { wireNewTask } from "./new_task.js";
import { wireOrder } from "./order.js";
import { api, token, toLogin } from "./common.js";
import { wireComposer } from "./composer.js";
import { openConversation, renderHeader, wireConversation } from "./conversation.js";
import { showHintsPlaceholder, wireHints } from "./hints.js";
import { connect } from "./live.js";
import { loadMe, wireMe } from "./me.js";
import { loadCategories, loadUnread, mandatoryNews, wireNews } from "./news.js";
import { wireProduct } from "./product.js";
import { loadMine, renderMine, renderQueue, wireQueue } from "./queue.js";
import { wireRefusal } from "./refusal.js";
import { setStatus, state, topics } from "./state.js";
import { showTab, wireTabs } from "./tabs.js";

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

function wire() {
  wireTabs();
  wireMe();
  wireQueue();
  wireConversation();
  wireRefusal();
  wireComposer();
  wireCustomerSearch();
  wireOrder();
  wireNewTask();
  wireBan();
  wireProduct();
  wireNews(showTab);
  wireHints();
}

// a link from elsewhere: #conversation=ID (reports, tasks), #customer=ID (tasks, the card)
function openLinked() {
  const linked = /^#(conversation|customer)=(\d{1,15})$/.exec(location.hash);
  if (!linked) return;
  if (linked[1] === "conversation") openConversation(Number(linked[2])).catch((e) => setStatus(e.message));
  else {
    showTab("customer");
    openCustomer(Number(linked[2]));
  }
}

async function start() {
  try {
    await loadMe();
  } catch (e) {
    setStatus(e.message);
    return;
  }
  showHintsPlaceholder();
  connect();
  loadTopics();
  loadCategories();
  loadUnread();
  loadMine().catch(() => {});
  openLinked();
  window.addEventListener("hashchange", openLinked);
  await mandatoryNews();
  sessionStorage.removeItem("marketdesk.console.fresh");
  document.body.dataset.ready = "1";
}

if (!token()) {
  toLogin();
} else {
  wire();
  start();
}
