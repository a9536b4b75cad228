"""The nil UUID, VoIPBIN's "none" for an id (an account without a flow): standard library only,
so the list's light modules can compare with it before the models are imported."""

from __future__ import annotations

from uuid import UUID

NIL_UUID = UUID(int=0)
