// The customer's notification settings in the widget (GET/PUT /api/v1/me/notification-settings):
// a table of types × channels. A type that cannot be switched off everywhere (orders, account)
// keeps at least one channel: its last one is shown disabled with the reason in Russian.
import { $, clear, el } from "/static/shared/helpers.js";

let api = null;

const KEEP_ONE = "нельзя отключить во всех каналах: оставьте включённым хотя бы один канал";

function grouped(settings) {
  const types = new Map();
  const channels = new Map();
  for (const item of settings) {
    if (!types.has(item.type)) types.set(item.type, { title: item.type_title, canDisable: item.can_disable, items: [] });
    types.get(item.type).items.push(item);
    channels.set(item.channel, item.channel_title);
  }
  return { types, channels };
}

function toggle(item, input) {
  $("settings-note").textContent = "";
  input.disabled = true;
  api("PUT", "/api/v1/me/notification-settings", { settings: [{ type: item.type, channel: item.channel, enabled: input.checked }] })
    .then((view) => {
      render(view);
      $("settings-note").textContent = "Сохранено.";
    })
    .catch((error) => {
      input.checked = !input.checked;
      input.disabled = false;
      $("settings-note").textContent = error.message;
    });
}

function cell(type, item) {
  const onCount = type.items.filter((i) => i.enabled).length;
  const locked = !type.canDisable && item.enabled && onCount === 1;
  const input = el("input", {
    type: "checkbox",
    checked: item.enabled,
    disabled: locked,
    title: locked ? "«" + type.title + "» " + KEEP_ONE : null,
    "aria-label": type.title + ": " + item.channel_title,
    dataset: { type: item.type, channel: item.channel },
  });
  input.addEventListener("change", () => toggle(item, input));
  return el("td", {}, input);
}

function render(view) {
  const { types, channels } = grouped(view.settings || []);
  const head = el("tr", {}, el("th", {}, "Тип"), [...channels.values()].map((title) => el("th", { scope: "col" }, title)));
  const rows = [...types.values()].map((type) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, type.title, type.canDisable ? null : el("small", { class: "settings__reason" }, "Нельзя отключить полностью: " + KEEP_ONE + ".")),
      type.items.map((item) => cell(type, item)),
    ),
  );
  clear($("settings-table"), el("thead", {}, head), el("tbody", {}, rows));
}

export function wireSettings(request) {
  api = request;
  $("settings-open").addEventListener("click", () => {
    const panel = $("notify-settings");
    panel.hidden = !panel.hidden;
    if (panel.hidden) return;
    $("settings-note").textContent = "";
    api("GET", "/api/v1/me/notification-settings")
      .then(render)
      .catch((error) => {
        $("settings-note").textContent = error.message;
      });
  });
}

export function showSettings(customer) {
  $("settings-open").hidden = !customer;
  if (!customer) $("notify-settings").hidden = true;
}
