// Service-level clocks (docs/architecture.md, «SLA clocks»): the time left on a
// conversation's most urgent clock, or «просрочено» with the overrun, ticking every second;
// the server's state (ok / at_risk / breached) colours it, and a clock that runs out while
// the page is open turns red without waiting for the server. Warnings and escalations come
// over the operator socket (live.js → slaAlert).
import { el } from "./common.js";
import { setStatus } from "./state.js";

const KIND_TITLES = { first_response: "Первый ответ", next_response: "Следующий ответ", resolution: "Решение" };

function span(seconds) {
  const total = Math.max(0, Math.floor(Math.abs(seconds)));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (d) return d + " д " + h + " ч";
  return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
}

function clockText(kind, due, state) {
  const left = (new Date(due).getTime() - Date.now()) / 1000;
  const title = KIND_TITLES[kind] || kind;
  if (left < 0) return { text: title + ": просрочено на " + span(left), state: "breached" };
  return { text: title + ": осталось " + span(left), state: state === "breached" ? "at_risk" : state };
}

function paint(node) {
  const { text, state } = clockText(node.dataset.kind, node.dataset.due, node.dataset.state);
  node.textContent = text;
  node.className = "sla sla-" + state;
}

// the clock of a conversation view, or nothing when no clock runs
export function slaBadge(c) {
  const nodes = [];
  if (c.sla_due_at && c.sla_kind) {
    const node = el("span", {
      class: "sla",
      title: "Срок по SLA: " + new Date(c.sla_due_at).toLocaleString("ru-RU"),
      dataset: { due: c.sla_due_at, kind: c.sla_kind, state: c.sla_state || "ok" },
    });
    paint(node);
    nodes.push(node);
  }
  if (c.escalated_at) {
    const due = c.escalation_due_at ? " · ответить до " + new Date(c.escalation_due_at).toLocaleString("ru-RU") : "";
    nodes.push(el("span", { class: "sla sla-escalated", title: "Клиент обратился к руководству" }, "Обращение к руководству" + due));
  }
  return nodes.length ? el("span", { class: "sla-row" }, nodes) : null;
}

export function tickSla() {
  for (const node of document.querySelectorAll(".sla[data-due]")) paint(node);
}

// a live «sla» (a clock at risk or run out) or «escalation» frame
export function slaAlert(frame) {
  setStatus("⚠ " + frame.text);
}
