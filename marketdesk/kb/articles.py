"""Knowledge-base articles: Markdown files with a YAML front matter, and topics.yaml."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from marketdesk.domain.lines import Line

__all__ = [
    "AUDIENCES",
    "Article",
    "ArticleError",
    "LoadResult",
    "Topic",
    "article_files",
    "default_kb_dir",
    "default_topics_file",
    "load_articles",
    "load_topics",
    "parse_article",
]

AUDIENCES = ("customer", "seller", "operator")
REPO_ROOT = Path(__file__).resolve().parents[2]
_FRONT_RE = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)
_SLUG_RE = re.compile(r"^[a-z0-9_]+$")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def default_kb_dir() -> Path:
    """``$MARKETDESK_KB_DIR`` or ``<repo>/content/kb``."""
    env = os.environ.get("MARKETDESK_KB_DIR")
    if env:
        return Path(env)
    return REPO_ROOT / "content" / "kb"


def default_topics_file() -> Path:
    """``$MARKETDESK_TOPICS_FILE``, else ``content/kb/topics.yaml``, else
    ``../shared/kb/topics.yaml`` beside the repository."""
    env = os.environ.get("MARKETDESK_TOPICS_FILE")
    if env:
        return Path(env)
    local = REPO_ROOT / "content" / "kb" / "topics.yaml"
    if local.is_file():
        return local
    return REPO_ROOT.parent / "shared" / "kb" / "topics.yaml"


@dataclass(frozen=True)
class Topic:
    """A topic of topics.yaml: each fact is a tuple of alternatives (any one states it)."""

    slug: str
    audience: str
    title: str
    facts: tuple[tuple[str, ...], ...] = ()

    def missing_facts(self, text: str) -> list[tuple[str, ...]]:
        """The facts ``text`` does not state (case-insensitive substring, ё read as е)."""
        hay = _fold(text)
        return [fact for fact in self.facts if not any(_fold(alt) in hay for alt in fact)]


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    audience: str
    body: str
    questions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    internal_note: str = ""
    section: str = ""
    situation: str = ""
    path: Path | None = field(default=None, compare=False)
    # phrases of the body said otherwise to a customer who is already talking to support
    # («напишите нам в чат» is wrong inside the chat): front matter ``in_conversation``
    in_conversation: tuple[tuple[str, str], ...] = ()
    # an operator hint for a situation the card shows (front matter ``when``): the fact and
    # the values it fits, e.g. (("coupon_ban", frozenset({"can_be_lifted"})),)
    when: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def customer_facing(self) -> bool:
        return self.audience in ("customer", "seller")

    def fits(self, facts: Mapping[str, str]) -> bool | None:
        """Whether the hint is for these facts of the case: True when every condition it
        names is known and met, False when one is known and not met, None when it names
        none or the facts do not say."""
        verdict: bool | None = None
        for key, values in self.when:
            if key not in facts:
                continue
            if facts[key] not in values:
                return False
            verdict = True
        return verdict

    def answer(self, *, in_conversation: bool = False) -> str:
        """The body as said outside support, or to a customer already in a conversation."""
        text = self.body
        if in_conversation:
            for phrase, instead in self.in_conversation:
                text = text.replace(phrase, instead)
        return text


@dataclass(frozen=True)
class ArticleError:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class LoadResult:
    articles: list[Article]
    errors: list[ArticleError]


class _Invalid(ValueError):
    pass


def _text(meta: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = meta.get(key)
    if value is None or value == "":
        if required:
            raise _Invalid(f"front matter: required field {key!r} is missing")
        return ""
    if isinstance(value, list | dict):
        raise _Invalid(f"front matter: field {key!r} must be text, not {type(value).__name__}")
    return str(value).strip()


def _strings(meta: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[;,\n]", value)]
    if not isinstance(value, list):
        raise _Invalid(f"front matter: field {key!r} must be a list")
    out: list[str] = []
    for item in value:
        if isinstance(item, list | dict) or item is None:
            raise _Invalid(f"front matter: field {key!r} must be a list of strings")
        text = str(item).strip()
        if text:
            out.append(text)
    return tuple(out)


def _replacements(meta: Mapping[str, Any], key: str, body: str) -> tuple[tuple[str, str], ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in value.items()
    ):
        raise _Invalid(f"front matter: field {key!r} must map phrases of the body to other text")
    for phrase in value:
        if phrase not in body:
            raise _Invalid(f"front matter: {key!r} replaces {phrase!r}, which the body lacks")
    return tuple((str(k), str(v)) for k, v in value.items())


HINT_FACTS: Mapping[str, frozenset[str]] = {
    "coupon_ban": frozenset({"none", "can_be_lifted", "not_lifted", "may_be_lifted"}),
    "line": frozenset(line.value for line in Line),
    "customer_kind": frozenset({"individual", "legal_entity"}),
}
"""What a hint's ``when`` may name: the facts of the case the console knows, and their values."""


def _conditions(meta: Mapping[str, Any]) -> tuple[tuple[str, frozenset[str]], ...]:
    value = meta.get("when")
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise _Invalid("front matter: field 'when' must map facts to a value or a list")
    out: list[tuple[str, frozenset[str]]] = []
    for key, wanted in value.items():
        allowed = HINT_FACTS.get(str(key))
        if allowed is None:
            raise _Invalid(f"front matter: 'when' names {key!r}; known: {', '.join(HINT_FACTS)}")
        values = frozenset(str(v) for v in (wanted if isinstance(wanted, list) else [wanted]))
        if not values or not values <= allowed:
            raise _Invalid(
                f"front matter: 'when: {key}' takes {', '.join(sorted(allowed))}, "
                f"not {', '.join(sorted(values - allowed)) or 'nothing'}"
            )
        out.append((str(key), values))
    return tuple(out)


def parse_article(
    text: str, path: Path | None = None, topics: Mapping[str, Topic] | None = None
) -> Article:
    """Parse one article; raises ``ValueError`` with a readable message."""
    match = _FRONT_RE.match(text)
    if not match:
        raise _Invalid("no front matter: the file must start with a '---' line and close it")
    try:
        meta = _yaml(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _Invalid(f"front matter is not valid YAML{where}: {problem}") from None
    if not isinstance(meta, dict):
        raise _Invalid("front matter must be a mapping of fields")
    slug = _text(meta, "slug", required=True)
    if not _SLUG_RE.match(slug):
        raise _Invalid(f"slug {slug!r} is not a valid slug")
    if topics is not None and slug not in topics:
        raise _Invalid(f"unknown slug {slug!r}: not in topics.yaml")
    title = _text(meta, "title", required=True)
    audience = _text(meta, "audience", required=True)
    if audience not in AUDIENCES:
        raise _Invalid(f"audience {audience!r} must be one of {', '.join(AUDIENCES)}")
    body = match.group(2).strip()
    if not body:
        raise _Invalid("the article has no body text")
    return Article(
        in_conversation=_replacements(meta, "in_conversation", body),
        when=_conditions(meta),
        slug=slug,
        title=title,
        audience=audience,
        body=body,
        questions=_strings(meta, "questions"),
        keywords=_strings(meta, "keywords"),
        internal_note=_text(meta, "internal_note"),
        section=_text(meta, "section"),
        situation=_text(meta, "situation"),
        path=path,
    )


def load_topics(path: Path | None = None) -> dict[str, Topic]:
    """Topics of topics.yaml by slug (raises ``OSError``/``ValueError`` on a bad file)."""
    path = path or default_topics_file()
    data = _yaml(Path(path).read_text(encoding="utf-8")) or {}
    items = data.get("topics", []) if isinstance(data, dict) else data
    topics: dict[str, Topic] = {}
    for item in items or []:
        if not isinstance(item, dict) or "slug" not in item:
            raise ValueError(f"{path}: every topic needs a slug")
        facts = tuple(
            tuple(str(alt) for alt in (fact if isinstance(fact, list) else [fact]))
            for fact in item.get("facts") or []
        )
        topics[str(item["slug"])] = Topic(
            slug=str(item["slug"]),
            audience=str(item.get("audience", "customer")),
            title=str(item.get("title", "")),
            facts=facts,
        )
    return topics


def _default_topics() -> dict[str, Topic] | None:
    try:
        return load_topics(default_topics_file())
    except (OSError, ValueError, yaml.YAMLError):
        return None


_NOT_ARTICLES = {"readme.md", "index.md", "_index.md"}


def article_files(directory: Path, overlay: Path | None = None) -> list[Path]:
    """The article files of ``directory``, each replaced by the file of the same name in
    ``overlay`` (the articles edited in the console, ``services.content``), which may also
    add new ones."""

    def md_files(base: Path) -> list[Path]:
        return [
            p
            for p in sorted(base.rglob("*.md"))
            if p.name.lower() not in _NOT_ARTICLES and p.is_file()
        ]

    seed = md_files(directory)
    if overlay is None or not overlay.is_dir():
        return seed
    edited = {p.stem: p for p in md_files(overlay)}
    files = [edited.pop(p.stem, p) for p in seed]
    return files + sorted(edited.values())


def load_articles(
    directory: Path | None = None,
    topics: Mapping[str, Topic] | None = None,
    overlay: Path | None = None,
) -> LoadResult:
    """Read every ``*.md`` article under ``directory`` (and ``overlay``, whose files replace
    those of the same name).

    A file that cannot be read or parsed, or whose slug is not a topic, becomes an
    :class:`ArticleError` naming the file; the other articles still load. Slugs are
    checked against ``topics`` (default: the default topics file, when it exists).
    """
    directory = Path(directory) if directory is not None else default_kb_dir()
    if topics is None:
        topics = _default_topics()
    articles: list[Article] = []
    errors: list[ArticleError] = []
    if not directory.is_dir():
        return LoadResult([], [ArticleError(directory, "knowledge-base directory not found")])
    for path in article_files(directory, overlay):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ArticleError(path, f"cannot read the file: {exc}"))
            continue
        try:
            articles.append(parse_article(text, path, topics))
        except ValueError as exc:
            errors.append(ArticleError(path, str(exc)))
    return LoadResult(articles, errors)
