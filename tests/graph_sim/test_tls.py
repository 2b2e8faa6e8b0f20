"""The generated test CA: reused across restarts, leaf re-issued for new host names."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509

from kakehashi.graph_sim.tls import ensure_tls_files


def test_ca_is_reused_and_leaf_follows_host_names(tmp_path: Path) -> None:
    first = ensure_tls_files(tmp_path)
    ca_pem = first.ca_file.read_bytes()
    ca = x509.load_pem_x509_certificate(ca_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    leaf_pem = first.cert_file.read_bytes()
    assert ensure_tls_files(tmp_path).cert_file.read_bytes() == leaf_pem
    again = ensure_tls_files(tmp_path, ("graph-sim",))
    assert again.ca_file.read_bytes() == ca_pem
    leaf = x509.load_pem_x509_certificate(again.cert_file.read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", "graph-sim"}
    assert isinstance(again.client_context(), ssl.SSLContext)
