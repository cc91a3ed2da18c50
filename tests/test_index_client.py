"""Section 8, pages: PEP 691/503 parsing, sources, index strategy, the page cache, offline."""

from __future__ import annotations

import os
import json
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest

import puffin
import support


def make_client(cache_dir, locations, *, offline=False, http=None, **kw):
    http = http or puffin.HttpClient(env={}, backoff=0.01, dns=puffin.DnsCache(), offline=offline)
    if isinstance(locations, str):
        locations = puffin.IndexLocations(locations)
    return puffin.RegistryClient(locations, puffin.Cache(str(cache_dir)), http,
                                 offline=offline, **kw)


@pytest.fixture
def server(index_server):
    s = index_server
    s.add_wheel("Foo_Bar", "1.0", requires_python=">=3.8,<4", upload_time="2024-01-02T03:04:05Z")
    s.add_wheel("foo-bar", "1.1", yanked="broken build")
    s.add_sdist("foo-bar", "1.1")
    return s


def by_name(files):
    return {f.filename: f for f in files}


def test_json_pages_give_every_field(server, tmp_path):
    """PEP 691: hashes, requires-python, yanked reason, core-metadata, size and upload-time."""
    files = by_name(make_client(tmp_path, server.index_url).files("foo-bar"))
    w = files["foo_bar-1.0-py3-none-any.whl"]
    assert w.hashes == {"sha256": support.sha256(server.data(w.filename))}
    assert w.requires_python == ">=3.8,<4"
    assert w.yanked is None and w.upload_time == "2024-01-02T03:04:05Z"
    assert w.size == len(server.data(w.filename))
    assert w.core_metadata and "sha256" in w.core_metadata
    assert w.url == server.file_url(w.filename) and w.index == server.index_url
    assert files["foo_bar-1.1-py3-none-any.whl"].yanked == "broken build"
    assert files["foo_bar-1.1.tar.gz"].core_metadata is None
    assert server.log[-1].headers["accept"].startswith("application/vnd.pypi.simple.v1+json")


def test_html_pages_give_the_same_files(server, tmp_path):
    """PEP 503 fallback: fragment hashes, unescaped data-requires-python, yanked, metadata."""
    json_files = make_client(tmp_path / "a", server.index_url).files("foo-bar")
    server.json = False
    html_files = make_client(tmp_path / "b", server.index_url).files("foo-bar")
    assert [f.filename for f in html_files] == [f.filename for f in json_files]
    for j, h in zip(json_files, html_files):
        assert (h.url, h.hashes, h.requires_python, h.yanked, h.core_metadata) == \
            (j.url, j.hashes, j.requires_python, j.yanked, j.core_metadata)
        assert h.size is None and h.upload_time is None  # PEP 700 is JSON-only


def test_relative_links_are_resolved_against_the_page(server, tmp_path):
    """Relative hrefs (../../files/x) become absolute URLs of the files."""
    server.relative_urls = True
    for fmt in (True, False):
        server.json = fmt
        files = make_client(tmp_path / str(fmt), server.index_url).files("foo-bar")
        assert all(f.url == server.file_url(f.filename) for f in files)


def test_names_are_normalized_and_unknown_packages_are_empty(server, tmp_path):
    """`Foo.Bar` finds foo-bar; a package no index knows gives []."""
    client = make_client(tmp_path, server.index_url)
    assert len(client.files("Foo.Bar")) == 3
    assert client.files("nothing-here") == []
    assert server.requests_for("/simple/nothing-here/") == 1


def test_html_parsing_handles_core_metadata_spellings():
    """data-core-metadata wins over data-dist-info-metadata; 'true' means available, no hash."""
    page = b"""<html><body>
    <a href="a-1.0-py3-none-any.whl#sha256=AB" data-dist-info-metadata="true">x</a>
    <a href="b-1.0-py3-none-any.whl" data-core-metadata="sha256=cd" data-dist-info-metadata="sha256=ee">x</a>
    <a href="c-1.0-py3-none-any.whl" data-requires-python="&gt;=3.9" data-yanked="">x</a>
    </body></html>"""
    rows = puffin.parse_html_page(page, "https://h/simple/a/")
    assert rows[0][2] == {"sha256": "ab"} and rows[0][7] == {}
    assert rows[1][7] == {"sha256": "cd"}
    assert rows[2][3] == ">=3.9" and rows[2][4] == ""
    assert rows[0][1] == "https://h/simple/a/a-1.0-py3-none-any.whl"


def test_first_index_gives_all_versions_of_the_first_index_that_knows_the_package(tmp_path):
    """Extra indexes are asked first; the first that has the package wins outright."""
    with support.IndexServer() as main, support.IndexServer() as extra:
        main.add_wheel("pkg", "2.0")
        extra.add_wheel("pkg", "1.0")
        main.add_wheel("only-main", "1.0")
        loc = puffin.IndexLocations(main.index_url, [extra.index_url])
        client = make_client(tmp_path / "a", loc)
        assert [f.filename for f in client.files("pkg")] == ["pkg-1.0-py3-none-any.whl"]
        assert [f.filename for f in client.files("only-main")] == ["only_main-1.0-py3-none-any.whl"]
        merged = make_client(tmp_path / "b", loc, index_strategy="unsafe-best-match")
        assert sorted(f.filename for f in merged.files("pkg")) == \
            ["pkg-1.0-py3-none-any.whl", "pkg-2.0-py3-none-any.whl"]
        none = make_client(tmp_path / "c", puffin.IndexLocations(main.index_url, no_index=True))
        assert none.files("pkg") == []


def test_find_links_folders_files_and_pages_add_to_the_index(server, tmp_path):
    """-f with a folder, a single archive and an HTML page all contribute files."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    path = support.make_wheel("foo-bar", "3.0", out_dir=str(folder))
    single = support.make_wheel("foo-bar", "4.0", out_dir=str(tmp_path))
    server.add_wheel("other", "1.0")
    loc = puffin.IndexLocations(server.index_url, find_links=[str(folder), single, server.find_links_url])
    files = make_client(tmp_path / "c", loc).files("foo-bar")
    names = [f.filename for f in files]
    assert names[:3] == ["foo_bar-1.0-py3-none-any.whl", "foo_bar-1.1-py3-none-any.whl",
                         "foo_bar-1.1.tar.gz"]
    assert "foo_bar-3.0-py3-none-any.whl" in names and "foo_bar-4.0-py3-none-any.whl" in names
    assert names.count("foo_bar-1.0-py3-none-any.whl") == 2  # the page of links lists it again
    local = by_name(files)["foo_bar-3.0-py3-none-any.whl"]
    assert local.url == pathlib.Path(path).as_uri()
    assert "other-1.0-py3-none-any.whl" not in names


def test_find_links_only_with_no_index(server, tmp_path):
    """--no-index -f DIR: only the folder is consulted, no request is made."""
    folder = server.write_flat(tmp_path / "flat")
    loc = puffin.IndexLocations(server.index_url, find_links=[folder], no_index=True)
    files = make_client(tmp_path / "c", loc).files("foo_bar")
    assert len(files) == 3 and server.total_requests == 0


def test_file_indexes_on_disk_are_read(server, tmp_path):
    """A static mirror under file:// works like an HTTP index, links resolved to file URLs."""
    simple = server.write_mirror(tmp_path / "mirror")
    files = make_client(tmp_path / "c", pathlib.Path(simple).as_uri()).files("Foo-Bar")
    assert len(files) == 3
    assert all(f.url.startswith("file://") and os.path.exists(puffin.file_url_to_path(f.url))
               for f in files)
    assert files[0].hashes["sha256"] == support.sha256(server.data(files[0].filename))
    assert make_client(tmp_path / "d", pathlib.Path(simple).as_uri()).files("nope") == []


def test_extra_indexes_come_before_the_default():
    assert puffin.IndexLocations("https://x/simple", ["https://e/simple"]).indexes() == \
        ["https://e/simple", "https://x/simple"]


# ---- the page cache ---------------------------------------------------------------


def test_a_warm_cache_within_max_age_makes_no_request(server, tmp_path):
    """Cache-Control: max-age=600 -> a second process-like client asks nothing."""
    server.cache_control = "max-age=600"
    first = make_client(tmp_path, server.index_url).files("foo-bar")
    server.reset_counters()
    second = make_client(tmp_path, server.index_url).files("foo-bar")
    assert second == first
    assert server.total_requests == 0


def test_a_stale_page_costs_one_conditional_request_answered_304(server, tmp_path):
    """Without max-age, the next run revalidates with If-None-Match and gets a 304."""
    first = make_client(tmp_path, server.index_url).files("foo-bar")
    server.reset_counters()
    second = make_client(tmp_path, server.index_url).files("foo-bar")
    assert second == first
    assert server.total_requests == 1
    assert server.log[0].status == 304 and "if-none-match" in server.log[0].headers


def test_a_changed_page_is_fetched_again(server, tmp_path):
    """A new upload changes the ETag: the revalidation returns the new file list."""
    make_client(tmp_path, server.index_url).files("foo-bar")
    server.add_wheel("foo-bar", "9.0")
    files = make_client(tmp_path, server.index_url).files("foo-bar")
    assert "foo_bar-9.0-py3-none-any.whl" in [f.filename for f in files]
    assert server.log[-1].status == 200


def test_pages_without_validators_are_refetched_and_reused_when_unchanged(server, tmp_path):
    """No ETag/Last-Modified (like the index these tests reach): one full request, same files."""
    server.etag = server.last_modified = False
    first = make_client(tmp_path, server.index_url).files("foo-bar")
    server.reset_counters()
    second = make_client(tmp_path, server.index_url).files("foo-bar")
    assert second == first and server.total_requests == 1


def test_offline_uses_stale_pages_and_names_what_is_missing(server, tmp_path):
    """--offline: cached pages are used whatever their age, with zero requests;
    a page never fetched is an OfflineError naming the package."""
    files = make_client(tmp_path, server.index_url).files("foo-bar")
    server.reset_counters()
    assert make_client(tmp_path, server.index_url, offline=True).files("foo-bar") == files
    with pytest.raises(puffin.OfflineError) as e:
        make_client(tmp_path, server.index_url, offline=True).files("unseen-pkg")
    assert "unseen-pkg" in str(e.value)
    assert server.total_requests == 0 and server.connections == 0


def test_refresh_revalidates_even_fresh_pages(server, tmp_path):
    """--refresh and --refresh-package NAME ask again despite max-age."""
    server.cache_control = "max-age=600"
    make_client(tmp_path, server.index_url).files("foo-bar")
    server.reset_counters()
    make_client(tmp_path, server.index_url, refresh=True).files("foo-bar")
    assert server.total_requests == 1
    make_client(tmp_path, server.index_url, refresh_packages=["Foo_Bar"]).files("foo-bar")
    assert server.total_requests == 2
    make_client(tmp_path, server.index_url, refresh_packages=["other"]).files("foo-bar")
    assert server.total_requests == 2


def test_a_corrupt_cached_page_is_discarded_and_fetched_again(server, tmp_path):
    """A truncated simple-v1 entry warns, is refetched, and the entry is whole afterwards."""
    client = make_client(tmp_path, server.index_url)
    files = client.files("foo-bar")
    path = client.cache.entry("simple-v1", puffin.index_cache_key(server.index_url), "foo-bar.json")
    data = pathlib.Path(path).read_bytes()
    pathlib.Path(path).write_bytes(data[: len(data) // 2])
    server.reset_counters()
    again = make_client(tmp_path, server.index_url).files("foo-bar")
    assert again == files and server.log[0].status == 200
    assert any("corrupt" in w and path in w for w in puffin._WARNINGS)
    assert puffin._CachedPage.parse(pathlib.Path(path).read_bytes()).rows()


def test_a_page_is_kept_as_marshalled_rows_and_older_entries_still_read(server, tmp_path):
    """simple-v1 keeps a page's parsed rows in marshal's format (they load faster than
    the page parses), for JSON and HTML pages alike; both read back into the same
    files, offline too; an entry an older run kept as the index's PEP 691 body is read."""
    import marshal
    for as_json in (True, False):
        server.json = as_json
        root = tmp_path / ("json" if as_json else "html")
        client = make_client(root, server.index_url)
        files = client.files("foo-bar")
        path = client.cache.entry("simple-v1", puffin.index_cache_key(server.index_url),
                                  "foo-bar.json")
        head, _, body = pathlib.Path(path).read_bytes().partition(b"\n")
        assert json.loads(head).get("body") == "marshal"
        assert [r[0] for r in marshal.loads(body)] == [f.filename for f in files]
        assert make_client(root, server.index_url, offline=True).files("foo-bar") == files
    # an entry of an older run: the PEP 691 body as the index sent it
    server.json = True
    old = tmp_path / "old"
    client = make_client(old, server.index_url)
    files = client.files("foo-bar")
    path = client.cache.entry("simple-v1", puffin.index_cache_key(server.index_url), "foo-bar.json")
    head = json.loads(pathlib.Path(path).read_bytes().partition(b"\n")[0])
    head["body"] = "pep691"
    page = client.http.request(server.index_url + "/foo-bar/", headers={"Accept": puffin._JSON_ACCEPT})
    pathlib.Path(path).write_bytes(json.dumps(head).encode() + b"\n" + page.body)
    assert make_client(old, server.index_url, offline=True).files("foo-bar") == files


def test_a_page_that_did_not_change_is_not_written_again(server, tmp_path):
    """The index sends the same page again (no validators, no freshness): the entry is
    not rewritten (a large project's page is megabytes)."""
    server.etag = server.last_modified = False
    client = make_client(tmp_path, server.index_url)
    files = client.files("foo-bar")
    path = client.cache.entry("simple-v1", puffin.index_cache_key(server.index_url), "foo-bar.json")
    before = os.stat(path).st_mtime_ns
    os.utime(path, ns=(before - 10**9, before - 10**9))
    assert make_client(tmp_path, server.index_url).files("foo-bar") == files
    assert os.stat(path).st_mtime_ns == before - 10**9


def test_faults_while_fetching_pages_never_leave_a_bad_entry(server, tmp_path):
    """A 500, a dropped body and a truncated body are retried; the cache holds the real page."""
    for kind, params in (("status", {"status": 500}), ("drop", {}), ("truncate", {})):
        server.inject("/simple/foo-bar/", kind, **params)
    server.gzip = False  # so that 'drop' and 'truncate' cut a plain body
    client = make_client(tmp_path / kind, server.index_url)
    files = client.files("foo-bar")
    assert len(files) == 3
    path = client.cache.entry("simple-v1", puffin.index_cache_key(server.index_url), "foo-bar.json")
    entry = puffin._CachedPage.parse(pathlib.Path(path).read_bytes())
    assert [r[0] for r in entry.rows()] == [f.filename for f in files]
    assert client.http.stats["retries"] == 3


def test_a_malformed_page_is_a_clear_error_and_is_not_cached(server, tmp_path):
    """A broken JSON page raises NetworkError naming the page; nothing is stored."""
    server.inject("/simple/foo-bar/", "malformed")
    client = make_client(tmp_path, server.index_url)
    with pytest.raises(puffin.NetworkError) as e:
        client.files("foo-bar")
    assert "/simple/foo-bar/" in str(e.value) and "malformed" in str(e.value)
    path = client.cache.entry("simple-v1", puffin.index_cache_key(server.index_url), "foo-bar.json")
    assert not os.path.exists(path)


def test_sixteen_threads_fetch_two_hundred_pages_over_a_few_connections(index_server, tmp_path):
    """200 packages fetched by 16 threads: new connections stay at most the pool size."""
    for i in range(200):
        index_server.add("p%d-1.0-py3-none-any.whl" % i, b"x", metadata=False)
    http = puffin.HttpClient(env={}, pool_size=16, dns=puffin.DnsCache())
    client = make_client(tmp_path, index_server.index_url, http=http)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: client.files("p%d" % i), range(200)))
    assert all(len(r) == 1 for r in results)
    assert index_server.requests_for("/simple/*") == 200
    assert index_server.connections <= 16
    assert http.stats["connections"] <= 16


def test_credentials_of_an_index_url_are_used_for_its_files_and_never_stored(index_server, tmp_path):
    """user:pass@index: pages and files on that host are fetched logged in; URLs kept clean."""
    index_server.add_wheel("priv", "1.0")
    index_server.auth = ("u", "p4ss")
    url = index_server.index_url.replace("http://", "http://u:p4ss@")
    client = make_client(tmp_path, url)
    files = client.files("priv")
    assert files and "p4ss" not in files[0].url and "p4ss" not in files[0].index
    assert client.http.get(files[0].url).status == 200
    for d, _, names in os.walk(str(tmp_path)):
        for n in names:
            assert b"p4ss" not in pathlib.Path(d, n).read_bytes()


def test_reading_pages_leaves_garbage_collection_as_it_found_it(index_server, tmp_path):
    """Pages read by 8 threads at once hold the collector off while their rows are built
    (they form no cycles); afterwards it is on again, and what was built is left out of
    later collections. A collector that was off stays off."""
    import gc
    for i in range(40):
        index_server.add("g%d-1.0-py3-none-any.whl" % i, b"x", metadata=False)
    client = make_client(tmp_path, index_server.index_url)
    frozen = gc.get_freeze_count()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: client.files("g%d" % i), range(20)))
    assert all(len(r) == 1 for r in results)
    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen
    gc.disable()
    try:
        assert len(client.files("g30")) == 1
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_default_concurrency_is_four_threads_per_core_between_4_and_16(monkeypatch):
    """PUFFIN_CONCURRENCY (or UV_CONCURRENT_DOWNLOADS) when set, else 4 per core, 4 to 16."""
    assert puffin.concurrency({"PUFFIN_CONCURRENCY": "3"}) == 3
    assert puffin.concurrency({"UV_CONCURRENT_DOWNLOADS": "32"}) == 32
    for cores, expected in ((1, 4), (2, 8), (3, 12), (8, 16), (None, 4)):
        monkeypatch.setattr(puffin.os, "cpu_count", lambda: cores)
        assert puffin.concurrency({}) == expected
    assert puffin.HttpClient(env={"PUFFIN_CONCURRENCY": "5"}).pool_size == 5
