"""Messages a test sends into a service, as the other services would."""

from __future__ import annotations

from typing import Any

from kakehashi.contracts.envelope import new_id
from kakehashi.contracts.messages import CommandOp, Side, SyncCommand


def sync_command(
    tenant_id: str,
    side: Side,
    op: CommandOp,
    user_link_id: str,
    *,
    mapping_id: str | None = None,
    **extra: Any,
) -> SyncCommand:
    """A command as the translator sends it; the idempotency key defaults to the mapping id."""
    mapping_id = mapping_id or new_id()
    return SyncCommand(
        tenant_id=tenant_id,
        side=side,
        op=op,
        user_link_id=user_link_id,
        mapping_id=mapping_id,
        idempotency_key=extra.pop("idempotency_key", mapping_id),
        **extra,
    )
