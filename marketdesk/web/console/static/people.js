// «Управление: сотрудники и структура» (/console/people): admins manage the staff accounts,
// the lines' hours, the queues' deadlines and the calendar; supervisors read them (and end
// an operator's sessions); every operator turns on their own second factor («Мой вход»).
import { $, api, clear, el, token, toLogin } from "./common.js";
import { loadStructure, wireStructure } from "./people_structure.js";

const ROLES = { operator: "Оператор", backoffice: "Бэк-офис", supervisor: "Старший смены", admin: "Администратор" };
const LINES = { general: "Общая", travel_priority: "Travel (приоритет)", seller: "Продавцы" };

export const page = { admin: false, supervisor: false, me: null };

export function say(text, error = false) {
  const status = $("people-status");
  status.textContent = text;
  status.classList.toggle("error", error);
}

export async function act(work, done) {
  try {
    await work();
    if (done) say(done);
  } catch (e) {
    say(e.message, true);
  }
}

// ------------------------------------------------------------------ tabs
function showTab(id) {
  for (const tab of document.querySelectorAll(".people-tabs [role=tab]")) {
    const on = tab.id === id;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    $(tab.dataset.panel).hidden = !on;
  }
}

function wireTabs() {
  for (const tab of document.querySelectorAll(".people-tabs [role=tab]")) {
    tab.addEventListener("click", () => showTab(tab.id));
  }
}

// ------------------------------------------------------------------ staff
function checks(container, values, name) {
  clear(
    container,
    Object.entries(values).map(([value, title]) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", name, value }), " " + title),
    ),
  );
}

function checked(container) {
  return Array.from(container.querySelectorAll("input:checked"), (input) => input.value);
}

function setChecked(container, values) {
  for (const input of container.querySelectorAll("input")) input.checked = values.includes(input.value);
}

function resetForm() {
  $("staff-form").reset();
  $("s-id").value = "";
  $("s-login").disabled = false;
  $("s-password-label").hidden = false;
  $("staff-form-title").textContent = "Новый сотрудник";
  $("s-save").textContent = "Добавить";
  $("s-cancel").hidden = true;
  $("password-form").hidden = true;
}

function edit(op) {
  $("s-id").value = String(op.id);
  $("s-login").value = op.login;
  $("s-login").disabled = true;
  $("s-name").value = op.name;
  $("s-capacity").value = String(op.capacity);
  setChecked($("s-roles"), op.roles);
  setChecked($("s-lines"), op.lines);
  $("s-password-label").hidden = true;
  $("staff-form-title").textContent = "Сотрудник " + op.login;
  $("s-save").textContent = "Сохранить";
  $("s-cancel").hidden = false;
  $("password-form").hidden = false;
  $("password-form").dataset.id = String(op.id);
  $("p-login").textContent = op.login;
}

function actions(op) {
  const buttons = [];
  const self = String(op.id) === String(page.me.id);
  if (page.admin) {
    buttons.push(el("button", { type: "button", class: "link", onclick: () => edit(op) }, "Изменить"));
  }
  if (page.admin && !self) {
    buttons.push(
      el(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () =>
            act(async () => {
              await api("PATCH", `/api/v1/operators/${op.id}`, { active: !op.active });
              await loadStaff();
            }, op.active ? `Учётная запись ${op.login} отключена.` : `Учётная запись ${op.login} включена.`),
        },
        op.active ? "Отключить" : "Включить",
      ),
    );
    if (op.totp_enabled) {
      buttons.push(
        el(
          "button",
          {
            type: "button",
            class: "link",
            onclick: () =>
              act(async () => {
                await api("DELETE", `/api/v1/operators/${op.id}/totp`);
                await loadStaff();
              }, `Вход по коду для ${op.login} сброшен.`),
          },
          "Сбросить код",
        ),
      );
    }
  }
  if (page.supervisor && op.active && !self) {
    buttons.push(
      el(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () =>
            act(async () => {
              const result = await api("POST", `/api/v1/operators/${op.id}/logout`);
              say(`Сеансы ${op.login} завершены: ${result.sessions_ended}.`);
            }),
        },
        "Завершить сеансы",
      ),
    );
  }
  return buttons;
}

function staffRow(op) {
  return el(
    "tr",
    { class: op.active ? "" : "inactive", dataset: { login: op.login } },
    el("td", {}, op.login),
    el("td", {}, op.name),
    el("td", {}, op.roles.map((r) => ROLES[r] || r).join(", ")),
    el("td", {}, op.lines.map((l) => LINES[l] || l).join(", ") || "—"),
    el("td", {}, String(op.capacity)),
    el("td", {}, op.active ? "действует" : "отключён"),
    el("td", {}, op.totp_enabled ? "да" : "нет"),
    el("td", { class: "actions" }, actions(op)),
  );
}

export async function loadStaff() {
  const data = await api("GET", "/api/v1/operators/staff");
  clear($("staff-rows"), data.operators.map(staffRow));
}

function staffBody() {
  return {
    name: $("s-name").value.trim(),
    roles: checked($("s-roles")),
    lines: checked($("s-lines")),
    capacity: Number($("s-capacity").value || 0),
  };
}

function wireStaff() {
  checks($("s-roles"), ROLES, "roles");
  checks($("s-lines"), LINES, "lines");
  $("s-cancel").addEventListener("click", resetForm);
  $("staff-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("s-id").value;
    const body = staffBody();
    if (!id) {
      body.login = $("s-login").value.trim();
      body.password = $("s-password").value;
      if (!body.login || !body.name || !body.password) {
        say("Заполните логин, имя и пароль.", true);
        return;
      }
    }
    act(async () => {
      const saved = id ? await api("PATCH", `/api/v1/operators/${id}`, body) : await api("POST", "/api/v1/operators", body);
      resetForm();
      await loadStaff();
      say(id ? `Сотрудник ${saved.login} сохранён.` : `Сотрудник ${saved.login} добавлен.`);
    });
  });
  $("password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("password-form").dataset.id;
    const password = $("p-password").value;
    act(async () => {
      await api("POST", `/api/v1/operators/${id}/password`, { password });
      $("p-password").value = "";
      say("Пароль сброшен; сеансы сотрудника завершены.");
    });
  });
}

// ------------------------------------------------------------------ my second factor
async function loadSecurity() {
  const state = await api("GET", "/api/v1/auth/totp");
  $("totp-state").textContent = state.enabled
    ? "Вход по коду подключён: при входе нужен пароль и код из приложения."
    : "Вход по коду не подключён: при входе нужен только пароль.";
  $("totp-start").hidden = state.enabled;
  if (state.enabled) $("totp-form").hidden = true;
}

function wireSecurity() {
  $("totp-start").addEventListener("click", () =>
    act(async () => {
      const enrolment = await api("POST", "/api/v1/auth/totp");
      $("totp-secret").textContent = enrolment.secret;
      $("totp-uri").textContent = enrolment.uri;
      $("totp-form").hidden = false;
      $("totp-start").hidden = true;
      $("totp-code").focus();
    }),
  );
  $("totp-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("totp-code").value.trim();
    act(async () => {
      await api("POST", "/api/v1/auth/totp/confirm", { code });
      $("totp-secret").textContent = "";
      $("totp-uri").textContent = "";
      $("totp-code").value = "";
      await loadSecurity();
    }, "Вход по коду подключён.");
  });
}

// ------------------------------------------------------------------ start
async function start() {
  if (!token()) {
    toLogin();
    return;
  }
  wireTabs();
  wireStaff();
  wireSecurity();
  wireStructure();
  try {
    page.me = await api("GET", "/api/v1/auth/me");
  } catch (e) {
    say(e.message, true);
    return;
  }
  if (page.me.kind !== "operator") {
    toLogin();
    return;
  }
  const roles = page.me.roles || [];
  page.admin = roles.includes("admin");
  page.supervisor = page.admin || roles.includes("supervisor");
  $("people-me").textContent = page.me.name;
  document.body.classList.toggle("read-only", !page.admin);
  for (const form of document.querySelectorAll(".admin-only")) form.hidden = !page.admin;
  $("people-readonly").hidden = page.admin || !page.supervisor;
  for (const id of ["tab-staff", "tab-lines", "tab-queues", "tab-calendar"]) $(id).hidden = !page.supervisor;
  showTab(page.supervisor ? "tab-staff" : "tab-security");
  await act(async () => {
    await loadSecurity();
    if (page.supervisor) await Promise.all([loadStaff(), loadStructure()]);
  });
}

start();
