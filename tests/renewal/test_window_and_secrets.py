"""The daily window roll, client-secret expiry, a shorter Graph lifetime, transient failures."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from kakehashi.bus.api import Retry
from kakehashi.contracts import GraphLifecycle, Side, routing
from kakehashi.renewal import RenewalService
from kakehashi.renewal.resync import ROLLED
from tests.renewal.conftest import SECRET, TENANT, Env, tenant_record


async def test_window_rolls_once_a_day_for_both_sides(env: Env):
    sato = await env.add_user("sato")
    await env.add_user("off", enabled=False)

    await env.service.tick()
    await env.service.tick()

    def rolls(queue: str) -> list[str]:
        return [r.message_id for r in env.resyncs(queue) if r.reason == "window roll"]

    assert len(rolls(routing.GAROON_CONNECTOR_REQUESTS)) == 1
    assert len(rolls(routing.GRAPH_CONNECTOR_REQUESTS)) == 1
    [garoon] = env.resyncs(routing.GAROON_CONNECTOR_REQUESTS)
    assert (garoon.side, garoon.user_link_id) == (Side.GAROON, sato.id)
    day = env.clock().date().isoformat()
    assert await env.store.poll_cursors.get(sato.id, ROLLED) == day

    env.clock.advance(timedelta(days=1))
    await env.service.tick()
    assert len(rolls(routing.GAROON_CONNECTOR_REQUESTS)) == 2
    assert len(set(rolls(routing.GRAPH_CONNECTOR_REQUESTS))) == 2


def expiry_gauge() -> float | None:
    return REGISTRY.get_sample_value("kakehashi_secret_expiry_seconds", {"tenant": TENANT})


async def test_secret_expiry_gauge_and_warning(env: Env, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="kakehashi.renewal")
    far = env.clock() + timedelta(days=90)
    await env.store.tenants.put(
        tenant_record(env.ms_tenant, env.client_id, env.server.base_url, secret_expires=far)
    )
    await env.service.tick()
    assert expiry_gauge() == pytest.approx(90 * 86400, abs=5)
    assert "expires soon" not in caplog.text

    soon = env.clock() + timedelta(days=10)
    await env.store.tenants.put(
        tenant_record(env.ms_tenant, env.client_id, env.server.base_url, secret_expires=soon)
    )
    await env.service.tick()
    await env.service.tick()  # one warning per tenant and day, not per tick
    assert expiry_gauge() == pytest.approx(10 * 86400, abs=5)
    warnings = [r for r in caplog.records if "expires soon" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert getattr(warnings[0], "tenant_id", None) == TENANT
    assert SECRET not in caplog.text

    env.clock.advance(timedelta(days=11))
    await env.service.tick()
    assert expiry_gauge() is not None
    assert expiry_gauge() < 0  # type: ignore[operator]
    assert any("has expired" in r.getMessage() for r in caplog.records)


async def test_a_shorter_graph_lifetime_is_learned(env: Env):
    env.sim.set_switches(subscription_max_minutes=600)  # this tenant allows 10 hours only
    await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    left = sub.expiration - env.clock()
    assert timedelta(hours=9) < left <= timedelta(hours=10)
    # Renewal uses the learned lifetime: half of ~10 h, not half of 2.9 days.
    env.clock.advance(timedelta(hours=6))
    await env.service.tick()
    assert env.requests("PATCH", "/v1.0/subscriptions") == 1


async def test_transient_graph_failure_asks_for_a_retry(env: Env):
    await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    env.sim.add_fault("/reauthorize", status=503)
    # One attempt, no back-off: the client gives up at once and the handler asks the bus.
    impatient = env.graph_client(max_attempts=1)
    service = RenewalService(env.service.config, client_factory=lambda tenant: impatient)
    handler = service.lifecycle_handler(env.ctx)
    message = GraphLifecycle(
        tenant_id=TENANT, subscription_id=sub.id, lifecycle_event="reauthorizationRequired"
    )
    with pytest.raises(Retry):
        await handler(message)


async def test_no_public_url_means_no_subscription_and_a_warning(
    env: Env, caplog: pytest.LogCaptureFixture
):
    await env.add_user("sato")
    settings = env.ctx.settings.model_copy(update={"public_base_url": None})
    ctx = type(env.ctx)(**{**env.ctx.__dict__, "settings": settings})
    service = RenewalService(env.service.config)
    service.bind(ctx)
    await service.tick()
    assert env.live() == []
    assert "KAKEHASHI_PUBLIC_BASE_URL" in caplog.text
