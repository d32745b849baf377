from __future__ import annotations

import shutil
import threading
from pathlib import Path

from marketdesk.bot import Bot
from marketdesk.kb.articles import load_topics

from .conftest import FIXTURES


def _copy_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURES / "good", kb)
    return kb


def test_reload_picks_up_new_article_and_reports_errors(tmp_path: Path) -> None:
    kb = _copy_kb(tmp_path)
    topics = load_topics(FIXTURES / "topics.yaml")
    bot = Bot.from_directory(kb, topics=topics)
    assert bot.errors == []
    before = len(bot.articles)
    (kb / "broken.md").write_text("---\nslug: [oops\n---\nтекст\n", encoding="utf-8")
    (kb / "unknown.md").write_text(
        "---\nslug: weather\ntitle: Погода\naudience: customer\n---\nСолнечно.\n",
        encoding="utf-8",
    )
    (kb / "coupons.md").unlink()
    errors = bot.reload()
    assert sorted(e.path.name for e in errors) == ["broken.md", "unknown.md"]
    assert len(bot.articles) == before - 1
    assert all(a.slug != "coupons" for a in bot.articles)
    assert bot.ask("как вывести деньги с баланса").topic == "balance_withdrawal"


def test_reload_keeps_old_index_when_directory_vanishes(tmp_path: Path) -> None:
    kb = _copy_kb(tmp_path)
    bot = Bot.from_directory(kb, topics=load_topics(FIXTURES / "topics.yaml"))
    shutil.rmtree(kb)
    errors = bot.reload()
    assert errors and "not found" in errors[0].message
    assert bot.ask("как вывести деньги с баланса").topic == "balance_withdrawal"


def test_concurrent_asks_during_reload(tmp_path: Path) -> None:
    kb = _copy_kb(tmp_path)
    bot = Bot.from_directory(kb, topics=load_topics(FIXTURES / "topics.yaml"))
    failures: list[str] = []
    stop = threading.Event()

    def asker() -> None:
        while not stop.is_set():
            reply = bot.ask("как вывести деньги с баланса")
            if reply.topic != "balance_withdrawal" or not reply.answer:
                failures.append(repr(reply))

    threads = [threading.Thread(target=asker) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(10):
        bot.reload()
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
