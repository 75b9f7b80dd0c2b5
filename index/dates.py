"""Publication dates as the index stores them: ISO text in the metadata, a Unix timestamp
beside it for range filters (Chroma compares numbers, not dates)."""

from __future__ import annotations

from datetime import datetime


def published_ts(value: str) -> int:
    """Seconds since 1970 of an ISO date or date-time; 0 when it is not one."""
    try:
        return int(datetime.fromisoformat(value[:19]).timestamp())
    except ValueError:
        return 0
