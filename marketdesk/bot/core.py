"""The support bot: understands a message and answers, hands off or refuses."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from marketdesk.bot import lines, texts
from marketdesk.bot.focus import question_part, weigh
from marketdesk.bot.phishing import (
    detect_pasted_message,
    strong_suspicion,
    verdict_text,
    weak_suspicion,
)
from marketdesk.bot.rules import LEXICON, Intent, RuleMatch, detect
from marketdesk.kb.articles import (
    Article,
    ArticleError,
    Topic,
    default_kb_dir,
    default_topics_file,
    load_articles,
    load_topics,
)
from marketdesk.kb.index import Hit, KbIndex, Query, SearchResult, shared_index
from marketdesk.text.analyzer import Analysis, TextAnalyzer

__all__ = [
    "Bot",
    "BotReply",
    "FirstRead",
    "Hint",
    "HintContext",
    "Suggestion",
    "confidence_of",
    "said_in_conversation",
]

log = logging.getLogger(__name__)

Action = Literal["answer", "handoff", "refuse"]

#: at or above: answer; between LOW and ANSWER: answer with alternatives; below: handoff
ANSWER_THRESHOLD = 0.45
LOW_THRESHOLD = 0.42
#: a confident answer whose runner-up topic is this close still offers alternatives
CLOSE_MARGIN = 0.1
#: confidence factor when the question shares none of the article's head words
UNANCHORED_FACTOR = 0.7
#: an operator hint is shown before customer answers when it scores at least this
#: share of the best article's score
HINT_FIT = 0.6
#: hints in context: the weight of the customer's earlier messages (the last few), and the
#: lift of the conversation's topic and of a hint written for the card's situation, as parts
#: of the best score (tuned on tests/bot/test_hints_context.py, not from the seeds)
EARLIER_TURNS = 3
EARLIER_WEIGHT = 0.5
TOPIC_WEIGHT = 0.5
FIT_WEIGHT = 0.5
#: words an operator uses to describe any situation («клиент просит», «спрашивает»)
HINT_FILLER = frozenset(
    [
        "клиент",
        "покупатель",
        "просить",
        "спрашивать",
        "сообщать",
        "хотеть",
        "писать",
        "обращаться",
        "интересоваться",
        "жаловаться",
        "требовать",
        "уточнять",
    ]
)
CUSTOMER_AUDIENCES = ("customer", "seller")
PHISHING_TOPIC = "phishing"
_GREETINGS = frozenset(
    {"привет", "здравствуйте", "здравствовать", "добрый", "день", "утро", "вечер", "алло"}
)
_THANKS = frozenset({"спасибо", "благодарить", "благодарю", "спс"})


@dataclass(frozen=True, slots=True)
class Suggestion:
    slug: str
    title: str

    def to_json(self) -> dict[str, str]:
        return {"slug": self.slug, "title": self.title}


@dataclass(frozen=True, slots=True)
class BotReply:
    action: Action
    topic: str | None
    confidence: float
    answer: str
    suggestions: tuple[Suggestion, ...] = ()
    reason: str = field(default="", compare=False)  # why (for logs and the console)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "topic": self.topic,
            "confidence": round(float(self.confidence), 3),
            "answer": self.answer,
        }
        if self.suggestions:
            data["suggestions"] = [s.to_json() for s in self.suggestions]
        return data


@dataclass(frozen=True, slots=True)
class FirstRead:
    """A message as the bot reads it alone (:meth:`Bot.read`): its reply to the message by
    itself and the message as the rules read it, for the ``line`` and ``in_conversation``
    asked. A dialogue's turn on the same text and line uses it instead of reading again."""

    text: str
    line: str | None
    in_conversation: bool
    alone: BotReply
    analysis: Analysis


@dataclass(frozen=True, slots=True)
class HintContext:
    """What the console knows of a case besides the last message: the conversation's topic,
    the customer's earlier messages (oldest first) and facts of the card for the hints'
    ``when`` (``coupon_ban``, ``line``, ``customer_kind``: see ``kb.articles.HINT_FACTS``)."""

    topic: str | None = None
    earlier: tuple[str, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hint:
    """An answer hint for the operator console."""

    slug: str
    title: str
    section: str
    situation: str
    body: str
    audience: str
    internal_note: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "section": self.section,
            "situation": self.situation,
            "body": self.body,
            "audience": self.audience,
            "internal_note": self.internal_note,
            "score": round(self.score, 3),
        }


_LINK_RE = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}",
    re.IGNORECASE,
)


_IN_CONVERSATION = tuple(
    (re.compile(pattern), instead) for pattern, instead in texts.IN_CONVERSATION_PHRASES
)


def said_in_conversation(article: Article) -> str:
    """An article's answer to a customer already talking to support: its own
    ``in_conversation`` phrases, then the common ones («напишите нам в чат поддержки» →
    «напишите здесь «Позовите оператора»»)."""
    text = article.answer(in_conversation=True)
    for pattern, instead in _IN_CONVERSATION:
        text = pattern.sub(instead, text)
    return text


def strip_links(text: str) -> str:
    """The text without URLs and e-mail addresses (their words are not the question)."""
    if "://" not in text and "www." not in text and "@" not in text:
        return text
    return _LINK_RE.sub(" ", text[:20000])


def _margin(result: SearchResult) -> float:
    """How far the best topic is ahead of the next one, 0..1 (0.25 when alone)."""
    hits = result.hits
    best = hits[0]
    second = next((h for h in hits[1:] if h.article.slug != best.article.slug), None)
    if second is None or best.score <= 0:
        return 0.25
    return max(0.0, 1.0 - second.score / best.score)


def confidence_of(result: SearchResult) -> float:
    """Confidence 0..1 of the best hit: how much of the question the article covers,
    how much evidence the shared words carry, how close the question is to one of the
    article's example questions, and how far ahead of the next topic it is."""
    if not result.hits:
        return 0.0
    best = result.hits[0]
    fit: float = math.pow(best.coverage, 0.7)
    # a match on one or two common words («доставка», «заказ») is weak evidence
    evidence = min(1.0, 0.55 + 0.45 * best.mass / 3.5)
    raw = fit * evidence * (0.55 + 0.3 * best.qsim + 0.15 * min(1.0, 2 * _margin(result)))
    if not best.strong:  # only verbs, adverbs and numbers in common: «сколько будет 2+2»
        raw *= 0.5
    if not best.anchored:  # none of the article's head words: it only mentions the words
        raw *= UNANCHORED_FACTOR
    return max(0.0, min(1.0, raw))


@dataclass(frozen=True)
class _State:
    index: KbIndex
    errors: tuple[ArticleError, ...]
    # each article's answer as said in a conversation (``said_in_conversation``), made the
    # first time it is asked for: eight substitutions a reply otherwise
    said: dict[int, str] = field(default_factory=dict)

    def said_in_conversation(self, article: Article) -> str:
        said = self.said.get(id(article))
        if said is None:
            said = self.said[id(article)] = said_in_conversation(article)
        return said


class Bot:
    """Thread-safe: ``ask`` reads one immutable index; ``reload`` swaps in a new one."""

    def __init__(
        self,
        articles: list[Article],
        *,
        kb_dir: Path | None = None,
        topics: Mapping[str, Topic] | None = None,
        errors: list[ArticleError] | None = None,
        analyzer: TextAnalyzer | None = None,
        overlay_dir: Path | None = None,
    ) -> None:
        self.kb_dir = kb_dir
        self.overlay_dir = overlay_dir  # the console's edits (services.content), over kb_dir
        self.topics = topics
        self.analyzer = analyzer or TextAnalyzer()
        self._state = _State(self._build(articles), tuple(errors or ()))
        self._reload_lock = threading.Lock()

    def _build(self, articles: list[Article]) -> KbIndex:
        titles = {slug: t.title for slug, t in (self.topics or {}).items()}
        return shared_index(articles, self.analyzer, extra_terms=LEXICON, topic_titles=titles)

    @classmethod
    def from_directory(
        cls,
        kb_dir: Path | str | None = None,
        topics: Mapping[str, Topic] | None = None,
        *,
        overlay_dir: Path | None = None,
    ) -> Bot:
        directory = Path(kb_dir) if kb_dir is not None else default_kb_dir()
        if topics is None:
            try:
                topics = load_topics(default_topics_file())
            except (OSError, ValueError):
                topics = None
        result = load_articles(directory, topics, overlay_dir)
        return cls(
            result.articles,
            kb_dir=directory,
            topics=topics,
            errors=result.errors,
            overlay_dir=overlay_dir,
        )

    # ------------------------------------------------------------------ state
    @property
    def index(self) -> KbIndex:
        return self._state.index

    @property
    def articles(self) -> tuple[Article, ...]:
        return self._state.index.articles

    @property
    def errors(self) -> list[ArticleError]:
        return list(self._state.errors)

    def reload(self) -> list[ArticleError]:
        """Re-read the directory, build a new index, then swap it in at once."""
        if self.kb_dir is None:
            return []
        with self._reload_lock:
            result = load_articles(self.kb_dir, self.topics, self.overlay_dir)
            if not result.articles and self._state.index.articles:
                # nothing loaded at all (directory gone?): keep serving the old index
                return list(result.errors)
            self._state = _State(self._build(result.articles), tuple(result.errors))
            return list(result.errors)

    # ------------------------------------------------------------------ asking
    def ask(
        self, text: object, *, in_conversation: bool = False, line: str | None = None
    ) -> BotReply:
        """Answer, hand off or refuse. Never raises. ``in_conversation``: the customer is
        already talking to support (a chat, a mail thread), so an answer does not send them
        to «напишите нам в чат» (the articles' ``in_conversation`` phrases). ``line``: the
        support line asked (``domain.lines.Line``): the seller line answers from the seller
        articles only, the Travel line from the Travel articles first (see ``bot.lines``)."""
        return self._replied(text, in_conversation, line)[0]

    def read(self, text: str, *, in_conversation: bool, line: str | None) -> FirstRead:
        """What the bot makes of ``text`` by itself, before any dialogue (:class:`FirstRead`):
        the most of a turn's CPU, and pure in the text and the line, so that a caller can
        work it out before it takes a conversation's lock (``Dialog.turn``'s ``read``)."""
        alone, analysis = self._replied(text, in_conversation, line)
        if analysis is None:  # the reply failed: the rules read the text once more
            analysis = self.understand(text)
        return FirstRead(text, line, in_conversation, alone, analysis)

    def _replied(
        self, text: object, in_conversation: bool, line: str | None
    ) -> tuple[BotReply, Analysis | None]:
        """``ask``'s reply, and the text as the rules read it (``understand``'s, None when
        the reply failed): the text is analysed once for both."""
        state = self._state
        try:
            reply, analysis = self._ask_weighed(
                state.index,
                text if isinstance(text, str) else ("" if text is None else str(text)),
                line,
            )
        except Exception:  # a reply must always come back
            log.exception("bot failed on a message")
            return BotReply("handoff", None, 0.0, texts.HANDOFF_ERROR, reason="error"), None
        if in_conversation and reply.action == "answer" and reply.topic is not None:
            # the article answered (a topic has operator hints too, often listed first)
            article = next(
                (
                    a
                    for a in state.index.articles
                    if a.slug == reply.topic and a.body == reply.answer
                ),
                None,
            )
            if article is not None:
                reply = replace(reply, answer=state.said_in_conversation(article))
        return reply, analysis

    def understand(self, text: str) -> Analysis:
        """The message as the rules read it: links left out, typos fixed against the
        articles' and the rules' vocabulary."""
        return self._state.index.query(self.analyzer.analyse(strip_links(text))).analysis

    def topic_title(self, slug: str) -> str | None:
        """The title of topic ``slug`` (its first article's), or None: no such topic."""
        return next((a.title for a in self._state.index.articles if a.slug == slug), None)

    def topic_answer(
        self, slug: str, text: str = "", *, line: str | None = None, in_conversation: bool = False
    ) -> BotReply:
        """The answer of topic ``slug`` (a follow-up «а сколько ждать?» kept on it): of its
        articles, the one the message fits best."""
        index = self._state.index
        audiences = lines.audiences(line)
        own = [a for a in index.articles if a.slug == slug and a.audience in audiences]
        if not own:
            return BotReply("handoff", None, 0.0, texts.HANDOFF_UNSURE, reason="follow_up_lost")
        best = own[0]
        if text.strip() and len(own) > 1:
            result = index.search(self.understand(text), audiences=audiences, k=20)
            best = next((h.article for h in result.hits if h.article.slug == slug), best)
        body = self._state.said_in_conversation(best) if in_conversation else best.body
        return BotReply("answer", slug, 0.6, body, reason="follow_up")

    def _ask_weighed(
        self, index: KbIndex, text: str, line: str | None
    ) -> tuple[BotReply, Analysis]:
        """The question over the story (:mod:`.focus`): a long message that tells what
        happened first is answered by its question when the question alone is answered
        surely, or when only the story's words woke a rule. → the reply, and the whole
        text as the rules read it."""
        whole, understood = self._ask(index, text, line)
        question = question_part(text)
        if question is None or whole.reason.startswith("phishing_check"):
            return whole, understood
        alone, question_understood = self._ask(index, question, line)
        return weigh(whole, alone, question_understood, question), understood

    def _ask(self, index: KbIndex, text: str, line: str | None) -> tuple[BotReply, Analysis]:
        """The reply to ``text`` alone, and the text as the rules read it (typos fixed:
        ``understand``'s analysis)."""
        analysis = self.analyzer.analyse(strip_links(text))  # a pasted URL is not a topic
        query = index.query(analysis)  # typos fixed against the articles and the rules
        return self._reply(index, text, analysis, query, line), query.analysis

    def _reply(
        self, index: KbIndex, text: str, analysis: Analysis, query: Query, line: str | None
    ) -> BotReply:
        # a message the customer received, pasted to ask whether it is genuine (or just a
        # link): checked before the other rules (a scam's «вернём деньги» is no refund)
        normalized = " ".join(analysis.words)
        pasted = detect_pasted_message(text, query.analysis, normalized)
        if pasted is not None:
            return BotReply(
                "answer",
                PHISHING_TOPIC,
                0.9,
                verdict_text(pasted),
                reason=f"phishing_check:{pasted.report.verdict}",
            )
        if not analysis.words:
            return BotReply("handoff", None, 0.0, texts.HANDOFF_EMPTY, reason="empty")
        rule = lines.confidential(line, query.analysis) or detect(query.analysis, text[:4000])
        if rule is not None and lines.rule_applies(rule, line, query.analysis):
            return self._rule_reply(rule)
        if strong_suspicion(query.analysis, normalized):  # «мне пишут мошенники, это вы?»
            reply = self._answer_from(index, PHISHING_TOPIC, reason="phishing_cue")
            if reply is not None:
                return reply
        weak = weak_suspicion(query.analysis)  # «пришло смс от озона …»: maybe a story
        lemmas = set(analysis.lemmas)
        if lemmas & _THANKS and len(analysis.content) <= 1:  # «спасибо большое»
            return BotReply("handoff", None, 0.0, texts.THANKS, reason="thanks")
        if not analysis.content:  # only greetings or filler words
            if lemmas & _GREETINGS:
                return BotReply("handoff", None, 0.0, texts.GREETING, reason="greeting")
            return BotReply("handoff", None, 0.0, texts.HANDOFF_VAGUE, reason="vague")
        result = lines.search(index, query, line)
        reply = self._decide(result)
        if weak and not (reply.reason == "confident" and reply.topic != PHISHING_TOPIC):
            return self._answer_from(index, PHISHING_TOPIC, reason="phishing_cue") or reply
        travel = lines.travel_article(line, query, result)  # a ticket on the Travel line
        if reply.action == "handoff" and reply.reason == "low_confidence" and travel:
            return BotReply("answer", travel.slug, reply.confidence, travel.body, reason="travel")
        return reply

    @staticmethod
    def _answer_from(index: KbIndex, slug: str, reason: str) -> BotReply | None:
        art = next(
            (a for a in index.articles if a.slug == slug and a.audience in CUSTOMER_AUDIENCES),
            None,
        )
        if art is None:
            return None
        return BotReply("answer", art.slug, 0.8, art.body, reason=reason)

    @staticmethod
    def _rule_reply(rule: RuleMatch) -> BotReply:
        if rule.intent is Intent.CONFIDENTIAL:
            answer = texts.REFUSE.get(rule.reason, texts.REFUSE_DEFAULT)
            return BotReply("refuse", None, 1.0, answer, reason=rule.reason)
        if rule.intent is Intent.ACTION:
            return BotReply("handoff", None, 1.0, texts.HANDOFF_ACTION, reason=rule.reason)
        if rule.intent is Intent.NO_ARTICLE:
            answer = texts.HANDOFF_NO_ARTICLE.get(rule.reason, texts.HANDOFF_NO_ARTICLE_DEFAULT)
            return BotReply("handoff", None, 0.9, answer, reason=rule.reason)
        return BotReply("handoff", None, 1.0, texts.HANDOFF_PERSON, reason=rule.reason)

    @staticmethod
    def _suggestions(hits: tuple[Hit, ...], skip: str | None = None) -> tuple[Suggestion, ...]:
        out: list[Suggestion] = []
        seen: set[str] = set() if skip is None else {skip}
        top = hits[0].score if hits else 0.0
        for hit in hits:
            if hit.article.slug in seen or hit.score < 0.35 * top or hit.coverage <= 0:
                continue
            seen.add(hit.article.slug)
            out.append(Suggestion(hit.article.slug, hit.article.title))
            if len(out) == 3:
                break
        return tuple(out)

    def _decide(self, result: SearchResult) -> BotReply:
        best = result.best
        if best is None or best.coverage <= 0.0:
            return BotReply("handoff", None, 0.0, texts.HANDOFF_OFF_TOPIC, reason="off_topic")
        conf = confidence_of(result)
        art = best.article
        close_call = _margin(result) < CLOSE_MARGIN
        if conf >= ANSWER_THRESHOLD and not close_call:
            return BotReply("answer", art.slug, conf, art.body, reason="confident")
        if conf >= LOW_THRESHOLD:
            alts = self._suggestions(result.hits, skip=art.slug)[:2]
            return BotReply(
                "answer",
                art.slug,
                conf,
                art.body,
                suggestions=(Suggestion(art.slug, art.title), *alts) if alts else (),
                reason="unsure_answer",
            )
        sugg = self._suggestions(result.hits)
        answer = texts.HANDOFF_UNSURE
        if sugg:
            answer += " " + texts.SUGGEST_PREFIX + "; ".join(f"«{s.title}»" for s in sugg) + "."
        return BotReply("handoff", None, conf, answer, suggestions=sugg, reason="low_confidence")

    # ------------------------------------------------------------------ operators
    def hints(self, text: object, k: int = 3, context: HintContext | None = None) -> list[Hint]:
        """Top-k articles for the operator console: the operator hints («Подсказки»:
        section, situation, answer template) that fit first, then customer answers.

        Without a context, by the message alone: a hint fits when it is about the best
        article's topic or scores at least ``HINT_FIT`` of the best score; anything the
        message shares no word with is left out. With a context (what the console knows of
        the case): when the last message says too little for the bot to answer it alone
        («позовите оператора»), the customer's earlier messages count at half weight and the
        conversation's topic lifts its articles; a hint written for a situation of the card
        (``when``:
        the coupon-ban decision, the line, the customer's kind) is lifted where it fits and
        left out where the card says otherwise."""
        context = context or HintContext()
        try:
            k = max(1, int(k))
            scores: dict[int, float] = {}
            articles: dict[int, Article] = {}
            hits, confidence = self._hint_hits(str(text or ""), k)
            # a last message the bot could answer by itself leads; one that says little
            # («позовите оператора») leans on the earlier turns and the topic
            leads = confidence >= ANSWER_THRESHOLD
            earlier = " ".join(context.earlier[-EARLIER_TURNS:]) if not leads else ""
            for found, weight in ((hits, 1.0), (self._hint_hits(earlier, k)[0], EARLIER_WEIGHT)):
                for hit in found:
                    key = id(hit.article)
                    articles[key] = hit.article
                    scores[key] = scores.get(key, 0.0) + weight * hit.score
        except Exception:
            log.exception("hints failed")
            return []
        if context.topic or context.facts:
            topic = None if leads else context.topic
            scores, articles = self._lift(scores, articles, replace(context, topic=topic))
        if not scores:
            return []
        ranked = sorted(scores, key=lambda key: -scores[key])
        top = scores[ranked[0]]
        topic = articles[ranked[0]].slug
        operator = [
            key
            for key in ranked
            if articles[key].audience == "operator"
            and (scores[key] >= HINT_FIT * top or articles[key].slug == topic)
        ]
        others = [key for key in ranked if key not in operator]
        out: list[Hint] = []
        for key in [*operator, *others][:k]:
            a = articles[key]
            out.append(
                Hint(
                    a.slug,
                    a.title,
                    a.section,
                    a.situation,
                    a.body,
                    a.audience,
                    a.internal_note,
                    scores[key],
                )
            )
        return out

    def _hint_hits(self, text: str, k: int) -> tuple[list[Hit], float]:
        """The articles a text shares words with, and how sure a match it is."""
        if not text.strip():
            return [], 0.0
        analysis = self.analyzer.analyse(strip_links(text))
        content = tuple(t for t in analysis.content if t not in HINT_FILLER)
        if content:  # «клиент просит …» describes every situation: not a match
            analysis = replace(analysis, content=content)
        result = self._state.index.search(analysis, audiences=None, k=max(12, 4 * k))
        hits = [h for h in result.hits if h.coverage > 0]
        return hits, (confidence_of(result) if hits else 0.0)

    def _lift(
        self, scores: dict[int, float], articles: dict[int, Article], context: HintContext
    ) -> tuple[dict[int, float], dict[int, Article]]:
        """The conversation's topic and the card's facts applied to the scores."""
        top = max(scores.values(), default=1.0)
        if context.topic:  # the topic's own articles, even where the last words miss them
            for article in self.articles:
                if article.slug == context.topic:
                    key = id(article)
                    articles[key] = article
                    scores[key] = scores.get(key, 0.0) + TOPIC_WEIGHT * top
        lifted: dict[int, float] = {}
        for key, score in scores.items():
            fits = articles[key].fits(context.facts)
            if fits is False:
                continue  # written for another situation than the card shows
            lifted[key] = score + (FIT_WEIGHT * top if fits else 0.0)
        return lifted, articles
