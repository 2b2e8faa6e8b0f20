"""Token signing and checking for the simulated Microsoft identity platform."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import GraphError

GRAPH_AUDIENCE = "https://graph.microsoft.com"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_thumbprints(pem: str) -> set[str]:
    """x5t (SHA-1) and x5t#S256 of a certificate, base64url, plus the SHA-1 hex form."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    sha1 = hashlib.sha1(der, usedforsecurity=False).digest()
    return {_b64url(sha1), _b64url(hashlib.sha256(der).digest()), sha1.hex().upper()}


@dataclass
class TokenClaims:
    tenant_id: str
    app_id: str
    roles: list[str]
    issued_at: float
    expires_at: float


class TokenService:
    """Signs access tokens with one RSA key (RS256) and validates bearer tokens on Graph calls."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = _b64url(hashlib.sha256(str(uuid.uuid4()).encode()).digest()[:15])
        # Tokens issued before this instant (per tenant) are rejected: "expire tokens early".
        self.not_before: dict[str, float] = {}

    def jwks(self) -> dict[str, Any]:
        pub = self._key.public_key().public_numbers()
        n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
        e = pub.e.to_bytes((pub.e.bit_length() + 7) // 8, "big")
        return {
            "keys": [
                {"kty": "RSA", "use": "sig", "kid": self.kid, "n": _b64url(n), "e": _b64url(e)}
            ]
        }

    def issue(
        self, tenant_id: str, app_id: str, sp_id: str, roles: list[str], lifetime: int
    ) -> str:
        now = time.time()
        claims: dict[str, Any] = {
            "aud": GRAPH_AUDIENCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + lifetime,
            "sim_iat": now,  # sub-second issue time so early expiry is exact
            "aio": "sim",
            "app_displayname": "Kakehashi",
            "appid": app_id,
            "appidacr": "1",
            "idp": f"https://sts.windows.net/{tenant_id}/",
            "idtyp": "app",
            "oid": sp_id,
            "sub": sp_id,
            "tid": tenant_id,
            "uti": uuid.uuid4().hex[:22],
            "ver": "1.0",
        }
        if roles:
            claims["roles"] = sorted(roles)
        return jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid}
        )

    def validate(self, header: str | None) -> TokenClaims:
        """Bearer token -> claims, or 401 InvalidAuthenticationToken like Graph."""
        if not header or not header.lower().startswith("bearer "):
            raise _invalid("Access token is empty.")
        token = header[7:].strip()
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=[GRAPH_AUDIENCE, f"{GRAPH_AUDIENCE}/"],
                options={"require": ["exp", "tid", "appid"]},
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("Lifetime validation failed, the token is expired.") from None
        except jwt.InvalidAudienceError:
            raise _invalid("Invalid audience.") from None
        except jwt.PyJWTError:
            raise _invalid("IDX14100: JWT is not well formed, there are no dots (.).") from None
        tenant = str(claims["tid"])
        if float(claims.get("sim_iat", claims["iat"])) < self.not_before.get(tenant, 0.0):
            raise _invalid("Lifetime validation failed, the token is expired.")
        return TokenClaims(
            tenant,
            str(claims["appid"]),
            list(claims.get("roles", [])),
            float(claims["iat"]),
            float(claims["exp"]),
        )

    def expire_all(self, tenant_id: str) -> None:
        self.not_before[tenant_id] = time.time()


def _invalid(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers={
            "WWW-Authenticate": (
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
            )
        },
    )


class AssertionError_(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify_client_assertion(assertion: str, client_id: str, certificates: list[str]) -> None:
    """Check a client_assertion JWT against the app's registered certificates (x5t / x5t#S256)."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise AssertionError_(50027, "JWT token is invalid or malformed.") from None
    # msal base64url-encodes thumbprints with "=" padding; Entra accepts either form.
    thumb = str(header.get("x5t#S256") or header.get("x5t") or "").rstrip("=")
    match = None
    for pem in certificates:
        if thumb in cert_thumbprints(pem):
            match = pem
            break
    if match is None:
        raise AssertionError_(
            700027,
            "The certificate with identifier used to sign the client assertion is not registered "
            "on application. [Reason - The key was not found., Thumbprint of key used by client: "
            f"'{thumb}']",
        )
    public = x509.load_pem_x509_certificate(match.encode()).public_key()
    try:
        claims = jwt.decode(
            assertion,
            public,  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            options={"verify_aud": False, "require": ["exp", "iss", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise AssertionError_(
            700024, "Client assertion is not within its valid time range."
        ) from None
    except jwt.PyJWTError:
        raise AssertionError_(700027, "Client assertion failed signature validation.") from None
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AssertionError_(
            700021, "Client assertion application identifier doesn't match 'client_id' parameter."
        )
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and "/oauth2/v2.0/token" in a for a in auds):
        raise AssertionError_(
            700212, "No matching federated identity record found for presented assertion audience."
        )


__all__ = ["TokenService", "cert_thumbprints", "hashes"]
