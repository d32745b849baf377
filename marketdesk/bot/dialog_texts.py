"""What the bot says in a dialogue and about the customer's own account (Russian)."""

from __future__ import annotations

from decimal import Decimal

from marketdesk.bot.actions import AccountIntent

LOGIN_OFFER = {
    AccountIntent.ORDERS: "Чтобы я показал ваши заказы и их статусы,",
    AccountIntent.BALANCE: "Чтобы я показал ваши баллы и баланс,",
    AccountIntent.CERTIFICATE: "Чтобы активировать сертификат,",
    AccountIntent.RETURN: "Чтобы оформить возврат по вашему заказу,",
    AccountIntent.WITHDRAWAL: "Чтобы я показал, сколько можно вывести с вашего баланса,",
}
LOGIN_TAIL = (
    " войдите, пожалуйста, в аккаунт: нажмите «Войти» и подтвердите номер телефона кодом. "
    "Разговор при этом сохранится."
)

CLARIFY = "Уточните, пожалуйста, о чём ваш вопрос — напишите номер варианта или слово из него:"
CLARIFY_AGAIN = "Не понял, какой вариант вы выбрали. Напишите, пожалуйста, его номер:"

NO_ORDERS = "У вас пока нет заказов."
ORDERS_HEAD = "Ваши последние заказы:"
ORDERS_CHOOSE = "Напишите номер строки или номер заказа — расскажу подробнее о нём."
ORDER_ONE = "Ваш заказ {number} от {created}: {status}."
ORDER_ITEMS = "В заказе: {items}."

BALANCE_HEAD = "Ваш баланс:"
BALANCE_EMPTY = "На вашем балансе пока нет ни рублей, ни баллов."

CERTIFICATE_ASK = (
    "Напишите, пожалуйста, код сертификата — он указан на карте или в письме с "
    "сертификатом (например, ABCD-EFGH-JKLM-NPQR). Я активирую его на ваш аккаунт."
)
CERTIFICATE_ASK_AGAIN = (
    "Не вижу в сообщении кода сертификата. Напишите код целиком — буквы и цифры, как на "
    "карте или в письме."
)

RETURN_NO_ITEMS = "В ваших заказах нет товаров, которые можно вернуть."
RETURN_CHOOSE = "Какой товар вы хотите вернуть? Напишите номер строки:"
RETURN_REASON_ASK = "Почему вы возвращаете «{name}»? Напишите номер причины:"
RETURN_REASONS = (
    ("defect", "брак"),
    ("not_as_described", "не соответствует описанию"),
    ("proper_quality", "не подошёл — товар надлежащего качества"),
    ("warranty", "гарантийный случай"),
)
RETURN_ACCEPTED = "{message}"
RETURN_REFUSED = "Вернуть «{name}» не получится: {reason}"

WITHDRAWAL_RULE = (
    "Вывести можно сумму от {minimum}. Если на балансе меньше {minimum}, можно вывести "
    "только всю сумму целиком."
)
WITHDRAWAL_FACTS = "Сейчас на балансе {total}, вывести можно {withdrawable}."
WITHDRAWAL_CERTIFICATES = (
    "Деньги с подарочных сертификатов ({certificate}) вывести нельзя — ими можно оплачивать заказы."
)
WITHDRAWAL_NOTHING = "Сейчас выводить нечего: на балансе нет денег, которые можно вывести."
WITHDRAWAL_LINK = "Вывести деньги: {link} — там укажите реквизиты счёта и сумму."

ACCOUNT_GUARDED = (
    "Этот ответ я показать не могу: в нём оказались данные, которые нельзя передавать в "
    "чате. Передаю диалог оператору: он подключится к этому чату и поможет."
)
ACCOUNT_UNAVAILABLE = (
    "Не получилось открыть данные вашего аккаунта. Передаю диалог оператору: он "
    "подключится к этому чату и поможет."
)


def rubles(amount: Decimal, unit: str = "₽") -> str:
    """«1 234,50 ₽», «100 ₽», «150 Б»."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    whole, _, cents = f"{value:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    text = sign + "\u00a0".join(groups or ["0"])
    if cents != "00":
        text += "," + cents
    return f"{text}\u00a0{unit}"


def numbered(options: list[str]) -> str:
    return "\n".join(f"{n}. {option}" for n, option in enumerate(options, start=1))
