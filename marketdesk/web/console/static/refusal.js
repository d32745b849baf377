// The refusal panel under the composer: the privacy guard's verdict on what the operator types
// (POST /api/v1/guard/check, a dry run of the check the server makes on sending).
import { $, api, clear, debounce, el } from "./common.js";
import { syncSend } from "./composer.js";
import { state } from "./state.js";

function refusalNodes(result) {
  const messages = [];
  for (const v of result.violations) if (!messages.includes(v.message)) messages.push(v.message);
  return [
    el("strong", {}, "Отправка запрещена"),
    el("ul", {}, messages.map((m) => el("li", {}, m))),
    el(
      "p",
      { class: "small" },
      "Фрагменты: ",
      result.violations.filter((v) => v.fragment).map((v, i) => [i ? ", " : "", el("mark", {}, v.fragment)]),
    ),
  ];
}

// shows a refusal ({ok: false, violations}) or hides the panel (null, or a text that passes)
export function showGuard(result) {
  const box = $("guard");
  state.guardRefused = Boolean(result && !result.ok && (result.violations || []).length);
  syncSend();
  if (!state.guardRefused) {
    box.hidden = true;
    clear(box);
    return;
  }
  clear(box, refusalNodes(result));
  box.hidden = false;
}

let guardVersion = 0;
export const checkGuard = debounce(async () => {
  const text = $("composer-text").value;
  const version = ++guardVersion;
  if (!text.trim() || $("private-note").checked) {
    showGuard(null);
    return;
  }
  try {
    const result = await guardVerdict(text);
    if (version === guardVersion) showGuard(result);
  } catch (e) {
    /* the server checks again on sending */
  }
}, 300);

// a dry run of the send into the open conversation (its addressee, as the send sees it); while
// the send itself would be refused (not taken yet, closed), the text alone for its customer
async function guardVerdict(text) {
  const current = state.current;
  if (current) {
    try {
      return await api("POST", "/api/v1/guard/check", { text, conversation_id: current.id });
    } catch (e) {
      /* refused as a send: fall back to the text's check */
    }
  }
  const body = { text };
  if (current && current.customer_id) body.customer_id = current.customer_id;
  return api("POST", "/api/v1/guard/check", body);
}

export function wireRefusal() {
  $("composer-text").addEventListener("input", checkGuard);
  $("private-note").addEventListener("change", checkGuard);
}
