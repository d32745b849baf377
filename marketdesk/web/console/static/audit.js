// The audit log page (/console/audit): supervisors and admins; filters, pages, CSV.
import { $, api, clear, dateTime, el, request, saveBlob, token, toLogin } from "./common.js";

const PAGE = 50;
let offset = 0;

function filters() {
  const params = new URLSearchParams();
  for (const [name, id] of [["actor", "f-actor"], ["action", "f-action"], ["entity", "f-entity"], ["from", "f-from"], ["to", "f-to"]]) {
    const value = $(id).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function details(entry) {
  const pairs = Object.entries(entry.details || {});
  if (!pairs.length) return "";
  return pairs.map(([k, v]) => k + ": " + (typeof v === "object" ? JSON.stringify(v) : String(v))).join("; ");
}

function row(entry) {
  return el(
    "tr",
    {},
    el("td", { class: "nowrap" }, dateTime(entry.at)),
    el("td", {}, entry.actor),
    el("td", {}, entry.action_title, el("div", { class: "muted small" }, entry.action)),
    el("td", { class: "nowrap" }, entry.entity_kind ? entry.entity_kind + ":" + (entry.entity_id || "") : "—"),
    el("td", {}, entry.summary ? el("div", {}, entry.summary) : null, el("div", { class: "muted small" }, details(entry))),
  );
}

function fillActions(actions) {
  const select = $("f-action");
  if (select.options.length > 1) return;
  for (const [code, title] of Object.entries(actions)) select.append(el("option", { value: code }, title));
}

async function load() {
  const params = filters();
  params.set("limit", String(PAGE));
  params.set("offset", String(offset));
  $("audit-status").textContent = "Загрузка…";
  try {
    const page = await api("GET", "/api/v1/audit?" + params);
    fillActions(page.actions);
    clear($("audit-rows"), page.entries.map(row));
    const last = Math.min(page.offset + page.entries.length, page.total);
    $("audit-status").textContent = page.total
      ? `Записи ${page.total ? page.offset + 1 : 0}–${last} из ${page.total}`
      : "Записей не найдено.";
    $("prev").disabled = page.offset === 0;
    $("next").disabled = last >= page.total;
  } catch (e) {
    clear($("audit-rows"));
    $("audit-status").textContent = e.message;
  }
}

async function exportCsv() {
  $("audit-status").textContent = "Готовим выгрузку…";
  try {
    const params = filters();
    params.set("format", "csv");
    const response = await request("GET", "/api/v1/audit?" + params);
    saveBlob(await response.blob(), "audit.csv");
    $("audit-status").textContent = "Выгрузка сохранена (audit.csv).";
  } catch (e) {
    $("audit-status").textContent = e.message;
  }
}

if (!token()) toLogin();
$("audit-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  offset = 0;
  load();
});
$("prev").addEventListener("click", () => {
  offset = Math.max(0, offset - PAGE);
  load();
});
$("next").addEventListener("click", () => {
  offset += PAGE;
  load();
});
$("export").addEventListener("click", exportCsv);
load();
