// The right column's tabs (customer, product, news, hints) and the keyboard shortcuts.
import { $ } from "./common.js";
import { insertText } from "./composer.js";
import { loadHintTree } from "./hints.js";
import { loadNews } from "./news.js";
import { state } from "./state.js";

const TABS = ["customer", "product", "news", "hints"];

export function showTab(name) {
  for (const tab of TABS) {
    const selected = tab === name;
    $("tab-" + tab).setAttribute("aria-selected", String(selected));
    $("tab-" + tab).tabIndex = selected ? 0 : -1;
    $("panel-" + tab).hidden = !selected;
  }
  if (name === "news") loadNews();
  if (name === "hints" && !state.hintTree.length) loadHintTree();
}

function focusTab(name, field) {
  showTab(name);
  $(field).focus();
}

// Alt+key (Latin or the same key in the Russian layout) → what it does
const SHORTCUTS = {
  c: () => focusTab("customer", "customer-id"),
  p: () => focusTab("product", "product-q"),
  4: () => focusTab("news", "news-q"),
  h: () => focusTab("hints", "hints-q"),
  q: () => {
    const first = document.querySelector("#queue .take, #mine .item-open");
    if (first) first.focus();
  },
  m: () => $("composer-text").focus(),
};
const RUSSIAN_KEYS = { с: "c", з: "p", р: "h", й: "q", ь: "m" };

function onShortcut(event) {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const key = event.key.toLowerCase();
  if (["1", "2", "3"].includes(key)) {
    const hint = state.hints[Number(key) - 1];
    if (!hint) return;
    event.preventDefault();
    insertText(hint.body);
    return;
  }
  const action = SHORTCUTS[RUSSIAN_KEYS[key] || key];
  if (!action) return;
  event.preventDefault();
  action();
}

export function wireTabs() {
  for (const tab of TABS) $("tab-" + tab).addEventListener("click", () => showTab(tab));
  document.querySelector(".tabs").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const current = TABS.findIndex((t) => $("tab-" + t).getAttribute("aria-selected") === "true");
    const next = (current + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length;
    showTab(TABS[next]);
    $("tab-" + TABS[next]).focus();
  });
  document.addEventListener("keydown", onShortcut);
}
