// The news tab and the unread count in the top bar; mandatory news after login, in a dialog
// that stays until every one is marked read.
import { $, api, clear, date, dateTimeShort, el, errorText } from "./common.js";
import { setStatus, state } from "./state.js";

function newsHead(item) {
  return el(
    "div",
    { class: "news-head" },
    el("span", { class: "tag" }, item.kind.title),
    item.urgent ? el("span", { class: "tag urgent" }, "Срочная") : null,
    item.mandatory ? el("span", { class: "tag mandatory" }, "Обязательная") : null,
    el("span", { class: "small muted" }, "созд. " + dateTimeShort(item.created_at) + (item.edited_at ? " · ред. " + dateTimeShort(item.edited_at) : "")),
  );
}

function markReadButton(item, node, onRead) {
  return el(
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
  );
}

function newsItem(item, onRead) {
  const period = (item.starts_on ? " · с " + date(item.starts_on) : "") + (item.ends_on ? " по " + date(item.ends_on) : "");
  const node = el(
    "article",
    { class: "news" + (item.read ? " read" : " unread") },
    newsHead(item),
    el("strong", { class: "news-title" }, item.title),
    el("div", { class: "small muted" }, item.category + period),
    item.body ? el("details", { open: item.mandatory && !item.read ? true : null }, el("summary", {}, "Подробнее"), el("p", { class: "news-body" }, item.body)) : null,
  );
  if (!item.read) node.append(markReadButton(item, node, onRead));
  return node;
}

export async function loadCategories() {
  try {
    const data = await api("GET", "/api/v1/news/categories");
    clear($("news-category"), el("option", { value: "" }, "Категория: все"), data.categories.map((c) => el("option", { value: c }, c)));
  } catch (e) {
    /* the filter stays empty */
  }
}

function newsQuery() {
  const params = new URLSearchParams({ filter: state.newsFilter, limit: "100" });
  const q = $("news-q").value.trim();
  if (q) params.set("q", q);
  if ($("news-category").value) params.set("category", $("news-category").value);
  if ($("news-from").value) params.set("date_from", $("news-from").value);
  if ($("news-to").value) params.set("date_to", $("news-to").value);
  return params;
}

export async function loadNews() {
  try {
    const data = await api("GET", "/api/v1/news?" + newsQuery().toString());
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

export async function loadUnread() {
  try {
    const data = await api("GET", "/api/v1/news?filter=unread&limit=1");
    showUnread(data.unread);
  } catch (e) {
    /* not important */
  }
}

// mandatory news after login: shown until every one is read
export async function mandatoryNews() {
  let items;
  try {
    const data = await api("GET", "/api/v1/news?filter=mandatory&limit=200");
    items = data.items.filter((i) => !i.read);
  } catch (e) {
    return;
  }
  if (!items.length) return;
  const dialog = $("mandatory-dialog");
  if (dialog.open) dialog.close(); // shown again with what is unread now (a live news item)
  let left = items.length;
  const onRead = () => {
    left -= 1;
    if (left <= 0) {
      dialog.close();
      $("composer-text").focus();
      return;
    }
    const next = dialog.querySelector(".mark-read");
    if (next) next.focus();
  };
  clear($("mandatory-list"), items.map((item) => newsItem(item, onRead)));
  dialog.oncancel = (event) => {
    if (left > 0) event.preventDefault();
  };
  dialog.showModal();
  const first = dialog.querySelector(".mark-read");
  if (first) first.focus();
}

export function wireNews(showTab) {
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
}
