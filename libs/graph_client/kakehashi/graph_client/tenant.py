"""Building a tenant's Graph access from its stored `GraphCredentials`.

Shared by every service that calls Graph for a tenant; each caller decides what a missing
credential means to it (`credential_of` answers None) and how long it keeps the result.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kakehashi.contracts.state import GraphCredentials
from kakehashi.graph_client.auth import CertificateCredential, MsalTokenProvider


def credential_of(creds: GraphCredentials) -> str | CertificateCredential | None:
    """The certificate when one is stored (with its thumbprint), else the secret, else None."""
    if creds.certificate_pem is not None and creds.certificate_thumbprint:
        return CertificateCredential(
            private_key=creds.certificate_pem.get_secret_value(),
            thumbprint=creds.certificate_thumbprint,
        )
    if creds.client_secret is not None:
        return creds.client_secret.get_secret_value()
    return None


def fingerprint(creds: GraphCredentials) -> str:
    """A digest of everything a client is built from (never a second plain copy of a secret)."""
    parts = [
        creds.tenant_id,
        creds.client_id,
        creds.client_secret.get_secret_value() if creds.client_secret else "",
        creds.certificate_pem.get_secret_value() if creds.certificate_pem else "",
        creds.certificate_thumbprint or "",
        creds.authority_host,
        creds.graph_base_url,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def token_provider(
    creds: GraphCredentials,
    credential: str | CertificateCredential,
    *,
    ca_file: str | None = None,
    **options: Any,
) -> MsalTokenProvider:
    """An msal token provider for the tenant (`options` go to `MsalTokenProvider`)."""
    return MsalTokenProvider(
        creds.tenant_id,
        creds.client_id,
        credential,
        authority_host=creds.authority_host,
        ca_file=ca_file,
        **options,
    )
