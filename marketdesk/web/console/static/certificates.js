// «Проверка сертификата» in the customer panel: is a gift certificate activated, and by the
// customer on the line? The code is sent in the query and never shown back.
import { $, api, clear, dateTime, el } from "./common.js";

function describe(found) {
  const lines = [
    el("strong", {}, found.status_title),
    " · ",
    found.kind_title,
    " · номинал ",
    found.nominal,
    " ₽ · …",
    found.code_tail,
  ];
  const details = [];
  if (found.activated_at) {
    let who = "клиентом " + found.activated_by;
    if (found.activated_by_this_customer === true) who = "этим клиентом";
    if (found.activated_by_this_customer === false) who = "другим клиентом (" + found.activated_by + ")";
    details.push("активирован " + dateTime(found.activated_at) + " " + who);
  }
  if (found.money_expires_at) details.push("деньги на балансе до " + dateTime(found.money_expires_at));
  if (found.expires_at && found.status !== "activated") details.push("действует до " + dateTime(found.expires_at));
  return el("li", {}, lines, details.length ? el("div", { class: "muted" }, details.join("; ")) : null);
}

$("cert-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = $("cert-result");
  const code = $("cert-code").value.trim();
  if (!code) {
    box.textContent = "Введите код сертификата или последние 4 символа.";
    return;
  }
  const params = new URLSearchParams({ code });
  const customerId = $("customer-card").dataset.customerId;
  if (customerId) params.set("customer_id", customerId);
  box.textContent = "Проверяем…";
  try {
    const result = await api("GET", "/api/v1/certificates/lookup?" + params);
    clear(box, el("p", {}, result.message), el("ul", { class: "plain" }, result.certificates.map(describe)));
  } catch (e) {
    box.textContent = e.message;
  }
});
