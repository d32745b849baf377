// The console's login (an ES module): the token lives in sessionStorage (this tab only, gone
// when it closes).
import { $, fetchResponse, refusal } from "/static/shared/helpers.js";
import { TOKEN_KEY } from "./common.js";

const NO_SERVER = "Сервер недоступен. Проверьте соединение и попробуйте ещё раз.";

function showError(text) {
  $("login-error").textContent = text;
  $("login-error").hidden = false;
}

async function logIn(login, password) {
  const response = await fetchResponse("POST", "/api/v1/auth/login", { body: { login, password } });
  if (!response.ok) throw await refusal(response, "Не удалось войти.");
  const data = await response.json();
  sessionStorage.setItem(TOKEN_KEY, data.token);
  sessionStorage.setItem("marketdesk.console.fresh", "1");
  location.replace("/console");
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").hidden = true;
  const login = $("login").value.trim();
  const password = $("password").value;
  if (!login || !password) {
    showError("Введите логин и пароль.");
    return;
  }
  $("login-submit").disabled = true;
  try {
    await logIn(login, password);
  } catch (e) {
    showError(e.status ? e.message : NO_SERVER);
  } finally {
    $("login-submit").disabled = false;
  }
});
