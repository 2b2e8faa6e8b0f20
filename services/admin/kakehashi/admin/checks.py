"""Result of one diagnosis step, worded for an administrator in English and Japanese."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

# Entra applies permission and consent changes lazily; admins retry too early and give up.
PROPAGATION_EN = " Changes in Microsoft Entra can take up to an hour to apply."
PROPAGATION_JA = "（Microsoft Entra での変更が反映されるまで最大 1 時間かかることがあります。）"


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Check:
    id: str
    level: Level
    message_en: str
    message_ja: str

    @property
    def ok(self) -> bool:
        """Warnings do not fail verification; they tell the admin about a limitation."""
        return self.level != Level.ERROR

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value
        data["ok"] = self.ok
        return data


def ok(check_id: str, en: str, ja: str) -> Check:
    return Check(check_id, Level.OK, en, ja)


def warn(check_id: str, en: str, ja: str) -> Check:
    return Check(check_id, Level.WARNING, en, ja)


def fail(check_id: str, en: str, ja: str) -> Check:
    return Check(check_id, Level.ERROR, en, ja)


def with_propagation(check: Check) -> Check:
    return Check(
        check.id, check.level, check.message_en + PROPAGATION_EN, check.message_ja + PROPAGATION_JA
    )


def reason(en: str, ja: str) -> str:
    """A user-link failure reason: both languages in one stored string."""
    return f"{en} / {ja}"
