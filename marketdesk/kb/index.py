"""Search index over knowledge-base articles (BM25F on lemmas + example-question match).

Each article is indexed over four fields — example questions, title (with an
operator hint's section and situation, and the topic's title from topics.yaml),
keywords and body — on canonical lemmas (synonyms applied), order-free lemma
bigrams and negated terms. The score of an article is its BM25F score divided by
the query's idf mass, plus the best idf-weighted cosine between the query and one
of its example questions or titles. A hit also reports coverage (the share of the
query's idf mass the article contains, verbs and numbers counting less), from which
the bot derives its confidence. Misspelt words are mapped to the closest known word
first. An index is immutable once built: rebuild and swap to reload.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from marketdesk.kb.articles import Article
from marketdesk.text.analyzer import Analysis, TextAnalyzer, TypoCorrector
from marketdesk.text.morph import analyse

__all__ = ["Hit", "KbIndex", "Query", "SearchResult", "shared_index"]

FIELD_WEIGHTS = {"questions": 2.0, "title": 2.0, "keywords": 1.5, "body": 0.7}
FIELD_B = 0.5
K1 = 1.2
BIGRAM_WEIGHT = 0.5
NEGATION_WEIGHT = 1.0
STEM_WEIGHT = 0.3  # «~мошен»: shared first letters of long lemmas (when stems are on)
HEAD_WEIGHT = 0.5  # share of the query's mass among the article's head words
NARROW_WEIGHT = 0.5  # a lemma that also stands for a broader one (synonyms «expand»)
EXACT_BONUS = 1.0  # the question is literally one of the article's examples
QSIM_WEIGHT = 1.0
# Most people in the chat are customers: without a word that marks a seller's question,
# seller articles need a clearer match; with one, customer articles need a clearer match.
# «продавец» alone is no marker: «как написать продавцу» is a customer's question.
SELLER_PRIOR = 0.6
CUSTOMER_PRIOR_FOR_SELLERS = 0.75
_SELLER_MARKERS = "поставщик отгрузка реквизит покупатель селлер seller поставка"
SELLER_MARKERS = frozenset(_SELLER_MARKERS.split())
# word forms that speak of sellers as a group or of oneself as a seller
_SELLER_FORMS = frozenset(
    [
        "продавцов",
        "продавцам",
        "продавцами",
        "продавцы",
        "селлеров",
        "селлерам",
        "селлеры",
        "поставщиков",
    ]
)
_SELF_SELLER = re.compile(
    r"\b(я|мы)\s+(же\s+)?(продавец|продавцы|селлер|селлеры|поставщик|продаю|продаем)\b"
    r"|\b(мой|моем|моего|моему|моих|мои|наш|нашем|нашего|наших)\s+"
    r"(магазин\w*|покупател\w*|товар\w*|карточк\w*|кабинет\w* продавца)\b"
    r"|\bкак\s+продавцу\b|\bпродавцу\s+(нужно|надо|можно)\b"
    r"|\bсел+ер\w*|\bseller\w*"  # customers do not call sellers «селлер»
)


def seller_context(analysis: Analysis) -> bool:
    """The message is a seller's: «я продавец», «поддержка продавцов», «отгрузка»."""
    if SELLER_MARKERS & set(analysis.lemmas):
        return True
    if _SELLER_FORMS & set(analysis.words):
        return True
    return bool(_SELF_SELLER.search(" ".join(analysis.words)))


OOV_FACTOR = 1.0  # weight of a query word no article knows, relative to the rarest term
UNKNOWN_OOV_FACTOR = 0.5  # … when the dictionary does not know it either
# in coverage, verbs and adverbs say less about the topic than nouns and adjectives
WEAK_POS = frozenset(
    {"VERB", "INFN", "PRTF", "PRTS", "GRND", "ADVB", "PRED", "NUMR", "CONJ", "PRCL"}
)
WEAK_POS_FACTOR = 0.4


@dataclass(frozen=True, slots=True)
class Query:
    """A query, analysed and mapped to the index vocabulary."""

    analysis: Analysis
    terms: tuple[str, ...]  # unigrams + bigrams + negations, deduplicated
    unigrams: tuple[str, ...]  # content lemmas, deduplicated, after typo correction
    oov: tuple[str, ...]  # unigrams no article contains
    corrected: tuple[tuple[str, str], ...]  # (word, term) typo corrections

    @property
    def empty(self) -> bool:
        return not self.unigrams


@dataclass(frozen=True, slots=True)
class Hit:
    article: Article
    score: float
    bm25: float
    qsim: float  # best cosine with one example question or the title, 0..1
    coverage: float  # share of the query's idf mass found in the article, 0..1
    mass: float = 0.0  # idf mass of the query words found in the article
    strong: bool = True  # a noun, adjective or name matched (not only verbs and numbers)
    anchored: bool = True  # a query word is one of the article's head words (see KbIndex)


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: Query
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class KbIndex:
    """Immutable index; ``search`` is thread-safe."""

    def __init__(
        self,
        articles: Sequence[Article],
        analyzer: TextAnalyzer | None = None,
        extra_terms: Iterable[str] = (),
        topic_titles: Mapping[str, str] | None = None,
    ) -> None:
        """``extra_terms``: lemmas outside the articles that typo correction should know
        (the words the bot's rules look for); ``topic_titles``: slug → the topic's title
        in topics.yaml, indexed with each article's own title."""
        self.analyzer = analyzer or TextAnalyzer()
        # «браслет», «вино»: a specific thing that also stands for its category
        # («ювелирный», «алкоголь»); the category carries the topic, the thing less
        self._narrow = frozenset(self.analyzer.synonyms.expand)
        self.articles: tuple[Article, ...] = tuple(articles)
        # surface word -> its term, for typo correction
        surface: dict[str, str] = {}
        self._questions: list[tuple[int, Counter[str]]] = []  # (article, terms)
        # head words: what the article is about (title, the topic's title, an operator
        # hint's section and situation, keywords), as opposed to what it mentions
        self._head: list[frozenset[str]] = []
        field_terms = [
            self._index_article(i, art, topic_titles or {}, surface)
            for i, art in enumerate(self.articles)
        ]
        self._add_synonym_variants(surface)
        self.idf: dict[str, float] = _idf(field_terms)
        self.max_idf = max(self.idf.values(), default=1.0)
        self._postings = self._bm25f_postings(field_terms)
        self._index_questions()
        self.vocabulary = frozenset(self.idf)
        self.corrector = self._typo_corrector(surface, extra_terms)

    # ------------------------------------------------------------------ build
    def _index_article(
        self, i: int, art: Article, topic_titles: Mapping[str, str], surface: dict[str, str]
    ) -> dict[str, Counter[str]]:
        """The article's terms by field; records its example questions and head words."""
        texts = {
            "questions": list(art.questions),
            # an operator hint's section and situation describe when it applies
            "title": [art.title, art.section, art.situation, topic_titles.get(art.slug, "")],
            "keywords": list(art.keywords),
            "body": [art.body],
        }
        fields = {name: self._field_terms(i, name, parts, surface) for name, parts in texts.items()}
        head = {t for name in ("title", "keywords") for t in fields[name] if "+" not in t}
        self._head.append(frozenset(t for t in head if not t.startswith(("не_", "~"))))
        return fields

    def _field_terms(
        self, i: int, name: str, parts: list[str], surface: dict[str, str]
    ) -> Counter[str]:
        counter: Counter[str] = Counter()
        for part in parts:
            if not part:
                continue
            analysis = self.analyzer.analyse(part)
            terms = analysis.terms()
            counter.update(terms)
            for w in analysis.words:
                if w.isalpha() and len(w) >= 3:
                    surface.setdefault(w, self.analyzer.word_term(w))
            if name in ("questions", "title"):
                self._questions.append((i, Counter(terms)))
        return counter

    def _add_synonym_variants(self, surface: dict[str, str]) -> None:
        for variant in self.analyzer.synonyms.variants():
            if variant.isalpha():
                surface.setdefault(variant, self.analyzer.synonyms.canonical(variant))

    def _bm25f_postings(
        self, field_terms: list[dict[str, Counter[str]]]
    ) -> dict[str, dict[int, float]]:
        """term -> {article: its BM25F contribution}"""
        n = len(field_terms)
        avg_len = {
            name: (sum(sum(f[name].values()) for f in field_terms) / n if n else 1.0) or 1.0
            for name in FIELD_WEIGHTS
        }
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for i, fields in enumerate(field_terms):
            lengths = {name: sum(fields[name].values()) for name in FIELD_WEIGHTS}
            for t in _all_terms(fields):
                wtf = _weighted_tf(fields, t, lengths, avg_len)
                contribution = self.idf[t] * wtf * (K1 + 1.0) / (wtf + K1)
                contribution *= self._factor(t)
                postings[t][i] = contribution
        return dict(postings)

    def _index_questions(self) -> None:
        """Example questions: term -> [question id], and each question's norm."""
        q_post: dict[str, list[int]] = defaultdict(list)
        self._q_norm: list[float] = []
        for qid, (_, counter) in enumerate(self._questions):
            norm = 0.0
            for t in counter:
                q_post[t].append(qid)
                norm += self._term_weight(t) ** 2
            self._q_norm.append(math.sqrt(norm) or 1.0)
        self._q_post = dict(q_post)

    def _typo_corrector(self, surface: dict[str, str], extra_terms: Iterable[str]) -> TypoCorrector:
        for term in self.vocabulary:  # dictionary forms too, not only the forms seen
            if term.isalpha() and len(term) >= 3:
                surface.setdefault(term, term)
        known = self.vocabulary | frozenset(extra_terms)
        for term in extra_terms:
            surface.setdefault(term, term)
        return TypoCorrector({w: t for w, t in surface.items() if t in known}, known)

    # ------------------------------------------------------------------ query
    def _factor(self, term: str) -> float:
        factor = _term_factor(term)
        return factor * NARROW_WEIGHT if term in self._narrow else factor

    def _term_weight(self, term: str) -> float:
        return self.idf.get(term, self.max_idf * OOV_FACTOR) * self._factor(term)

    def query(self, text_or_analysis: str | Analysis) -> Query:
        analysis = (
            self.analyzer.analyse(text_or_analysis)
            if isinstance(text_or_analysis, str)
            else text_or_analysis
        )
        unknown = set(analysis.unknown)
        fixes: dict[str, str] = {}
        for lem in analysis.content:
            if lem in fixes or lem not in unknown or lem in self.corrector:
                continue
            fixed = self.corrector.correct(lem)
            if fixed is not None:
                fixes[lem] = fixed
        if fixes:
            analysis = replace(
                analysis,
                lemmas=tuple(fixes.get(x, x) for x in analysis.lemmas),
                content=tuple(fixes.get(x, x) for x in analysis.content),
            )
        terms = tuple(dict.fromkeys(analysis.terms()))
        unigrams = tuple(dict.fromkeys(analysis.content))
        oov = tuple(t for t in unigrams if t not in self.vocabulary)
        return Query(analysis, terms, unigrams, oov, tuple(fixes.items()))

    def search(
        self,
        query: str | Analysis | Query,
        *,
        audiences: Iterable[str] | None = ("customer", "seller"),
        k: int = 5,
    ) -> SearchResult:
        q = query if isinstance(query, Query) else self.query(query)
        if q.empty or not self.articles:
            return SearchResult(q, ())
        allowed = None if audiences is None else frozenset(audiences)
        sellers = seller_context(q.analysis)
        seller_prior = 1.0 if sellers else SELLER_PRIOR
        customer_prior = CUSTOMER_PRIOR_FOR_SELLERS if sellers else 1.0
        scores: dict[int, float] = defaultdict(float)
        for t in q.terms:
            posting = self._postings.get(t)
            if posting:
                for i, s in posting.items():
                    scores[i] += s
        # best example question per article
        dots: dict[int, float] = defaultdict(float)
        q_norm = 0.0
        for t in q.terms:
            w = self._term_weight(t)
            q_norm += w * w
            for qid in self._q_post.get(t, ()):
                dots[qid] += w * w
        q_norm = math.sqrt(q_norm) or 1.0
        qsim: dict[int, float] = defaultdict(float)
        for qid, dot in dots.items():
            owner = self._questions[qid][0]
            cos = dot / (q_norm * self._q_norm[qid])
            if cos > qsim[owner]:
                qsim[owner] = cos
        # a word the dictionary does not know either (a typo nothing could fix, slang)
        # says less against an article than a known word the articles lack («погода»)
        unknown = set(q.analysis.unknown) & set(q.oov)
        mass = {
            t: self._term_weight(t) * _pos_factor(t) * (UNKNOWN_OOV_FACTOR if t in unknown else 1)
            for t in q.unigrams
        }
        total_mass = sum(mass.values()) or 1.0
        # what each candidate article needs of the query's words, looked up once a query
        # rather than once an article (a search weighs some fifty articles)
        postings = [(t, self._postings.get(t, {})) for t in mass]
        strong_terms = {t for t in mass if _pos_factor(t) == 1.0}
        best: dict[int, Hit] = {}
        for i in set(scores) | set(qsim):
            art = self.articles[i]
            if allowed is not None and art.audience not in allowed:
                continue  # never a hit: nothing of it is weighed
            found = [t for t, posting in postings if i in posting]
            matched = sum(mass[t] for t in found)
            bm = scores.get(i, 0.0)
            sim = qsim.get(i, 0.0)
            head = self._head[i]
            head_share = sum(mass[t] for t in found if t in head) / total_mass
            score = bm / total_mass + QSIM_WEIGHT * sim + HEAD_WEIGHT * head_share
            if sim >= 0.999:  # the customer typed one of the article's example questions
                score += EXACT_BONUS
            if art.audience == "seller":
                score *= seller_prior
            elif art.audience == "customer":
                score *= customer_prior
            best[i] = Hit(
                art,
                score,
                bm,
                sim,
                matched / total_mass,
                sum(self.idf[t] for t in found),
                not strong_terms.isdisjoint(found),
                head_share > 0,
            )
        hits = sorted(best.values(), key=lambda h: (-h.score, h.article.slug))
        return SearchResult(q, tuple(hits[:k]))


def _all_terms(fields: Mapping[str, Counter[str]]) -> set[str]:
    found: set[str] = set()
    for counter in fields.values():
        found.update(counter)
    return found


def _idf(field_terms: Sequence[Mapping[str, Counter[str]]]) -> dict[str, float]:
    """Document frequency over all articles, as BM25's idf."""
    n = len(field_terms)
    df: Counter[str] = Counter()
    for fields in field_terms:
        df.update(_all_terms(fields))
    return {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def _weighted_tf(
    fields: Mapping[str, Counter[str]],
    term: str,
    lengths: Mapping[str, int],
    avg_len: Mapping[str, float],
) -> float:
    """BM25F's field-weighted, length-normalised term frequency."""
    wtf = 0.0
    for name, weight in FIELD_WEIGHTS.items():
        tf = fields[name].get(term, 0)
        if tf:
            norm = 1.0 - FIELD_B + FIELD_B * lengths[name] / avg_len[name]
            wtf += weight * tf / norm
    return wtf


def _pos_factor(term: str) -> float:
    if term.isdigit() or analyse(term).pos in WEAK_POS:
        return WEAK_POS_FACTOR
    return 1.0


def _term_factor(term: str) -> float:
    if term.startswith("~"):
        return STEM_WEIGHT
    if term.startswith("не_"):  # «не приходят»: the negation tells topics apart
        return NEGATION_WEIGHT
    if "+" in term:
        return BIGRAM_WEIGHT
    return 1.0


_SHARED: OrderedDict[tuple[object, ...], tuple[TextAnalyzer, KbIndex]] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_SHARED_SIZE = 2  # the index in use and the one a reload builds


def shared_index(
    articles: Sequence[Article],
    analyzer: TextAnalyzer,
    extra_terms: Iterable[str] = (),
    topic_titles: Mapping[str, str] | None = None,
) -> KbIndex:
    """``KbIndex(...)``, built once for the same articles (their files too), analyzer's
    synonyms, extra terms and titles: the index is immutable, so an app started again in the
    same process (the tests start hundreds) or a reload of unchanged articles shares it
    instead of analysing every article again (seconds of CPU)."""
    terms = frozenset(extra_terms)
    titles = tuple(sorted((topic_titles or {}).items()))
    key = (tuple((a, a.path) for a in articles), id(analyzer.synonyms), terms, titles)
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is not None and found[0].synonyms is analyzer.synonyms:
            _SHARED.move_to_end(key)
            return found[1]
    index = KbIndex(articles, analyzer, extra_terms=terms, topic_titles=dict(titles))
    with _SHARED_LOCK:
        _SHARED[key] = (analyzer, index)
        while len(_SHARED) > _SHARED_SIZE:
            _SHARED.popitem(last=False)
    return index
