"""The fake's own certificate authority: made once and kept (``ca.pem`` and its key ``ca-key.pem``, mode 0600),
it signs a certificate for each vendor host a client reaches through the proxy (proxy.py) and for the fake
itself under ``--tls``. Validity follows the machine's real clock, never the fake one: a TLS client checks
certificates against its own wall time, and the fake clock may stand years away from it.

Clients trust it per process (``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``); it is not meant for a system trust
store: whoever holds the key could sign for any name."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: cryptography costs ~8 MiB and ~25 ms, paid once a CA is needed
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

CA_FILE = "ca.pem"
KEY_FILE = "ca-key.pem"
CA_YEARS = 10
LEAF_DAYS = 397  # the longest a public TLS certificate may live; the fake re-issues one a day before its end
KEPT_CONTEXTS = 256  # hosts' TLS contexts kept, least recently used dropped (hosts under a wildcard share one)
SKEW = dt.timedelta(hours=1)  # not-before this far back: a client whose clock lags a little still accepts it


def default_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "fakeexports" / "ca"


def ensure(directory: str | Path | None = None) -> Path:
    """The CA certificate's path, the CA made there if it is missing (without loading one that is there)."""
    path = (Path(directory) if directory else default_dir()) / CA_FILE
    if not (path.exists() and path.with_name(KEY_FILE).exists()):
        CertificateAuthority(directory)
    return path


def _usage(**also: bool) -> x509.KeyUsage:
    """Key usage: signing, and what ``also`` turns on (a CA's certificate and CRL signing)."""
    from cryptography import x509

    flags = dict.fromkeys(("content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
                           "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    return x509.KeyUsage(digital_signature=True, **{**flags, **also})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CertificateAuthority:
    """Loads the CA from ``directory`` or makes it there (under a file lock: servers started together agree on
    one CA); ``context_for(host)`` is a server-side SSLContext with a certificate for that host, cached."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory else default_dir()
        self.cert_path = self.directory / CA_FILE
        self.key_path = self.directory / KEY_FILE
        self.created = False
        self._cert, self._key = self._load_or_make()
        self._contexts: dict[tuple[str, ...], tuple[ssl.SSLContext, dt.datetime]] = {}

    # --- the CA itself ----------------------------------------------------------------------------------------
    def _load_or_make(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(self.directory / ".lock"):
            if self.cert_path.exists() and self.key_path.exists():
                try:
                    cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
                    key = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
                except Exception as exc:  # garbled, encrypted, of another algorithm...
                    raise ValueError(f"{self.directory}: not a CA this fake made ({exc}); move it away to make "
                                     "a new one") from None
                if not isinstance(key, ec.EllipticCurvePrivateKey):
                    raise ValueError(f"{self.key_path}: not a key this fake made (expected an EC key)")
                mine = cert.public_key() == key.public_key()  # a pair torn by a crash mid-renewal is made again
                if mine and cert.not_valid_after_utc - _now() > dt.timedelta(days=LEAF_DAYS + 1):
                    return cert, key
                # an expired (or soon to expire) CA is replaced: clients read the same path again
            cert, key = self._make()
            _write(self.key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()), 0o600)
            _write(self.cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
            self.created = True
            return cert, key

    @staticmethod
    def _make() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fakeexports"),
                          x509.NameAttribute(NameOID.COMMON_NAME, f"fakeexports local CA {os.urandom(4).hex()}")])
        now = _now()
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - SKEW).not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
                .add_extension(ski, critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
                .sign(key, hashes.SHA256()))
        return cert, key

    # --- certificates for hosts -------------------------------------------------------------------------------
    def issue(self, names: Iterable[str]) -> tuple[bytes, bytes, dt.datetime]:
        """A certificate for these DNS names or IP addresses and its key, both PEM, and its end."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        names = list(names)
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        end = min(now + dt.timedelta(days=LEAF_DAYS), self._cert.not_valid_after_utc)
        alt: list[x509.GeneralName] = []
        for name in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
                .issuer_name(self._cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - SKEW).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(_usage(), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                               critical=False)
                .sign(self._key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem, end

    def context_for(self, *names: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``names`` (the first is the host), made on first
        use and kept until a day before the certificate ends."""
        key = tuple(n.lower() for n in names)
        kept = self._contexts.pop(key, None)
        if kept is None or kept[1] - _now() <= dt.timedelta(days=1):
            cert, private, end = self.issue(key)
            kept = (server_context(cert + private), end)
        self._contexts[key] = kept  # the most recently used last
        while len(self._contexts) > KEPT_CONTEXTS:
            del self._contexts[next(iter(self._contexts))]
        return kept[0]


def server_context(chain_and_key: bytes | None = None, certfile: str | None = None,
                   keyfile: str | None = None) -> ssl.SSLContext:
    """A server TLS context from PEM bytes (certificate and key in one) or from files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.set_alpn_protocols(["http/1.1"])  # aiohttp's server speaks HTTP/1.1 only
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile)
        return context
    assert chain_and_key is not None
    # the ssl module loads certificates from files only: a private temporary file, gone once loaded
    with tempfile.NamedTemporaryFile(prefix="fakeexports-", suffix=".pem") as handle:
        handle.write(chain_and_key)
        handle.flush()
        context.load_cert_chain(handle.name)
    return context


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Whole or not at all: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
