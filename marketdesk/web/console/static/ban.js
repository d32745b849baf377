// The coupon-ban dialog behind the card's badge: the rule's decision and, where it allows,
// «Сделать заявку» (a review task), then the answer for the customer to insert.
import { openCustomer } from "./card.js";
import { $, api } from "./common.js";
import { insertText } from "./composer.js";
import { state } from "./state.js";

const NO_TASKS =
  "Создание заданий пока недоступно на этом сервере: создайте задание в очередь «Фрод-мониторинг / Не могу активировать / Кодовое слово по акции» вручную.";

let banCustomerMessage = null;

async function requestReview(card, button) {
  button.disabled = true;
  try {
    const body = state.current && state.current.customer_id === card.id ? { conversation_id: state.current.id } : {};
    const result = await api("POST", "/api/v1/customers/" + card.id + "/coupon-ban/review", body);
    $("ban-result").textContent = (result.created ? "Задание создано: " : "Задание уже есть: ") + result.task_number + ". Сориентируйте клиента на ожидание ответа.";
    banCustomerMessage = result.customer_message;
    $("ban-insert").hidden = !banCustomerMessage;
    openCustomer(card.id);
  } catch (e) {
    $("ban-result").textContent = e.status === 404 && e.code === "not_found" ? NO_TASKS : e.message;
    button.disabled = false;
  }
}

export function openBan(card) {
  const ban = card.coupon_ban;
  $("ban-message").textContent = ban.operator_message;
  $("ban-result").textContent = "";
  banCustomerMessage = null;
  $("ban-insert").hidden = true;
  const button = $("ban-request");
  button.hidden = !ban.can_create_task;
  button.disabled = false;
  button.onclick = () => requestReview(card, button);
  $("ban-dialog").showModal();
  (ban.can_create_task ? button : $("ban-close")).focus();
}

export function wireBan() {
  $("ban-close").addEventListener("click", () => $("ban-dialog").close());
  $("ban-insert").addEventListener("click", () => {
    $("ban-dialog").close();
    if (banCustomerMessage) insertText(banCustomerMessage);
  });
}
