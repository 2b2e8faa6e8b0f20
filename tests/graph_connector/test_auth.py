"""A refused secret: logged with its AADSTS code, retried slowly, never a hot loop."""

from __future__ import annotations

import logging

import pytest

from kakehashi.bus import Retry
from kakehashi.graph_connector.failures import AUTH_RETRY_DELAY
from kakehashi.graph_connector.metrics import AUTH_FAILURES
from tests.graph_connector.support import graph_body, harness, next_monday


async def test_a_wrong_secret_is_a_slow_retry_with_the_aadsts_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with harness() as h:
        made = h.sim.person_create("sato@contoso.example", graph_body("x", next_monday()))
        tenant = await h.store.tenants.get("t1")
        assert tenant is not None
        assert tenant.graph is not None
        h.sim.apps[(h.sim_tenant, tenant.graph.client_id)].secret = "rotated-elsewhere"
        before = AUTH_FAILURES.labels("7000215")._value.get()
        with caplog.at_level(logging.ERROR), pytest.raises(Retry) as raised:
            await h.connector.handlers()["graph_connector.hints"](h.hint(made["id"]))
        assert raised.value.delay == AUTH_RETRY_DELAY
        assert "AADSTS7000215" in caplog.text
        assert AUTH_FAILURES.labels("7000215")._value.get() == before + 1
