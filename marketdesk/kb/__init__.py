"""Knowledge base: articles (Markdown + YAML front matter), topics.yaml, and the index."""

from marketdesk.kb.articles import (
    Article,
    ArticleError,
    LoadResult,
    Topic,
    default_kb_dir,
    default_topics_file,
    load_articles,
    load_topics,
)
from marketdesk.kb.index import Hit, KbIndex, Query, SearchResult

__all__ = [
    "Article",
    "ArticleError",
    "Hit",
    "KbIndex",
    "LoadResult",
    "Query",
    "SearchResult",
    "Topic",
    "default_kb_dir",
    "default_topics_file",
    "load_articles",
    "load_topics",
]
