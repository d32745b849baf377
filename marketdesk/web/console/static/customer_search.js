// «Найти клиента»: the card's search box takes a phone in any writing, an e-mail, an order
// number, an ID or the beginning of a name. One customer found opens at once; several are
// listed (masked, with what matched) to choose from.
import { openCustomer } from "./card.js";
import { $, api, clear, el, errorText } from "./common.js";

function hitButton(hit) {
  const contacts = [hit.contacts_masked.phone, hit.contacts_masked.email].filter(Boolean).join(", ");
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "link", onclick: () => openCustomer(hit.id) },
      hit.full_name + " · ID " + hit.id,
    ),
    el("span", { class: "muted" }, " — найден по: " + hit.matched_by_title + (contacts ? "; " + contacts : "")),
  );
}

export async function findCustomer(query) {
  const box = $("customer-card");
  clear(box, el("p", { class: "muted" }, "Поиск…"));
  try {
    const found = (await api("GET", "/api/v1/customers?q=" + encodeURIComponent(query))).customers;
    if (found.length === 1) {
      openCustomer(found[0].id);
      return;
    }
    if (!found.length) {
      clear(box, el("p", { class: "muted", id: "customer-search-empty" }, "Клиент не найден. Проверьте запрос."));
      return;
    }
    clear(
      box,
      el("p", {}, "Найдено клиентов: " + found.length + ". Выберите:"),
      el("ul", { id: "customer-search-results", class: "plain" }, found.map(hitButton)),
    );
  } catch (e) {
    errorText(box, e);
  }
}

export function wireCustomerSearch() {
  $("customer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("customer-id").value.trim();
    if (value) findCustomer(value);
  });
}
