// The money tabs of «Личный кабинет»: the balance by kind with where the money came from, the
// withdrawal with the bank details (the server checks the account's control key against the
// BIK and answers in Russian), and the gift certificates: activation and the list.
import { clear, el } from "/static/shared/helpers.js";
import { formatDate, formatMoment, formatRub, note } from "./format.js";

// which field a refusal is about: it is marked and focused
const FIELD_OF = {
  invalid_bik: "wd-bik",
  invalid_account: "wd-account",
  recipient_required: "wd-recipient",
  invalid_amount: "wd-amount",
  below_minimum: "wd-amount",
  must_withdraw_all: "wd-amount",
  exceeds_balance: "wd-amount",
};

const muted = (text) => el("p", { class: "account__muted" }, text);

// ---------------------------------------------------------------- balance
function balanceNode(balance) {
  return el(
    "article",
    { class: "account__card", dataset: { kind: balance.kind.code } },
    el("header", { class: "account__card-head" }, el("strong", {}, balance.kind.title), el("span", {}, formatRub(balance.amount, balance.unit))),
    balance.sources.length
      ? el(
          "ul",
          { class: "account__sources" },
          balance.sources.map((s) => el("li", {}, el("span", {}, s.source.title), el("span", {}, formatRub(s.amount, balance.unit)))),
        )
      : muted("Движений не было."),
  );
}

export function renderBalance(target, api) {
  return api("GET", "/api/v1/me/balances").then((data) => {
    clear(
      target,
      data.balances.map(balanceNode),
      muted(
        "Можно вывести: " + formatRub(data.rubles.withdrawable) + ". Деньги с подарочных сертификатов (" +
          formatRub(data.rubles.certificate_money) + ") выводить нельзя — ими можно оплатить заказы.",
      ),
    );
  });
}

// ---------------------------------------------------------------- withdrawal
function field(id, label, attrs, hint) {
  return [
    el("label", { for: id }, label),
    el("input", { id, name: id, ...attrs }),
    hint ? el("small", { class: "account__hint" }, hint) : null,
  ];
}

function withdrawalList(list) {
  if (!list.length) return muted("Заявок на вывод пока нет.");
  return el(
    "ul",
    { class: "account__sources", id: "wd-list" },
    list.map((w) =>
      el("li", {}, el("span", {}, w.number + " · " + formatDate(w.created_at) + " · счёт " + w.account_masked), el("span", {}, formatRub(w.amount))),
    ),
  );
}

function submitWithdrawal(form, api, target) {
  const result = form.querySelector(".account__note");
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  const value = (id) => form.querySelector("#" + id).value;
  const payload = {
    amount: value("wd-amount").replace(",", ".").replace(/\s/g, "") || "0",
    recipient: value("wd-recipient"),
    bik: value("wd-bik"),
    account: value("wd-account"),
  };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  api("POST", "/api/v1/me/balance/withdraw", payload)
    .then((data) => {
      form.reset();
      return renderWithdrawal(target, api).then(() => note(target.querySelector(".account__note"), data.message, "ok"));
    })
    .catch((error) => {
      note(result, error.message, "error");
      const id = FIELD_OF[error.code];
      const input = id && form.querySelector("#" + id);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    })
    .finally(() => (button.disabled = false));
}

export function renderWithdrawal(target, api) {
  return Promise.all([api("GET", "/api/v1/me/balance"), api("GET", "/api/v1/me/withdrawals")]).then(([rubles, done]) => {
    const form = el(
      "form",
      { class: "account__form", id: "withdraw-form", novalidate: true },
      muted(
        "Доступно для вывода: " + formatRub(rubles.withdrawable) +
          ". Вывести можно от 100 ₽; если на балансе меньше 100 ₽ — только всю сумму целиком.",
      ),
      field("wd-amount", "Сумма, ₽", { inputmode: "decimal", autocomplete: "off", placeholder: "100" }),
      field("wd-recipient", "Получатель", { autocomplete: "name", maxlength: 200, placeholder: "Фамилия Имя Отчество" }, "Владелец счёта, как в реквизитах банка"),
      field("wd-bik", "БИК банка", { inputmode: "numeric", autocomplete: "off", maxlength: 11, placeholder: "9 цифр" }),
      field("wd-account", "Номер счёта", { inputmode: "numeric", autocomplete: "off", maxlength: 24, placeholder: "20 цифр" }, "Из реквизитов счёта в приложении банка; номер карты не подойдёт"),
      el("button", { type: "submit" }, "Вывести деньги"),
      el("p", { class: "account__note", role: "status" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitWithdrawal(form, api, target);
    });
    clear(target, form, el("p", {}, el("strong", {}, "Заявки на вывод")), withdrawalList(done.withdrawals));
  });
}

// ---------------------------------------------------------------- certificates
function limitText(limit) {
  if (!limit.individual) return "Активировать сертификат можно только на регистрацию физического лица.";
  let text = "За последние 24 часа активировано " + limit.used + " из " + limit.per_day + ".";
  if (limit.lifts_at) text += " Следующий сертификат можно будет активировать после " + formatMoment(limit.lifts_at) + " по московскому времени.";
  return text;
}

function certificateNode(c) {
  return el(
    "li",
    {},
    el("span", {}, "Сертификат " + c.code_masked + " · " + formatDate(c.activated_at)),
    el("span", {}, formatRub(c.nominal)),
    el("small", { class: "account__hint" }, "Деньги на балансе до " + formatDate(c.money_expires_at)),
  );
}

export function renderCertificates(target, api) {
  return api("GET", "/api/v1/me/certificates").then((data) => {
    const result = el("p", { class: "account__note", role: "status" });
    const form = el(
      "form",
      { class: "account__form", id: "certificate-form" },
      el("label", { for: "cert-code" }, "Код активации"),
      el("input", { id: "cert-code", name: "code", autocomplete: "off", maxlength: 64, placeholder: "XXXX-XXXX-XXXX-XXXX", required: true }),
      el("small", { class: "account__hint" }, "Код можно ввести только один раз; номинал зачисляется на баланс и хранится 3 года. В день — не больше 3 сертификатов."),
      el("button", { type: "submit" }, "Активировать"),
      result,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const code = form.querySelector("#cert-code").value;
      api("POST", "/api/v1/me/certificates/activate", { code })
        .then((done) => renderCertificates(target, api).then(() => note(target.querySelector("#certificate-form .account__note"), done.message, "ok")))
        .catch((error) => note(result, error.message, "error"));
    });
    clear(
      target,
      form,
      muted(limitText(data.limit)),
      el("p", {}, el("strong", {}, "Мои сертификаты")),
      data.certificates.length ? el("ul", { class: "account__sources", id: "cert-list" }, data.certificates.map(certificateNode)) : muted("Активированных сертификатов пока нет."),
    );
  });
}
