"""`puffin.py index DIR`: a folder of wheels and sdists becomes a static simple
index (DIR/simple/, PEP 503 HTML with PEP 691 JSON twins, PEP 658 .metadata
files beside the archives) that any static file server can serve.

The tests run the script as users do, read the pages back with the standard
library, then serve DIR with ``http.server`` (the simplest static server: it
sends index.html for a folder URL whatever the Accept header asks, and knows
no range requests) and install from it with pip-install, counting requests.
"""

from __future__ import annotations

import functools
import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urljoin

import pytest

import support
from support import dist_infos
from support import puffin_cli as puffin
from support import run_python as py


# ---- helpers ------------------------------------------------------------------------------

def sha256_of(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(path: str) -> list:
    """The <a> attributes of an HTML page, entities unescaped (as clients read them)."""
    parser = _Anchors()
    parser.feed(read(path).decode("utf-8"))
    parser.close()
    return parser.anchors


def page_files(folder: str, project: str) -> dict:
    """{filename: anchor attrs} of a project's HTML page."""
    out = {}
    for a in anchors(os.path.join(folder, "simple", project, "index.html")):
        url = urljoin("http://host/simple/%s/" % project, a["href"])
        out[unquote(url.split("#")[0].rsplit("/", 1)[1])] = dict(a, url=url)
    return out


def json_page(folder: str, *parts) -> dict:
    return json.loads(read(os.path.join(folder, "simple", *parts, "index.json")))


def index(folder, *args, env):
    return puffin(sys.executable, "index", folder, *args, env=env)


def page_stats(folder: str) -> dict:
    """{relative path: (bytes, mtime_ns)} of every page under DIR/simple."""
    out = {}
    simple = os.path.join(folder, "simple")
    for root, _dirs, files in os.walk(simple):
        for name in files:
            if name.startswith("index."):
                path = os.path.join(root, name)
                out[os.path.relpath(path, simple)] = (read(path), os.stat(path).st_mtime_ns)
    return out


class _Recorder(SimpleHTTPRequestHandler):
    """http.server's static handler, recording (path, Range header) of each request."""

    requests: list = None

    def do_GET(self):
        self.requests.append((self.path, self.headers.get("Range")))
        super().do_GET()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextmanager
def served(folder: str):
    """Serve ``folder`` statically on 127.0.0.1; yields (base URL, list of requests)."""
    requests = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def wheelhouse(tmp_path) -> str:
    """app 1.0 (needs lib, Requires-Python >=3.8,<4), lib 1.0 wheel + static sdist."""
    folder = str(tmp_path / "wheelhouse")
    os.makedirs(folder)
    support.make_wheel("app", "1.0", deps=["lib>=1"], requires_python=">=3.8,<4", out_dir=folder)
    support.make_wheel("lib", "1.0", out_dir=folder)
    support.make_sdist("lib", "1.0", out_dir=folder)
    return folder


# ---- the pages ------------------------------------------------------------------------------

def test_index_writes_a_page_per_project_and_a_root_page_and_says_so_in_one_line(wheelhouse, clean_env):
    """`index DIR` writes DIR/simple/ (root + one page per project) and prints the summary."""
    code, out, err = index(wheelhouse, env=clean_env)
    assert (code, out) == (0, "")
    assert err == "Indexed 3 files of 2 projects in [TIME] (3 pages written)\n"
    root = [a["href"] for a in anchors(os.path.join(wheelhouse, "simple", "index.html"))]
    assert root == ["app/", "lib/"]
    assert json_page(wheelhouse)["projects"] == [{"name": "app"}, {"name": "lib"}]
    assert sorted(page_files(wheelhouse, "lib")) == ["lib-1.0-py3-none-any.whl", "lib-1.0.tar.gz"]
    assert sorted(os.listdir(wheelhouse)) == [
        "app-1.0-py3-none-any.whl", "app-1.0-py3-none-any.whl.metadata",
        "lib-1.0-py3-none-any.whl", "lib-1.0-py3-none-any.whl.metadata",
        "lib-1.0.tar.gz", "lib-1.0.tar.gz.metadata", "simple"]


def test_html_links_point_at_the_files_in_place_with_their_sha256(wheelhouse, clean_env):
    """Each anchor's URL resolves to DIR/FILE (nothing is moved) and carries #sha256= of its bytes."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    for project in ("app", "lib"):
        for filename, a in page_files(wheelhouse, project).items():
            assert a["url"] == "http://host/%s#sha256=%s" % (filename, sha256_of(os.path.join(wheelhouse, filename)))


def test_requires_python_is_html_escaped_in_the_page_and_plain_in_json(wheelhouse, clean_env):
    """`>=3.8,<4` is written `&gt;=3.8,&lt;4` in the attribute and reads back as it was."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    raw = read(os.path.join(wheelhouse, "simple", "app", "index.html")).decode()
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in raw
    assert page_files(wheelhouse, "app")["app-1.0-py3-none-any.whl"]["data-requires-python"] == ">=3.8,<4"
    assert json_page(wheelhouse, "app")["files"][0]["requires-python"] == ">=3.8,<4"
    assert "data-requires-python" not in page_files(wheelhouse, "lib")["lib-1.0-py3-none-any.whl"]


def test_json_pages_carry_hashes_sizes_upload_times_and_versions(wheelhouse, clean_env):
    """The PEP 691 twin (api-version 1.1): hashes, size, upload-time from the mtime, versions, not yanked."""
    path = os.path.join(wheelhouse, "lib-1.0-py3-none-any.whl")
    os.utime(path, (1700000000, 1700000000))
    assert index(wheelhouse, env=clean_env)[0] == 0
    page = json_page(wheelhouse, "lib")
    assert page["meta"] == {"api-version": "1.1"}
    assert (page["name"], page["versions"]) == ("lib", ["1.0"])
    wheel = {f["filename"]: f for f in page["files"]}["lib-1.0-py3-none-any.whl"]
    assert wheel["url"] == "../../lib-1.0-py3-none-any.whl"
    assert wheel["hashes"] == {"sha256": sha256_of(path)}
    assert wheel["size"] == os.path.getsize(path)
    assert wheel["upload-time"] == "2023-11-14T22:13:20Z"
    assert wheel["yanked"] is False


def test_each_wheel_gets_a_metadata_file_whose_hash_the_pages_give(wheelhouse, clean_env):
    """PEP 658/714: FILE.metadata is the wheel's METADATA, byte for byte, named in both attributes and in JSON."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    for project, filename in (("app", "app-1.0-py3-none-any.whl"), ("lib", "lib-1.0-py3-none-any.whl")):
        metadata = read(os.path.join(wheelhouse, filename + ".metadata"))
        assert metadata == support.read_wheel_metadata(read(os.path.join(wheelhouse, filename)))
        digest = "sha256=" + hashlib.sha256(metadata).hexdigest()
        a = page_files(wheelhouse, project)[filename]
        assert (a["data-core-metadata"], a["data-dist-info-metadata"]) == (digest, digest)
        row = {f["filename"]: f for f in json_page(wheelhouse, project)["files"]}[filename]
        assert row["core-metadata"] == {"sha256": digest[7:]}


def test_an_sdist_gets_a_metadata_file_only_when_its_pkg_info_is_static(tmp_path, clean_env):
    """A Metadata-Version 2.2 PKG-INFO without Dynamic deps is offered; a 2.1 one is not (it needs a build)."""
    folder = str(tmp_path / "wh")
    support.make_sdist("fixed", "1.0", out_dir=folder, static=True)
    support.make_sdist("moving", "1.0", out_dir=folder, static=False)
    assert index(folder, env=clean_env)[0] == 0
    assert os.path.isfile(os.path.join(folder, "fixed-1.0.tar.gz.metadata"))
    assert not os.path.exists(os.path.join(folder, "moving-1.0.tar.gz.metadata"))
    assert "data-core-metadata" in page_files(folder, "fixed")["fixed-1.0.tar.gz"]
    assert "data-core-metadata" not in page_files(folder, "moving")["moving-1.0.tar.gz"]
    assert json_page(folder, "moving")["files"][0]["core-metadata"] is False


def test_project_names_are_normalized_and_files_sorted_by_version(tmp_path, clean_env):
    """Zope.Interface_X wheels go under simple/zope-interface-x/, 1.9 before 1.10."""
    folder = str(tmp_path / "wh")
    for version in ("1.10", "1.9"):
        support.make_wheel("Zope.Interface_X", version, out_dir=folder)
    assert index(folder, env=clean_env)[0] == 0
    page = json_page(folder, "zope-interface-x")
    assert page["versions"] == ["1.9", "1.10"]
    assert [f["filename"] for f in page["files"]] == [support.wheel_filename("Zope.Interface_X", "1.9"),
                                                      support.wheel_filename("Zope.Interface_X", "1.10")]


def test_base_url_makes_absolute_file_links(wheelhouse, clean_env):
    """--base-url: the files are served elsewhere; links point there (the .metadata beside them)."""
    code, _, err = index(wheelhouse, "--base-url", "https://files.example.com/wh/", env=clean_env)
    assert code == 0, err
    a = page_files(wheelhouse, "lib")["lib-1.0.tar.gz"]
    assert a["url"].startswith("https://files.example.com/wh/lib-1.0.tar.gz#sha256=")


def test_an_archive_that_is_not_a_distribution_is_skipped_with_a_warning(wheelhouse, clean_env):
    """A bad name or a broken wheel is named in a warning; the rest is indexed."""
    with open(os.path.join(wheelhouse, "not_a_wheel.whl"), "wb") as f:
        f.write(b"x")
    with open(os.path.join(wheelhouse, "broken-1.0-py3-none-any.whl"), "wb") as f:
        f.write(b"this is no zip")
    with open(os.path.join(wheelhouse, "README.txt"), "w") as f:
        f.write("not an archive: not even looked at")
    code, _, err = index(wheelhouse, env=clean_env)
    assert code == 0
    lines = err.splitlines()
    assert lines[-1] == "Indexed 3 files of 2 projects in [TIME] (3 pages written)"
    assert lines[0].startswith("warning: skipped `broken-1.0-py3-none-any.whl`: ")
    assert lines[1].startswith("warning: skipped `not_a_wheel.whl`: ")
    assert not os.path.exists(os.path.join(wheelhouse, "simple", "broken"))


def test_a_missing_folder_is_an_error(tmp_path, clean_env):
    """`index NOWHERE` exits 2 with one error line naming the folder."""
    code, _, err = index(str(tmp_path / "nowhere"), env=clean_env)
    assert code == 2
    assert err.startswith("error: ") and "nowhere" in err
    assert "Traceback" not in err


# ---- incremental --------------------------------------------------------------------------

def test_running_again_writes_nothing(wheelhouse, clean_env):
    """Nothing changed: `(0 pages written)`, every page keeps its bytes and its mtime."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    before = page_stats(wheelhouse)
    code, _, err = index(wheelhouse, env=clean_env)
    assert (code, err) == (0, "Indexed 3 files of 2 projects in [TIME] (0 pages written)\n")
    assert page_stats(wheelhouse) == before


def test_adding_a_wheel_later_rewrites_only_that_projects_page(wheelhouse, clean_env):
    """app 2.0 added: app's pages change; lib's and the root keep their bytes and mtimes."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    before = page_stats(wheelhouse)
    support.make_wheel("app", "2.0", deps=["lib>=1"], out_dir=wheelhouse)
    code, _, err = index(wheelhouse, env=clean_env)
    assert (code, err) == (0, "Indexed 4 files of 2 projects in [TIME] (1 page written)\n")
    after = page_stats(wheelhouse)
    changed = sorted(p for p in after if after[p] != before.get(p))
    assert changed == [os.path.join("app", "index.html"), os.path.join("app", "index.json")]
    assert "app-2.0-py3-none-any.whl" in page_files(wheelhouse, "app")
    assert os.path.isfile(os.path.join(wheelhouse, "app-2.0-py3-none-any.whl.metadata"))


def test_a_new_project_adds_its_page_and_the_root_page(wheelhouse, clean_env):
    """A wheel of a new project: its page and the root are written (2 pages), nothing else."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    before = page_stats(wheelhouse)
    support.make_wheel("extra-tool", "0.1", out_dir=wheelhouse)
    code, _, err = index(wheelhouse, env=clean_env)
    assert (code, err) == (0, "Indexed 4 files of 3 projects in [TIME] (2 pages written)\n")
    after = page_stats(wheelhouse)
    changed = sorted(p for p in after if after[p] != before.get(p))
    assert changed == sorted([os.path.join("extra-tool", "index.html"), os.path.join("extra-tool", "index.json"),
                              "index.html", "index.json"])


def test_unchanged_files_are_not_read_again(wheelhouse, clean_env):
    """Same size and mtime means the same file: its recorded hash is used, not recomputed."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    path = os.path.join(wheelhouse, "lib-1.0.tar.gz")
    st = os.stat(path)
    listed = page_files(wheelhouse, "lib")["lib-1.0.tar.gz"]["url"]
    with open(path, "r+b") as f:  # same size, other bytes, old mtime: only a reader would notice
        f.write(b"\0" * 16)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, _, err = index(wheelhouse, env=clean_env)
    assert (code, err) == (0, "Indexed 3 files of 2 projects in [TIME] (0 pages written)\n")
    assert page_files(wheelhouse, "lib")["lib-1.0.tar.gz"]["url"] == listed
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched: read again
    code, _, err = index(wheelhouse, env=clean_env)
    assert (code, err) == (0, "Indexed 3 files of 2 projects in [TIME] (1 page written)\n")
    assert page_files(wheelhouse, "lib")["lib-1.0.tar.gz"]["url"].endswith(sha256_of(path))


def test_removing_a_projects_last_file_removes_its_pages_and_metadata(wheelhouse, clean_env):
    """app's only wheel deleted: simple/app/ and app's .metadata go, the root forgets it."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    os.unlink(os.path.join(wheelhouse, "app-1.0-py3-none-any.whl"))
    code, _, err = index(wheelhouse, env=clean_env)
    assert (code, err) == (0, "Indexed 2 files of 1 project in [TIME] (1 page written)\n")
    assert not os.path.exists(os.path.join(wheelhouse, "simple", "app"))
    assert not os.path.exists(os.path.join(wheelhouse, "app-1.0-py3-none-any.whl.metadata"))
    assert [a["href"] for a in anchors(os.path.join(wheelhouse, "simple", "index.html"))] == ["lib/"]


def test_the_same_files_give_the_same_bytes(wheelhouse, tmp_path, clean_env):
    """Output is deterministic: a copy of the folder (mtimes kept) is indexed to identical pages."""
    copy = str(tmp_path / "copy")
    os.makedirs(copy)
    for name in os.listdir(wheelhouse):
        shutil.copy2(os.path.join(wheelhouse, name), copy)
    assert index(wheelhouse, env=clean_env)[0] == 0
    assert index(copy, env=clean_env)[0] == 0
    ours = {p: b for p, (b, _) in page_stats(wheelhouse).items()}
    theirs = {p: b for p, (b, _) in page_stats(copy).items()}
    assert ours == theirs


# ---- installing from it ---------------------------------------------------------------------

def test_pip_install_from_the_served_index_fetches_one_page_per_project_and_no_ranges(
        wheelhouse, clean_env, tmp_cache, venv_factory):
    """Served by http.server: one page per project, the .metadata files instead of range reads, each wheel once."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    with served(wheelhouse) as (url, requests):
        code, out, err = puffin(venv.python, "pip-install", "--index-url", url + "/simple/", "app", env=env)
    assert code == 0, err
    assert err.splitlines()[-2:] == [" + app==1.0", " + lib==1.0"]
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "1.0"}
    assert py(venv, "import app, lib; print(app.__version__, lib.__version__)") == "1.0 1.0"
    assert [r for r in requests if r[1] is not None] == []
    paths = sorted(p for p, _ in requests)
    assert paths == sorted(["/simple/app/", "/simple/lib/",
                            "/app-1.0-py3-none-any.whl.metadata", "/lib-1.0-py3-none-any.whl.metadata",
                            "/app-1.0-py3-none-any.whl", "/lib-1.0-py3-none-any.whl"])


def test_a_file_url_index_is_read_from_its_json_pages(wheelhouse, clean_env, tmp_cache, venv_factory):
    """--index-url file://DIR/simple works without a server (puffin.py reads the index.json twins)."""
    assert index(wheelhouse, env=clean_env)[0] == 0
    os.unlink(os.path.join(wheelhouse, "simple", "app", "index.html"))  # only the JSON twin is left
    venv = venv_factory()
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    url = "file://" + wheelhouse.replace(os.sep, "/") + "/simple"
    code, _, err = puffin(venv.python, "pip-install", "--index-url", url, "app", env=env)
    assert code == 0, err
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "1.0"}


# read at import: the clean_env fixture removes PUFFIN_* variables before a test runs
_UV = os.environ.get("PUFFIN_TEST_UV") or os.path.join(support.REPO_ROOT, "build", "tools", "bin", "uv")


def _uv() -> str | None:
    return _UV if os.path.isfile(_UV) and os.access(_UV, os.X_OK) else None


def test_uv_installs_from_the_served_index_too(wheelhouse, clean_env, tmp_path, venv_factory):
    """The pages are plain PEP 503 for other installers: uv resolves and installs app and lib from them."""
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not available ($PUFFIN_TEST_UV or build/tools/bin/uv)")
    assert index(wheelhouse, env=clean_env)[0] == 0
    venv = venv_factory()
    with served(wheelhouse) as (url, requests):
        proc = subprocess.run([uv, "pip", "install", "--no-config", "--cache-dir", str(tmp_path / "uv-cache"),
                               "--python", venv.python, "--index-url", url + "/simple/", "app"],
                              env=clean_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "1.0"}
    assert [r for r in requests if r[1] is not None] == []
    assert "/app-1.0-py3-none-any.whl.metadata" in [p for p, _ in requests]


def test_pip_installs_from_the_served_index_too(wheelhouse, clean_env, tmp_path):
    """pip (of the Python running the tests, when it has one) installs from the pages, reading the .metadata files."""
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip("pip is not available")
    assert index(wheelhouse, env=clean_env)[0] == 0
    target = str(tmp_path / "target")
    with served(wheelhouse) as (url, requests):
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-cache-dir", "--isolated",
                               "--disable-pip-version-check", "--target", target,
                               "--index-url", url + "/simple/", "app"],
                              env=clean_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert dist_infos(target) == {"app": "1.0", "lib": "1.0"}
    assert "/lib-1.0-py3-none-any.whl.metadata" in [p for p, _ in requests]
