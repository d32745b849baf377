// Web Push in the widget: the service worker (sw.js) shows what the server pushes; «Включить
// push-уведомления» asks the browser's permission, subscribes with the server's VAPID public
// key (GET /api/v1/notifications/push-key) and hands the subscription to the server.
import { $ } from "/static/shared/helpers.js";

let api = null;

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && window.isSecureContext;
}

function register() {
  return navigator.serviceWorker.register("/static/widget/sw.js", { type: "classic" });
}

async function subscribe() {
  const note = $("push-note");
  note.textContent = "";
  try {
    if ((await Notification.requestPermission()) !== "granted") {
      note.textContent = "Уведомления запрещены в настройках браузера.";
      return;
    }
    const { public_key: key } = await api("GET", "/api/v1/notifications/push-key");
    const registration = await register();
    await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    await api("POST", "/api/v1/me/push-subscriptions", subscription.toJSON());
    note.textContent = "Push-уведомления включены в этом браузере.";
  } catch (error) {
    note.textContent = error.message || "Браузер не смог подписаться на push-уведомления.";
  }
}

export function wirePush(request) {
  api = request;
  $("push-enable").addEventListener("click", subscribe);
}

// a customer's widget registers the service worker (it shows pushes even with the page closed)
export function showPush(customer) {
  const supported = pushSupported();
  $("push-enable").hidden = !customer || !supported;
  if (customer && supported) register().catch(() => {});
}
