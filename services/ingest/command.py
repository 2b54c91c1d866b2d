"""`supportdesk ingest [PATH...]`: sync articles into the vector store and say what changed.

Exit status: 0 all inputs ingested; 1 some inputs rejected (the rest ingested); 2 nothing
usable, or the store cannot be used (locked by a running desk, server unreachable).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guardrails import IndirectGuard
from ingest.pipeline import ingest
from knowledge.embedder import Embedder
from knowledge.vectorstore import VectorStoreError, open_vector_store
from supportdesk.config import Settings

EXIT_OK = 0
EXIT_SOME_REJECTED = 1
EXIT_FAILED = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="Markdown files, folders of them, or documents.jsonl files (default: KB_PATH)",
    )
    parser.add_argument("--tenant", help="tenant to sync (default: TENANT)")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


async def run(args: argparse.Namespace, settings: Settings, embedder: Embedder) -> int:
    paths: list[Path] = args.paths or [settings.kb_path]
    tenant: str = args.tenant or settings.tenant
    try:
        store = await open_vector_store(settings, embedder.name, embedder.dimension)
    except VectorStoreError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    try:
        report = await ingest(
            paths,
            tenant=tenant,
            store=store,
            embedder=embedder,
            progress=False if args.no_progress else None,
            guard=IndirectGuard(embedder),
        )
    except VectorStoreError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    finally:
        await store.close()
    print(report.render())
    if not report.errors:
        return EXIT_OK
    return EXIT_SOME_REJECTED if report.documents else EXIT_FAILED
