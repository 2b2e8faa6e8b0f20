"""Tunables of the ingress; the defaults are what production runs with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngressConfig:
    # Graph batches many items per POST; Garoon hints are a few hundred bytes.
    graph_max_body: int = 1024 * 1024
    garoon_max_body: int = 64 * 1024
    # Store look-ups plus the confirmed publish must finish in this many seconds. Graph wants
    # an answer well under 3 s; past the deadline we answer 503 and Graph retries.
    deadline: float = 2.0
    # A Graph validation token is ~120 characters; anything far longer is not Graph.
    max_validation_token: int = 512
