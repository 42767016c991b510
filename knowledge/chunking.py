"""Split article bodies into passages small enough to embed and quote."""

from __future__ import annotations

import re

_BLANK = re.compile(r"\n\s*\n")
_MARKUP = re.compile(r"[*_`#>|]+")


def plain(text: str) -> str:
    """Markdown to readable text for embedding and excerpts (tables and emphasis flattened)."""
    text = _MARKUP.sub(" ", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*[-+]\s+", "", text, flags=re.M)
    return re.sub(r"[ \t]+", " ", text).strip()


def chunk(body: str, max_words: int = 80) -> list[str]:
    """Paragraph-aligned passages of at most ``max_words``; long paragraphs split by sentence."""
    pieces: list[list[str]] = []
    for paragraph in _BLANK.split(body):
        words = plain(paragraph).split()
        if len(words) > max_words:
            pieces.extend(s.split() for s in re.split(r"(?<=[.!?])\s+", " ".join(words)))
        elif words:
            pieces.append(words)
    return _pack(pieces, max_words)


def _pack(pieces: list[list[str]], max_words: int) -> list[str]:
    """Join consecutive pieces while they fit; a piece is never cut."""
    passages: list[str] = []
    current: list[str] = []
    for words in pieces:
        if current and len(current) + len(words) > max_words:
            passages.append(" ".join(current))
            current = []
        current.extend(words)
    if current:
        passages.append(" ".join(current))
    return passages


def first_paragraph(body: str, max_chars: int = 400) -> str:
    """The article's opening answer, which the bot quotes as its excerpt."""
    for paragraph in _BLANK.split(body):
        if paragraph.lstrip().startswith("#"):
            continue  # a heading is not an answer
        text = plain(paragraph)
        if text:
            if len(text) <= max_chars:
                return text
            cut = text[:max_chars].rsplit(" ", 1)[0]
            return cut + "…"
    return ""
