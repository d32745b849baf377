// «Управление» → «Новости»: create and edit promotions news (POST /api/v1/news, PATCH
// /api/v1/news/{id}) with a preview as the operators' list shows it. A mandatory item opens
// the mandatory-news window of every operator it is for, live.
import { $, api, clear, date, el } from "./common.js";
import { say } from "./manage.js";

const KINDS = { promotion: "Акция", news: "Новость", instruction: "Инструкция" };
const LINES = { general: "Общая", travel_priority: "Travel, приоритетная", seller: "Продавцы" };
let editing = null; // the id of the item in the editor, or null for a new one
let items = [];

function form() {
  return {
    kind: $("n-kind").value,
    title: $("n-title").value.trim(),
    body: $("n-body").value.trim(),
    category: $("n-category").value.trim(),
    starts_on: $("n-starts").value || null,
    ends_on: $("n-ends").value || null,
    urgent: $("n-urgent").checked,
    mandatory: $("n-mandatory").checked,
    lines: [...document.querySelectorAll("input[name=n-line]:checked")].map((i) => i.value),
  };
}

function fill(item) {
  editing = item ? item.id : null;
  $("news-editor-title").textContent = item ? "Правка новости" : "Новая новость";
  $("news-save").textContent = item ? "Сохранить" : "Опубликовать";
  $("n-kind").value = item ? item.kind.code || item.kind : "promotion";
  $("n-title").value = item ? item.title : "";
  $("n-body").value = item ? item.body : "";
  $("n-category").value = item ? item.category : "";
  $("n-starts").value = item && item.starts_on ? item.starts_on : "";
  $("n-ends").value = item && item.ends_on ? item.ends_on : "";
  $("n-urgent").checked = Boolean(item && item.urgent);
  $("n-mandatory").checked = Boolean(item && item.mandatory);
  const lines = (item && item.lines) || [];
  for (const box of document.querySelectorAll("input[name=n-line]")) box.checked = lines.includes(box.value);
  $("news-error").hidden = true;
  for (const b of document.querySelectorAll("#news-items button.entry")) {
    b.setAttribute("aria-current", String(item !== null && b.dataset.id === String(item.id)));
  }
  preview();
}

// the item as the operators' news tab shows it (news.js), from what the form holds now
function preview() {
  const data = form();
  const period = (data.starts_on ? " · с " + date(data.starts_on) : "") + (data.ends_on ? " по " + date(data.ends_on) : "");
  const lines = data.lines.length ? "Для линий: " + data.lines.map((l) => LINES[l]).join(", ") : "Для всех линий";
  clear(
    $("news-preview"),
    el(
      "article",
      { class: "news unread" },
      el(
        "div",
        { class: "news-head" },
        el("span", { class: "tag" }, KINDS[data.kind]),
        data.urgent ? el("span", { class: "tag urgent" }, "Срочная") : null,
        data.mandatory ? el("span", { class: "tag mandatory" }, "Обязательная") : null,
      ),
      el("strong", { class: "news-title" }, data.title || "Заголовок"),
      el("div", { class: "small muted" }, (data.category || "Категория") + period),
      data.body ? el("p", { class: "news-body" }, data.body) : null,
      el("div", { class: "small muted" }, lines),
      data.mandatory ? el("p", { class: "small warning" }, "Операторы увидят её в окне обязательных новостей сразу после публикации.") : null,
    ),
  );
}

function entry(item) {
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "entry", dataset: { id: String(item.id) }, onclick: () => fill(item) },
      el("span", {}, item.title),
      el(
        "span",
        { class: "small muted" },
        item.kind.title + " · " + item.category + (item.mandatory ? " · обязательная" : "") + (item.urgent ? " · срочная" : ""),
      ),
    ),
  );
}

async function loadList() {
  const q = $("news-search").value.trim();
  const params = new URLSearchParams({ limit: "100" });
  if (q) params.set("q", q);
  try {
    const page = await api("GET", "/api/v1/news?" + params);
    items = page.items;
    clear($("news-items"), items.map(entry));
  } catch (e) {
    say(e.message);
  }
}

async function save(event) {
  event.preventDefault();
  const data = form();
  $("news-error").hidden = true;
  if (!data.title || !data.category) {
    $("news-error").textContent = "Заполните заголовок и категорию.";
    $("news-error").hidden = false;
    return;
  }
  $("news-save").disabled = true;
  try {
    const saved = editing === null ? await api("POST", "/api/v1/news", data) : await api("PATCH", "/api/v1/news/" + editing, data);
    say(
      (editing === null ? "Новость опубликована" : "Новость сохранена") +
        (saved.notified ? `: её получили операторы на связи (${saved.notified}).` : "."),
    );
    editing = saved.id;
    $("news-editor-title").textContent = "Правка новости";
    $("news-save").textContent = "Сохранить";
    await loadList();
    for (const b of document.querySelectorAll("#news-items button.entry")) {
      b.setAttribute("aria-current", String(b.dataset.id === String(saved.id)));
    }
  } catch (e) {
    $("news-error").textContent = e.message;
    $("news-error").hidden = false;
  } finally {
    $("news-save").disabled = false;
  }
}

export async function initNews() {
  $("news-editor").addEventListener("input", preview);
  $("news-editor").addEventListener("change", preview);
  $("news-editor").addEventListener("submit", save);
  $("news-new").addEventListener("click", () => fill(null));
  let timer = null;
  $("news-search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(loadList, 250);
  });
  try {
    const data = await api("GET", "/api/v1/news/categories");
    clear($("n-categories"), data.categories.map((c) => el("option", { value: c })));
  } catch (e) {
    /* the list of categories only helps */
  }
  fill(null);
  await loadList();
}
