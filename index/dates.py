"""Publication dates as the index stores them: ISO text in the metadata, a Unix timestamp
beside it for range filters (Chroma compares numbers, not dates)."""

from __future__ import annotations

from datetime import UTC, datetime


def published_ts(value: str) -> int:
    """Seconds since 1970 of an ISO date or date-time; one without a UTC offset is read as
    UTC (as articles store them), never as this machine's local time. 0 when it is not one."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
