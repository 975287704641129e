"""The tenant: the calling business (one OAuth client claim); every record belongs to exactly one tenant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tenant:
    """The business a request acts for, from the token's tenant claim."""

    id: str
