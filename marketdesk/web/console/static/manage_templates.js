// «Управление» → «Шаблоны ответов»: the texts customers get when a back-office task ends, and
// the notifications' texts; each version kept, any can come back. Only the seed's
// placeholders may be used (listed above the text); the preview fills them with samples.
import { $, api, clear, dateTime, el } from "./common.js";
import { say } from "./manage.js";

let all = [];
let current = null;

function sample(name) {
  return "«" + name + "»";
}

function preview() {
  const text = $("t-text").value;
  const filled = text
    .replace(/\$\{([a-z_]+)\}|\$([a-z_]+)/g, (_, a, b) => sample(a || b))
    .replace(/\{(number|queue)\}/g, (_, name) => sample(name));
  clear($("template-preview"), filled);
}

function versionItem(key, v) {
  return el(
    "li",
    {},
    `Версия ${v.version}: ${v.author || "—"}, ${dateTime(v.created_at)}`,
    v.note ? el("span", { class: "muted" }, " — " + v.note) : null,
    " ",
    el("button", { type: "button", class: "link", onclick: () => rollback(key, v.version) }, "Вернуть"),
  );
}

async function open(key) {
  $("template-error").hidden = true;
  try {
    const t = await api("GET", "/api/v1/content/templates/" + encodeURIComponent(key));
    current = key;
    $("template-title").textContent = t.group + ": " + t.title;
    $("template-fields").textContent = t.fields.length
      ? "Подстановки: " + t.fields.map((f) => (key.startsWith("outcome.") ? "{" + f + "}" : "$" + f)).join(", ")
      : "Без подстановок.";
    $("t-text").value = t.text;
    clear(
      $("template-versions"),
      t.versions.map((v) => versionItem(key, v)),
      el("li", {}, "Исходный текст ", el("button", { type: "button", class: "link", onclick: () => rollback(key, 0) }, "Вернуть")),
    );
    for (const b of document.querySelectorAll("#templates-tree button.entry")) b.setAttribute("aria-current", String(b.dataset.key === key));
    preview();
  } catch (e) {
    say(e.message);
  }
}

async function save(event) {
  event.preventDefault();
  if (current === null) return;
  $("template-error").hidden = true;
  try {
    const saved = await api("PUT", "/api/v1/content/templates/" + encodeURIComponent(current), { text: $("t-text").value });
    say(`Шаблон сохранён: версия ${saved.version} работает.`);
    await load();
    await open(current);
  } catch (e) {
    $("template-error").textContent = e.message;
    $("template-error").hidden = false;
  }
}

async function rollback(key, version) {
  try {
    const saved = await api("POST", `/api/v1/content/templates/${encodeURIComponent(key)}/rollback`, { version });
    say(`Возвращена версия ${version}: теперь это версия ${saved.version}.`);
    await load();
    await open(key);
  } catch (e) {
    say(e.message);
  }
}

function render() {
  const groups = {};
  for (const t of all) (groups[t.group] ||= []).push(t);
  clear(
    $("templates-tree"),
    Object.entries(groups).map(([title, items]) =>
      el(
        "details",
        { open: true },
        el("summary", {}, title),
        items.map((t) =>
          el(
            "button",
            { type: "button", class: "entry", dataset: { key: t.key }, onclick: () => open(t.key) },
            el("span", {}, t.title),
            el("span", { class: "small muted" }, t.key + (t.version ? ` · версия ${t.version}` : "")),
          ),
        ),
      ),
    ),
  );
}

async function load() {
  try {
    all = (await api("GET", "/api/v1/content/templates")).templates;
    render();
  } catch (e) {
    say(e.message);
  }
}

export async function initTemplates() {
  $("t-text").addEventListener("input", preview);
  $("template-editor").addEventListener("submit", save);
  await load();
}
