"""Server errors as the server reports them: a numeric code, its name and a message.

pymongo raises by code (11000 -> DuplicateKeyError, 26 is "namespace not found", ...), so the
codes are the server's own (src/mongo/base/error_codes.yml).
"""

from __future__ import annotations

from typing import Any

CODE_NAMES = {
    1: "InternalError",
    2: "BadValue",
    9: "FailedToParse",
    14: "TypeMismatch",
    18: "AuthenticationFailed",
    26: "NamespaceNotFound",
    27: "IndexNotFound",
    43: "CursorNotFound",
    48: "NamespaceExists",
    59: "CommandNotFound",
    66: "ImmutableField",
    72: "InvalidOptions",
    73: "InvalidNamespace",
    85: "IndexOptionsConflict",
    86: "IndexKeySpecsConflict",
    115: "CommandNotSupported",
    11000: "DuplicateKey",
    40414: "Location40414",
}


class CommandError(Exception):
    """A command failed: the reply is `{ok: 0, code, codeName, errmsg}`."""

    def __init__(self, code: int, errmsg: str, **extra: Any) -> None:
        super().__init__(errmsg)
        self.code = code
        self.errmsg = errmsg
        self.extra = extra

    def reply(self) -> dict[str, Any]:
        return {
            "ok": 0.0,
            "errmsg": self.errmsg,
            "code": self.code,
            "codeName": CODE_NAMES.get(self.code, "UnknownError"),
            **self.extra,
        }

    def write_error(self, index: int) -> dict[str, Any]:
        """The same failure as one entry of a write command's `writeErrors`."""
        return {"index": index, "code": self.code, "errmsg": self.errmsg, **self.extra}


def as_command_error(exc: Exception) -> CommandError:
    """What mongomock (or a handler) raised, as the server would have reported it."""
    # Imported here: pymongo's error classes are what mongomock raises as well.
    from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, DuplicateKeyError):
        return CommandError(11000, f"E11000 duplicate key error: {exc}")
    if isinstance(exc, OperationFailure):
        return CommandError(exc.code or 2, str(exc))
    if isinstance(exc, NotImplementedError):
        return CommandError(115, f"not supported by the MongoDB simulator (mongomock): {exc}")
    if isinstance(exc, PyMongoError | ValueError | TypeError | KeyError):
        return CommandError(2, f"{type(exc).__name__}: {exc}")
    return CommandError(1, f"simulator error {type(exc).__name__}: {exc}")
