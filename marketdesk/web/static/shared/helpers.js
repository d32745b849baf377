// Helpers shared by every page of marketdesk, the operator console's and the customer widget's
// (an ES module, served at /static/shared/helpers.js). Elements are built from text only, never
// from markup; a request that fails raises ApiError with the server's code and Russian message.

export const $ = (id) => document.getElementById(id);

// el("p", {class: "muted", onclick: fn}, "text", child, [children]): attributes, listeners
// (on…) and children; null, undefined and false are left out
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

export const NETWORK_ERROR = "Сервер недоступен. Проверьте соединение.";

// fetch with an optional bearer token; a body is sent as JSON, a FormData as it is; no
// connection at all raises ApiError with status 0
export async function fetchResponse(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  const init = { method, headers };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "network", NETWORK_ERROR);
  }
}

// the ApiError of a refused response: the server's {"error": {"code", "message"}}, or fallback
export async function refusal(response, fallback) {
  const data = await response.json().catch(() => ({}));
  const err = data.error || {};
  return new ApiError(response.status, err.code || "error", err.message || fallback, err);
}

// an idempotency key for a message (client_msg_id)
export function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// hands a downloaded blob to the browser as a file called name
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
