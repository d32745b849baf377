// «Создать задачу»: from the customer card (and an order opened from it) — choose the queue;
// the customer, the order, the product and the open conversation are filled in. A task made
// from a conversation posts its number there, where the customer sees it.
import { $, api, clear, el } from "./common.js";
import { state } from "./state.js";

let links = {};

async function fillQueues() {
  const select = $("new-task-queue");
  if (select.options.length) return;
  const { queues } = await api("GET", "/api/v1/tasks/queues");
  for (const q of queues) select.append(el("option", { value: q.path }, q.title));
}

export async function openNewTask(prefill) {
  const conversation = state.current && state.current.customer_id === prefill.customer_id ? state.current.id : null;
  links = { ...prefill, conversation_id: conversation || undefined };
  const shown = [
    links.customer_id ? "клиент " + links.customer_id : null,
    links.order_number ? "заказ " + links.order_number : null,
    links.product_id ? "товар " + links.product_id : null,
    links.conversation_id ? "диалог " + links.conversation_id : null,
  ].filter(Boolean);
  $("new-task-links").textContent = shown.length ? "Связи: " + shown.join(", ") : "";
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
    for (const key of ["customer_id", "order_number", "product_id", "conversation_id"]) if (links[key]) body[key] = links[key];
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
