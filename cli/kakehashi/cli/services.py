"""Which services the CLI can run; imported lazily so one service never loads the others."""

from __future__ import annotations

import importlib

from kakehashi.runtime import Service

PACKAGES: dict[str, str] = {
    "ingress": "kakehashi.ingress",
    "garoon_connector": "kakehashi.garoon_connector",
    "graph_connector": "kakehashi.graph_connector",
    "translator": "kakehashi.translator",
    "renewal": "kakehashi.renewal",
    "admin": "kakehashi.admin",
}
# `kakehashi up` runs all of them; the five pipeline services plus the admin API.
UP = ("ingress", "garoon_connector", "graph_connector", "translator", "renewal", "admin")


def load(name: str) -> Service:
    """A fresh instance of the named service (the package exports SERVICE = its class)."""
    service_cls: type[Service] = importlib.import_module(PACKAGES[name]).SERVICE
    return service_cls()
