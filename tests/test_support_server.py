"""Tests of the shared test support: the builders and the local index server.

These use only the standard library client (http.client, urllib), never puffin,
so a failure here points at the support code rather than at puffin.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import io
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import zipfile

import pytest

import support
from support import JSON_CONTENT_TYPE, HTML_CONTENT_TYPE

WHEEL = "demo-1.0-py3-none-any.whl"


def fetch(server, path, headers=None, conn=None, method="GET"):
    """GET ``path``; return (status, headers dict with lower-case names, body)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        if own:
            conn.close()


def record_rows(wheel: bytes):
    zf = zipfile.ZipFile(io.BytesIO(wheel))
    record = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
    return zf, [line.split(",") for line in zf.read(record).decode().splitlines()]


@pytest.fixture
def demo(index_server):
    """A server hosting demo 1.0 (wheel, with deps) and demo 0.9 (sdist)."""
    index_server.add_wheel("demo", "1.0", deps=["dep>=1"], requires_python=">=3.8")
    index_server.add_sdist("demo", "0.9")
    return index_server


# -- builders ------------------------------------------------------------------


def test_make_wheel_writes_a_record_that_matches_every_member():
    """make_wheel lists every member in RECORD with its true sha256 and size, RECORD itself unhashed."""
    wheel = support.make_wheel("Foo.Bar", "1.0", deps=["a>=1"], scripts={"tool": "#!python\n"},
                               entry_points={"console_scripts": {"fb": "foo_bar:main"}})
    zf, rows = record_rows(wheel)
    listed = {row[0]: row for row in rows}
    assert set(listed) == set(zf.namelist())
    for name, hash_, size in rows:
        if name.endswith("RECORD"):
            assert (hash_, size) == ("", "")
            continue
        data = zf.read(name)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (hash_, size) == ("sha256=" + digest, str(len(data)))
    assert zf.namelist()[-1] == "foo_bar-1.0.dist-info/RECORD"
    assert zf.getinfo("foo_bar-1.0.data/scripts/tool").external_attr >> 16 & 0o777 == 0o755


def test_make_wheel_metadata_and_wheel_files_carry_the_arguments():
    """METADATA holds deps, extras (with merged markers) and Requires-Python; WHEEL expands tags."""
    wheel = support.make_wheel("pkg", "2.0", deps=["a"], extras={"x": ["b; os_name == 'nt'"]},
                               requires_python=">=3.8", tag="py2.py3-none-any", build="1")
    meta = support.read_wheel_metadata(wheel).decode()
    assert "Metadata-Version: 2.1\nName: pkg\nVersion: 2.0\n" in meta
    assert "Requires-Python: >=3.8" in meta
    assert "Requires-Dist: a\n" in meta
    assert "Provides-Extra: x" in meta
    assert "Requires-Dist: b; (os_name == 'nt') and extra == \"x\"" in meta
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        text = zf.read("pkg-2.0.dist-info/WHEEL").decode()
    assert "Tag: py2-none-any\nTag: py3-none-any\nBuild: 1\n" in text
    assert "Wheel-Version: 1.0" in text


def test_make_wheel_is_reproducible_byte_for_byte():
    """The same arguments give the same bytes (so hashes are stable across a test)."""
    assert support.make_wheel("a", "1") == support.make_wheel("a", "1")
    assert support.make_sdist("a", "1") == support.make_sdist("a", "1")


def test_wheel_filename_escapes_and_lowercases_names():
    """Filenames and dist-info dirs use the escaped, lowercased name."""
    assert support.wheel_filename("Foo.Bar-baz", "1.0") == "foo_bar_baz-1.0-py3-none-any.whl"
    assert support.wheel_filename("x", "1", "cp311-cp311-linux_x86_64", build="2") == \
        "x-1-2-cp311-cp311-linux_x86_64.whl"
    assert support.sdist_filename("Foo.Bar", "1.0", "zip") == "foo_bar-1.0.zip"


def test_make_wheel_matches_packaging_when_available():
    """packaging agrees with the filename and parses the metadata."""
    utils = pytest.importorskip("packaging.utils")
    name, version, build, tags = utils.parse_wheel_filename(support.wheel_filename("Foo_Bar", "1.0", build="3"))
    assert (name, str(version), build) == ("foo-bar", "1.0", (3, ""))
    assert {str(t) for t in tags} == {"py3-none-any"}


def test_broken_wheel_knobs_produce_the_requested_damage(tmp_path):
    """Knobs make unsupported, duplicated, missing, mis-recorded and escaping members."""
    def members(wheel):
        with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
            return {i.filename: (zf.read(i), i.external_attr >> 16) for i in zf.infolist()}

    m = members(support.make_wheel("a", "1", wheel_version="2.0"))
    assert b"Wheel-Version: 2.0\n" in m["a-1.dist-info/WHEEL"][0]
    m = members(support.make_wheel("a", "1", wheel_version=("1.0", "1.0")))
    assert m["a-1.dist-info/WHEEL"][0].count(b"Wheel-Version: 1.0") == 2
    assert "a-1.dist-info/WHEEL" not in members(support.make_wheel("a", "1", dist_info_files={"WHEEL": None}))
    assert "a-1.dist-info/RECORD" not in members(support.make_wheel("a", "1", record=False))
    zf, rows = record_rows(support.make_wheel("a", "1", record="bad-hash"))
    assert rows[0][1] != support.record_hash(zf.read(rows[0][0]))
    m = members(support.make_wheel("a", "1", files={"../evil.py": "x", "/abs.py": "y"},
                                   symlinks={"a/link": "../../../etc/passwd"}))
    assert "../evil.py" in m and "/abs.py" in m
    data, mode = m["a/link"]
    assert data == b"../../../etc/passwd" and (mode & 0o170000) == 0o120000
    path = support.make_wheel("a", "1", out_dir=tmp_path)
    assert os.path.basename(path) == "a-1-py3-none-any.whl"


def test_make_sdist_holds_static_pkg_info_and_builds_offline(tmp_path):
    """An sdist has Metadata-Version 2.2 PKG-INFO, and its in-tree backend builds the wheel."""
    path = support.make_sdist("Demo", "1.0", deps=["dep"], out_dir=tmp_path)
    assert os.path.basename(path) == "demo-1.0.tar.gz"
    with tarfile.open(path) as tf:
        pkg_info = tf.extractfile("demo-1.0/PKG-INFO").read().decode()
        tf.extractall(tmp_path, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    assert pkg_info.startswith("Metadata-Version: 2.2\n") and "Dynamic" not in pkg_info
    assert support.make_sdist("Demo", "1.0", static=False, fmt="zip")[:2] == b"PK"
    src, out, log = tmp_path / "demo-1.0", tmp_path / "out", tmp_path / "build.log"
    out.mkdir()
    code = ("import puffin_test_backend as b, sys; "
            "print(b.build_wheel(sys.argv[1]))")
    env = dict(os.environ, PUFFIN_TEST_BUILD_LOG=str(log))
    proc = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, env=env,
                          capture_output=True, text=True, check=True)
    wheel = (out / proc.stdout.strip()).read_bytes()
    assert "Requires-Dist: dep" in support.read_wheel_metadata(wheel).decode()
    assert log.read_text() == "build_wheel Demo 1.0\n"


def test_sdist_backend_fails_on_request(tmp_path):
    """build_fails makes the named hook raise, for build-failure tests."""
    support.write_project(tmp_path, "bad", "1.0", build_fails=["build_wheel"], pkg_info=False)
    assert not (tmp_path / "PKG-INFO").exists()
    proc = subprocess.run([sys.executable, "-c", "import puffin_test_backend as b; b.build_wheel('.')"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "intentional failure in build_wheel" in proc.stderr


def test_filter_times_hides_durations():
    """filter_times rewrites durations the way snapshots need."""
    assert support.filter_times("Resolved 3 packages in 1.23s\nInstalled in 12ms") == \
        "Resolved 3 packages in [TIME]\nInstalled in [TIME]"


# -- simple pages ----------------------------------------------------------------


@pytest.mark.parametrize("accept, expected", [
    (None, "text/html"),
    ("*/*", "text/html"),
    (JSON_CONTENT_TYPE, JSON_CONTENT_TYPE),
    (HTML_CONTENT_TYPE, HTML_CONTENT_TYPE),
    ("%s, %s;q=0.9, text/html;q=0.01" % (JSON_CONTENT_TYPE, HTML_CONTENT_TYPE), JSON_CONTENT_TYPE),
    ("%s;q=0.5, text/html" % JSON_CONTENT_TYPE, "text/html"),
    ("application/*;q=0.9, text/html;q=0.1", HTML_CONTENT_TYPE),
    ("text/html;q=0, */*", HTML_CONTENT_TYPE),
    ("image/png", "text/html"),
])
def test_simple_pages_negotiate_the_content_type_like_pypi(demo, accept, expected):
    """The Accept header (with q values) picks JSON or HTML the way warehouse does."""
    status, headers, body = fetch(demo, "/simple/demo/", {"Accept": accept} if accept else {})
    assert status == 200
    assert headers["content-type"].split(";")[0] == expected
    if expected == JSON_CONTENT_TYPE:
        assert json.loads(body)["name"] == "demo"
    else:
        assert body.startswith(b"<!DOCTYPE html>")


def test_json_switch_off_serves_html_even_to_json_clients(demo):
    """With json off the server answers HTML whatever the client asks for."""
    demo.json = False
    _, headers, _ = fetch(demo, "/simple/demo/", {"Accept": JSON_CONTENT_TYPE})
    assert headers["content-type"].startswith("text/html")
    _, headers, _ = fetch(demo, "/simple/demo/?format=" + JSON_CONTENT_TYPE)
    assert headers["content-type"].startswith("text/html")


def test_json_page_lists_files_with_hashes_metadata_and_versions(index_server):
    """The PEP 691 page carries api 1.1 fields for each file."""
    wheel_name = index_server.add_wheel("demo", "1.0", requires_python=">=3.8", upload_time="2024-01-01T00:00:00Z")
    index_server.add_sdist("demo", "0.9", yanked="broken")
    _, _, body = fetch(index_server, "/simple/demo/", {"Accept": JSON_CONTENT_TYPE})
    page = json.loads(body)
    assert page["meta"]["api-version"] == "1.1"
    assert page["versions"] == ["1.0", "0.9"]
    wheel, sdist = page["files"]
    data = index_server.data(wheel_name)
    assert wheel["url"] == index_server.file_url(wheel_name)
    assert wheel["hashes"] == {"sha256": hashlib.sha256(data).hexdigest()}
    assert wheel["size"] == len(data) and wheel["requires-python"] == ">=3.8"
    assert wheel["yanked"] is False and wheel["upload-time"] == "2024-01-01T00:00:00Z"
    meta_hash = hashlib.sha256(support.read_wheel_metadata(data)).hexdigest()
    assert wheel["core-metadata"] == wheel["data-dist-info-metadata"] == {"sha256": meta_hash}
    assert sdist["yanked"] == "broken" and sdist["core-metadata"] is False


def test_html_page_escapes_attributes_and_marks_metadata(index_server):
    """PEP 503 anchors escape requires-python and yanked reasons and carry metadata hashes."""
    name = index_server.add_wheel("demo", "1.0", requires_python=">=3.8,<4", yanked='bad "build" <x>')
    _, _, body = fetch(index_server, "/simple/demo/")
    html = body.decode()
    data = index_server.data(name)
    assert 'href="%s#sha256=%s"' % (index_server.file_url(name), hashlib.sha256(data).hexdigest()) in html
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in html
    assert 'data-yanked="bad &quot;build&quot; &lt;x&gt;"' in html
    meta_hash = hashlib.sha256(support.read_wheel_metadata(data)).hexdigest()
    assert 'data-core-metadata="sha256=%s"' % meta_hash in html
    assert 'data-dist-info-metadata="sha256=%s"' % meta_hash in html


def test_non_normalized_names_redirect_to_the_normalized_page(index_server):
    """/simple/Foo_Bar/ and /simple/foo-bar answer 301 to /simple/foo-bar/; unknown is 404."""
    index_server.add_wheel("Foo_Bar", "1.0")
    for path in ("/simple/Foo_Bar/", "/simple/foo.bar/", "/simple/foo-bar"):
        status, headers, _ = fetch(index_server, path)
        assert (status, headers["location"]) == (301, "/simple/foo-bar/")
    assert fetch(index_server, "/simple/foo-bar/")[0] == 200
    assert fetch(index_server, "/simple/nope/")[0] == 404


def test_project_list_and_find_links_page_list_everything(demo):
    """/simple/ lists projects (JSON and HTML); /links/ lists every file."""
    _, _, body = fetch(demo, "/simple/", {"Accept": JSON_CONTENT_TYPE})
    assert json.loads(body)["projects"] == [{"name": "demo"}]
    assert b'href="demo/"' in fetch(demo, "/simple/")[2]
    links = fetch(demo, "/links/")[2].decode()
    for filename in demo.filenames:
        assert ">%s</a>" % filename in links


def test_relative_urls_resolve_to_the_files(demo):
    """With relative_urls the page links are relative to the page URL."""
    demo.relative_urls = True
    page = json.loads(fetch(demo, "/simple/demo/", {"Accept": JSON_CONTENT_TYPE})[2])
    assert page["files"][0]["url"] == "../../files/" + page["files"][0]["filename"]


# -- files, PEP 658, ranges --------------------------------------------------------


def test_pep658_metadata_file_is_served_and_can_be_switched_off(demo):
    """/files/<wheel>.metadata serves METADATA; with pep658 off it is gone from pages and 404."""
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    status, _, body = fetch(demo, "/files/%s.metadata" % wheel)
    assert status == 200 and body == support.read_wheel_metadata(demo.data(wheel))
    demo.pep658 = False
    assert fetch(demo, "/files/%s.metadata" % wheel)[0] == 404
    assert b"core-metadata" not in fetch(demo, "/simple/demo/")[2]


def test_range_requests_answer_206_and_416(demo):
    """Ranges a-b, a- and -N give 206 with Content-Range; past the end gives 416."""
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    data, path = demo.data(wheel), "/files/" + wheel
    size = len(data)
    status, headers, body = fetch(demo, path, {"Range": "bytes=0-9"})
    assert (status, body, headers["content-range"]) == (206, data[:10], "bytes 0-9/%d" % size)
    status, headers, body = fetch(demo, path, {"Range": "bytes=-22"})
    assert (status, body, headers["content-range"]) == (206, data[-22:], "bytes %d-%d/%d" % (size - 22, size - 1, size))
    assert fetch(demo, path, {"Range": "bytes=5-"})[2] == data[5:]
    status, headers, body = fetch(demo, path, {"Range": "bytes=%d-" % size})
    assert (status, headers["content-range"], body) == (416, "bytes */%d" % size, b"")
    assert fetch(demo, path, {"Range": "bytes=0-1,5-6"})[0] == 200
    demo.ranges = False
    status, headers, body = fetch(demo, path, {"Range": "bytes=0-9"})
    assert (status, body) == (200, data) and "accept-ranges" not in headers


def test_head_gives_the_length_without_a_body(demo):
    """HEAD answers with Content-Length and Accept-Ranges but no body."""
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    status, headers, body = fetch(demo, "/files/" + wheel, method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) == len(demo.data(wheel))
    assert headers["accept-ranges"] == "bytes"


def test_files_redirect_sends_clients_to_another_path(demo):
    """files_redirect answers /files/x with a redirect to /blobs/x, which serves the file."""
    demo.files_redirect = 302
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    status, headers, _ = fetch(demo, "/files/" + wheel)
    assert (status, headers["location"]) == (302, "/blobs/" + wheel)
    assert urllib.request.urlopen(demo.file_url(wheel)).read() == demo.data(wheel)
    demo.redirect("/old/", "/simple/", 301)
    assert fetch(demo, "/old/")[1]["location"] == "/simple/"


# -- caching headers -----------------------------------------------------------------


def test_etag_and_last_modified_give_304_until_the_page_changes(demo):
    """Conditional requests get 304 while the page is unchanged and 200 after an add."""
    demo.cache_control = "max-age=600"
    status, headers, _ = fetch(demo, "/simple/demo/")
    assert status == 200 and headers["cache-control"] == "max-age=600"
    etag, modified = headers["etag"], headers["last-modified"]
    status, headers, body = fetch(demo, "/simple/demo/", {"If-None-Match": etag})
    assert (status, body, headers["etag"]) == (304, b"", etag)
    assert fetch(demo, "/simple/demo/", {"If-Modified-Since": modified})[0] == 304
    assert fetch(demo, "/simple/demo/", {"If-None-Match": '"other"'})[0] == 200
    demo.add_wheel("demo", "1.1")
    assert fetch(demo, "/simple/demo/", {"If-None-Match": etag})[0] == 200
    assert fetch(demo, "/simple/demo/", {"If-Modified-Since": modified})[0] == 200
    demo.etag = demo.last_modified = False
    status, headers, _ = fetch(demo, "/simple/demo/", {"If-None-Match": etag})
    assert status == 200 and "etag" not in headers and "last-modified" not in headers


def test_pages_are_gzipped_on_request(demo):
    """Accept-Encoding: gzip gets a gzip body; files are never compressed."""
    plain = fetch(demo, "/simple/demo/")[2]
    status, headers, body = fetch(demo, "/simple/demo/", {"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    assert "content-encoding" not in fetch(demo, "/files/" + wheel, {"Accept-Encoding": "gzip"})[1]


# -- auth -----------------------------------------------------------------------------


def test_basic_auth_is_required_when_configured(demo):
    """With auth set, requests without (or with wrong) credentials get 401."""
    demo.auth = ("user", "s3cret")
    status, headers, _ = fetch(demo, "/simple/demo/")
    assert status == 401 and headers["www-authenticate"].startswith("Basic")
    bad = base64.b64encode(b"user:wrong").decode()
    assert fetch(demo, "/simple/demo/", {"Authorization": "Basic " + bad})[0] == 401
    good = base64.b64encode(b"user:s3cret").decode()
    assert fetch(demo, "/simple/demo/", {"Authorization": "Basic " + good})[0] == 200


# -- faults ---------------------------------------------------------------------------


def test_status_faults_fire_the_given_number_of_times(demo):
    """A 500 fault hits twice then the page is served; 429 carries Retry-After."""
    fault = demo.fail("/simple/demo/", 500, times=2)
    assert [fetch(demo, "/simple/demo/")[0] for _ in range(3)] == [500, 500, 200]
    assert fault.hits == 2
    demo.fail("/simple/*", 429, retry_after=3)
    status, headers, _ = fetch(demo, "/simple/demo/")
    assert (status, headers["retry-after"]) == (429, "3")


def test_drop_and_truncate_faults_cut_the_body(demo):
    """drop resets the connection mid-body; truncate sends less than Content-Length."""
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    for kind in ("drop", "truncate"):
        demo.inject("/files/" + wheel, kind)
        conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=5)
        conn.request("GET", "/files/" + wheel)
        resp = conn.getresponse()
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            resp.read()
        conn.close()
    assert fetch(demo, "/files/" + wheel)[2] == demo.data(wheel)


def test_corrupt_fault_serves_a_body_that_fails_the_index_hash(demo):
    """corrupt serves a same-length body whose sha256 differs from the listed one."""
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    demo.inject("/files/" + wheel, "corrupt")
    body = fetch(demo, "/files/" + wheel)[2]
    assert len(body) == len(demo.data(wheel)) and body != demo.data(wheel)


def test_wrong_hash_in_index_is_listed(index_server):
    """hashes= lists a hash that does not match the served file."""
    name = index_server.add("demo-1.0-py3-none-any.whl", support.make_wheel("demo", "1.0"), hashes={"sha256": "0" * 64})
    assert "#sha256=" + "0" * 64 in fetch(index_server, "/simple/demo/")[2].decode()
    assert name.endswith(WHEEL)


def test_malformed_fault_breaks_the_page(demo):
    """malformed serves an unparseable JSON page with status 200."""
    demo.inject("/simple/demo/", "malformed")
    status, _, body = fetch(demo, "/simple/demo/", {"Accept": JSON_CONTENT_TYPE})
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)


def test_delay_fault_slows_the_response(demo):
    """delay waits before answering."""
    demo.inject("/simple/demo/", "delay", seconds=0.3)
    start = time.monotonic()
    assert fetch(demo, "/simple/demo/")[0] == 200
    assert time.monotonic() - start >= 0.3


# -- counters, keep-alive, lifecycle ----------------------------------------------------


def test_keep_alive_client_uses_one_connection_and_requests_are_counted(demo):
    """A reused http.client connection counts once, whatever the answers (200/404/301/304/416)."""
    demo.reset_counters()
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=10)
    etag = fetch(demo, "/simple/demo/", conn=conn)[1]["etag"]
    fetch(demo, "/simple/demo/", {"If-None-Match": etag}, conn=conn)
    fetch(demo, "/simple/Demo/", conn=conn)
    fetch(demo, "/simple/missing/", conn=conn)
    fetch(demo, "/files/" + wheel, {"Range": "bytes=999999-"}, conn=conn)
    for _ in range(5):
        fetch(demo, "/files/" + wheel, conn=conn)
    conn.close()
    assert demo.connections == 1
    assert demo.total_requests == 10
    assert demo.requests_for("/files/" + wheel) == 6
    assert demo.requests_for("/simple/*") == 4
    assert demo.log[0].method == "GET" and demo.log[1].status == 304
    assert demo.bytes_sent > 5 * len(demo.data(wheel))


def test_separate_connections_are_counted(demo):
    """Each new client connection is counted."""
    demo.reset_counters()
    for _ in range(3):
        fetch(demo, "/simple/")
    assert demo.connections == 3


def test_write_mirror_makes_a_static_file_index(demo, tmp_path):
    """write_mirror writes simple/<name>/index.html whose relative links reach the files."""
    simple = demo.write_mirror(tmp_path / "mirror")
    page_url = pathlib.Path(simple, "demo", "index.html").as_uri()
    html = urllib.request.urlopen(page_url).read().decode()
    wheel = next(f for f in demo.filenames if f.endswith(".whl"))
    href = html.split('href="')[1].split("#")[0]
    assert href == "../../files/" + wheel
    assert urllib.request.urlopen(urllib.parse.urljoin(page_url, href)).read() == demo.data(wheel)
    assert os.path.exists(os.path.join(tmp_path, "mirror", "files", wheel + ".metadata"))
    flat = demo.write_flat(tmp_path / "flat")
    assert sorted(os.listdir(flat)) == sorted(demo.filenames)


def test_stop_is_fast_and_leaves_no_threads_with_idle_connections_open():
    """Stopping with idle keep-alive connections and a pending delay takes well under a second."""
    before = set(threading.enumerate())
    server = support.IndexServer().start()
    server.add_wheel("demo", "1.0")
    conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(3)]
    for conn in conns:
        fetch(server, "/simple/demo/", conn=conn)
    server.inject("/slow", "delay", seconds=30)
    slow = threading.Thread(target=lambda: fetch_quietly(server, "/slow"))
    slow.start()
    time.sleep(0.1)
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 1.0
    slow.join(5)
    for conn in conns:
        conn.close()
    lingering = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert lingering == []


def fetch_quietly(server, path):
    try:
        fetch(server, path)
    except (OSError, http.client.HTTPException):
        pass


def test_conftest_fixtures_give_a_clean_environment(clean_env, tmp_cache, venv_factory):
    """clean_env drops PIP_* and friends (only PIP_CONFIG_FILE is set: to the null
    device, so no pip.conf is read); venv_factory makes a working bare venv."""
    assert not any(k.startswith(("PIP_", "PUFFIN_")) for k in clean_env if k != "PIP_CONFIG_FILE")
    assert clean_env["PIP_CONFIG_FILE"] == os.devnull
    assert "VIRTUAL_ENV" not in os.environ and clean_env["XDG_CACHE_HOME"] == os.environ["XDG_CACHE_HOME"]
    assert os.path.isdir(tmp_cache)
    venv = venv_factory()
    out = subprocess.run([venv.python, "-c", "import sys; print(sys.prefix)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert os.path.realpath(out) == os.path.realpath(venv.path)
    assert os.path.basename(os.path.dirname(venv.site_packages)) == "python" + venv.version
    assert os.path.isdir(venv.site_packages)


def test_sixteen_keep_alive_clients_share_sixteen_connections(demo):
    """200 page fetches from 16 threads, each reusing its own connection, open 16 connections."""
    from concurrent.futures import ThreadPoolExecutor
    demo.reset_counters()
    local, conns = threading.local(), []

    def get(_):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=10)
            conns.append(local.conn)
        return fetch(demo, "/simple/demo/", conn=local.conn)[0]

    barrier = threading.Barrier(16)

    def warm(_):  # make sure all 16 threads exist and hold a connection
        get(None)
        barrier.wait(5)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(warm, range(16)))
        statuses = list(pool.map(get, range(184)))
    for conn in conns:
        conn.close()
    assert set(statuses) == {200}
    assert demo.total_requests == 200
    assert demo.connections == 16


def test_run_puffin_runs_the_script_with_a_clean_environment(run_puffin):
    """run_puffin runs puffin.py in a subprocess and returns (code, stdout, stderr)."""
    code, out, err = run_puffin(["--version"])
    assert code == 0 and out.startswith("puffin")
    result = run_puffin(["--version"])
    assert (result.returncode, result.stdout) == (code, out)


def test_venv_factory_makes_venvs_for_other_interpreters(venv_factory):
    """venv_factory("3.9") makes a venv for a pyenv Python 3.9 (skipped when absent)."""
    venv = venv_factory("3.9", name="py39")
    assert venv.version == "3.9"
    out = subprocess.run([venv.python, "-c", "import sys; print(sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(3, 9)"
    assert os.path.isdir(venv.site_packages)


def test_auth_url_embeds_the_credentials(index_server):
    """auth_url puts quoted credentials into the URL."""
    index_server.auth = ("me", "p@ss:word")
    assert index_server.auth_url() == "http://me:p%%40ss%%3Aword@127.0.0.1:%d/simple" % index_server.port


def test_requests_for_matches_decoded_paths_of_local_versions(index_server):
    """A '+' in a filename is quoted in URLs but counted under its plain name."""
    name = index_server.add_wheel("demo", "1.0+local")
    url = index_server.file_url(name)
    assert "%2B" in url
    assert urllib.request.urlopen(url).read() == index_server.data(name)
    assert index_server.requests_for("/files/" + name) == 1
    assert index_server.requests_for("/files/*", method="HEAD") == 0
