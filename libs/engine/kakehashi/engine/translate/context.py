"""Per-tenant lookup tables the translators need (no I/O: the caller loads them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TranslationContext:
    facility_rooms: dict[str, str] = field(default_factory=dict)  # facility code -> room mail
    menu_categories: dict[str, str] = field(default_factory=dict)  # menu -> Outlook category
    users: dict[str, str] = field(default_factory=dict)  # Garoon login -> M365 address
    default_zone: str = "Asia/Tokyo"
    _logins: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _facilities: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _menus: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", {k: v.lower() for k, v in self.users.items()})
        rooms = {k: v.lower() for k, v in self.facility_rooms.items()}
        object.__setattr__(self, "facility_rooms", rooms)
        object.__setattr__(self, "_logins", {v: k for k, v in self.users.items()})
        object.__setattr__(self, "_facilities", {v: k for k, v in rooms.items()})
        object.__setattr__(self, "_menus", {v: k for k, v in self.menu_categories.items()})

    def email_for(self, login: str | None) -> str | None:
        return self.users.get(login) if login else None

    def login_for(self, email: str | None) -> str | None:
        return self._logins.get(email.lower()) if email else None

    def room_for(self, code: str | None) -> str | None:
        return self.facility_rooms.get(code) if code else None

    def facility_for(self, email: str | None) -> str | None:
        return self._facilities.get(email.lower()) if email else None

    def category_for(self, menu: str) -> str:
        """Names match unless the tenant maps them (ガル助's rule, plus a table)."""
        return self.menu_categories.get(menu, menu)

    def menu_for(self, category: str) -> str:
        return self._menus.get(category, category)
