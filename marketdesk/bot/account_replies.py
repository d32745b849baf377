"""The bot's replies with the logged-in customer's own facts, and the steps of the actions
that take more than one turn (a certificate's code, which item to return and why)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from marketdesk.bot import dialog_texts as T
from marketdesk.bot.actions import (
    Account,
    AccountIntent,
    ItemFact,
    OrderFact,
    certificate_code_in,
    detect_account_intent,
    return_reason_in,
)
from marketdesk.bot.core import BotReply
from marketdesk.bot.dialog_state import DialogState, choice_in
from marketdesk.text.analyzer import Analysis

__all__ = ["ORDERS_SHOWN", "RETURN_ORDERS", "AccountReplies"]

#: the last orders «где мой заказ» lists, and the orders whose items a return offers
ORDERS_SHOWN = 3
RETURN_ORDERS = 5
_FIELD = "\t"
_WORD_RE = re.compile(r"[0-9a-zа-яё]{4,}")

Step = tuple[BotReply, DialogState]


def _facts(intent: AccountIntent, text: str, reason: str = "") -> BotReply:
    return BotReply("answer", intent.value, 1.0, text, reason=reason or f"account:{intent}")


def _order_text(order: OrderFact) -> str:
    text = T.ORDER_ONE.format(number=order.number, created=order.created, status=order.status)
    if order.items:
        names = ", ".join(f"{i.name} × {i.quantity}" for i in order.items)
        text += " " + T.ORDER_ITEMS.format(items=names)
    return text


#: words of any return request, not of an item's name
_GENERIC = frozenset({"товар", "заказ", "покуп", "верну", "возвр", "хочу", "нужно", "уцен"})


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD_RE.findall(text.lower().replace("ё", "е"))} - _GENERIC


def _encode(order: OrderFact, item: ItemFact) -> str:
    return _FIELD.join((order.number, str(item.product_id), str(item.quantity), item.name))


def _decode(option: str) -> tuple[str, int, int, str]:
    number, product_id, quantity, name = option.split(_FIELD, 3)
    return number, int(product_id), int(quantity), name


def _named(text: str, options: Sequence[str]) -> int | None:
    """The one option whose item name the message names («наушники»)."""
    words = _stems(text)
    found = [n for n, option in enumerate(options) if words & _stems(_decode(option)[3])]
    return found[0] if len(found) == 1 else None


class AccountReplies:
    def __init__(self, account: Account) -> None:
        self.account = account

    async def act(self, intent: AccountIntent, text: str, analysis: Analysis) -> Step:
        return await self._guarded(await self._act(intent, text, analysis))

    async def pending(
        self, text: str, analysis: Analysis, state: DialogState, alone: BotReply
    ) -> Step | None:
        """The answer to the question the bot asked, or None: the customer asked something
        else (the dialogue goes on from this message)."""
        step = await self._pending(text, analysis, state, alone)
        return None if step is None else await self._guarded(step)

    async def _guarded(self, step: Step) -> Step:
        """The privacy guard on every reply with the customer's data: one it objects to is
        not sent, an operator takes over."""
        if await self.account.passes_guard(step[0].answer):
            return step
        reply = BotReply("handoff", step[0].topic, 0.0, T.ACCOUNT_GUARDED, reason="guard")
        return reply, DialogState(topic=step[1].topic)

    async def _act(self, intent: AccountIntent, text: str, analysis: Analysis) -> Step:
        handlers: dict[AccountIntent, Callable[[str, Analysis], Awaitable[Step]]] = {
            AccountIntent.ORDERS: self._orders,
            AccountIntent.BALANCE: self._balance,
            AccountIntent.CERTIFICATE: self._certificate,
            AccountIntent.RETURN: self._return,
            AccountIntent.WITHDRAWAL: self._withdrawal,
        }
        return await handlers[intent](text, analysis)

    async def _pending(
        self, text: str, analysis: Analysis, state: DialogState, alone: BotReply
    ) -> Step | None:
        if state.pending == "choose_order":
            return await self._order_chosen(text, analysis, state)
        if state.pending == "certificate_code":
            return await self._code_given(text, analysis, state, alone)
        if state.pending == "return_item":
            return await self._item_chosen(text, analysis, state)
        if state.pending == "return_reason":
            return await self._reason_given(text, analysis, state)
        return None

    # ------------------------------------------------------------------ orders
    async def _orders(self, text: str, analysis: Analysis) -> Step:
        topic = AccountIntent.ORDERS
        orders = list(await self.account.orders(ORDERS_SHOWN))
        named = next((o for o in orders if o.number in text), None)
        if named is not None or len(orders) == 1:
            return _facts(topic, _order_text(named or orders[0])), DialogState(topic=topic)
        if not orders:
            return _facts(topic, T.NO_ORDERS), DialogState(topic=topic)
        rows = [f"Заказ {o.number} от {o.created} — {o.status}" for o in orders]
        reply = T.ORDERS_HEAD + "\n" + T.numbered(rows) + "\n" + T.ORDERS_CHOOSE
        options = tuple(o.number for o in orders)
        return _facts(topic, reply), DialogState(topic, "choose_order", options)

    async def _order_chosen(self, text: str, analysis: Analysis, state: DialogState) -> Step | None:
        picked = choice_in(text, analysis, len(state.options))
        number = state.options[picked] if picked is not None else None
        number = number or next((n for n in state.options if n in text), None)
        if number is None:
            return None
        orders = await self.account.orders(max(ORDERS_SHOWN, len(state.options)))
        order = next((o for o in orders if o.number == number), None)
        if order is None:
            return None
        topic = AccountIntent.ORDERS
        return _facts(topic, _order_text(order)), DialogState(topic=topic)

    # ------------------------------------------------------------------ balance
    async def _balance(self, text: str, analysis: Analysis) -> Step:
        topic = AccountIntent.BALANCE
        balances = list(await self.account.balances())
        if not any(b.amount for b in balances):
            return _facts(topic, T.BALANCE_EMPTY), DialogState(topic=topic)
        rows = []
        for b in balances:
            row = f"{b.title}: {T.rubles(b.amount, b.unit)}"
            if b.sources:
                row += " (" + "; ".join(f"{t} — {T.rubles(a, b.unit)}" for t, a in b.sources) + ")"
            rows.append("— " + row)
        return _facts(topic, T.BALANCE_HEAD + "\n" + "\n".join(rows)), DialogState(topic=topic)

    # ------------------------------------------------------------------ withdrawal
    async def _withdrawal(self, text: str, analysis: Analysis) -> Step:
        topic = AccountIntent.WITHDRAWAL
        fact = await self.account.withdrawal()
        parts = [T.WITHDRAWAL_RULE.format(minimum=T.rubles(fact.minimum))]
        if fact.withdrawable > 0:
            parts.insert(
                0,
                T.WITHDRAWAL_FACTS.format(
                    total=T.rubles(fact.total), withdrawable=T.rubles(fact.withdrawable)
                ),
            )
        else:
            parts.insert(0, T.WITHDRAWAL_NOTHING)
        if fact.certificate_money > 0:
            parts.append(
                T.WITHDRAWAL_CERTIFICATES.format(certificate=T.rubles(fact.certificate_money))
            )
        parts.append(T.WITHDRAWAL_LINK.format(link=fact.link))
        return _facts(topic, " ".join(parts)), DialogState(topic=topic)

    # ------------------------------------------------------------------ certificate
    async def _certificate(self, text: str, analysis: Analysis) -> Step:
        topic = AccountIntent.CERTIFICATE
        code = certificate_code_in(text)
        if code is None:
            return _facts(topic, T.CERTIFICATE_ASK), DialogState(topic, "certificate_code")
        outcome = await self.account.activate_certificate(code)
        reason = "certificate_activated" if outcome.done else f"certificate_refused:{outcome.code}"
        return _facts(topic, outcome.message, reason), DialogState(topic=topic)

    async def _code_given(
        self, text: str, analysis: Analysis, state: DialogState, alone: BotReply
    ) -> Step | None:
        if certificate_code_in(text) is not None:
            return await self._certificate(text, analysis)
        asked_again = bool(state.data)
        other = detect_account_intent(analysis, text) or (
            alone.action == "answer" and alone.reason == "confident"
        )
        if other or asked_again:
            return None
        topic = AccountIntent.CERTIFICATE
        again = DialogState(topic, "certificate_code", data=("asked",))
        return _facts(topic, T.CERTIFICATE_ASK_AGAIN), again

    # ------------------------------------------------------------------ return
    async def _return(self, text: str, analysis: Analysis) -> Step:
        topic = AccountIntent.RETURN
        orders = await self.account.orders(RETURN_ORDERS)
        options = tuple(
            _encode(o, i) for o in orders if o.status_code != "cancelled" for i in o.items
        )
        if not options:
            return _facts(topic, T.RETURN_NO_ITEMS), DialogState(topic=topic)
        reason = return_reason_in(analysis) or ""
        picked = 0 if len(options) == 1 else _named(text, options)
        if picked is not None:
            return await self._item_step(options[picked], reason)
        rows = []
        for option in options:
            number, _, quantity, name = _decode(option)
            rows.append(f"{name} × {quantity} — заказ {number}")
        reply = T.RETURN_CHOOSE + "\n" + T.numbered(rows)
        return _facts(topic, reply), DialogState(topic, "return_item", options, (reason,))

    async def _item_chosen(self, text: str, analysis: Analysis, state: DialogState) -> Step | None:
        picked = choice_in(text, analysis, len(state.options))
        if picked is None:
            picked = _named(text, state.options)
        if picked is None:
            return None
        reason = (state.data[0] if state.data else "") or (return_reason_in(analysis) or "")
        return await self._item_step(state.options[picked], reason)

    async def _item_step(self, option: str, reason: str) -> Step:
        topic = AccountIntent.RETURN
        if reason:
            return await self._decide(option, reason)
        name = _decode(option)[3]
        rows = [title for _, title in T.RETURN_REASONS]
        reply = T.RETURN_REASON_ASK.format(name=name) + "\n" + T.numbered(rows)
        return _facts(topic, reply), DialogState(topic, "return_reason", (option,))

    async def _reason_given(self, text: str, analysis: Analysis, state: DialogState) -> Step | None:
        picked = choice_in(text, analysis, len(T.RETURN_REASONS))
        reason = T.RETURN_REASONS[picked][0] if picked is not None else return_reason_in(analysis)
        if reason is None or not state.options:
            return None
        return await self._decide(state.options[0], reason)

    async def _decide(self, option: str, reason: str) -> Step:
        topic = AccountIntent.RETURN
        number, product_id, quantity, name = _decode(option)
        outcome = await self.account.request_return(number, product_id, quantity, reason)
        if outcome.done:
            return _facts(topic, outcome.message, "return_accepted"), DialogState(topic=topic)
        text = T.RETURN_REFUSED.format(name=name, reason=outcome.message)
        return _facts(topic, text, f"return_refused:{outcome.code}"), DialogState(topic=topic)
