"""Import and export of the knowledge file format (JSON Lines, one article per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from knowledge.articles import ArticleIn
from knowledge.store import ArticleStore, to_dict


class KnowledgeFileError(ValueError):
    """A file with bad lines; every problem is listed with its line number."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} bad line(s), nothing was imported:\n{shown}{more}")


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "line"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_lines(lines: Iterable[str]) -> list[ArticleIn]:
    """Validate every line before anything is written, so a bad file imports nothing."""
    articles: list[ArticleIn] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"line {number}: expected a JSON object, got {type(raw).__name__}")
            continue
        try:
            article = ArticleIn.model_validate(raw)
        except ValidationError as error:
            problems.append(f"line {number}: {_describe(error)}")
            continue
        if article.id in seen:
            problems.append(f"line {number}: id {article.id!r} already used on line {seen[article.id]}")
            continue
        seen[article.id] = number
        articles.append(article)
    if problems:
        raise KnowledgeFileError(problems)
    return articles


def read_file(path: Path) -> list[ArticleIn]:
    with path.open(encoding="utf-8") as handle:
        return parse_lines(handle)


def import_articles(store: ArticleStore, articles: list[ArticleIn], author: str | None = None) -> int:
    for article in articles:
        store.save(article, author=author, note="imported")
    return len(articles)


def export_articles(store: ArticleStore, out: IO[str]) -> int:
    count = 0
    for article in store.list():
        out.write(json.dumps(to_dict(article), ensure_ascii=False) + "\n")
        count += 1
    return count
