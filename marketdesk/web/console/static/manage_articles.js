// «Управление» → «Статьи» and «Подсказки»: the knowledge base's articles (by audience) and the
// operators' hints (section → situation → hint) in one editor. «Проверить» runs the checks
// without saving; saving runs them again: an article that does not load is refused, and a
// drop of the bot's evaluation is shown (before → after) and saved only when confirmed.
// Every version is listed and can be made live again.
import { $, api, clear, dateTime, el } from "./common.js";
import { say } from "./manage.js";

const AUDIENCES = { customer: "Покупателям", seller: "Продавцам", operator: "Операторам" };
const MEASURES = [
  ["topic_correct", "topic_total", "Темы"],
  ["action_correct", "action_total", "Действия"],
  ["facts_complete", "facts_total", "Факты"],
];
const NEW_HINT = "---\nslug: \ntitle: \naudience: operator\nsection: \nsituation: \n---\n";
let all = [];
let mode = "articles";
let current = null; // the key in the editor
let pending = null; // what «Сохранить, несмотря на ухудшение» does

function frontMatter(text) {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) return { meta: {}, body: text };
  const meta = {};
  for (const line of match[1].split(/\r?\n/)) {
    const m = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (m && m[2]) meta[m[1]] = m[2].replace(/^["']|["']$/g, "");
  }
  return { meta, body: match[2].trim() };
}

function preview() {
  const { meta, body } = frontMatter($("a-text").value);
  const where = [meta.section, meta.situation].filter(Boolean).join(" → ");
  clear(
    $("article-preview"),
    el("div", { class: "small muted" }, AUDIENCES[meta.audience] || "Аудитория не указана", where ? " · " + where : ""),
    el("strong", {}, meta.title || "Без заголовка"),
    body.split(/\n{2,}/).map((p) => el("p", {}, p)),
  );
}

function figuresTable(before, after) {
  const rows = [];
  before.forEach((old, i) => {
    const now = after[i] || old;
    for (const [field, total, title] of MEASURES) {
      const worse = now[field] < old[field];
      rows.push(
        el(
          "tr",
          { dataset: { set: old.name, measure: field } },
          el("td", {}, old.name),
          el("td", {}, title),
          el("td", { class: "before" }, `${old[field]} из ${old[total]}`),
          el("td", { class: worse ? "after worse" : "after" }, `${now[field]} из ${now[total]}`),
        ),
      );
    }
  });
  return el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Набор"), el("th", {}, "Показатель"), el("th", {}, "До"), el("th", {}, "После"))), el("tbody", {}, rows));
}

function showFigures(result, drops) {
  const box = $("article-figures");
  box.hidden = false;
  box.classList.toggle("drop", drops.length > 0);
  clear(
    box,
    el("strong", {}, drops.length ? "Оценка бота ухудшится (до → после):" : "Оценка бота не ухудшится."),
    result.before && result.before.length ? figuresTable(result.before, result.after) : null,
  );
}

function showError(text) {
  $("article-error").textContent = text;
  $("article-error").hidden = !text;
}

function reset() {
  showError("");
  $("article-figures").hidden = true;
  $("article-confirm").hidden = true;
  pending = null;
}

function versionItem(key, v) {
  const who = (v.author || "—") + ", " + dateTime(v.created_at);
  return el(
    "li",
    { dataset: { version: String(v.version) } },
    el("span", {}, `Версия ${v.version}: ${who}`),
    v.note ? el("span", { class: "muted" }, " — " + v.note) : null,
    v.confirmed_drop ? el("span", { class: "tag urgent" }, "с ухудшением") : null,
    " ",
    el("button", { type: "button", class: "link rollback", onclick: () => rollback(key, v.version, false) }, "Вернуть"),
  );
}

async function open(key) {
  reset();
  try {
    const detail = await api("GET", "/api/v1/content/articles/" + encodeURIComponent(key));
    current = key;
    $("a-key").value = key;
    $("a-key").readOnly = true;
    $("a-text").value = detail.text;
    $("a-note").value = "";
    $("article-title").textContent = frontMatter(detail.text).meta.title || key;
    const versions = detail.versions.map((v) => versionItem(key, v));
    if (detail.seed) {
      versions.push(
        el("li", { dataset: { version: "0" } }, "Исходный файл ", el("button", { type: "button", class: "link rollback", onclick: () => rollback(key, 0, false) }, "Вернуть")),
      );
    }
    clear($("article-versions"), versions);
    for (const b of document.querySelectorAll("#articles-tree button.entry")) b.setAttribute("aria-current", String(b.dataset.key === key));
    preview();
  } catch (e) {
    say(e.message);
  }
}

function startNew() {
  reset();
  current = null;
  $("a-key").value = "";
  $("a-key").readOnly = false;
  $("a-text").value = mode === "hints" ? NEW_HINT : NEW_HINT.replace("operator", "customer").replace("section: \nsituation: \n", "questions:\n  - \n");
  $("a-note").value = "";
  $("article-title").textContent = mode === "hints" ? "Новая подсказка" : "Новая статья";
  clear($("article-versions"));
  preview();
}

// a refusal for a drop holds the figures: shown, and the confirm button repeats the call
function refused(e, retry) {
  if (e.code === "evaluation_dropped") {
    showError(e.message);
    showFigures({ before: e.data.before || [], after: e.data.after || [] }, [e.message]);
    pending = retry;
    $("article-confirm").hidden = false;
    return;
  }
  showError(e.message);
}

async function check() {
  reset();
  const key = $("a-key").value.trim();
  try {
    const result = await api("POST", `/api/v1/content/articles/${encodeURIComponent(key)}/check`, { text: $("a-text").value });
    if (result.errors.length) showError("Статья не прошла проверку: " + result.errors.join("; "));
    else showFigures(result, result.drops);
  } catch (e) {
    showError(e.message);
  }
}

async function afterSave(key, saved, what) {
  say(`${what}: версия ${saved.version} работает.`);
  showFigures(saved.comparison, saved.comparison.drops);
  $("article-confirm").hidden = true;
  pending = null;
  await loadList();
  await open(key);
  showFigures(saved.comparison, saved.comparison.drops);
}

async function save(confirm) {
  showError("");
  const key = $("a-key").value.trim();
  const body = { text: $("a-text").value, note: $("a-note").value.trim(), confirm };
  $("article-save").disabled = true;
  try {
    const saved = await api("PUT", "/api/v1/content/articles/" + encodeURIComponent(key), body);
    await afterSave(key, saved, "Статья сохранена");
  } catch (e) {
    refused(e, () => save(true));
  } finally {
    $("article-save").disabled = false;
  }
}

async function rollback(key, version, confirm) {
  reset();
  try {
    const saved = await api("POST", `/api/v1/content/articles/${encodeURIComponent(key)}/rollback`, { version, confirm });
    await afterSave(key, saved, `Возвращена версия ${version}`);
  } catch (e) {
    refused(e, () => rollback(key, version, true));
  }
}

function entry(a) {
  return el(
    "button",
    { type: "button", class: "entry", dataset: { key: a.key }, onclick: () => open(a.key) },
    el("span", {}, a.title),
    el("span", { class: "small muted" }, a.key + (a.version ? ` · версия ${a.version}` : "")),
  );
}

function group(title, children, opened) {
  return el("details", { open: opened ? true : null }, el("summary", {}, title), children);
}

function render() {
  const q = $("articles-search").value.trim().toLowerCase();
  const shown = all.filter((a) => !q || (a.title + " " + a.key + " " + a.section + " " + a.situation).toLowerCase().includes(q));
  let nodes;
  if (mode === "hints") {
    const tree = {};
    for (const a of shown.filter((x) => x.audience === "operator" && x.section)) {
      const situation = a.situation || a.title;
      ((tree[a.section] ||= {})[situation] ||= []).push(a);
    }
    nodes = Object.keys(tree)
      .sort()
      .map((section) => group(section, Object.keys(tree[section]).sort().map((s) => group(s, tree[section][s].map(entry), Boolean(q))), Boolean(q)));
  } else {
    nodes = Object.entries(AUDIENCES).map(([code, title]) => group(title, shown.filter((a) => a.audience === code).map(entry), code === "customer" || Boolean(q)));
  }
  clear($("articles-tree"), nodes);
}

async function loadList() {
  try {
    all = (await api("GET", "/api/v1/content/articles")).articles;
    render();
  } catch (e) {
    say(e.message);
  }
}

export function showArticles(name) {
  mode = name;
  $("articles-list-title").textContent = name === "hints" ? "Подсказки" : "Статьи";
  $("article-new").textContent = name === "hints" ? "Новая подсказка" : "Новая статья";
  render();
  if (current === null) startNew();
}

export async function initArticles() {
  $("a-text").addEventListener("input", preview);
  $("article-editor").addEventListener("submit", (event) => {
    event.preventDefault();
    save(false);
  });
  $("article-check").addEventListener("click", check);
  $("article-confirm").addEventListener("click", () => {
    if (pending) pending();
  });
  $("article-new").addEventListener("click", startNew);
  $("articles-search").addEventListener("input", render);
  await loadList();
}
