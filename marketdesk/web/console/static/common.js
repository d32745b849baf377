// Helpers of the console's pages (ES module) on top of the ones every page shares
// (/static/shared/helpers.js): the tab's token, the API with it, dates and money in Russian,
// timers.
import { ApiError, clear, el, fetchResponse, refusal } from "/static/shared/helpers.js";

export { $, ApiError, clear, el, newId, saveBlob } from "/static/shared/helpers.js";

export const TOKEN_KEY = "marketdesk.console.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function toLogin() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.replace("/console/login");
}

// fetch with the tab's token; a 401 goes back to the login page, an error raises ApiError
export async function request(method, path, body) {
  const response = await fetchResponse(method, path, { token: token(), body });
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, "unauthorized", "Сессия истекла, войдите снова.");
  }
  if (!response.ok) throw await refusal(response, "Ошибка запроса.");
  return response;
}

export async function api(method, path, body) {
  const response = await request(method, path, body);
  return response.status === 204 ? null : response.json();
}

// ------------------------------------------------------------------ dates and money
function formatted(value, format) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return format(d);
}

// 01.02.2026
export function date(value) {
  return formatted(value, (d) => d.toLocaleDateString("ru-RU"));
}

// 01.02.2026, 10:15:30 (the audit log, certificates)
export function dateTime(value) {
  const options = { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
  return formatted(value, (d) => d.toLocaleString("ru-RU", options));
}

// 01 февр. 2026 г., 10:15 (the customer card, news)
export function dateTimeShort(value) {
  const options = { day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
  return formatted(value, (d) => d.toLocaleString("ru-RU", options));
}

// 10:15, or nothing for a value that is not a date
export function time(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
}

// how long since: 4:05, 1:02:03
export function waited(since) {
  const start = new Date(since).getTime();
  if (!Number.isFinite(start)) return "";
  let seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
  const h = Math.floor(seconds / 3600);
  seconds -= h * 3600;
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  const pad = (n) => String(n).padStart(2, "0");
  return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
}

const moneyFormat = new Intl.NumberFormat("ru-RU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function money(value, unit) {
  const number = Number(value);
  const text = Number.isFinite(number) ? moneyFormat.format(number) : String(value);
  return unit ? text + " " + unit : text;
}

// ------------------------------------------------------------------ timers
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// fn at most once per ms: the first call runs it soon, calls meanwhile run it once after
export function coalesce(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(50, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn();
    }, wait);
  };
}

// ------------------------------------------------------------------ small pieces of a card
// a label and its value on one row
export function kv(label, value) {
  return el("div", { class: "kv" }, el("span", { class: "k" }, label), el("span", { class: "v" }, value));
}

export function errorText(node, error) {
  clear(node, el("p", { class: "error", role: "alert" }, error.message || "Ошибка."));
}
