"""GitHub-style heading anchors, so a chunk can link to its section of the rendered article."""

from __future__ import annotations

import re

# Inline Markdown that renders to its text: `code`, **strong**, _emphasis_, [label](url).
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3}|`+)(.+?)\1")
# github-slugger keeps letters, digits, '_', '-' and spaces; each space becomes one '-'.
_DROPPED = re.compile(r"[^\w\- ]")


def heading_text(markdown: str) -> str:
    """A heading as it reads once rendered: inline markup removed."""
    text = _LINK.sub(r"\1", markdown)
    text = _EMPHASIS.sub(r"\2", text)
    return text.strip()


class Slugger:
    """Anchors for the headings of one document, in order; repeats get '-1', '-2', ...

    Feed it every heading of the document (all levels), as GitHub numbers repeats across them.
    """

    def __init__(self) -> None:
        self._occurrences: dict[str, int] = {}

    def slug(self, heading: str) -> str:
        base = _DROPPED.sub("", heading.lower()).replace(" ", "-")
        slug = base
        while slug in self._occurrences:
            self._occurrences[base] += 1
            slug = f"{base}-{self._occurrences[base]}"
        self._occurrences[slug] = 0
        return slug
