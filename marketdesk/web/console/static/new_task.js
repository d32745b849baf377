// «Создать задачу»: from the conversation's head, the customer card and an order opened from
// it — choose the queue; the customer, the order, the product and the conversation are filled
// in (the order and the product stay editable). A task made from a conversation posts its
// number there, where the customer sees it.
import { $, api, clear, el } from "./common.js";
import { state } from "./state.js";

let links = {};

async function fillQueues() {
  const select = $("new-task-queue");
  if (select.options.length) return;
  const { queues } = await api("GET", "/api/v1/tasks/queues");
  for (const q of queues) select.append(el("option", { value: q.path }, q.title));
}

// prefill: {customer_id, order_number, product_id, conversation_id, title}; without a
// conversation, the open one of the same customer is linked
export async function openNewTask(prefill) {
  const open = state.current && prefill.customer_id && state.current.customer_id === prefill.customer_id ? state.current.id : undefined;
  links = { customer_id: prefill.customer_id, conversation_id: prefill.conversation_id || open };
  const shown = [links.customer_id ? "клиент " + links.customer_id : null, links.conversation_id ? "диалог " + links.conversation_id : null].filter(Boolean);
  $("new-task-links").textContent = shown.length ? "Связи: " + shown.join(", ") : "";
  $("new-task-order").value = prefill.order_number || "";
  $("new-task-product").value = prefill.product_id ? String(prefill.product_id) : "";
  $("new-task-result").textContent = "";
  $("new-task-title").value = prefill.title || "";
  $("new-task-description").value = "";
  $("new-task-dialog").showModal();
  try {
    await fillQueues();
  } catch (e) {
    $("new-task-result").textContent = e.message;
  }
  $("new-task-queue").focus();
}

async function submit(event) {
  event.preventDefault();
  const button = $("new-task-submit");
  button.disabled = true;
  try {
    const body = { queue: $("new-task-queue").value, title: $("new-task-title").value.trim(), description: $("new-task-description").value.trim() };
    for (const key of ["customer_id", "conversation_id"]) if (links[key]) body[key] = links[key];
    const order = $("new-task-order").value.trim();
    const product = $("new-task-product").value.trim();
    if (order) body.order_number = order;
    if (product && !/^\d{1,15}$/.test(product)) throw new Error("ID товара — это число, например 235260644.");
    if (product) body.product_id = Number(product);
    const task = await api("POST", "/api/v1/tasks", body);
    clear($("new-task-result"), "Создана задача ", el("a", { href: "/console/tasks#task=" + task.number, class: "link", id: "new-task-number" }, task.number), body.conversation_id ? " — номер отправлен клиенту в диалог." : ".");
  } catch (e) {
    $("new-task-result").textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

export function wireNewTask() {
  $("new-task-form").addEventListener("submit", submit);
  $("new-task-close").addEventListener("click", () => $("new-task-dialog").close());
}
