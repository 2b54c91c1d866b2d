"""Numbered sources and the question, read back from a prompt: the extractive responder's
second path, for callers that put sources only in the prompt and not in metadata.

The format it understands (instructions before the first source are ignored)::

    [1] Freezing your card
    You can freeze your card in the app...

    [2] Card limits
    ...

    Question: How do I freeze my card?

A source starts at a line beginning `[n]` (optionally `Source [n]:`), whose remainder is
the title; its text runs to the next source or to the `Question:` line, and everything
after `Question:` is the question. The desk's own delimited form is read too, a source per
`<source n="1" title="...">` ... `</source>` block (desk.agents.prompts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.extractive import Source

_HEADER = re.compile(r"^\s*(?:source\s*)?\[(\d+)\]\s*:?\s*(.*)$", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*(?:customer\s+)?question\s*:\s*(.*)$", re.IGNORECASE)
_OPEN = re.compile(r'^\s*<source\s+n="(\d+)"(?:\s+title="([^"]*)")?\s*>\s*$', re.IGNORECASE)
_CLOSE = re.compile(r"^\s*</source>\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PromptSources:
    sources: list[Source]
    question: str | None


def parse_prompt(text: str) -> PromptSources:
    sources: list[Source] = []
    current: tuple[int, str, list[str]] | None = None
    question_lines: list[str] | None = None
    tagged = False

    def close() -> None:
        if current is not None:
            n, title, body = current
            sources.append(Source(n=n, title=title, text="\n".join(body).strip()))

    for line in text.splitlines():
        if question_lines is not None:
            question_lines.append(line)
        elif tagged and current is not None:
            # Inside a delimited source only its end tag ends it, whatever the text says.
            if _CLOSE.match(line):
                close()
                current, tagged = None, False
            else:
                current[2].append(line)
        elif match := _QUESTION.match(line):
            close()
            current = None
            question_lines = [match.group(1)]
        elif match := _OPEN.match(line) or _HEADER.match(line):
            close()
            tagged = match.re is _OPEN
            current = (int(match.group(1)), (match.group(2) or "").strip(), [])
        elif current is not None:
            current[2].append(line)
    close()

    question = "\n".join(question_lines).strip() if question_lines is not None else None
    return PromptSources(sources=sources, question=question or None)
