"""Section 8, HTTP: kept-alive pools, DNS once, retries, redirects, auth, proxies, TLS."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import puffin
import support


def client(**kw):
    kw.setdefault("env", {})
    kw.setdefault("backoff", 0.01)
    kw.setdefault("dns", puffin.DnsCache())
    return puffin.HttpClient(**kw)


def page(server, name="foo"):
    return server.index_url + "/" + name + "/"


@pytest.fixture
def server(index_server):
    index_server.add_wheel("foo", "1.0")
    index_server.add_wheel("bar", "2.0", files={"bar/__init__.py": os.urandom(300000)})
    return index_server


def test_sequential_requests_reuse_one_kept_alive_connection(server):
    """Twenty GETs to one host open a single connection."""
    http = client()
    for _ in range(20):
        assert http.get(page(server)).status == 200
    assert server.connections == 1
    assert http.stats["connections"] == 1 and http.stats["requests"] == 20


def test_gzip_pages_are_decoded(server):
    """A gzip-encoded page comes back as its plain bytes, and fewer bytes crossed the wire."""
    http = client()
    resp = http.get(page(server), headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert resp.header("content-encoding") == "gzip"
    assert resp.body.startswith(b"{")
    assert http.stats["bytes"] < len(resp.body)


def test_redirects_are_followed_and_the_final_url_reported(server):
    """301 from a non-normalized name and 302 to a blob both land on the content."""
    http = client()
    resp = http.get(server.index_url + "/Foo/")
    assert resp.url == page(server)
    server.files_redirect = 302
    fn = server.filenames[0]
    resp = http.get(server.file_url(fn))
    assert resp.body == server.data(fn) and "/blobs/" in resp.url


@pytest.mark.parametrize("kind,params", [
    ("status", {"status": 500}),
    ("status", {"status": 502}),
    ("status", {"status": 429}),
    ("drop", {}),
    ("truncate", {}),
])
def test_transient_faults_are_retried_until_the_body_is_whole(server, kind, params):
    """A 5xx, a 429 or a body cut off midway is retried, and the body in the end is the real one."""
    http = client()
    fn = "bar-2.0-py3-none-any.whl"
    server.inject("/files/" + fn, kind, times=2, **params)
    resp = http.get(server.file_url(fn))
    assert resp.body == server.data(fn)
    assert http.stats["retries"] == 2
    assert server.requests_for("/files/" + fn) == 3


def test_retry_after_is_honoured(server):
    """A 429 with Retry-After: 1 waits about a second before the next try."""
    http = client()
    server.inject("/simple/foo/", "status", status=429, retry_after=1)
    start = time.monotonic()
    assert http.get(page(server)).status == 200
    assert time.monotonic() - start >= 0.9


def test_a_server_that_keeps_failing_ends_in_a_clear_error(server):
    """After the retries, a 503 is an HttpError naming the status and the URL."""
    http = client(retries=2)
    server.fail("/simple/foo/", status=503, times=None)
    with pytest.raises(puffin.HttpError) as e:
        http.get(page(server))
    assert e.value.status == 503 and "/simple/foo/" in str(e.value)
    assert server.requests_for("/simple/foo/") == 3


def test_a_slow_server_times_out_and_the_retry_succeeds(server):
    """A response slower than the timeout is abandoned and asked again."""
    http = client(timeout=0.3)
    server.inject("/simple/foo/", "delay", seconds=1.0)
    assert http.get(page(server)).status == 200
    assert http.stats["retries"] == 1


def test_a_timeout_that_persists_says_how_to_raise_the_timeout(server):
    """Every attempt timing out gives a NetworkError whose hint names --timeout."""
    http = client(timeout=0.2, retries=1)
    server.inject("/simple/foo/", "delay", times=None, seconds=0.6)
    with pytest.raises(puffin.NetworkError) as e:
        http.get(page(server))
    assert "--timeout" in (e.value.hint or "")


def test_a_refused_connection_is_a_network_error_after_retries():
    """Nothing listening: a NetworkError naming the URL, after the retries."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    http = client(retries=2)
    with pytest.raises(puffin.NetworkError) as e:
        http.get("http://127.0.0.1:%d/simple/x/" % port)
    assert "127.0.0.1:%d/simple/x/" % port in str(e.value)
    assert http.stats["retries"] == 2


def test_offline_never_opens_a_connection(server):
    """With offline set, a request raises OfflineError and the server sees nothing."""
    http = client(offline=True)
    with pytest.raises(puffin.OfflineError):
        http.get(page(server))
    assert server.total_requests == 0 and server.connections == 0


def test_404_is_returned_not_retried(server):
    """A 404 is an answer: one request, status given to the caller."""
    http = client()
    assert http.request(page(server, "nothing")).status == 404
    assert server.requests_for("/simple/nothing/") == 1


def test_sixteen_threads_share_a_bounded_pool_and_one_dns_lookup(server):
    """16 threads x 200 requests: new connections stay within the pool, and 'localhost' is resolved once."""
    dns = puffin.DnsCache()
    http = client(pool_size=8, dns=dns)
    url = "http://localhost:%d/simple/foo/" % server.port
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: http.get(url).status, range(200)))
    assert statuses == [200] * 200
    assert server.connections <= 8
    assert http.connections_by_host["localhost"] <= 8
    assert dns.lookups == {"localhost": 1}


def test_a_stalled_dns_lookup_is_overtaken_by_a_second_attempt(monkeypatch):
    """When getaddrinfo hangs, another attempt starts after the DNS timeout and wins."""
    real = socket.getaddrinfo
    calls = []
    release = threading.Event()

    def flaky(*args, **kw):
        calls.append(args[0])
        if len(calls) == 1:
            release.wait(5)  # the first query stalls
        return real(*args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", flaky)
    dns = puffin.DnsCache(timeout=0.2, attempts=3)
    start = time.monotonic()
    answer = dns.resolve("localhost", 80)
    release.set()
    assert answer and time.monotonic() - start < 2
    assert dns.lookups["localhost"] == 2


def test_a_lookup_nobody_answers_fails_after_the_give_up_time_naming_the_host(monkeypatch):
    """Every attempt stalls: after `give_up` seconds the lookup fails, saying which host."""
    release = threading.Event()

    def stuck(*args, **kw):
        release.wait(5)
        raise OSError("late")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    dns = puffin.DnsCache(timeout=0.1, attempts=2, give_up=0.5)
    start = time.monotonic()
    with pytest.raises(OSError, match="DNS lookup of nowhere.invalid timed out"):
        dns.resolve("nowhere.invalid", 443)
    release.set()
    assert 0.4 < time.monotonic() - start < 2
    assert dns.lookups["nowhere.invalid"] == 2


def test_dns_starts_a_second_query_after_a_second_by_default():
    """The default hedge is short: a dropped query (a 5 s resolver stall) costs about a second."""
    assert puffin.DnsCache().timeout <= 1.0 < puffin.DnsCache().give_up


def test_credentials_in_the_url_are_sent_and_reused_for_the_same_host(server):
    """user:pass@ in the index URL logs in, and later URLs on that host reuse the login."""
    server.auth = ("alice", "s3cret")
    http = client()
    authed = page(server).replace("http://", "http://alice:s3cret@")
    assert http.get(authed).status == 200
    fn = server.filenames[0]
    assert http.get(server.file_url(fn)).body == server.data(fn)


def test_netrc_credentials_are_used(server, tmp_path):
    """A machine entry in the file named by NETRC logs in."""
    server.auth = ("bob", "pw")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password pw\n")
    os.chmod(netrc, 0o600)
    http = client(env={"NETRC": str(netrc)})
    assert http.get(page(server)).status == 200


def test_missing_credentials_give_a_401_with_a_hint_and_no_password_anywhere(server):
    """Wrong credentials: HttpError 401 with a hint about netrc; the password appears nowhere."""
    server.auth = ("alice", "right")
    http = client()
    with pytest.raises(puffin.HttpError) as e:
        http.get(page(server).replace("http://", "http://alice:wrongpass@"))
    assert e.value.status == 401
    assert "netrc" in e.value.hint
    with pytest.raises(puffin.NetworkError) as e2:
        client(retries=0).get("http://alice:wrongpass@127.0.0.1:1/simple/")
    text = str(e2.value) + " ".join(e2.value.causes)
    assert "wrongpass" not in text and "127.0.0.1:1/simple/" in text


@pytest.mark.parametrize("url,expected", [
    ("https://user:pw@host/simple", "https://user:****@host/simple"),
    ("https://token@host/simple", "https://****@host/simple"),
    ("https://host/simple", "https://host/simple"),
    ("https://u:p%40ss@h:8080/x?y=1", "https://u:****@h:8080/x?y=1"),
])
def test_redact_url_hides_passwords(url, expected):
    """Passwords (and bare tokens) become ****."""
    assert puffin.redact_url(url) == expected
    assert puffin.redact_text("failed: " + url + " (x)") == "failed: " + expected + " (x)"


def test_timeout_comes_from_the_environment_with_a_generous_default():
    """PUFFIN_HTTP_TIMEOUT sets the timeout; the default is 30 s as uv's."""
    assert puffin.HttpClient(env={}).timeout == 30.0
    assert puffin.HttpClient(env={"PUFFIN_HTTP_TIMEOUT": "7.5"}).timeout == 7.5
    assert puffin.HttpClient(env={}, timeout=3).timeout == 3


class _Proxy(threading.Thread):
    """A tiny forward proxy: absolute-form GETs are relayed; CONNECT is logged and refused."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.lines = []

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        import http.client
        from urllib.parse import urlsplit
        f = conn.makefile("rb")
        while True:
            line = f.readline().decode()
            if not line:
                break
            self.lines.append(line.strip())
            headers = {}
            while True:
                h = f.readline().decode().strip()
                if not h:
                    break
                k, _, v = h.partition(":")
                headers[k.strip()] = v.strip()
            method, target, _ = line.split()
            if method == "CONNECT":
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                continue
            u = urlsplit(target)
            up = http.client.HTTPConnection(u.hostname, u.port)
            headers.pop("Host", None)
            up.request(method, u.path, headers=headers)
            r = up.getresponse()
            body = r.read()
            out = "HTTP/1.1 %d %s\r\n" % (r.status, r.reason)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    out += "%s: %s\r\n" % (k, v)
            out += "Content-Length: %d\r\n\r\n" % len(body)
            conn.sendall(out.encode() + body)
        conn.close()


def test_http_proxy_relays_requests_and_no_proxy_bypasses_it(server):
    """HTTP_PROXY carries plain-HTTP requests in absolute form; NO_PROXY hosts go direct."""
    proxy = _Proxy()
    proxy.start()
    http = client(env={"HTTP_PROXY": "http://127.0.0.1:%d" % proxy.port})
    assert http.get(page(server)).status == 200
    assert proxy.lines == ["GET %s HTTP/1.1" % page(server)]
    direct = client(env={"HTTP_PROXY": "http://127.0.0.1:%d" % proxy.port, "NO_PROXY": "127.0.0.1"})
    assert direct.get(page(server)).status == 200
    assert len(proxy.lines) == 1
    proxy.sock.close()


def test_https_through_a_proxy_uses_connect(server):
    """HTTPS_PROXY: the client asks the proxy to CONNECT to host:port first."""
    proxy = _Proxy()
    proxy.start()
    http = client(env={"HTTPS_PROXY": "127.0.0.1:%d" % proxy.port}, retries=0)
    with pytest.raises(puffin.NetworkError):
        http.get("https://files.example.invalid/x.whl")
    assert proxy.lines[0] == "CONNECT files.example.invalid:443 HTTP/1.0" or \
        proxy.lines[0].startswith("CONNECT files.example.invalid:443 ")
    proxy.sock.close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not available to make a certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(tls_files):
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = b"secure hello"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*tls_files)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield "https://127.0.0.1:%d/" % httpd.server_address[1], tls_files[0]
    httpd.shutdown()
    httpd.server_close()


def test_tls_is_verified_and_a_self_signed_server_is_refused_with_a_hint(tls_server):
    """An unknown certificate is a NetworkError that suggests --cert or --trusted-host."""
    url, _ = tls_server
    with pytest.raises(puffin.NetworkError) as e:
        client().get(url)
    assert "--cert" in e.value.hint and "--trusted-host" in e.value.hint


def test_tls_with_cert_file_or_trusted_host_succeeds(tls_server):
    """--cert (or SSL_CERT_FILE) trusts the server; --trusted-host skips verification."""
    url, cert = tls_server
    assert client(cert=cert).get(url).body == b"secure hello"
    assert client(env={"SSL_CERT_FILE": cert}).get(url).body == b"secure hello"
    http = client(trusted_hosts=["127.0.0.1"])
    for _ in range(3):
        assert http.get(url).body == b"secure hello"
    assert http.stats["connections"] == 1  # one TLS handshake for three requests
