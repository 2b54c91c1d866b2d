"""Retrieved chunks with planted instructions removed, before they reach a prompt."""

from __future__ import annotations

from collections.abc import Sequence

from guardrails.indirect import Finding, IndirectGuard
from knowledge.chunks import Hit


async def neutralise_hits(
    guard: IndirectGuard, hits: Sequence[Hit], *, rules_only: bool = False
) -> tuple[list[Hit], list[tuple[Hit, Finding]]]:
    """The hits with flagged sentences cut from their text, and what was cut from which.

    A hit left with no text is dropped: an empty passage cannot ground an answer.
    `rules_only` scans without the embedding model, for when it is unavailable.
    """
    if rules_only:
        scans = [guard.scan_rules(hit.chunk.text) for hit in hits]
    else:
        scans = await guard.scan_many(
            [hit.chunk.text for hit in hits],
            [f"{hit.chunk.title} › {hit.chunk.section}" for hit in hits],
        )
    kept: list[Hit] = []
    findings: list[tuple[Hit, Finding]] = []
    for hit, scan in zip(hits, scans, strict=True):
        findings += [(hit, finding) for finding in scan.findings]
        if not scan.flagged:
            kept.append(hit)
        elif scan.text:
            chunk = hit.chunk.model_copy(update={"text": scan.text})
            kept.append(hit.model_copy(update={"chunk": chunk}))
    return kept, findings
