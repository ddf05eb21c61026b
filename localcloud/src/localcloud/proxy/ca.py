"""The proxy mode's certificate authority and the leaf certificates it signs per host.

The CA is generated once into the state directory (``.localcloud/proxy-ca/``: ``ca.pem``, its key
``ca-key.pem`` with mode 0600, and ``bundle.pem``: certifi's roots plus this CA, for the variables
that *replace* a client's trust store) and reused by every later cloud, so a user trusts it once.
A lock file keeps two clouds starting together from writing two different CAs.

Leaf certificates are made in memory per host name on first use, signed by the CA, with the
extensions Python 3.13's strict verification (``VERIFY_X509_STRICT``) requires.
"""

from __future__ import annotations

import datetime
import fcntl
import os
import ssl
import tempfile
import threading
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from localcloud.proxy.ca_files import CaFiles

_CA_NAME = "localcloud proxy CA"
_CA_YEARS = 10
_LEAF_DAYS = 30  # short: a leaf is re-made by every proxy start anyway
_BACKDATE = datetime.timedelta(days=1)  # a client whose clock is a little behind still accepts


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _CA_NAME)])
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - _BACKDATE)
        .not_valid_after(_now() + datetime.timedelta(days=365 * _CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def _write_new_ca(files: CaFiles) -> None:
    cert, key = _new_ca()
    _write_private(
        files.key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_or_create_ca(state_dir: Path) -> LocalCa:
    """The CA of this state directory, generated on the first call and reused after."""
    files = CaFiles.in_dir(state_dir)
    files.cert.parent.mkdir(parents=True, exist_ok=True)
    with open(files.cert.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (files.cert.exists() and files.key.exists()):
            _write_new_ca(files)
        ca_pem = files.cert.read_bytes()
        # The bundle follows certifi: rewritten each start, so a certifi upgrade reaches it.
        files.bundle.write_bytes(Path(certifi.where()).read_bytes().rstrip() + b"\n" + ca_pem)
        key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{files.key} is not the EC key this CA was generated with")
    return LocalCa(files, x509.load_pem_x509_certificate(ca_pem), key)


class LocalCa:
    """Signs one leaf certificate per host name and keeps a TLS server context for each."""

    def __init__(
        self, files: CaFiles, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
    ) -> None:
        self.files = files
        self._cert = cert
        self._key = key
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def leaf_certificate(self, host: str) -> x509.Certificate:
        public = self._leaf_key.public_key()
        ca_public = self._key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self._cert.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - _BACKDATE)
            .not_valid_after(_now() + datetime.timedelta(days=_LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context presenting HOST's leaf (HTTP/1.1 only, offered by ALPN)."""
        host = host.lower()
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = self._contexts[host] = self._new_context(host)
            return context

    def _new_context(self, host: str) -> ssl.SSLContext:
        leaf = self.leaf_certificate(host)
        chain = leaf.public_bytes(serialization.Encoding.PEM) + self._cert.public_bytes(
            serialization.Encoding.PEM
        )
        key = self._leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])
        # load_cert_chain reads files only: a private temporary folder, removed at once.
        with tempfile.TemporaryDirectory() as folder:
            cert_path, key_path = Path(folder, "leaf.pem"), Path(folder, "leaf-key.pem")
            cert_path.write_bytes(chain)
            _write_private(key_path, key)
            context.load_cert_chain(cert_path, key_path)
        return context
