"""The gate of an article edit without a server: the edits' directory over the seed
(``kb.articles.article_files``), ``kb check`` with the candidate, and the evaluation sets
before and after (``services.content.evaluation``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from marketdesk.bot import Bot
from marketdesk.kb.articles import article_files, load_articles
from marketdesk.services.content.evaluation import Candidate, SetFigures, _drops, check_candidate
from marketdesk.settings import REPO_ROOT

KB = REPO_ROOT / "content" / "kb"
EVAL = REPO_ROOT / "tests" / "bot" / "heldout.tsv"
HINT = """---
slug: coupons
title: Проверьте срок купона
audience: operator
section: Купоны
situation: Купон не срабатывает
---
Проверьте срок действия купона.
"""


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    seed = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(KB, seed)
    return Bot.from_directory(seed)


def test_the_edits_replace_seed_files_by_name_and_add_new_ones(tmp_path: Path) -> None:
    overlay = tmp_path / "edits"
    overlay.mkdir()
    (overlay / "codeword.md").write_text(HINT.replace("coupons", "codeword"), encoding="utf-8")
    (overlay / "new-hint.md").write_text(HINT, encoding="utf-8")
    files = article_files(KB, overlay)
    assert overlay / "codeword.md" in files and KB / "codeword.md" not in files
    assert overlay / "new-hint.md" in files
    assert len(files) == len(article_files(KB)) + 1
    loaded = load_articles(KB, overlay=overlay)
    assert not loaded.errors
    assert any(a.title == "Проверьте срок купона" and a.slug == "codeword" for a in loaded.articles)
    assert article_files(KB, tmp_path / "missing") == article_files(KB)


def test_an_unchanged_article_changes_no_figure(bot: Bot, tmp_path: Path) -> None:
    text = (KB / "certificate_activation.md").read_text(encoding="utf-8")
    result = check_candidate(bot, tmp_path, [EVAL], Candidate("certificate_activation", text))
    assert result.errors == [] and result.drops == []
    assert result.before == result.after and result.before[0].questions > 50


def test_an_emptied_article_drops_and_an_unknown_topic_fails_the_check(
    bot: Bot, tmp_path: Path
) -> None:
    emptied = (
        "---\nslug: certificate_activation\ntitle: Сертификат\naudience: customer\n---\nНет.\n"
    )
    result = check_candidate(bot, tmp_path, [EVAL], Candidate("certificate_activation", emptied))
    assert result.drops and result.after[0].topic_correct < result.before[0].topic_correct
    unknown = emptied.replace("certificate_activation", "no_such_topic")
    failed = check_candidate(bot, tmp_path, [EVAL], Candidate("certificate_activation", unknown))
    assert failed.errors and "no_such_topic" in failed.errors[0] and failed.before == []


def test_a_drop_is_any_figure_going_down() -> None:
    def figures(topic: int, action: int, facts: int) -> SetFigures:
        return SetFigures(
            name="set.tsv",
            questions=10,
            topic_correct=topic,
            topic_total=8,
            action_correct=action,
            action_total=2,
            facts_complete=facts,
            facts_total=8,
        )

    assert _drops([figures(8, 2, 8)], [figures(8, 2, 8)]) == []
    assert _drops([figures(7, 2, 8)], [figures(8, 2, 8)]) == []  # better is no drop
    assert _drops([figures(8, 2, 8)], [figures(8, 1, 7)]) == [
        "set.tsv, действия 2 → 1",
        "set.tsv, факты 8 → 7",
    ]
