// Who is logged in (GET /api/v1/auth/me), logging out, and «Принимаю чаты».
import { $, api, toLogin } from "./common.js";
import { loadColleagues } from "./conversation.js";
import { refreshLists } from "./queue.js";
import { setStatus, state } from "./state.js";

export async function loadMe() {
  state.me = await api("GET", "/api/v1/auth/me");
  if (state.me.kind !== "operator") {
    toLogin();
    return;
  }
  $("me").textContent = state.me.name;
  const roles = state.me.roles || [];
  const supervises = roles.includes("supervisor") || roles.includes("admin");
  $("audit-link").hidden = !supervises;
  $("board-link").hidden = !supervises;
  $("reports-link").hidden = !supervises;
  $("manage-link").hidden = !supervises;
  // people and structure for supervisors and admins; everyone's own second factor
  $("people-link").textContent = supervises ? "Сотрудники" : "Вход по коду";
  // «Покупатели»: only an account that answers for a seller
  $("buyers-link").hidden = !(state.me.sellers || []).length;
  loadColleagues();
}

export function wireMe() {
  $("logout").addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch (e) {
      /* the token is dropped anyway */
    }
    toLogin();
  });
  $("available").addEventListener("change", async (event) => {
    try {
      await api("PUT", "/api/v1/operator/availability", { available: event.target.checked });
      refreshLists();
    } catch (e) {
      event.target.checked = !event.target.checked;
      setStatus(e.message);
    }
  });
}
