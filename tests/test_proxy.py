"""The fake as an HTTPS proxy for the vendors' real host names (proxy.py, ca.py), and --tls.

A tunnel is opened only to a host some vendor answers for; the TLS certificate the client sees is issued by the
fake's CA for that host and valid by the real clock; the request inside takes the host-routed path. Anything
else is refused and nothing is forwarded."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509

from fakeexports.ca import CertificateAuthority
from fakeexports.server import ServerThread
from fakeexports.settings import Settings
from tests.conftest import ACCOUNT, TOKEN, settings


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ca")


@pytest.fixture(scope="module")
def server(ca_dir: Path) -> Iterator[ServerThread]:
    with ServerThread(settings(clock="virtual", strict=True, ca_dir=str(ca_dir))) as srv:
        yield srv


def through(server: ServerThread, ca_dir: Path) -> dict[str, object]:
    env = server.proxy_env()  # makes the CA if it is not there yet
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == str(ca_dir / "ca.pem")
    return {"proxies": {"https": env["HTTPS_PROXY"]}, "verify": env["REQUESTS_CA_BUNDLE"], "timeout": 10}


def connect(server: ServerThread, target: str) -> tuple[socket.socket, bytes]:
    """Send a CONNECT and read the proxy's answer head (and body, if it closes)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return sock, data


def read_to_end(sock: socket.socket, data: bytes) -> bytes:
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_tunnel_to_a_vendor_host_reaches_that_vendor_over_https(server: ServerThread, ca_dir: Path) -> None:
    resp = requests.get("https://bulkexports.twilio.com/v1/Exports/Calls", auth=(ACCOUNT, TOKEN),
                        **through(server, ca_dir))  # type: ignore[arg-type]
    assert resp.status_code == 200
    # the URLs it emits are the real host's, over https, as the client reached it
    assert resp.json()["url"] == "https://bulkexports.twilio.com/v1/Exports/Calls"
    assert resp.headers["Twilio-Request-Id"].startswith("RQ")
    # every request through a tunnel is journaled like any other
    entry = server.runtime.journal.entries[-1]
    assert (entry.vendor, entry.status) == ("twilio", 200)


def test_a_wildcard_host_and_a_second_vendor_through_one_proxy(server: ServerThread, ca_dir: Path) -> None:
    token = requests.post("https://acme-co.talkdeskid.com/oauth/token", data={"grant_type": "client_credentials"},
                          auth=("client", "secret"), **through(server, ca_dir))  # type: ignore[arg-type]
    assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
    didww = requests.get("https://sandbox-api.didww.com/v3/exports", headers={"Api-Key": "k"},
                         **through(server, ca_dir))  # type: ignore[arg-type]
    assert didww.status_code == 200 and didww.headers["Content-Type"].startswith("application/vnd.api+json")


@pytest.mark.parametrize("target", [
    "example.com:443",
    "bulkexports.twilio.com.evil.test:443",  # a vendor's name inside another host's
    "eviltalkdeskid.com:443",  # *.talkdeskid.com is a subdomain pattern, not a suffix of letters
    "127.0.0.1:22",
    "[::1]:443",
    "bulkexports.twilio.com:8443",  # a vendor host, but only its HTTPS port 443 is served
    "api.didww.com:80",
    "a.b.talkdeskid.com:443",  # one label under *.talkdeskid.com, not any depth
    "x.y.z.acme-co.talkdeskid.com:443",
])
def test_a_tunnel_to_any_other_host_is_refused_with_a_403(server: ServerThread, target: str) -> None:
    sock, data = connect(server, target)
    with sock:
        data = read_to_end(sock, data)  # the proxy closes: nothing more is read or forwarded
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 Forbidden")
    assert b"Connection: close" in head
    assert b"is not a host this fake serves" in body and b"nothing is forwarded" in body


@pytest.mark.parametrize("line", ["CONNECT nonsense HTTP/1.1", "CONNECT api.didww.com:https HTTP/1.1",
                                  "CONNECT a b c HTTP/1.1", "CONNECT api.didww.com:443 SPDY/3",
                                  "CONNECT bulkexports.twilio.com:443:443 HTTP/1.1",  # one port
                                  "CONNECT evil.com#.talkdeskid.com:443 HTTP/1.1",  # names are letters, digits, -
                                  "CONNECT evil.com/.talkdeskid.com:443 HTTP/1.1",
                                  "CONNECT -x.talkdeskid.com:443 HTTP/1.1",
                                  "CONNECT api..didww.com:443 HTTP/1.1"])
def test_a_malformed_connect_is_a_400(server: ServerThread, line: str) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(line.encode() + b"\r\n\r\n")
        data = read_to_end(sock, b"")
    assert data.startswith(b"HTTP/1.1 400 Bad Request")


@pytest.mark.parametrize(("url", "vendor"), [
    ("https://bulkexports.twilio.com/_fakeexports/health", "twilio"),  # the control API is not in a tunnel
    ("https://bulkexports.twilio.com/_fakeexports/journal", "twilio"),
    ("https://api.didww.com/twilio/v1/Exports/Calls", "didww"),  # another vendor's mount is not either
    ("https://bulkexports.twilio.com/didww/v3/exports", "twilio"),
])
def test_inside_a_tunnel_only_that_hosts_vendor_answers(server: ServerThread, ca_dir: Path, url: str,
                                                        vendor: str) -> None:
    resp = requests.get(url, auth=(ACCOUNT, TOKEN), **through(server, ca_dir))  # type: ignore[arg-type]
    assert resp.status_code in (403, 404), resp.text[:300]  # the tunnel's vendor's refusal
    entry = server.runtime.journal.entries[-1]  # journaled as that vendor's
    assert (entry.vendor, entry.status, entry.path) == (vendor, resp.status_code, "/" + url.split("/", 3)[3])


@pytest.mark.parametrize("path", ["/_s3/fakeexports-twilio/x", "/_s3/fakeexports-twilio/AC1/x.csv.gz?X-Amz-Date=1"])
def test_inside_a_tunnel_another_vendors_bucket_is_not_there(server: ServerThread, ca_dir: Path, path: str) -> None:
    resp = requests.get("https://api.hookbridge.io" + path, **through(server, ca_dir))  # type: ignore[arg-type]
    assert resp.status_code == 404 and b"<Code>NoSuchBucket</Code>" in resp.content


def test_an_overlong_connect_head_is_refused(server: ServerThread) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"CONNECT api.didww.com:443 HTTP/1.1\r\nX: " + b"a" * 20000)
        data = read_to_end(sock, b"")
    assert data.startswith(b"HTTP/1.1 431 ")


def test_requests_refuses_to_go_elsewhere_through_the_fake(server: ServerThread, ca_dir: Path) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        requests.get("https://example.com/", **through(server, ca_dir))  # type: ignore[arg-type]


def test_the_certificate_is_for_the_host_from_the_fakes_ca_and_valid_by_the_real_clock(
        server: ServerThread, ca_dir: Path) -> None:
    assert server.runtime.clock.now() < dt.datetime(2026, 2, 1, tzinfo=dt.UTC).timestamp()  # fake time: January
    server.proxy_env()
    sock, head = connect(server, "api.hookbridge.io:443")
    assert head.startswith(b"HTTP/1.1 200 Connection established")
    context = ssl.create_default_context(cafile=str(ca_dir / "ca.pem"))
    with context.wrap_socket(sock, server_hostname="api.hookbridge.io") as tls:  # verifies chain, name, dates
        cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True) or b"")
        assert tls.selected_alpn_protocol() in (None, "http/1.1")
    now = dt.datetime.now(dt.UTC)
    assert cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
    assert cert.not_valid_after_utc - now > dt.timedelta(days=300)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["api.hookbridge.io"]
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    assert cert.issuer == ca.subject


def test_a_client_that_does_not_trust_the_ca_fails_its_handshake_and_the_fake_goes_on(
        server: ServerThread, ca_dir: Path) -> None:
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get("https://api.hookbridge.io/v1/exports", proxies={"https": server.url}, timeout=10)
    assert requests.get(server.url + "/_fakeexports/health", timeout=10).status_code == 200


def test_the_ca_is_made_once_and_kept(tmp_path: Path) -> None:
    first = CertificateAuthority(tmp_path)
    assert first.created and first.cert_path == tmp_path / "ca.pem"
    assert stat.S_IMODE(os.stat(tmp_path / "ca-key.pem").st_mode) == 0o600
    again = CertificateAuthority(tmp_path)
    assert not again.created
    assert again.cert_path.read_bytes() == first.cert_path.read_bytes()
    cert = x509.load_pem_x509_certificate(first.cert_path.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_key_file_that_is_not_the_fakes_is_an_error_with_the_path(tmp_path: Path) -> None:
    CertificateAuthority(tmp_path)
    (tmp_path / "ca-key.pem").write_text("not a key")
    with pytest.raises(ValueError):
        CertificateAuthority(tmp_path)


def test_fakeexports_ca_prints_where_the_ca_lives(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "fakeexports", "ca", "--ca-dir", str(tmp_path / "a")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "a" / "ca.pem")
    env = {**os.environ, "FAKEEXPORTS_CA_DIR": str(tmp_path / "b")}
    out = subprocess.run([sys.executable, "-m", "fakeexports", "ca"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.stdout.strip() == str(tmp_path / "b" / "ca.pem") and (tmp_path / "b" / "ca.pem").exists()
    env = {k: v for k, v in os.environ.items() if k != "FAKEEXPORTS_CA_DIR"} | {"XDG_DATA_HOME": str(tmp_path / "x")}
    out = subprocess.run([sys.executable, "-m", "fakeexports", "ca"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.stdout.strip() == str(tmp_path / "x" / "fakeexports" / "ca" / "ca.pem")


def test_without_the_proxy_connect_opens_nothing(ca_dir: Path) -> None:
    with ServerThread(settings(clock="virtual", proxy=False, ca_dir=str(ca_dir))) as srv:
        sock, head = connect(srv, "bulkexports.twilio.com:443")
        sock.close()
    assert not head.startswith(b"HTTP/1.1 200")


def test_tls_serves_the_fake_itself_over_https(ca_dir: Path) -> None:
    CertificateAuthority(ca_dir)
    with ServerThread(settings(clock="virtual", strict=True, tls=True, ca_dir=str(ca_dir))) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        verify = str(ca_dir / "ca.pem")
        assert requests.get(srv.url + "/_fakeexports/health", verify=verify, timeout=10).status_code == 200
        resp = requests.get(srv.vendor_url("twilio") + "/v1/Exports/Calls", auth=(ACCOUNT, TOKEN), verify=verify,
                            timeout=10)
        assert resp.json()["url"] == srv.vendor_url("twilio") + "/v1/Exports/Calls"  # https in what it emits
        for name in ("localhost", "127.0.0.1"):  # the certificate names both
            context = ssl.create_default_context(cafile=verify)
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw, \
                    context.wrap_socket(raw, server_hostname=name):
                pass
        with pytest.raises(requests.exceptions.ConnectionError):  # plain HTTP on an HTTPS port
            requests.get(f"http://127.0.0.1:{srv.port}/_fakeexports/health", timeout=10)
        # the proxy works over an HTTPS port too (an https:// proxy URL)
        resp = requests.get("https://api.didww.com/v3/exports", headers={"Api-Key": "k"},
                            proxies={"https": srv.url}, verify=verify, timeout=10)
        assert resp.status_code == 200


def test_tls_with_a_given_certificate_and_key(tmp_path: Path, ca_dir: Path) -> None:
    cert, key, _ = CertificateAuthority(ca_dir).issue(["127.0.0.1"])
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    app_settings = settings(clock="virtual", tls=True, tls_cert=str(tmp_path / "cert.pem"),
                        tls_key=str(tmp_path / "key.pem"), ca_dir=str(tmp_path / "unused"))
    with ServerThread(app_settings) as srv:
        assert requests.get(srv.url + "/_fakeexports/health", verify=str(ca_dir / "ca.pem"),
                            timeout=10).status_code == 200
    assert not (tmp_path / "unused").exists()  # a given certificate needs no CA of the fake's


def test_a_key_without_a_certificate_is_refused() -> None:
    with pytest.raises(ValueError, match="tls_key needs tls_cert"):
        Settings.from_env({}, tls_key="key.pem")


def test_hosts_under_a_wildcard_share_one_certificate_and_the_cache_is_bounded(server: ServerThread,
                                                                               ca_dir: Path) -> None:
    """Any account's talkdeskid.com host may be named: one *.talkdeskid.com certificate serves them all, so that
    clients naming new hosts cannot grow the server (and other names are kept least recently used first)."""
    context = ssl.create_default_context(cafile=str(server.proxy_env()["REQUESTS_CA_BUNDLE"]))
    seen = set()
    for account in ("acme-co", "globex", "initech"):
        sock, head = connect(server, f"{account}.talkdeskid.com:443")
        assert head.startswith(b"HTTP/1.1 200")
        with context.wrap_socket(sock, server_hostname=f"{account}.talkdeskid.com") as tls:  # verifies the name
            cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True) or b"")
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == ["*.talkdeskid.com"]
        seen.add(cert.serial_number)
    assert len(seen) == 1
    ca = CertificateAuthority(ca_dir)
    for i in range(300):
        ca.context_for(f"host{i}.example.test")
    assert len(ca._contexts) == 256


def test_bytes_sent_before_the_tunnel_is_open_are_refused_not_lost(server: ServerThread) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"CONNECT api.didww.com:443 HTTP/1.1\r\nHost: api.didww.com:443\r\n\r\n\x16\x03\x01\x02\x00")
        data = read_to_end(sock, b"")
    assert data.startswith(b"HTTP/1.1 400 Bad Request") and b"once the tunnel is established" in data


def test_an_unusable_ca_is_a_502_and_the_connection_is_closed(tmp_path: Path) -> None:
    CertificateAuthority(tmp_path)
    (tmp_path / "ca-key.pem").write_text("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
    with ServerThread(settings(clock="virtual", fixtures="none", ca_dir=str(tmp_path))) as srv:
        sock, head = connect(srv, "api.hookbridge.io:443")
        with sock:
            data = read_to_end(sock, head)
        assert data.startswith(b"HTTP/1.1 502 Bad Gateway") and b"not a CA this fake made" in data
        assert requests.get(srv.url + "/_fakeexports/health", timeout=10).status_code == 200
    out = subprocess.run([sys.executable, "-m", "fakeexports", "ca", "--ca-dir", str(tmp_path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "not a CA this fake made" in out.stderr and "Traceback" not in out.stderr


def test_a_torn_ca_pair_is_made_again(tmp_path: Path) -> None:
    first = CertificateAuthority(tmp_path).cert_path.read_bytes()
    other = tmp_path / "other"
    CertificateAuthority(other)
    (tmp_path / "ca-key.pem").write_bytes((other / "ca-key.pem").read_bytes())  # the key of another certificate
    again = CertificateAuthority(tmp_path)
    assert again.created and again.cert_path.read_bytes() != first


def test_connections_not_handed_over_are_closed_at_shutdown(ca_dir: Path) -> None:
    srv = ServerThread(settings(clock="virtual", fixtures="none", ca_dir=str(ca_dir))).start()
    silent = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    partial = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    partial.sendall(b"CONN")
    tunnel, head = connect(srv, "api.hookbridge.io:443")  # tunnel open, no handshake yet
    assert head.startswith(b"HTTP/1.1 200")
    srv.run(lambda: None)  # the server has seen all three
    assert srv.site is not None and len(srv.site.pending) == 3
    srv.stop()
    for sock in (silent, partial, tunnel):
        with sock:
            assert sock.recv(100) == b""  # closed by the server


def test_the_health_check_finds_an_https_port_given_by_flag(ca_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEEXPORTS_TLS")}
    with ServerThread(settings(clock="virtual", fixtures="none", tls=True, ca_dir=str(ca_dir))) as srv:
        out = subprocess.run([sys.executable, "-m", "fakeexports", "health", "--port", str(srv.port)],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        port = srv.port
    out = subprocess.run([sys.executable, "-m", "fakeexports", "health", "--port", str(port)], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 1 and "unhealthy" in out.stderr and "Connection refused" in out.stderr


async def test_the_aiohttp_internals_the_listening_site_relies_on_are_there() -> None:
    # proxy.SiteInternals reads and sets private attributes of aiohttp's BaseSite: if aiohttp renames one, this
    # fails here, naming it, instead of the server failing in some other way
    from aiohttp import web

    from fakeexports.proxy import SiteInternals

    runner = web.AppRunner(web.Application())
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        missing = [name for name in SiteInternals.NAMES if not hasattr(site, name)]
        assert not missing, f"aiohttp's BaseSite no longer has {missing}: update fakeexports.proxy.SiteInternals"
        assert SiteInternals(site).server is runner.server
    finally:
        await runner.cleanup()


def test_an_unchanged_client_through_the_proxy_lands_on_the_clock_its_proxy_credentials_name(
        server: ServerThread) -> None:
    """RemoteFake.proxy_env on a clock: HTTPS_PROXY carries the clock's id and token, the CA comes from
    GET /_fakeexports/ca.pem; every request of those tunnels (API calls and presigned links) is the clock's, so a
    test's fresh tenant is reached through the vendor's real host name with no attachment; a wrong token is a 407."""
    import requests

    from fakeexports.remote import RemoteFake

    handle = RemoteFake.on_new_clock(server.url, "tests/test_proxy.py::through-a-clock")
    try:
        env = handle.proxy_env()
        assert env["HTTPS_PROXY"] == f"http://{handle.clock}:{handle.control.token}@127.0.0.1:{server.port}"
        assert Path(env["SSL_CERT_FILE"]).read_bytes() == Path(server.proxy_env()["SSL_CERT_FILE"]).read_bytes()
        via = {"proxies": {"https": env["HTTPS_PROXY"]}, "verify": env["REQUESTS_CA_BUNDLE"], "timeout": 10}
        headers = handle.headers("hookbridge")
        made = requests.post("https://api.hookbridge.io/v1/exports", headers=headers, json={
            "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"}, **via)  # type: ignore[arg-type]
        assert made.status_code == 201, made.text
        export = made.json()["data"]["id"]
        handle.advance(3600)  # the clock's time, not the server's
        done = requests.get(f"https://api.hookbridge.io/v1/exports/{export}", headers=headers, **via)  # type: ignore[arg-type]
        assert done.json()["data"]["status"] == "completed"
        assert [e.operation for e in handle.journal() if e.vendor == "hookbridge"] == ["CreateExport", "GetExport"]
        server_jobs = requests.get(server.url + "/_fakeexports/jobs?vendor=hookbridge", timeout=10).json()["jobs"]
        assert export not in {j["id"] for j in server_jobs}
        wrong = env["HTTPS_PROXY"].replace(str(handle.control.token), "not-its-token")
        r = requests.get(f"https://api.hookbridge.io/v1/exports/{export}", headers=headers, timeout=10,
                         proxies={"https": wrong}, verify=env["REQUESTS_CA_BUNDLE"])
        assert r.status_code == 407 and "its token as the proxy password" in r.json()["error"]
    finally:
        handle.close()
