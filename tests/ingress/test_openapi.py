"""The committed OpenAPI document: valid OpenAPI 3.0, names every route, served as committed."""

from __future__ import annotations

import jsonschema
from schemathesis.specs.openapi.definitions import OPENAPI_30

from kakehashi.ingress import openapi


def test_document_is_valid_openapi_3_0():
    doc = openapi.document()
    assert doc["openapi"].startswith("3.0.")
    # The OpenAPI 3.0 meta-schema as bundled by schemathesis.
    jsonschema.Draft4Validator(OPENAPI_30).validate(doc)


def test_document_names_every_route_and_nothing_else(wiring):
    served = {(r.method.lower(), r.path) for r in wiring.service.routes(wiring.ctx)}
    documented = {
        (method, path) for path, ops in openapi.document()["paths"].items() for method in ops
    }
    assert served == documented


async def test_document_is_served(client):
    resp = await client.get("/openapi.json")
    assert resp.status == 200
    assert await resp.json() == openapi.document()
