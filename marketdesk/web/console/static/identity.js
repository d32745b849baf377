// «Проверка личности» in the customer card (issue 14, item 5): in the open conversation with
// this customer the operator types what the customer names as the codeword and gets
// «совпадает» or «не совпадает», never the word. After a passed check the actions that need
// identity are offered: tell the customer their contacts, change the login phone. «Клиент
// забыл кодовое слово» creates the back office's identification task. Everything is audited
// by the server.
import { api, el } from "./common.js";
import { setStatus, state } from "./state.js";

function block(...children) {
  return el("section", { class: "block", id: "identity" }, el("h4", {}, "Проверка личности"), children);
}

function stateText(view) {
  if (!view.codeword_set) return "Клиент не задал кодовое слово.";
  if (view.passed) return "Личность подтверждена в этом диалоге.";
  if (view.locked_until) return "Проверка заблокирована до " + new Date(view.locked_until).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" }) + ".";
  return "Личность не проверена. Осталось попыток: " + view.misses_left + ".";
}

export function identityBlock(card) {
  const conversation = state.current;
  if (!conversation || conversation.customer_id !== card.id) return null;
  const base = "/api/v1/conversations/" + conversation.id + "/identity";
  const status = el("p", { id: "identity-state", class: "small" }, "Загрузка…");
  const result = el("p", { id: "identity-result", role: "status" });
  const answer = el("input", { id: "identity-answer", autocomplete: "off", maxlength: "200", "aria-label": "Что клиент назвал кодовым словом", placeholder: "Что назвал клиент" });
  const form = el("form", { class: "identity-form" }, answer, el("button", { type: "submit" }, "Проверить слово"));
  const actions = el("div", { id: "identity-actions", hidden: true });
  const contacts = el("button", { type: "button", class: "link", id: "identity-contacts" }, "Сообщить клиенту его контакты");
  const phone = el("input", { id: "identity-phone", type: "tel", maxlength: "40", "aria-label": "Новый телефон для входа", placeholder: "+7 900 000-00-00" });
  const phoneForm = el("form", { class: "identity-form" }, phone, el("button", { type: "submit" }, "Сменить телефон для входа"));
  const forgot = el("button", { type: "button", class: "link", id: "identity-forgot" }, "Клиент забыл кодовое слово");
  actions.append(contacts, phoneForm);

  const show = (view) => {
    status.textContent = stateText(view);
    actions.hidden = !view.passed;
    form.hidden = !view.codeword_set || view.passed || Boolean(view.locked_until);
  };
  const refresh = () => api("GET", base).then(show).catch((e) => (status.textContent = e.message));
  const run = async (work) => {
    try {
      await work();
    } catch (e) {
      result.textContent = e.message;
      setStatus(e.message);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!answer.value.trim()) return;
    run(async () => {
      const checked = await api("POST", base + "/check", { answer: answer.value });
      answer.value = "";
      result.textContent = checked.message;
      await refresh();
    });
  });
  contacts.addEventListener("click", () =>
    run(async () => {
      const found = await api("POST", base + "/contacts");
      result.textContent = "Телефон: " + (found.phone || "—") + ", email: " + (found.email || "—");
    }),
  );
  phoneForm.addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {
      const changed = await api("POST", base + "/login-phone", { phone: phone.value });
      phone.value = "";
      result.textContent = "Телефон для входа изменён: " + changed.phone;
    });
  });
  forgot.addEventListener("click", () =>
    run(async () => {
      const task = await api("POST", base + "/codeword-reset");
      result.textContent = "Создана задача " + task.number + " на идентификацию клиента.";
    }),
  );
  refresh();
  return block(status, form, result, actions, forgot);
}
