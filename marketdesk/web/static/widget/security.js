// «Безопасность» in the widget of a logged-in customer (issue 14, items 4 and 5): the
// security chat (login codes asked for another device arrive live as `security_message`
// frames, and are listed from GET /api/v1/me/security-chat), the devices where the customer is
// logged in with «Выйти на всех устройствах», and the codeword for support. Every text is put
// into the page with textContent (el), never as HTML.
import { $, clear, el } from "/static/shared/helpers.js";

let api = null; // (method, path, body) -> Promise, the widget's, with its token
let onLoggedOut = () => {}; // the widget forgets its login
let messages = [];

const DATE = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
const when = (iso) => (iso ? DATE.format(new Date(iso)) : "");

function renderChat() {
  clear(
    $("security-chat"),
    messages.map((m) =>
      el("li", { class: "security__msg", dataset: { id: m.id } }, el("span", { class: "security__text" }, m.text), el("time", { class: "security__time", datetime: m.created_at }, when(m.created_at))),
    ),
  );
  $("security-empty").hidden = messages.length > 0;
}

function renderDevices(view) {
  clear(
    $("security-devices"),
    view.devices.map((d) =>
      el(
        "li",
        { class: "security__device" + (d.current ? " security__device--current" : "") },
        el("strong", {}, d.device),
        " — вход ",
        when(d.logged_in_at),
        d.current ? el("span", { class: "security__here" }, " (это устройство)") : null,
      ),
    ),
  );
}

function renderCodeword(status) {
  $("codeword-state").textContent = status.is_set
    ? "Кодовое слово задано " + when(status.set_at) + ". Его спросит оператор, прежде чем сообщить ваши данные или сменить телефон."
    : "Кодовое слово не задано. Задайте его: оператор спросит его, прежде чем сообщить ваши данные или сменить телефон.";
  $("codeword-save").textContent = status.is_set ? "Сменить кодовое слово" : "Задать кодовое слово";
}

function load() {
  if (!api) return Promise.resolve();
  const note = $("security-note");
  return Promise.all([
    api("GET", "/api/v1/me/security-chat").then((chat) => {
      messages = chat.messages || [];
      renderChat();
    }),
    api("GET", "/api/v1/me/devices").then(renderDevices),
    api("GET", "/api/v1/me/codeword").then(renderCodeword),
  ]).catch((error) => {
    note.textContent = error.message;
  });
}

// a `security_message` frame: a new message of the chat (the same id twice is shown once)
export function onSecurityFrame(frame) {
  const message = frame.message;
  if (!message || messages.some((known) => known.id === message.id)) return;
  messages.push(message);
  renderChat();
  $("security-open").classList.add("security-open--new");
}

export function wireSecurity(request, loggedOut) {
  api = request;
  onLoggedOut = loggedOut;
  $("security-open").addEventListener("click", () => {
    const panel = $("security");
    panel.hidden = !panel.hidden;
    $("security-open").classList.remove("security-open--new");
    if (!panel.hidden) load();
  });
  $("logout-all").addEventListener("click", () => {
    api("POST", "/api/v1/me/devices/logout-all")
      .then(() => onLoggedOut("Вы вышли на всех устройствах."))
      .catch((error) => {
        $("security-note").textContent = error.message;
      });
  });
  $("codeword-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("codeword");
    api("PUT", "/api/v1/me/codeword", { codeword: input.value })
      .then((status) => {
        input.value = "";
        renderCodeword(status);
        $("security-note").textContent = "Кодовое слово сохранено.";
      })
      .catch((error) => {
        $("security-note").textContent = error.message;
      });
  });
}

// logged in: the button shows and the chat loads (frames may come before it is opened)
export function showSecurity(customer) {
  $("security-open").hidden = !customer;
  messages = [];
  if (!customer) {
    $("security").hidden = true;
    renderChat();
    return;
  }
  api("GET", "/api/v1/me/security-chat").then(
    (chat) => {
      messages = chat.messages || [];
      renderChat();
    },
    () => {},
  );
}
