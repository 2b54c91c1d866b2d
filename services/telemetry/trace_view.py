"""A conversation's turns as span trees, from the local trace log (`supportdesk trace`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from telemetry import names

# Shown beside each span, when present, in this order.
SHOWN = (
    "http.route",
    "http.response.status_code",
    names.ROUTE,
    names.INTENT,
    names.TRIAGE_METHOD,
    names.CACHE_HIT,
    names.CACHE_SIMILARITY,
    names.RETRIEVAL_SCORES,
    names.RETRIEVAL_COVERED,
    names.REQUEST_MODEL,
    names.ATTEMPT,
    names.FALLBACK_REASON,
    names.DEPLOYMENT,
    names.INPUT_TOKENS,
    names.OUTPUT_TOKENS,
    names.COST_USD,
    names.TOOL_NAME,
    names.TOOL_OUTCOME,
    names.APPROVAL_STATE,
    names.GUARDRAIL_OUTCOME,
    "desk.interrupted",
)


def conversation_traces(
    records: Iterable[dict[str, Any]], conversation_id: str
) -> list[list[dict[str, Any]]]:
    """The traces that touched the conversation, oldest first, each a list of its spans."""
    by_trace: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    touched: set[str] = set()
    for record in records:
        by_trace[record["trace_id"]].append(record)
        attributes = record.get("attributes", {})
        if attributes.get(names.CONVERSATION_ID) == conversation_id or conversation_id in str(
            attributes.get("http.target", "")
        ):
            touched.add(record["trace_id"])
    traces = [by_trace[trace_id] for trace_id in touched]
    return sorted(traces, key=lambda spans: min(s["start_ns"] for s in spans))


def render(spans: list[dict[str, Any]]) -> list[str]:
    """One line per span, children indented under their parent, in start order."""
    ids = {s["span_id"] for s in spans}
    children: defaultdict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for s in sorted(spans, key=lambda s: s["start_ns"]):
        children[s["parent_id"] if s["parent_id"] in ids else None].append(s)
    start = min(s["start_ns"] for s in spans)
    lines = [
        f"trace {spans[0]['trace_id']}  "
        f"{datetime.fromtimestamp(start / 1e9, UTC).isoformat(timespec='seconds')}"
    ]

    def walk(parent: str | None, depth: int) -> None:
        for s in children[parent]:
            ms = (s["end_ns"] - s["start_ns"]) / 1e6
            shown = [
                f"{key.rsplit('.', 1)[-1]}={s['attributes'][key]}"
                for key in SHOWN
                if key in s["attributes"]
            ]
            failed = "  FAILED" if s.get("status") == "ERROR" else ""
            lines.append(f"{'  ' * (depth + 1)}{s['name']}  {ms:.1f} ms{failed}  {' '.join(shown)}")
            walk(s["span_id"], depth + 1)

    walk(None, 0)
    return lines
