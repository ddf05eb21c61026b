"""The Schemas registries (``localcloud.schemas``) kept among moto's backends.

moto has no Schemas service; the local cloud's registries live in a ``BackendDict`` of their own
(account -> region -> backend, as every moto service's do), so ``backend_state.snapshot`` pickles
them with the rest of moto's state and ``up --persist`` keeps saved test events across restarts,
with nothing added to the persistence code. Their requests run under ``serial``'s ``schemas``
lock like any moto service's, so a snapshot sees them whole.
"""

from __future__ import annotations

from moto.core.base_backend import BackendDict, BaseBackend

from localcloud.schemas.registry import SchemaRegistries


class SchemasBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.registries = SchemaRegistries(account_id, region_name)


schemas_backends = BackendDict(SchemasBackend, "schemas")


def registries_of(account_id: str, region: str) -> SchemaRegistries:
    """The registries of an account in a region; KeyError for a region Schemas does not have."""
    return schemas_backends[account_id][region].registries
