"""What the e-mails say: each as plain text and as HTML, every customer or agent word escaped
in the HTML part (a message may well contain ``<script>``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


_SIGNATURE = "Your support team"


def _html(paragraphs: Iterable[str | tuple[str, str]]) -> str:
    """Paragraphs of plain text (escaped here, line breaks kept); a (label, text) pair is a quoted message."""
    parts = []
    for item in paragraphs:
        if isinstance(item, tuple):
            label, body = item
            parts.append(f'<p style="margin:0 0 12px"><strong>{escape(label)}</strong><br>'
                         f'{escape(body).replace(chr(10), "<br>")}</p>')
        else:
            parts.append(f'<p style="margin:0 0 12px">{escape(item).replace(chr(10), "<br>")}</p>')
    body = "\n".join(parts)
    return ('<!doctype html>\n<html lang="en"><body style="font-family:sans-serif;line-height:1.4">\n'
            f"{body}\n</body></html>")


def follow_up_acknowledgement(follow_up_id: int, note: str) -> Rendered:
    subject = f"We'll answer your question by e-mail (request #{follow_up_id})"
    intro = ("Thank you for your patience. Everyone on our team was busy, so we'll reply to this address "
             "as soon as someone is free; you don't need to do anything else.")
    paragraphs: list[str | tuple[str, str]] = ["Hello,", intro]
    if note:
        paragraphs.append(("What you added:", note))
    paragraphs += [f"Your reference is request #{follow_up_id}; you can simply reply to this e-mail.", _SIGNATURE]
    return Rendered(subject, _text(paragraphs), _html(paragraphs))


def follow_up_reply(follow_up_id: int, agent: str, text: str) -> Rendered:
    subject = f"Re: your question (request #{follow_up_id})"
    paragraphs: list[str | tuple[str, str]] = ["Hello,", text, f"{agent}, {_SIGNATURE.lower()}"]
    return Rendered(subject, _text(paragraphs), _html(paragraphs))


def transcript(lines: Iterable[tuple[str, datetime, str]], started: datetime) -> Rendered:
    """The conversation as the customer saw it: (who, when, text) per message, texts already masked."""
    subject = f"Your conversation with us on {started:%d %B %Y}"
    paragraphs: list[str | tuple[str, str]] = ["Hello,", "Here is the conversation you asked us to send you."]
    paragraphs += [(f"{who}, {when:%H:%M} UTC", text) for who, when, text in lines]
    paragraphs.append(_SIGNATURE)
    return Rendered(subject, _text(paragraphs), _html(paragraphs))


def _text(paragraphs: Iterable[str | tuple[str, str]]) -> str:
    lines = []
    for item in paragraphs:
        if isinstance(item, tuple):
            label, body = item
            lines.append(f"{label}\n" + "\n".join(f"  {line}" for line in body.splitlines()))
        else:
            lines.append(item)
    return "\n\n".join(lines) + "\n"
