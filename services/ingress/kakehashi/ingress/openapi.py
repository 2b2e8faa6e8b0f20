"""The committed OpenAPI document of the ingress, served at GET /openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from kakehashi.runtime.openapi import document_handler, packaged_document


@cache
def document() -> dict[str, Any]:
    return packaged_document("kakehashi.ingress")


serve = document_handler(document)
