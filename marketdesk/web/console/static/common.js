// Helpers shared by the console's pages (ES module): building elements from text only (never
// markup), the API with the tab's token, dates in Russian.
export const TOKEN_KEY = "marketdesk.console.token";

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
}

export class ApiError extends Error {
  constructor(status, code, message, data) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data || {};
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function toLogin() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.replace("/console/login");
}

// fetch with the tab's token; a 401 goes back to the login page, an error raises ApiError
export async function request(method, path, body) {
  const headers = { Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", "Сервер недоступен. Проверьте соединение.");
  }
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, "unauthorized", "Сессия истекла, войдите снова.");
  }
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const err = data.error || {};
    throw new ApiError(response.status, err.code || "error", err.message || "Ошибка запроса.", err);
  }
  return response;
}

export async function api(method, path, body) {
  const response = await request(method, path, body);
  return response.status === 204 ? null : response.json();
}

export function dateTime(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString("ru-RU", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
