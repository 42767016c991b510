"""Article markdown to HTML that is safe to put in a page.

markdown-it escapes raw HTML (``html=False``) and refuses ``javascript:`` links; nh3 (the
ammonia sanitizer) then keeps only an allow-list of tags and web/mail link schemes, so a
gap in either one alone does not reach the editor's preview.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}


def render(markdown: str) -> str:
    return nh3.clean(
        _parser.render(markdown),
        tags=TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
