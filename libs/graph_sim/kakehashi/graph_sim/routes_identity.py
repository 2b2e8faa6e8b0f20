"""Microsoft identity platform v2.0: OpenID metadata, keys and the client-credentials grant."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import uuid
from typing import Any

from aiohttp import web

from .app import sim_of
from .identity import ASSERTION_TYPE, AssertionError_, verify_client_assertion
from .model import App, Tenant


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _aad_error(status: int, error: str, code: int, message: str, **extra: Any) -> web.Response:
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    desc = f"AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {corr} Timestamp: {now}"
    body = {
        "error": error,
        "error_description": desc,
        "error_codes": [code],
        "timestamp": now,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        **extra,
    }
    return web.json_response(body, status=status)


def _unknown_tenant(ident: str) -> web.Response:
    return _aad_error(
        400,
        "invalid_request",
        90002,
        f"Tenant '{ident}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


async def openid_configuration(request: web.Request) -> web.Response:
    sim = sim_of(request)
    ident = request.match_info["tenant"]
    tenant = sim.find_tenant(ident)
    if tenant is None:
        return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{ident}' not found.")
    base = _base(request)
    return web.json_response(
        {
            "token_endpoint": f"{base}/{ident}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/{tenant.id}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tenant.id}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/{ident}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{ident}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{ident}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "roles"],
            "kerberos_endpoint": f"{base}/{ident}/kerberos",
            "tenant_region_scope": "AS",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )


async def jwks(request: web.Request) -> web.Response:
    return web.json_response(sim_of(request).tokens.jwks())


async def token(request: web.Request) -> web.Response:
    sim = sim_of(request)
    ident = request.match_info["tenant"]
    tenant = sim.find_tenant(ident)
    if tenant is None:
        return _unknown_tenant(ident)
    form = await request.post()
    grant = str(form.get("grant_type", ""))
    if grant != "client_credentials":
        return _aad_error(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant}'.",
        )
    client_id = str(form.get("client_id", ""))
    secret = form.get("client_secret")
    basic = request.headers.get("Authorization", "")
    if basic.lower().startswith("basic "):
        decoded = base64.b64decode(basic[6:]).decode()
        client_id, _, basic_secret = decoded.partition(":")
        secret = basic_secret
    scope = str(form.get("scope", ""))
    app = sim.apps.get((tenant.id, client_id))
    if app is None:
        return _aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.domain}'. "
            "This can happen if the application has not been installed by the administrator of "
            "the tenant "
            "or consented to by any user in the tenant. You may have sent your authentication "
            "request to the wrong tenant.",
        )
    failure = _authenticate(
        app, secret, form.get("client_assertion_type"), form.get("client_assertion")
    )
    if failure is not None:
        return failure
    scopes = scope.split()
    if not scopes or not all(s.endswith("/.default") for s in scopes):
        return _aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier (application "
            "ID URI).",
        )
    if not any(
        s.rstrip("/").startswith("https://graph.microsoft.com")
        or s.startswith("00000003-0000-0000-c000-000000000000")
        for s in scopes
    ):
        return _aad_error(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {scopes[0]} was not found in the tenant named "
            f"{tenant.domain}.",
        )
    return _issue(sim_of(request), tenant, app)


def _authenticate(
    app: App, secret: Any, assertion_type: Any, assertion: Any
) -> web.Response | None:
    if assertion is not None:
        if assertion_type != ASSERTION_TYPE:
            return _aad_error(
                400,
                "invalid_request",
                90014,
                "The required field 'client_assertion_type' is missing from the credential.",
            )
        try:
            verify_client_assertion(str(assertion), app.client_id, app.certificates)
        except AssertionError_ as exc:
            return _aad_error(401, "invalid_client", exc.code, exc.message)
        return None
    if secret is None:
        return _aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    if app.secret is None or not hmac.compare_digest(str(secret).encode(), app.secret.encode()):
        return _aad_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app "
            f"'{app.client_id}'.",
        )
    if app.secret_expires is not None and app.secret_expires <= dt.datetime.now(dt.UTC):
        return _aad_error(
            401,
            "invalid_client",
            7000222,
            f"The provided client secret keys for app '{app.client_id}' are expired. Visit the "
            "Azure portal to create new keys for your app.",
        )
    return None


def _issue(sim: Any, tenant: Tenant, app: App) -> web.Response:
    if not app.consented and sim.switches.missing_consent == "error":
        return _aad_error(
            400,
            "invalid_grant",
            65001,
            "The user or administrator has not consented to use the application with ID "
            f"'{app.client_id}' named '{app.display_name}'. Send an interactive authorization "
            "request for this user and resource.",
            suberror="consent_required",
        )
    roles = list(app.roles) if app.consented else []
    lifetime = int(sim.switches.token_lifetime_seconds)
    access = sim.tokens.issue(tenant.id, app.client_id, app.service_principal_id, roles, lifetime)
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
        }
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", jwks)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
