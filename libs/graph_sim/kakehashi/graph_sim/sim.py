"""GraphSimulator: the state plus the control operations tests and the control API use."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any

from .calendar import CalendarStore, Change
from .errors import GraphError
from .identity import TokenService
from .model import App, Event, Fault, Room, Subscription, Switches, Tenant, User
from .notifications import Notifier
from .render import render_event
from .throttling import Throttle
from .timeutil import now


def _when(raw: Any) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


DEFAULT_ROLES = ["Calendars.ReadWrite", "User.Read.All", "Place.Read.All"]


class GraphSimulator:
    """In-memory Microsoft 365 tenant(s): directory, mailboxes, subscriptions, faults, logs."""

    def __init__(self) -> None:
        self.switches = Switches()
        self.tokens = TokenService()
        self.throttle = Throttle(self.switches)
        self.notifier = Notifier(self.switches)
        self._init_state()

    def _init_state(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.apps: dict[tuple[str, str], App] = {}
        self.users: dict[str, User] = {}
        self.rooms: dict[str, Room] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.outbox: list[dict[str, Any]] = []
        self.request_log: list[dict[str, Any]] = []
        self.faults: dict[str, Fault] = {}
        self.delta_states: dict[str, dict[str, Any]] = {}
        self.calendar = CalendarStore(
            self.find_user, self.user, self._on_change, self._send_mail, self.is_room
        )
        self._apply_switches()

    def _apply_switches(self) -> None:
        self.calendar.cancelled_copies = self.switches.cancelled_copies
        self.calendar.transaction_duplicate = self.switches.transaction_id_duplicate

    # ------------------------------------------------------------------ control: reset & switches
    def reset(self) -> None:
        """Forget everything (directory, mail, logs); switches go back to their defaults."""
        self.switches.__init__()  # type: ignore[misc]
        self.throttle.reset()
        self.notifier.reset()
        self.tokens.not_before.clear()
        self._init_state()

    def set_switches(self, **values: Any) -> dict[str, Any]:
        self.switches.update(values)
        self._apply_switches()
        return self.switches.to_dict()

    def add_fault(
        self,
        pattern: str,
        *,
        status: int | None = None,
        method: str | None = None,
        latency_ms: int = 0,
        count: int | None = None,
        retry_after: str | None = None,
    ) -> Fault:
        fault = Fault(
            uuid.uuid4().hex[:8],
            pattern,
            method.upper() if method else None,
            status,
            latency_ms,
            count,
            retry_after,
        )
        self.faults[fault.id] = fault
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ control: directory
    def add_tenant(
        self,
        domain: str = "contoso.example",
        *,
        tenant_id: str | None = None,
        display_name: str = "",
    ) -> Tenant:
        tenant = Tenant(tenant_id or str(uuid.uuid4()), domain, display_name or domain)
        self.tenants[tenant.id] = tenant
        return tenant

    def find_tenant(self, ident: str) -> Tenant | None:
        low = ident.lower()
        for tenant in self.tenants.values():
            if low in (tenant.id.lower(), tenant.domain.lower()):
                return tenant
        return None

    def add_app(
        self,
        tenant_id: str,
        *,
        client_id: str | None = None,
        secret: str | None = "sim-secret",  # noqa: S107 - simulator default, documented
        secret_expires: dt.datetime | None = None,
        roles: list[str] | None = None,
        consented: bool = True,
        certificates: list[str] | None = None,
        display_name: str = "Kakehashi",
    ) -> App:
        self._tenant(tenant_id)
        app = App(
            tenant_id,
            client_id or str(uuid.uuid4()),
            display_name,
            secret,
            secret_expires,
            list(DEFAULT_ROLES if roles is None else roles),
            consented,
            list(certificates or []),
        )
        self.apps[(tenant_id, app.client_id)] = app
        return app

    def add_user(
        self,
        tenant_id: str,
        user_principal_name: str,
        *,
        display_name: str | None = None,
        mail: str | None = None,
        user_id: str | None = None,
        time_zone: str = "UTC",
        teams_enabled: bool = True,
    ) -> User:
        self._tenant(tenant_id)
        user = User(
            tenant_id,
            user_id or str(uuid.uuid4()),
            user_principal_name,
            mail or user_principal_name,
            display_name or user_principal_name.split("@")[0],
            time_zone,
            teams_enabled,
        )
        self.users[user.id] = user
        return user

    def add_room(
        self,
        tenant_id: str,
        email: str,
        display_name: str,
        *,
        capacity: int = 10,
        building: str | None = None,
        floor_number: int | None = None,
    ) -> Room:
        self._tenant(tenant_id)
        room = Room(
            tenant_id, str(uuid.uuid4()), email, display_name, capacity, building, floor_number
        )
        self.rooms[room.id] = room
        return room

    def load_seed(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Seed from one document: {"tenants": [{"id"?, "domain", "apps": [...], "users": [...],
        "rooms": [...]}]} with the control API's field names. Returns what was created."""
        out: list[dict[str, Any]] = []
        for t in doc.get("tenants", []):
            tenant = self.add_tenant(t.get("domain", "contoso.example"), tenant_id=t.get("id"))
            apps = [
                self.add_app(
                    tenant.id,
                    client_id=a.get("clientId"),
                    secret=a.get("secret", "sim-secret"),
                    secret_expires=_when(a.get("secretExpires")),
                    roles=a.get("roles"),
                    consented=bool(a.get("consented", True)),
                    certificates=a.get("certificates"),
                ).client_id
                for a in t.get("apps", [])
            ]
            users = [
                self.add_user(
                    tenant.id,
                    u["userPrincipalName"],
                    display_name=u.get("displayName"),
                    mail=u.get("mail"),
                    user_id=u.get("id"),
                    time_zone=u.get("timeZone", "UTC"),
                    teams_enabled=bool(u.get("teamsEnabled", True)),
                ).id
                for u in t.get("users", [])
            ]
            for r in t.get("rooms", []):
                self.add_room(
                    tenant.id,
                    r["emailAddress"],
                    r.get("displayName", r["emailAddress"]),
                    capacity=int(r.get("capacity", 10)),
                )
            out.append({"id": tenant.id, "apps": apps, "users": users})
        return {"tenants": out}

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.find_tenant(tenant_id)
        if tenant is None:
            raise KeyError(f"unknown tenant {tenant_id}")
        return tenant

    def find_user(self, tenant_id: str, ident: str) -> User | None:
        low = ident.lower()
        for user in self.users.values():
            if user.tenant_id == tenant_id and low in (
                user.id.lower(),
                user.user_principal_name.lower(),
                user.mail.lower(),
            ):
                return user
        return None

    def user(self, user_id: str) -> User:
        return self.users[user_id]

    def _user_any_tenant(self, ident: str) -> User:
        low = ident.lower()
        for user in self.users.values():
            if low in (user.id.lower(), user.user_principal_name.lower(), user.mail.lower()):
                return user
        raise KeyError(f"unknown user {ident}")

    def is_room(self, tenant_id: str, address: str) -> bool:
        return any(
            r.tenant_id == tenant_id and r.email.lower() == address.lower()
            for r in self.rooms.values()
        )

    # ------------------------------------------------------------------ "as a person in Outlook"
    def person_create(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        owner = self._user_any_tenant(user)
        ev, _ = self.calendar.create(owner, body, actor="person")
        return render_event(ev, None)

    def person_update(self, user: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        owner = self._user_any_tenant(user)
        ev, _ = self.calendar.update(owner, event_id, body, actor="person")
        return render_event(ev, None)

    def person_delete(self, user: str, event_id: str) -> None:
        self.calendar.delete(self._user_any_tenant(user), event_id, actor="person")

    def person_respond(
        self,
        user: str,
        event_id: str,
        action: str = "accept",
        *,
        comment: str | None = None,
        send_response: bool = True,
    ) -> None:
        if action not in {"accept", "decline", "tentativelyAccept"}:
            raise ValueError(action)
        body: dict[str, Any] = {"sendResponse": send_response}
        if comment:
            body["comment"] = comment
        self.calendar.respond(self._user_any_tenant(user), event_id, action, body, actor="person")

    def mailbox_events(self, user: str) -> list[dict[str, Any]]:
        """Raw view of a mailbox (masters and singles with their exceptions and extended props)."""
        owner = self._user_any_tenant(user)
        out = []
        for ev in self.calendar.box(owner.id).values():
            item = render_event(ev, None)
            item["singleValueExtendedProperties"] = [
                {"id": ev.ext_ids[k], "value": v} for k, v in ev.ext.items()
            ]
            item["_sim"] = {
                "exceptions": sorted(ev.exceptions),
                "cancelledOccurrences": sorted(ev.cancelled),
                "copies": dict(ev.copies),
                "organizerRef": list(ev.organizer_ref) if ev.organizer_ref else None,
            }
            out.append(item)
        return out

    def mailbox_subjects(self, user: str) -> dict[str, str]:
        """Subject -> event id of a mailbox's live events, without rendering them: for
        watchers that poll often (the bench) and need no more."""
        owner = self._user_any_tenant(user)
        return {
            str(ev.props.get("subject", "")): ev.id
            for ev in self.calendar.box(owner.id).values()
            if not ev.props.get("isCancelled", False)
        }

    def raw_event(self, user: str, event_id: str) -> Event:
        return self.calendar.get(self._user_any_tenant(user).id, event_id)

    # ------------------------------------------------------------------ tokens & lifecycle
    def expire_tokens(self, tenant_id: str | None = None) -> None:
        """Make every token issued so far invalid (401 expired) — simulates expiry mid-run."""
        for tid in [tenant_id] if tenant_id else list(self.tenants):
            self.tokens.expire_all(self._tenant(tid).id)

    def fire_lifecycle(self, subscription_id: str, event: str) -> bool:
        if event not in {"reauthorizationRequired", "subscriptionRemoved", "missed"}:
            raise ValueError(event)
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise KeyError(subscription_id)
        sent = self.notifier.lifecycle(sub, sub.tenant_id, event)
        if event == "subscriptionRemoved":
            del self.subscriptions[subscription_id]
        return sent

    def live_subscriptions(self) -> list[Subscription]:
        current = now()
        for sub_id in [s.id for s in self.subscriptions.values() if s.expiration <= current]:
            del self.subscriptions[sub_id]  # missed the renewal deadline: Graph deletes it
        return list(self.subscriptions.values())

    # ------------------------------------------------------------------ hooks from the calendar
    def _on_change(self, change: Change) -> None:
        owner = self.users.get(change.mailbox)
        if owner is None:
            return
        for sub in self.live_subscriptions():
            if sub.mailbox == change.mailbox and change.change_type in sub.change_types:
                self.notifier.change(
                    sub,
                    owner.tenant_id,
                    change.change_type,
                    owner.id,
                    change.event_id,
                    change.change_key,
                )

    def _send_mail(self, mail: dict[str, Any]) -> None:
        mail["id"] = str(uuid.uuid4())
        self.outbox.append(mail)

    # ------------------------------------------------------------------ inspection
    def stats(self) -> dict[str, Any]:
        per_endpoint = Counter(f"{r['method']} {r['endpoint']}" for r in self.request_log)
        return {
            "requests": len(self.request_log),
            "perEndpoint": dict(per_endpoint),
            "maxConcurrencyPerMailbox": dict(self.throttle.stats.max_concurrency),
            "throttled429": self.throttle.stats.throttled,
            "status": dict(Counter(str(r["status"]) for r in self.request_log)),
        }

    def check(self, condition: bool, status: int, code: str, message: str) -> None:
        if not condition:
            raise GraphError(status, code, message)
