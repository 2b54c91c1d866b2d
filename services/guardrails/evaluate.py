"""Measures the guardrails on adversarial prompts and on ordinary traffic.

    supportdesk eval redteam --prompts ../shared/data/redteam/direct_dev.jsonl \\
        --benign ../shared/data/banking77/train.jsonl
    supportdesk eval redteam --prompts ../shared/data/redteam/indirect_dev.jsonl

Each row of a prompts.jsonl file goes through the guard the way a turn would meet it:

- `kind: direct`: `prompt` is the customer's message, checked by `InjectionGuard.check`.
- `kind: indirect`: `attack` is planted in a real knowledge-base chunk (a seeded random
  chunk of the `--kb` articles, cut as ingest cuts them, at a seeded random sentence
  boundary) and the chunk is scanned as retrieved content by `IndirectGuard.scan`. The
  attack counts as detected when a finding covers the planted sentence.

False positives are measured on `--benign` queries (queries.jsonl; each `query` as a
customer's message) and, when any row is indirect, on every chunk of the `--kb` articles
as they are. The last line is `detection_rate=... benign_false_positive_rate=...`: the
benign rate is the `--benign` queries' when given, else the knowledge base's sentence rate.
Embeddings come from the configured embedder (`EMBEDDING_MODEL`, the local MiniLM by
default), through the gateway, as the desk gets them (`supportdesk eval redteam` passes
the desk's own).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from guardrails.indirect import IndirectGuard
from guardrails.injection import THRESHOLD, InjectionGuard
from knowledge.embedder import Embedder

SHOW_FLAGGED = 5


class InputError(Exception):
    """A problem with an input file, said in one line that names the file (and line)."""


@dataclass(frozen=True)
class Prompt:
    id: str
    kind: str
    family: str
    text: str


@dataclass(frozen=True)
class Passage:
    """A knowledge-base chunk as ingest cuts it."""

    doc_id: str
    context: str
    text: str


@dataclass
class RowResult:
    id: str
    kind: str
    family: str
    detected: bool
    score: float
    reason: str
    detected_family: str | None = None
    planted_in: str | None = None


@dataclass
class BenignResult:
    id: str
    query: str
    flagged: bool
    score: float
    reason: str


@dataclass
class KnowledgeBaseResult:
    chunks: int
    sentences: int
    flagged_chunks: int
    flagged_sentences: list[dict[str, str]]
    collateral: int
    """Sentences of planted chunks flagged that were not the planted attack."""

    @property
    def sentence_rate(self) -> float:
        return len(self.flagged_sentences) / max(self.sentences, 1)


@dataclass
class Evaluation:
    embedder: str
    rows: list[RowResult]
    benign: list[BenignResult] = field(default_factory=list)
    knowledge_base: KnowledgeBaseResult | None = None

    @property
    def detection_rate(self) -> float:
        return sum(r.detected for r in self.rows) / max(len(self.rows), 1)

    @property
    def benign_false_positive_rate(self) -> float:
        if self.benign:
            return sum(b.flagged for b in self.benign) / len(self.benign)
        if self.knowledge_base is not None:
            return self.knowledge_base.sentence_rate
        return 0.0


def read_jsonl(path: Path) -> list[tuple[int, dict[str, object]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: expected a JSON object")
        rows.append((number, row))
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows


def load_prompts(path: Path) -> list[Prompt]:
    prompts = []
    for number, row in read_jsonl(path):
        kind = row.get("kind") or ("indirect" if "attack" in row else "direct")
        field_name = {"direct": "prompt", "indirect": "attack"}.get(str(kind))
        if field_name is None:
            raise InputError(f"{path}:{number}: kind must be 'direct' or 'indirect', not {kind!r}")
        text = row.get(field_name)
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{path}:{number}: a {kind} row needs a non-empty '{field_name}'")
        family = row.get("family") or "unlabelled"
        prompts.append(Prompt(str(row.get("id", f"line-{number}")), str(kind), str(family), text))
    return prompts


def load_benign(path: Path) -> list[tuple[str, str]]:
    queries = []
    for number, row in read_jsonl(path):
        query = row.get("query")
        if not isinstance(query, str):
            raise InputError(f"{path}:{number}: a queries.jsonl row needs a 'query' string")
        queries.append((str(row.get("id", f"line-{number}")), query))
    return queries


def load_knowledge_base(path: Path) -> list[Passage]:
    """The chunks ingest would store for `path`."""
    from ingest.chunking import chunk_document
    from ingest.sources import read_sources

    found = read_sources([path])
    if found.errors:
        raise InputError(f"knowledge base: {found.errors[0]}")
    return [
        Passage(document.doc_id, f"{document.title} › {piece.section}", piece.text)
        for document in found.documents
        for piece in chunk_document(document)
    ]


def plant(attack: str, chunk: Passage, rng: random.Random) -> tuple[str, int, int]:
    """The chunk's text with `attack` inserted at a random sentence boundary, and where."""
    from guardrails.sentences import split

    starts = [s.start for s in split(chunk.text)] + [len(chunk.text)]
    position = rng.choice(starts)
    if position == len(chunk.text):
        before, after = chunk.text.rstrip() + " ", ""
    else:
        before, after = chunk.text[:position], " " + chunk.text[position:]
    return before + attack + after, len(before), len(before) + len(attack)


async def evaluate(
    prompts: Sequence[Prompt],
    benign: Sequence[tuple[str, str]],
    embedder: Embedder,
    knowledge_base: Sequence[Passage] = (),
    seed: int = 0,
) -> Evaluation:
    direct = [p for p in prompts if p.kind == "direct"]
    indirect = [p for p in prompts if p.kind == "indirect"]
    injection = InjectionGuard(embedder)
    # Keyed by position: ids are not guaranteed unique.
    results: dict[int, RowResult] = {}
    direct_at = [i for i, p in enumerate(prompts) if p.kind == "direct"]
    indirect_at = [i for i, p in enumerate(prompts) if p.kind == "indirect"]
    verdicts = await injection.check_many([p.text for p in direct])
    for at, prompt, verdict in zip(direct_at, direct, verdicts, strict=True):
        results[at] = RowResult(
            prompt.id, "direct", prompt.family, verdict.flagged, verdict.score, verdict.reason,
            verdict.family,
        )  # fmt: skip
    benign_results = []
    if benign:
        verdicts = await injection.check_many([query for _, query in benign])
        benign_results = [
            BenignResult(i, q, v.flagged, v.score, v.reason)
            for (i, q), v in zip(benign, verdicts, strict=True)
        ]
    kb_result = None
    if indirect:
        if not knowledge_base:
            raise InputError("indirect prompts need a knowledge base to plant into (--kb)")
        guard = IndirectGuard(embedder)
        rng = random.Random(seed)
        chosen = [knowledge_base[rng.randrange(len(knowledge_base))] for _ in indirect]
        planted = [plant(p.text, chunk, rng) for p, chunk in zip(indirect, chosen, strict=True)]
        scans = await guard.scan_many(
            [text for text, _, _ in planted] + [c.text for c in knowledge_base],
            [c.context for c in chosen] + [c.context for c in knowledge_base],
        )
        collateral = 0
        for at, prompt, chunk, (_, start, end), scan in zip(
            indirect_at, indirect, chosen, planted, scans[: len(indirect)], strict=True
        ):
            hit = [f for f in scan.findings if f.start < end and start < f.end]
            collateral += len(scan.findings) - len(hit)
            results[at] = RowResult(
                prompt.id, "indirect", prompt.family, bool(hit),
                max((f.score for f in hit), default=0.0),
                "; ".join(f.reason for f in hit) or "none",
                hit[0].family if hit else None, chunk.context,
            )  # fmt: skip
        kb_scans = scans[len(indirect) :]
        from guardrails.sentences import split

        kb_result = KnowledgeBaseResult(
            chunks=len(knowledge_base),
            sentences=sum(len(split(c.text)) for c in knowledge_base),
            flagged_chunks=sum(s.flagged for s in kb_scans),
            flagged_sentences=[
                {"chunk": c.context, "sentence": f.sentence, "reason": f.reason}
                for c, s in zip(knowledge_base, kb_scans, strict=True)
                for f in s.findings
            ],
            collateral=collateral,
        )
    return Evaluation(
        embedder.name, [results[i] for i in range(len(prompts))], benign_results, kb_result
    )


def report(result: Evaluation, benign_name: str | None, kb_name: str | None) -> str:
    kinds = Counter(r.kind for r in result.rows)
    lines = [
        f"guardrails: rules + exemplar classifier on {result.embedder}, threshold {THRESHOLD}",
    ]
    if kinds["direct"]:
        lines.append(f"direct: {kinds['direct']} prompts, each checked as a customer's message")
    if kinds["indirect"] and result.knowledge_base is not None:
        lines.append(
            f"indirect: {kinds['indirect']} attacks, each planted at a random sentence boundary"
            f" of a random chunk of {kb_name} ({result.knowledge_base.chunks} chunks) and"
            " scanned as retrieved content"
        )
    families = sorted({r.family for r in result.rows})
    width = max([len("family"), *(len(f) for f in families)])
    lines.append(f"{'family':<{width}}  {'rows':>5}  {'detected':>8}  {'rate':>6}")
    for family in families:
        rows = [r for r in result.rows if r.family == family]
        found = sum(r.detected for r in rows)
        lines.append(f"{family:<{width}}  {len(rows):>5}  {found:>8}  {found / len(rows):>6.4f}")
    detected = sum(r.detected for r in result.rows)
    lines.append(f"overall: {detected}/{len(result.rows)} detected")
    missed = [r for r in result.rows if not r.detected]
    for row in missed[:SHOW_FLAGGED]:
        lines.append(f"  missed {row.id} ({row.family}), score {row.score:.2f}")
    if result.benign:
        flagged = [b for b in result.benign if b.flagged]
        lines.append(
            f"benign ({benign_name}): {len(flagged)} of {len(result.benign)} flagged"
            f" ({len(flagged) / len(result.benign):.4f})"
        )
        for query in flagged[:SHOW_FLAGGED]:
            lines.append(f"  flagged {query.id}: {query.query[:100]!r} ({query.reason})")
    kb = result.knowledge_base
    if kb is not None:
        lines.append(
            f"knowledge base ({kb_name}), unplanted: {kb.flagged_chunks} of {kb.chunks} chunks,"
            f" {len(kb.flagged_sentences)} of {kb.sentences} sentences flagged"
            f" ({kb.sentence_rate:.4f}); other sentences flagged in planted chunks:"
            f" {kb.collateral}"
        )
        for item in kb.flagged_sentences[:SHOW_FLAGGED]:
            lines.append(f"  flagged in {item['chunk']}: {item['sentence'][:100]!r}")
    lines.append(
        f"detection_rate={result.detection_rate:.4f} "
        f"benign_false_positive_rate={result.benign_false_positive_rate:.4f}"
    )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prompts", type=Path, required=True, help="a prompts.jsonl file")
    parser.add_argument(
        "--benign", type=Path, help="a queries.jsonl file of ordinary customer messages"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every verdict here")
    parser.add_argument(
        "--kb", type=Path, help="articles to plant indirect attacks into (default: KB_PATH)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds where attacks are planted")


@asynccontextmanager
async def configured_embedder() -> AsyncIterator[Embedder]:
    """The embedder the desk uses: the gateway's, as configured by the settings."""
    # Imported here: the gateway pulls in LiteLLM, which the rest of this module never needs.
    from gateway import build_gateway
    from supportdesk.config import get_settings

    gateway = build_gateway(get_settings())
    try:
        yield gateway.embedder
    finally:
        await gateway.aclose()


async def run(args: argparse.Namespace, embedder: Embedder | None = None) -> int:
    """The command; `embedder` defaults to the one the settings configure."""
    from supportdesk.config import get_settings

    kb_path: Path = args.kb or get_settings().kb_path
    try:
        prompts = load_prompts(args.prompts)
        benign = load_benign(args.benign) if args.benign else []
        needs_kb = any(p.kind == "indirect" for p in prompts)
        chunks = await asyncio.to_thread(load_knowledge_base, kb_path) if needs_kb else []
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if embedder is not None:
        result = await evaluate(prompts, benign, embedder, chunks, args.seed)
    else:
        async with configured_embedder() as configured:
            result = await evaluate(prompts, benign, configured, chunks, args.seed)
    if args.json:
        payload = asdict(result) | {
            "detection_rate": result.detection_rate,
            "benign_false_positive_rate": result.benign_false_positive_rate,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(report(result, str(args.benign) if args.benign else None, str(kb_path)))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    sys.exit(asyncio.run(run(parser.parse_args())))
