"""Object ids in request paths, read as VoIPBIN reads them (the REST routes and the feed's)."""

from __future__ import annotations

from uuid import UUID

from voipbin_tui.api.models import NIL_UUID
from voipbin_tui.backend.errors import ApiProblem


def parse_object_id(value: str, *, what: str) -> UUID:
    """An id from the path; VoIPBIN answers 400 INVALID_ID for a non-UUID and for the nil UUID."""
    try:
        parsed = UUID(value)
    except ValueError:
        raise ApiProblem(400, "INVALID_ID", f"The provided {what} is not a valid UUID.") from None
    if parsed == NIL_UUID:
        raise ApiProblem(400, "INVALID_ID", f"The provided {what} is the nil UUID.")
    return parsed
