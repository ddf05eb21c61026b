"""The proxy mode's CA: generated once with a private key only its owner reads, reused after, and
leaf certificates that Python's strict verification accepts for their host and no other."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest

from localcloud.proxy.ca import load_or_create_ca


def test_the_ca_is_generated_once_and_its_key_is_private(tmp_path: Path) -> None:
    first = load_or_create_ca(tmp_path)
    cert, key = first.files.cert.read_bytes(), first.files.key.read_bytes()

    again = load_or_create_ca(tmp_path)

    assert again.files.cert.read_bytes() == cert
    assert again.files.key.read_bytes() == key
    assert stat.S_IMODE(first.files.key.stat().st_mode) == 0o600
    bundle = first.files.bundle.read_bytes()
    assert bundle.endswith(cert)
    assert bundle.count(b"BEGIN CERTIFICATE") > 10  # the public roots too


def test_a_key_file_made_readable_is_made_private_again_on_regeneration(tmp_path: Path) -> None:
    files = load_or_create_ca(tmp_path).files
    files.cert.unlink()
    files.key.chmod(0o644)

    regenerated = load_or_create_ca(tmp_path).files

    assert stat.S_IMODE(regenerated.key.stat().st_mode) == 0o600


def _handshake(tmp_path: Path, leaf_host: str, client_host: str) -> None:
    ca = load_or_create_ca(tmp_path)
    server_context = ca.server_context(leaf_host)
    client_context = ssl.create_default_context(cafile=str(ca.files.cert))
    client_context.verify_flags |= ssl.VERIFY_X509_STRICT  # Python 3.13's default
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            client_context.wrap_socket(raw, server_hostname=client_host) as tls,
        ):
            assert tls.selected_alpn_protocol() in (None, "http/1.1")
            tls.sendall(b"x")
    finally:
        thread.join(10)
        listener.close()


def test_a_leaf_verifies_strictly_for_its_host(tmp_path: Path) -> None:
    _handshake(tmp_path, "sqs.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com")


def test_a_leaf_does_not_verify_for_another_host(tmp_path: Path) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        _handshake(tmp_path, "sqs.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com")
