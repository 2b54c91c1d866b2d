"""The audit trail, for the tenant's operators: who did what in a conversation, which
models answered at what cost, which actions were approved and by whom (docs/adr/0020)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from desk.api.deps import DeskDep, OperatorDep
from desk.api.schemas import AuditPage, AuditRecordOut, ErrorOut

router = APIRouter(prefix="/v1/audit", tags=["audit"])

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}


def as_utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC, the zone every record is stamped in."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@router.get("", response_model=AuditPage, responses=ERRORS)
async def audit_trail(
    desk: DeskDep,
    operator: OperatorDep,
    conversation_id: Annotated[
        str | None, Query(max_length=64, description="Only this conversation's records.")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Records at or after this time (ISO 8601; UTC if bare).")
    ] = None,
    until: Annotated[
        datetime | None,
        Query(description="Records before this time; the previous page's next_until."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """The tenant's audit records, newest first; filter by conversation and time."""
    since, until = as_utc(since), as_utc(until)
    if since is not None and until is not None and since >= until:
        raise HTTPException(
            422,
            {
                "code": "empty_time_range",
                "message": f"`since` ({since.isoformat()}) must be before `until` "
                f"({until.isoformat()}).",
            },
        )
    records = await desk.records.audit_records(
        operator.tenant, conversation_id=conversation_id, since=since, until=until, limit=limit
    )
    return AuditPage(
        tenant=operator.tenant,
        records=[AuditRecordOut.model_validate(record) for record in records],
        next_until=records[-1].created_at if len(records) == limit else None,
    )
