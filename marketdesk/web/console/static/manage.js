// «Управление» (/console/manage): supervisors and admins edit the content operators and
// customers read. One module a tab: news (manage_news.js), hints and articles
// (manage_articles.js), answer templates (manage_templates.js); this one checks who is
// logged in and switches the tabs.
import { $, api, token, toLogin } from "./common.js";
import { initArticles, showArticles } from "./manage_articles.js";
import { initNews } from "./manage_news.js";
import { initTemplates } from "./manage_templates.js";

export function say(text) {
  $("manage-status").textContent = text;
}

function showTab(name) {
  for (const button of document.querySelectorAll("#manage-tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll("main[data-panel]")) {
    panel.hidden = !panel.dataset.panel.split(" ").includes(name);
  }
  if (name === "hints" || name === "articles") showArticles(name);
  document.body.dataset.tab = name;
}

async function start() {
  if (!token()) {
    toLogin();
    return;
  }
  let me;
  try {
    me = await api("GET", "/api/v1/auth/me");
  } catch (e) {
    say(e.message);
    return;
  }
  const roles = me.roles || [];
  if (me.kind !== "operator" || !(roles.includes("supervisor") || roles.includes("admin"))) {
    say("Раздел «Управление» доступен руководителям и администраторам.");
    for (const panel of document.querySelectorAll("main[data-panel]")) panel.hidden = true;
    document.body.dataset.ready = "1";
    return;
  }
  $("manage-me").textContent = me.name;
  for (const button of document.querySelectorAll("#manage-tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  await Promise.all([initNews(), initArticles(), initTemplates()]);
  showTab(location.hash.slice(1) || "news");
  document.body.dataset.ready = "1";
}

start();
