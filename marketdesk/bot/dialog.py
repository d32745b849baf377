"""A dialogue with the bot (issue 14, item 6): it keeps the topic of the last turn, asks
which topic is meant when two are close, and — for a logged-in customer — answers with the
customer's own facts through :class:`~marketdesk.bot.actions.Account`.

    dialog = Dialog(bot, account=account)        # account=None: a visitor, or unknown
    reply = await dialog.turn("где мой заказ")     # BotReply; dialog.state moves on

The live chat runs the same ``Dialog``, its state kept in the conversation's row
(``services/chat/bot_turn.py``); :func:`chat_reply` is the stateless turn that knows only
the last topic."""

from __future__ import annotations

import logging
from dataclasses import replace

from marketdesk.bot import dialog_texts as T
from marketdesk.bot.account_replies import AccountReplies
from marketdesk.bot.actions import Account, AccountIntent, detect_account_intent
from marketdesk.bot.core import Bot, BotReply, FirstRead, Suggestion
from marketdesk.bot.dialog_state import DialogState, choice_in, choice_named
from marketdesk.bot.lines import SELLER
from marketdesk.text.analyzer import Analysis

__all__ = ["Dialog", "DialogState", "chat_reply", "choice_in", "reply_in_context"]

log = logging.getLogger(__name__)

#: a reply this sure names its own topic even in a short message after another topic
FOLLOW_UP_OVERRIDE = 0.75
#: at most this many content words make a follow-up («а если я уже перешёл по ссылке?»)
FOLLOW_UP_WORDS = 6
#: the stand-alone replies a follow-up may replace (not a refusal, a thanks, a person …)
_REPLACEABLE = frozenset({"confident", "unsure_answer", "low_confidence", "off_topic", "vague"})
#: a message that starts so goes on with the last topic: «а сколько ждать?», «и почему?»
_CONNECTIVES = frozenset({"а", "и", "ещё", "еще", "тогда", "также", "кстати", "так", "ну"})
#: words that name no topic of their own: «сколько ждать», «почему», «а ночью»


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GENERIC = _words(
    "ждать подождать долго сколько почему зачем когда где можно нельзя делать сделать "
    "быть что как это так нужно надо срок время день час минута потом дальше тоже "
    "ещё еще ночь ночью выходной вообще точно правда понятно какой если"
)


def _is_follow_up(
    analysis: Analysis, alone: BotReply, topic: str | None, *, loose: bool = False
) -> bool:
    """A message that goes on with the last topic: it starts with «а», «и» … or says
    nothing that names a topic of its own. A sure answer on another topic still wins, and
    so does a fair one when the message names things of its own («а в акциях уценка
    участвует?»); ``loose`` (after a refusal) keeps any short message that starts so."""
    if topic is None or alone.reason not in _REPLACEABLE or alone.topic == topic:
        return False
    if alone.action == "answer" and alone.confidence >= FOLLOW_UP_OVERRIDE and not loose:
        return False
    content = analysis.content
    generic = set(content) <= _GENERIC
    connective = bool(analysis.words) and analysis.words[0] in _CONNECTIVES
    if not connective:
        return len(content) <= 3 and generic
    if len(content) > FOLLOW_UP_WORDS:
        return False
    return generic or loose or alone.reason != "confident"


REFUSED = "refused"


def _refused(reply: BotReply, state: DialogState) -> DialogState:
    """After a refusal: the topic stays, and a follow-up of the refused question is refused."""
    return DialogState(topic=state.topic, pending=REFUSED, data=(reply.answer, reply.reason))


def _refusal_again(state: DialogState) -> BotReply:
    answer, reason = state.data
    return BotReply("refuse", None, 1.0, answer, reason=reason)


def _clarify(alone: BotReply) -> tuple[BotReply, DialogState] | None:
    """Two close topics: ask which one instead of guessing."""
    if alone.reason != "unsure_answer" or len(alone.suggestions) < 2:
        return None
    options = alone.suggestions[:3]
    text = T.CLARIFY + "\n" + T.numbered([s.title for s in options])
    reply = BotReply("answer", None, alone.confidence, text, suggestions=options, reason="clarify")
    return reply, DialogState(pending="choose_topic", options=tuple(s.slug for s in options))


def chat_reply(
    bot: Bot, text: str, *, topic: str | None, line: str | None, visitor: bool = False
) -> BotReply:
    """The bot's reply in the live chat, where the conversation keeps the last topic (its
    ``topic``): a follow-up («а сколько ждать?») stays on it, the line decides whose
    articles answer, a ``visitor`` asking about their own account is offered the login
    first. The chat keeps no question of the bot's, so two close topics are answered with
    alternatives as before, not asked about."""
    reply, _ = reply_in_context(
        bot, text, DialogState(topic=topic), line=line, in_conversation=True, clarify=False
    )
    if visitor and line != SELLER and reply.action != "refuse":
        intent = detect_account_intent(bot.understand(text), text)
        if intent is not None:
            return _login_offer(intent, reply)
    return reply


def reply_in_context(
    bot: Bot,
    text: str,
    state: DialogState,
    *,
    line: str | None = None,
    in_conversation: bool = False,
    clarify: bool = True,
) -> tuple[BotReply, DialogState]:
    """One turn without the customer's data: a follow-up keeps the last topic, a choice
    answers the question the bot asked, two close topics are asked about. Never raises."""
    try:
        return _reply_in_context(bot, text, state, line, in_conversation, clarify=clarify)
    except Exception:  # a reply must always come back
        log.exception("dialogue failed on a message")
        return bot.ask(text, in_conversation=in_conversation, line=line), DialogState()


def _reply_in_context(
    bot: Bot,
    text: str,
    state: DialogState,
    line: str | None,
    in_conversation: bool,
    alone: BotReply | None = None,
    *,
    clarify: bool = True,
    analysis: Analysis | None = None,
) -> tuple[BotReply, DialogState]:
    """``alone`` and ``analysis``: the bot's reply to the text alone and its reading of the
    text (``Bot.understand``'s), if the caller has them (they are worked out here if not)."""
    if alone is None:
        alone = bot.ask(text, in_conversation=in_conversation, line=line)
    if alone.action == "refuse":
        return alone, _refused(alone, state)
    if analysis is None:
        analysis = bot.understand(text)
    if state.pending == REFUSED and _is_follow_up(analysis, alone, REFUSED, loose=True):
        # «а его адрес?» after a refused «дайте телефон покупателя»: refused again
        return _refusal_again(state), state
    if state.pending == "choose_topic":
        picked = choice_in(text, analysis, len(state.options))
        if picked is None and alone.topic in state.options:
            return alone, DialogState(topic=alone.topic)
        if picked is None:  # «активировать»: the option named by a word of its own
            titles = [bot.topic_title(slug) or "" for slug in state.options]
            picked = choice_named(analysis, [bot.understand(title) for title in titles])
        if picked is not None:
            slug = state.options[picked]
            answer = bot.topic_answer(slug, line=line, in_conversation=in_conversation)
            return answer, DialogState(topic=slug)
    if _is_follow_up(analysis, alone, state.topic):
        assert state.topic is not None
        kept = bot.topic_answer(state.topic, text, line=line, in_conversation=in_conversation)
        return kept, DialogState(topic=state.topic)
    clarified = _clarify(alone) if clarify else None
    if clarified is not None:
        return clarified[0], replace(clarified[1], topic=state.topic)
    return alone, DialogState(topic=alone.topic or state.topic)


class Dialog:
    """One dialogue: turns in order, with the state between them. ``account``: the
    logged-in customer's (facts, actions); ``visitor``: not logged in, offered the login
    for questions about their own account."""

    def __init__(
        self,
        bot: Bot,
        *,
        account: Account | None = None,
        visitor: bool = False,
        line: str | None = None,
        in_conversation: bool = False,
    ) -> None:
        self.bot = bot
        self.line = line
        self.visitor = visitor and account is None
        self.in_conversation = in_conversation
        self.state = DialogState()
        self._account = AccountReplies(account) if account is not None else None

    async def turn(self, text: object, read: FirstRead | None = None) -> BotReply:
        """The reply to ``text`` in the dialogue so far. ``read``: the bot's reading of the
        text alone, worked out earlier (:meth:`Bot.read`); used when it is of this text on
        this line, else the text is read here."""
        message = text if isinstance(text, str) else ("" if text is None else str(text))
        if read is not None and (read.text, read.line, read.in_conversation) != (
            message,
            self.line,
            self.in_conversation,
        ):
            read = None
        try:
            reply, self.state = await self._turn(message, read)
        except Exception:  # a reply must always come back
            log.exception("dialogue failed on a message")
            reply, self.state = BotReply("handoff", None, 0.0, T.ACCOUNT_UNAVAILABLE), DialogState()
        return reply

    async def _turn(self, text: str, read: FirstRead | None) -> tuple[BotReply, DialogState]:
        bot, state = self.bot, self.state
        alone = (
            read.alone
            if read is not None
            else bot.ask(text, in_conversation=self.in_conversation, line=self.line)
        )
        if alone.action == "refuse":  # confidential first, whatever was asked before
            return alone, _refused(alone, state)
        analysis = read.analysis if read is not None else bot.understand(text)
        if self._account is not None and state.pending and state.pending != "choose_topic":
            step = await self._account.pending(text, analysis, state, alone)
            if step is not None:
                return step
        intent = detect_account_intent(analysis, text) if self.line != SELLER else None
        if (
            intent is None
            and self._account is not None
            and state.topic in set(AccountIntent)
            and _is_follow_up(analysis, alone, state.topic)
        ):
            intent = AccountIntent(state.topic)
        if intent is not None and self._account is not None:
            return await self._account.act(intent, text, analysis)
        if intent is not None and self.visitor:
            return _login_offer(intent, alone), DialogState(topic=alone.topic)
        return _reply_in_context(
            bot, text, state, self.line, self.in_conversation, alone, analysis=analysis
        )


def _login_offer(intent: AccountIntent, alone: BotReply) -> BotReply:
    """A visitor asks about their own account: the login first, then what the bot knows."""
    offer = T.LOGIN_OFFER[intent] + T.LOGIN_TAIL
    if alone.action == "answer":
        return replace(alone, answer=offer + "\n\n" + alone.answer, reason="login_offer")
    login = Suggestion("login", "Вход в аккаунт")
    return BotReply("answer", "login", 0.9, offer, suggestions=(login,), reason="login_offer")
