"""Comment text: the @mentions it names, and Markdown-lite rendered safely.

Markdown-lite is markdown-it-py's "zero" preset with only paragraphs, line breaks, lists,
emphasis, code spans, links and bare URLs (linkify) switched on, and raw HTML parsing off: a tag
typed in a comment is shown as text. markdown-it already refuses `javascript:`, `vbscript:`,
`file:` and `data:` links; its output then goes through nh3 (ammonia) with an allowlist of the
tags those rules can produce and http(s)/mailto links only, so a parser bug cannot become
markup. @mentions of the people the comment mentioned are marked up after parsing, on text
outside links and code.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

# @username: Django's user names hold letters, digits and @.+-_; a mention starts after a space,
# a bracket or the start, and a trailing full stop or hyphen is punctuation, not the name.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+])")
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "em", "strong", "code", "a", "span"}
LINK_SCHEMES = {"http", "https", "mailto"}


def mentioned_names(text: str) -> list[str]:
    """The user names written as @name in `text`, in order, each once."""
    return list(dict.fromkeys(MENTION.findall(text or "")))


def _mark_mentions(names: frozenset[str]):
    """A core rule: @name (for a name in `names`) becomes <span class="mention">, outside links
    and code spans."""

    def rule(state) -> None:
        for block in state.tokens:
            if block.type != "inline" or not block.children:
                continue
            children, in_link = [], 0
            for token in block.children:
                in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
                if token.type != "text" or in_link or "@" not in token.content:
                    children.append(token)
                    continue
                children.extend(_split(token.content, names))
            block.children = children

    return rule


def _split(text: str, names: frozenset[str]) -> list[Token]:
    tokens, start = [], 0
    for match in MENTION.finditer(text):
        if match.group(1) not in names:
            continue
        tokens.append(_text(text[start : match.start()]))
        span = Token("html_inline", "", 0)
        span.content = f'<span class="mention">@{escape(match.group(1))}</span>'
        tokens.append(span)
        start = match.end()
    tokens.append(_text(text[start:]))
    return [t for t in tokens if t.content]


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


@lru_cache(maxsize=64)
def _parser(names: frozenset[str]) -> MarkdownIt:
    md = MarkdownIt("zero", {"linkify": True, "breaks": True, "html": False})
    md.enable(["list", "emphasis", "link", "newline", "backticks", "linkify", "autolink"])
    md.enable(["escape", "entity"])
    if names:
        md.core.ruler.push("mentions", _mark_mentions(names))
    return md


def render(text: str, *, mentioned: frozenset[str] = frozenset()) -> SafeString:
    """`text` as safe HTML: Markdown-lite, @names of `mentioned` marked, nothing else."""
    html = _parser(frozenset(mentioned)).render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        allowed_classes={"span": {"mention"}},
        url_schemes=LINK_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        url_relative="deny",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised to the allowlist above


def plain(text: str, *, limit: int = 300) -> str:
    """The comment as one line of plain text (for emails), cut to `limit` characters."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
