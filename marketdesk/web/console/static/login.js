// The console's login (an ES module): the token lives in sessionStorage (this tab only, gone
// when it closes). An operator who turned on the second factor gets a second step: the
// server answers totp_required, and the code field appears.
import { $, fetchResponse, refusal } from "/static/shared/helpers.js";
import { TOKEN_KEY } from "./common.js";

const NO_SERVER = "Сервер недоступен. Проверьте соединение и попробуйте ещё раз.";

function showError(text) {
  $("login-error").textContent = text;
  $("login-error").hidden = false;
}

function askForCode(message) {
  $("totp-step").hidden = false;
  $("totp-code").required = true;
  $("totp-code").value = "";
  $("totp-code").focus();
  showError(message);
}

async function logIn(login, password, totpCode) {
  const body = { login, password };
  if (totpCode) body.totp_code = totpCode;
  const response = await fetchResponse("POST", "/api/v1/auth/login", { body });
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
  const code = $("totp-step").hidden ? "" : $("totp-code").value.trim();
  if (!login || !password) {
    showError("Введите логин и пароль.");
    return;
  }
  if (!$("totp-step").hidden && !code) {
    showError("Введите код из приложения-аутентификатора.");
    return;
  }
  $("login-submit").disabled = true;
  try {
    await logIn(login, password, code);
  } catch (e) {
    if (e.code === "totp_required" || e.code === "totp_invalid") askForCode(e.message);
    else showError(e.status ? e.message : NO_SERVER);
  } finally {
    $("login-submit").disabled = false;
  }
});
