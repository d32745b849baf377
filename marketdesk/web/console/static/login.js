"use strict";
// The console's login: the token lives in sessionStorage (this tab only, gone when it closes).
(function () {
  const TOKEN_KEY = "marketdesk.console.token";
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const login = document.getElementById("login").value.trim();
    const password = document.getElementById("password").value;
    if (!login || !password) {
      showError("Введите логин и пароль.");
      return;
    }
    submit.disabled = true;
    try {
      const response = await fetch("/api/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ login, password }),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError((data.error && data.error.message) || "Не удалось войти.");
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, data.token);
      sessionStorage.setItem("marketdesk.console.fresh", "1");
      location.replace("/console");
    } catch (e) {
      showError("Сервер недоступен. Проверьте соединение и попробуйте ещё раз.");
    } finally {
      submit.disabled = false;
    }
  });
})();
