"""`supportdesk`: the operator's command line.

supportdesk ingest [PATH ...] [--tenant T]   sync articles or a documents.jsonl into Qdrant
supportdesk serve                            run the API (uvicorn)
supportdesk demo                             ingest, start the local model server and the API
supportdesk modelserver                      run only the self-hosted model server
supportdesk token [--customer ID | --agent ID | --operator ID]  a development bearer token
supportdesk eval triage|retrieval|answers    measure quality: figures, a report with plots
supportdesk eval cache|redteam ...           measure the cache and the guardrails
supportdesk trace CONVERSATION_ID [--all]    a conversation's last turn (or all) as spans
supportdesk audit prune [--days N]           delete audit records past their retention

Every log line it writes has customer personal data masked (guardrails.pii).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

# Before anything imports LiteLLM or transformers: no network at import or load time.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from supportdesk.config import Settings, get_settings
from supportdesk.cpu import single_threaded_blas

# Libraries that log through handlers of their own (LiteLLM from import, uvicorn once it
# starts): a filter on these loggers masks their records before any handler sees them.
OWN_HANDLERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "uvicorn", "uvicorn.error")
# uvicorn's access formatter unpacks the record's arguments, so they are masked in place.
ACCESS_LOG = "uvicorn.access"
SWITCH_INTERVAL_S = 0.001


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from gateway import build_gateway
    from ingest.command import run

    async def main() -> int:
        gateway = build_gateway(settings)
        try:
            return await run(args, settings, gateway.embedder)
        finally:
            await gateway.aclose()

    return asyncio.run(main())


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from desk.api.app import create_app

    app = create_app(settings)
    # LiteLLM, once imported, adds its own secret scrubbers to uvicorn's access log: a
    # second pass over every request line, for LiteLLM's proxy, whose URLs carry keys.
    # This API takes credentials only as a bearer header, and the access log already
    # has the desk's PII filter (configure_logging).
    access = logging.getLogger(ACCESS_LOG)
    for scrubber in [f for f in access.filters if type(f).__module__.startswith("litellm")]:
        access.removeFilter(scrubber)
    # The event loop shares the interpreter with worker threads (SQLite, embeddings,
    # exporters). A thread that wants the GIL back waits up to this long for the holder to
    # yield it; at CPython's default 5 ms, a busy worker makes every loop turn a few ms
    # later, and a refusal that should take a millisecond takes tens (docs/adr/0021).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
        # With JSON logs uvicorn's loggers propagate to the JSON handler instead of
        # installing their own text ones.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=10,
    )
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from supportdesk.demo import run_demo

    return asyncio.run(run_demo(settings, skip_ingest=args.skip_ingest))


def _modelserver(args: argparse.Namespace, settings: Settings) -> int:
    from modelserver import main

    main([])
    return 0


def _eval_cache(args: argparse.Namespace, settings: Settings) -> int:
    from semantic_cache.evaluate import run

    return asyncio.run(run(args))


def _eval_redteam(args: argparse.Namespace, settings: Settings) -> int:
    from gateway import build_gateway
    from guardrails.evaluate import run
    from knowledge.embedder import RecentEmbeddings

    async def main() -> int:
        gateway = build_gateway(settings)
        try:
            # The embedder exactly as the desk wraps it for its turns (desk.bootstrap).
            return await run(args, RecentEmbeddings(gateway.embedder))
        finally:
            await gateway.aclose()

    return asyncio.run(main())


def _eval_quality(args: argparse.Namespace, settings: Settings) -> int:
    from evals.command import run

    return asyncio.run(run(args.module, args, settings))


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from bank.seed import demo_customers
    from desk.auth import mint_token

    if args.list:
        for demo in demo_customers():
            print(f"{demo.tenant:8} {demo.customer_id:12} {demo.name}: {demo.situation}")
        return 0
    if settings.auth_jwks_url:
        print(
            "AUTH_JWKS_URL is set: tokens come from your identity provider, not from here.",
            file=sys.stderr,
        )
        return 2
    if args.agent:
        print(mint_token(settings, args.agent, tenant=args.tenant, role="agent", ttl_s=args.ttl))
    elif args.operator:
        print(
            mint_token(settings, args.operator, tenant=args.tenant, role="operator", ttl_s=args.ttl)
        )
    else:
        print(mint_token(settings, args.customer, tenant=args.tenant, ttl_s=args.ttl))
    return 0


def _trace(args: argparse.Namespace, settings: Settings) -> int:
    from telemetry.trace_log import read_records
    from telemetry.trace_view import conversation_traces, render

    folder = settings.data_dir / "traces"
    traces = conversation_traces(read_records(folder), args.conversation_id)
    if not traces:
        print(
            f"no trace of conversation {args.conversation_id!r} in {folder} (the desk writes "
            "its spans there about a second after each turn)",
            file=sys.stderr,
        )
        return 1
    for spans in traces if args.all else traces[-1:]:
        print("\n".join(render(spans)))
    return 0


def _audit_prune(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from desk.records import open_records
    from desk.records.base import AUDIT_MIN_RETENTION_DAYS, utcnow

    days = args.days if args.days is not None else settings.audit_retention_days
    if days < AUDIT_MIN_RETENTION_DAYS:
        print(
            f"--days {days} is below the legal floor of {AUDIT_MIN_RETENTION_DAYS} days: the "
            "database refuses to delete younger audit records.",
            file=sys.stderr,
        )
        return 2

    async def prune() -> int:
        records = await open_records(settings)
        try:
            return await records.prune_audit(utcnow() - timedelta(days=days))
        finally:
            await records.close()

    print(f"deleted {asyncio.run(prune())} audit records older than {days} days")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportdesk", description="Harbor Bank's AI support desk."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from ingest.command import add_arguments

    ingest = commands.add_parser("ingest", help="sync help-centre articles or a documents.jsonl")
    add_arguments(ingest)
    ingest.set_defaults(handler=_ingest)

    serve = commands.add_parser("serve", help="run the API with uvicorn")
    serve.add_argument("--host", help="defaults to HOST (127.0.0.1)")
    serve.add_argument("--port", type=int, help="defaults to PORT (8000)")
    serve.set_defaults(handler=_serve)

    demo = commands.add_parser(
        "demo", help="ingest the help centre, start the local model server and the API"
    )
    demo.add_argument("--skip-ingest", action="store_true", help="use what is already ingested")
    demo.set_defaults(handler=_demo)

    traced = commands.add_parser(
        "trace", help="print a conversation's last turn as a span tree, from DATA_DIR/traces"
    )
    traced.add_argument("conversation_id")
    traced.add_argument("--all", action="store_true", help="every turn, not only the last")
    traced.set_defaults(handler=_trace)

    audit = commands.add_parser("audit", help="the audit trail's retention")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="WHAT")
    prune = audit_commands.add_parser(
        "prune", help="delete audit records older than AUDIT_RETENTION_DAYS (run it daily)"
    )
    prune.add_argument("--days", type=int, help="keep this many days instead (at least 183)")
    prune.set_defaults(handler=_audit_prune)

    evaluate = commands.add_parser("eval", help="measure the desk on data in EVAL_FORMAT.md")
    evaluations = evaluate.add_subparsers(dest="evaluation", required=True, metavar="WHAT")
    from semantic_cache.evaluate import add_arguments as add_cache_arguments

    cache = evaluations.add_parser(
        "cache", help="replay queries through the semantic cache in a real Redis"
    )
    add_cache_arguments(cache)
    cache.set_defaults(handler=_eval_cache)
    from guardrails.evaluate import add_arguments as add_redteam_arguments

    redteam = evaluations.add_parser(
        "redteam", help="injection detection and false positives of the guardrails"
    )
    add_redteam_arguments(redteam)
    redteam.set_defaults(handler=_eval_redteam)
    _add_quality_evals(evaluations)

    token = commands.add_parser(
        "token", help="print a development bearer token (HS256, signed with AUTH_JWT_SECRET)"
    )
    who = token.add_mutually_exclusive_group()
    who.add_argument("--customer", default="cus_alice", help="customer id (default cus_alice)")
    who.add_argument("--agent", metavar="AGENT_ID", help="a support agent's token instead")
    who.add_argument(
        "--operator", metavar="OPERATOR_ID", help="an operator's token (audit trail, usage)"
    )
    token.add_argument("--tenant", help="defaults to TENANT (harbor)")
    token.add_argument("--ttl", type=int, help="lifetime in seconds (default AUTH_TOKEN_TTL_S)")
    token.add_argument("--list", action="store_true", help="list the demo customers and exit")
    token.set_defaults(handler=_token)

    modelserver = commands.add_parser("modelserver", help="run the self-hosted model server")
    modelserver.set_defaults(handler=_modelserver)
    return parser


def _add_quality_evals(evaluations: argparse._SubParsersAction) -> None:
    from importlib import import_module

    from evals.command import add_common_arguments

    helps = {
        "triage": "route labelled queries as live turns do: accuracy, out of scope, latency",
        "retrieval": "retrieve for labelled queries: hit@k, recall@k, MRR, nDCG, latency",
        "answers": "run full turns: citation precision, uncited answers, refusals",
    }
    for name, help_text in helps.items():
        module = import_module(f"evals.{name}")
        parser = evaluations.add_parser(name, help=help_text)
        module.add_arguments(parser)
        add_common_arguments(parser)
        parser.set_defaults(handler=_eval_quality, module=module)


def configure_logging(settings: Settings) -> None:
    from guardrails.pii import RedactingFilter

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_format == "json":
        from telemetry.logs import JsonFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    redacting = RedactingFilter(allow=settings.pii_allowed)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
    for name in OWN_HANDLERS:
        logging.getLogger(name).addFilter(redacting)
    logging.getLogger(ACCESS_LOG).addFilter(
        RedactingFilter(allow=settings.pii_allowed, keep_args=True)
    )
    for noisy in ("httpx", "LiteLLM", "LiteLLM Proxy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The Router logs each fallback at ERROR with a debug dump; the gateway already logs
    # every fallback once, as a warning, with the chain it took.
    logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    single_threaded_blas()
    handler = args.handler
    code: int = handler(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
