"""The tenant: the calling business (one OAuth client claim); every record belongs to exactly one tenant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
