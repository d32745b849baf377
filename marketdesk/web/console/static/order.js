// One order opened from the card: items, delivery, payment, the status history with times,
// and the back-office tasks and conversations about it.
import { $, api, clear, dateTime, el, errorText, kv, money } from "./common.js";
import { openNewTask } from "./new_task.js";

let shown = null;

function itemsBlock(order) {
  if (!order.items.length) return el("p", { class: "muted" }, "Состав заказа не передан.");
  return el(
    "table",
    { class: "order-items" },
    el("thead", {}, el("tr", {}, el("th", {}, "Товар"), el("th", {}, "Кол-во"), el("th", {}, "Цена"), el("th", {}, "Сумма"))),
    el(
      "tbody",
      {},
      order.items.map((i) =>
        el(
          "tr",
          {},
          el("td", {}, i.name + (i.product_id ? " (" + i.product_id + ")" : ""), i.special_category_title ? el("div", { class: "special-badge small", title: "Особые товары: консультация по ним может немного отличаться" }, "Особый товар: " + i.special_category_title) : null),
          el("td", {}, String(i.quantity)),
          el("td", {}, money(i.price, "₽")),
          el("td", {}, money(i.sum, "₽")),
        ),
      ),
    ),
  );
}

function historyBlock(order) {
  return el("ol", { class: "order-history" }, order.history.map((s) => el("li", {}, s.status.title + " — " + dateTime(s.at))));
}

function tasksBlock(order) {
  if (!order.tasks.length) return el("p", { class: "muted" }, "Задач по заказу нет.");
  return el(
    "ul",
    {},
    order.tasks.map((t) => el("li", {}, t.number + " · " + t.queue + " · " + t.status.title + (t.conversation_id ? " · диалог " + t.conversation_id : ""))),
  );
}

export async function openOrder(number) {
  const box = $("order-body");
  $("order-title").textContent = "Заказ " + number;
  clear(box, el("p", { class: "muted" }, "Загрузка…"));
  $("order-dialog").showModal();
  try {
    const order = await api("GET", "/api/v1/orders/" + encodeURIComponent(number));
    shown = order;
    clear(
      box,
      kv("Статус", order.status.title),
      kv("Доставка", order.delivery_type.title + " (" + order.address_kind.title + ")"),
      kv("Оплата", money(order.payment.amount, "₽") + (order.payment.method ? " · " + order.payment.method : "")),
      el("h3", {}, "Состав"),
      itemsBlock(order),
      el("h3", {}, "История статусов"),
      historyBlock(order),
      el("h3", {}, "Задачи и диалоги"),
      tasksBlock(order),
    );
  } catch (e) {
    errorText(box, e);
  }
}

export function wireOrder() {
  $("order-close").addEventListener("click", () => $("order-dialog").close());
  $("order-new-task").addEventListener("click", () => {
    if (!shown) return;
    $("order-dialog").close();
    const product = shown.items.length === 1 ? shown.items[0].product_id : null;
    openNewTask({ customer_id: shown.customer_id, order_number: shown.number, product_id: product || undefined, title: "Заказ " + shown.number });
  });
}
