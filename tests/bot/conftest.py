from __future__ import annotations

import os
from pathlib import Path

import pytest

from marketdesk.bot import Bot
from marketdesk.kb.articles import load_topics

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "kb" / "fixtures"
REAL_KB = REPO / "content" / "kb"


def dev_questions_path() -> Path:
    env = os.environ.get("MARKETDESK_DEV_QUESTIONS")
    return Path(env) if env else REPO.parent / "shared" / "kb" / "dev-questions.tsv"


@pytest.fixture(scope="session")
def fixture_bot() -> Bot:
    return Bot.from_directory(FIXTURES / "good", topics=load_topics(FIXTURES / "topics.yaml"))


@pytest.fixture(scope="session")
def real_bot() -> Bot:
    if not any(REAL_KB.glob("*.md")):
        pytest.skip(f"no knowledge-base articles in {REAL_KB}")
    return Bot.from_directory(REAL_KB)
