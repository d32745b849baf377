// The outside channels in the console (issue 12): the channel a conversation comes through, and
// where each message into it stands (GET /api/v1/conversations/{id}/deliveries): «отправляется»,
// «доставлено», «не доставлено» with «Повторить» (POST /api/v1/channel-deliveries/{id}/retry).
// Live "delivery" frames of the operator socket update the marks.
import { api, el } from "./common.js";
import { setStatus, state } from "./state.js";
import { renderTranscript } from "./transcript.js";

// the titles of marketdesk.domain.channels.CHANNEL_TITLES_RU
export const CHANNEL_TITLES = { web: "Чат на сайте", email: "Электронная почта", telegram: "Telegram", vk: "ВКонтакте" };

const deliveries = new Map(); // message id → the delivery's view, of the open conversation

export function channelTitle(conversation) {
  const channel = conversation && conversation.channel;
  return channel && channel !== "web" ? CHANNEL_TITLES[channel] || channel : "";
}

// the open conversation's deliveries, read again (on opening it; after a reconnect)
export async function loadDeliveries() {
  const c = state.current;
  deliveries.clear();
  if (!c || !c.channel || c.channel === "web") return;
  try {
    const data = await api("GET", "/api/v1/conversations/" + c.id + "/deliveries");
    if (!state.current || state.current.id !== c.id) return;
    for (const d of data.deliveries) deliveries.set(d.message_id, d);
    renderTranscript();
  } catch (e) {
    setStatus(e.message);
  }
}

async function retry(delivery) {
  try {
    const view = await api("POST", "/api/v1/channel-deliveries/" + delivery.id + "/retry");
    deliveries.set(view.message_id, view);
    renderTranscript();
  } catch (e) {
    setStatus(e.message);
  }
}

// the mark next to a message that goes out through the conversation's channel
export function deliveryMark(message) {
  const d = deliveries.get(message.id);
  if (!d) return null;
  const title = d.error ? d.status_title + ": " + d.error : d.status_title;
  const mark = el("span", { class: "tag delivery delivery-" + d.status, title }, d.status_title);
  if (d.status !== "failed") return mark;
  return [mark, el("button", { type: "button", class: "link small", onclick: () => retry(d) }, "Повторить")];
}

// a "delivery" frame of the operator socket
export function onDelivery(frame) {
  const d = frame.delivery;
  if (!d || !state.current || d.conversation_id !== state.current.id) return;
  deliveries.set(d.message_id, d);
  renderTranscript();
}
