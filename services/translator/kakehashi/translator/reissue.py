"""Re-sending the writes a mapping records as in flight, under their first message ids.

The engine does this for a redelivered observation of the mapping itself (decide.py
`_reissue_lost`, through `decision.resend_pending`). The service also needs it where the
engine is not given the mapping that holds the write:
- a redelivered result: a result whose mapping write succeeded but whose follow-up publish
  failed comes back "stale" (its command is no longer pending), and the follow-ups it decided
  are only recorded in the mapping;
- a redelivered observation of a series Garoon holds as single events: the writes in flight
  live in the occurrence mappings.
Consumers drop a message id they already processed, so a re-send is harmless when the first
copy did arrive. Teams meeting writes are re-sent too, with the invitees the record keeps.
"""

from __future__ import annotations

from kakehashi.contracts.envelope import Message
from kakehashi.contracts.messages import SyncCommand
from kakehashi.contracts.state import Mapping
from kakehashi.engine.decision import DecisionContext, resend_pending


def pending_commands(mapping: Mapping, trigger: Message, ctx: DecisionContext) -> list[SyncCommand]:
    return resend_pending(mapping, trigger, ctx)
