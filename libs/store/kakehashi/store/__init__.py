"""MongoDB repositories (AsyncMongoClient) and an in-memory stand-in."""

from kakehashi.store.audit import AuditRepository
from kakehashi.store.backend import Collection, Database, IndexSpec
from kakehashi.store.crypto import KEY_ENV, KEY_FILE_ENV, generate_key, load_key
from kakehashi.store.cursors import CursorRepository
from kakehashi.store.errors import (
    DecryptionError,
    DuplicateKey,
    EncryptionKeyError,
    StoreError,
    StoreUnavailable,
)
from kakehashi.store.facade import Store, open_store
from kakehashi.store.held_deletes import HeldDeleteRepository
from kakehashi.store.mappings import MappingRepository
from kakehashi.store.processed import ProcessedMessages
from kakehashi.store.subscriptions import SubscriptionRepository
from kakehashi.store.tenants import TenantRepository
from kakehashi.store.user_links import UserLinkRepository

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "AuditRepository",
    "Collection",
    "CursorRepository",
    "Database",
    "DecryptionError",
    "DuplicateKey",
    "EncryptionKeyError",
    "HeldDeleteRepository",
    "IndexSpec",
    "MappingRepository",
    "ProcessedMessages",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "SubscriptionRepository",
    "TenantRepository",
    "UserLinkRepository",
    "generate_key",
    "load_key",
    "open_store",
]
