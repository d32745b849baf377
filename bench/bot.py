"""Benchmark of the support bot (not a test).

One run, same articles: the bot's accuracy on the development set, the held-out
sets (heldout, heldout_blind, heldout_round2) and the round-2 tuning probes
(written for tuning, so not held out), against a plain BM25 baseline (rank-bm25
on raw lower-cased words of the same article fields); then per-question latency,
index build time and memory. "Unseen" rows remove from the articles every example
question that is also an evaluation question (normalised, or the same content
lemmas), to measure generalisation rather than recall of the example list; since
round 2 the articles contain no evaluation question (tests/kb/test_no_dev_leak.py),
so both rows agree.

    .venv/bin/python bench/bot.py [--kb-dir DIR] [--dev FILE] [--repeat N]

Prints a Markdown table and writes bench/results/bot.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rank_bm25 import BM25Okapi  # noqa: E402

from marketdesk.bot import Bot, BotReply  # noqa: E402
from marketdesk.bot.evaluation import EvalItem, read_questions  # noqa: E402
from marketdesk.kb.articles import (  # noqa: E402
    Article,
    default_kb_dir,
    default_topics_file,
    load_articles,
    load_topics,
)
from marketdesk.text.analyzer import TextAnalyzer  # noqa: E402
from marketdesk.text.normalize import normalize  # noqa: E402

WORD_RE = re.compile(r"\w+")


def raw_words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


class Bm25Baseline:
    """rank-bm25 over questions + title + keywords + body, raw lower-cased words."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = [a for a in articles if a.customer_facing]
        docs = [
            raw_words(" ".join([*a.questions, a.title, *a.keywords, a.body])) for a in self.articles
        ]
        self.bm25 = BM25Okapi(docs)

    def ask(self, text: object) -> BotReply:
        words = raw_words(str(text or ""))
        if not words:
            return BotReply("handoff", None, 0.0, "-")
        scores = self.bm25.get_scores(words)
        best = max(range(len(scores)), key=lambda i: scores[i])
        if scores[best] <= 0:
            return BotReply("handoff", None, 0.0, "-")
        art = self.articles[best]
        return BotReply("answer", art.slug, 1.0, art.body)


def accuracy(ask: Callable[[str], BotReply], items: Sequence[EvalItem]) -> dict[str, float]:
    answer = [i for i in items if i.action == "answer"]
    other = [i for i in items if i.action != "answer"]
    topic_ok = 0
    for it in answer:
        r = ask(it.question)
        topic_ok += r.action == "answer" and r.topic == it.topic
    action_ok = sum(ask(it.question).action == it.action for it in other)
    return {
        "topic_accuracy": topic_ok / len(answer) if answer else 1.0,
        "action_accuracy": action_ok / len(other) if other else 1.0,
        "answer_items": len(answer),
        "other_items": len(other),
    }


def strip_questions(articles: Sequence[Article], items: Sequence[EvalItem]) -> list[Article]:
    """The articles without example questions that are an evaluation question, after
    normalisation or as the same sequence of content lemmas (what the index compares)."""
    analyzer = TextAnalyzer()
    asked = {normalize(i.question) for i in items}
    asked_lemmas = {analyzer.analyse(i.question).content for i in items}

    def seen(q: str) -> bool:
        return normalize(q) in asked or analyzer.analyse(q).content in asked_lemmas

    return [
        dataclasses.replace(a, questions=tuple(q for q in a.questions if not seen(q)))
        for a in articles
    ]


def misspell(text: str) -> str:
    """Deterministic typos: in every word of 6+ letters swap two middle letters, and
    drop the last letter of every other such word; lower-case, no punctuation."""
    out = []
    for n, word in enumerate(raw_words(text)):
        if len(word) >= 6 and word.isalpha():
            mid = len(word) // 2
            word = word[: mid - 1] + word[mid] + word[mid - 1] + word[mid + 1 :]
            if n % 2:
                word = word[:-1]
        out.append(word)
    return " ".join(out)


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--kb-dir", type=Path, default=default_kb_dir())
    ap.add_argument(
        "--dev",
        type=Path,
        default=Path(
            os.environ.get("MARKETDESK_DEV_QUESTIONS")
            or ROOT.parent / "shared" / "kb" / "dev-questions.tsv"
        ),
    )
    ap.add_argument(
        "--heldout",
        type=Path,
        nargs="*",
        default=[
            ROOT / "tests" / "bot" / f"{n}.tsv"
            for n in ("heldout", "heldout_blind", "heldout_round2", "probes")
        ],
    )
    ap.add_argument("--repeat", type=int, default=20, help="timed passes over the questions")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bot.json")
    args = ap.parse_args(argv)

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    topics = load_topics(default_topics_file())

    # ---- build: cold (first analyser and lemma cache in the process), then warm
    t0 = time.perf_counter()
    loaded = load_articles(args.kb_dir, topics)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    bot = Bot(loaded.articles, kb_dir=args.kb_dir, topics=topics, errors=loaded.errors)
    t_build_cold = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    bot.reload()
    t_build_warm = time.perf_counter() - t0
    # memory held by one index (lemma caches already warm): traced while building it
    gc.collect()
    tracemalloc.start()
    index_probe = Bot(loaded.articles, topics=topics)
    index_bytes, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index_probe

    sets: dict[str, list[EvalItem]] = {}
    if args.dev.is_file():
        sets["dev"] = read_questions(args.dev)
    for path in args.heldout:
        if path.is_file():
            sets[path.stem] = read_questions(path)
    if not sets:
        print("no question sets found", file=sys.stderr)
        return 2
    if "dev" in sets:
        sets["dev, misspelt"] = [
            dataclasses.replace(i, question=misspell(i.question)) for i in sets["dev"]
        ]
    all_items = [i for items in sets.values() for i in items]

    baseline = Bm25Baseline(loaded.articles)
    unseen_articles = strip_questions(loaded.articles, all_items)
    bot_unseen = Bot(unseen_articles, topics=topics)
    baseline_unseen = Bm25Baseline(unseen_articles)

    rows: list[dict[str, Any]] = []
    for name, items in sets.items():
        for system, ask in (
            ("marketdesk bot", bot.ask),
            ("BM25 baseline", baseline.ask),
            ("marketdesk bot, unseen", bot_unseen.ask),
            ("BM25 baseline, unseen", baseline_unseen.ask),
        ):
            rows.append({"set": name, "system": system, **accuracy(ask, items)})

    # ---- latency: warm-up pass, then timed passes
    questions = [i.question for i in all_items]
    for q in questions:
        bot.ask(q)
    gc.collect()
    gc.disable()
    samples: list[float] = []
    for _ in range(max(1, args.repeat)):
        for q in questions:
            t = time.perf_counter_ns()
            bot.ask(q)
            samples.append((time.perf_counter_ns() - t) / 1e6)
    gc.enable()
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples)))]
    worst = samples[-1]
    # unseen words: a fresh process would pay pymorphy once per new word
    fresh = [f"{q} вариант{n}" for n, q in enumerate(questions[:50])]
    t_fresh = []
    for q in fresh:
        t = time.perf_counter_ns()
        bot.ask(q)
        t_fresh.append((time.perf_counter_ns() - t) / 1e6)
    t_fresh.sort()
    baseline_samples: list[float] = []
    for q in questions:
        t = time.perf_counter_ns()
        baseline.ask(q)
        baseline_samples.append((time.perf_counter_ns() - t) / 1e6)
    baseline_samples.sort()

    latency = {
        "questions": len(samples),
        "p50": round(p50, 4),
        "p99": round(p99, 4),
        "max": round(worst, 4),
        "new_word_p50": round(statistics.median(t_fresh), 4),
        "new_word_p99": round(t_fresh[min(len(t_fresh) - 1, int(0.99 * len(t_fresh)))], 4),
        "bm25_baseline_p50": round(statistics.median(baseline_samples), 4),
    }
    build = {
        "load_articles": round(t_load, 4),
        "index_cold": round(t_build_cold, 4),
        "reload_warm": round(t_build_warm, 4),
    }
    memory = {
        "index_tracemalloc_mib": round(index_bytes / 2**20, 2),
        "index_build_tracemalloc_peak_mib": round(peak / 2**20, 2),
        "rss_delta_mib": round((rss1 - rss0) / 1024, 1),
        "rss_max_mib": round(rss1 / 1024, 1),
    }
    result = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "articles": len(loaded.articles),
        "article_errors": len(loaded.errors),
        "vocabulary": len(bot.index.vocabulary),
        "accuracy": rows,
        "latency_ms": latency,
        "build_s": build,
        "memory": memory,
    }

    print(
        f"## marketdesk bot benchmark ({len(loaded.articles)} articles, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})\n"
    )
    print("| set | system | topic accuracy | action accuracy | items |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['set']} | {r['system']} | {pct(r['topic_accuracy'])} "
            f"| {pct(r['action_accuracy'])} | {r['answer_items']:.0f} + {r['other_items']:.0f} |"
        )
    print()
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| latency p50 (warm) | {latency['p50']:.3f} ms |")
    print(f"| latency p99 (warm) | {latency['p99']:.3f} ms |")
    print(f"| latency max (warm) | {latency['max']:.3f} ms |")
    print(
        f"| latency p50 / p99, question with a new word | {latency['new_word_p50']:.3f} / "
        f"{latency['new_word_p99']:.3f} ms |"
    )
    print(f"| BM25 baseline latency p50 | {latency['bm25_baseline_p50']:.3f} ms |")
    print(f"| load articles | {build['load_articles'] * 1000:.0f} ms |")
    print(f"| index build, cold process | {build['index_cold'] * 1000:.0f} ms |")
    print(f"| index rebuild (reload), warm | {build['reload_warm'] * 1000:.0f} ms |")
    print(
        f"| one index: held / build peak (tracemalloc) | {memory['index_tracemalloc_mib']} / "
        f"{memory['index_build_tracemalloc_peak_mib']} MiB |"
    )
    print(
        f"| RSS growth, load + first build (incl. pymorphy3 dictionaries) | "
        f"{memory['rss_delta_mib']} MiB |"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\nwritten to {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
