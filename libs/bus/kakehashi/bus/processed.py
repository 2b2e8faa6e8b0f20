"""An in-process ProcessedLog, for tests and the embedded sandbox."""

from __future__ import annotations


class MemoryProcessedLog:
    """Remembers processed (consumer, message id) pairs for the life of the process."""

    def __init__(self) -> None:
        self._done: set[tuple[str, str]] = set()

    async def already_processed(self, consumer: str, message_id: str) -> bool:
        return (consumer, message_id) in self._done

    async def mark_processed(self, consumer: str, message_id: str) -> None:
        self._done.add((consumer, message_id))

    def __len__(self) -> int:
        return len(self._done)
