from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from marketdesk.bot.cli import ask_command, bot_group, kb_group

from .conftest import FIXTURES


def test_ask_prints_answer() -> None:
    result = CliRunner().invoke(
        ask_command, ["как вывести деньги с баланса", "--kb-dir", str(FIXTURES / "good")]
    )
    assert result.exit_code == 0, result.output
    assert "100 рублей" in result.output


def test_ask_jsonl() -> None:
    lines = "позовите оператора\nСколько у меня пересечений с другими аккаунтами?\n\n"
    result = CliRunner().invoke(
        ask_command, ["--jsonl", "--kb-dir", str(FIXTURES / "good")], input=lines
    )
    assert result.exit_code == 0, result.output
    objs = [json.loads(line) for line in result.output.splitlines()]
    assert [o["action"] for o in objs] == ["handoff", "refuse", "handoff"]
    for o in objs:
        assert set(o) <= {"action", "topic", "confidence", "answer", "suggestions"}
        assert o["answer"]
        assert 0 <= o["confidence"] <= 1
    assert "пересечени" in result.output  # ensure_ascii=False: Cyrillic printed as is


def test_ask_without_text_is_a_usage_error() -> None:
    result = CliRunner().invoke(ask_command, ["--kb-dir", str(FIXTURES / "good")])
    assert result.exit_code == 2


def test_kb_check_ok_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"MARKETDESK_TOPICS_FILE": str(FIXTURES / "topics.yaml")}
    ok = runner.invoke(kb_group, ["check", "--kb-dir", str(FIXTURES / "good")], env=env)
    assert ok.exit_code == 0, ok.output
    assert "6 articles" in ok.output
    (tmp_path / "bad.md").write_text("no front matter", encoding="utf-8")
    bad = runner.invoke(kb_group, ["check", "--kb-dir", str(tmp_path)], env=env)
    assert bad.exit_code == 1
    assert "bad.md" in bad.output
    reload = runner.invoke(kb_group, ["reload", "--kb-dir", str(FIXTURES / "good")], env=env)
    assert reload.exit_code == 0


def test_bot_eval_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.tsv"
    good.write_text(
        "# topic\taction\tquestion\n"
        "balance_withdrawal\tanswer\tкак вывести деньги с баланса\n"
        "-\thandoff\tпозовите оператора\n",
        encoding="utf-8",
    )
    args = ["--kb-dir", str(FIXTURES / "good"), "--topics", str(FIXTURES / "topics.yaml")]
    ok = CliRunner().invoke(bot_group, ["eval", str(good), *args])
    assert ok.exit_code == 0, ok.output
    assert "topic accuracy:  100.0 %" in ok.output
    bad = tmp_path / "bad.tsv"
    bad.write_text("coupons\tanswer\tкак вывести деньги с баланса\n", encoding="utf-8")
    fail = CliRunner().invoke(bot_group, ["eval", str(bad), *args])
    assert fail.exit_code == 1
    assert "line 1 topic" in fail.output
