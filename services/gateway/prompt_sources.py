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
after `Question:` is the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.extractive import Source

_HEADER = re.compile(r"^\s*(?:source\s*)?\[(\d+)\]\s*:?\s*(.*)$", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*(?:customer\s+)?question\s*:\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class PromptSources:
    sources: list[Source]
    question: str | None


def parse_prompt(text: str) -> PromptSources:
    sources: list[Source] = []
    current: tuple[int, str, list[str]] | None = None
    question_lines: list[str] | None = None

    def close() -> None:
        if current is not None:
            n, title, body = current
            sources.append(Source(n=n, title=title, text="\n".join(body).strip()))

    for line in text.splitlines():
        if question_lines is not None:
            question_lines.append(line)
        elif match := _QUESTION.match(line):
            close()
            current = None
            question_lines = [match.group(1)]
        elif match := _HEADER.match(line):
            close()
            current = (int(match.group(1)), match.group(2).strip(), [])
        elif current is not None:
            current[2].append(line)
    close()

    question = "\n".join(question_lines).strip() if question_lines is not None else None
    return PromptSources(sources=sources, question=question or None)
