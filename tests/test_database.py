"""Section 9: metadata by the cheapest means, verified downloads, wheels unzipped once."""

from __future__ import annotations

import os
import pathlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import puffin
import support


def setup(cache_dir, server, *, offline=False, **http_kw):
    http_kw.setdefault("backoff", 0.01)
    http = puffin.HttpClient(env={}, dns=puffin.DnsCache(), offline=offline, **http_kw)
    cache = puffin.Cache(str(cache_dir))
    url = server.index_url if server is not None else "http://127.0.0.1:9/simple"
    client = puffin.RegistryClient(puffin.IndexLocations(url), cache, http, offline=offline)
    return client, puffin.DistributionDatabase(client, cache)


def the_file(client, filename):
    return {f.filename: f for f in client.files(filename.split("-")[0])}[filename]


def big_wheel(server, name="big", version="1.0", size=2_000_000, nfiles=1, **kw):
    """A wheel whose bulk is incompressible, so a whole download is easy to tell apart."""
    files = {"%s/data%d.bin" % (name, i): os.urandom(size // nfiles) for i in range(nfiles)}
    return server.add_wheel(name, version, files=files, deps=["dep>=1"], **kw)


def file_requests(server, filename):
    return [r for r in server.log if r.path.split("?")[0] == "/files/" + filename]


def test_pep658_metadata_is_read_without_touching_the_wheel(index_server, tmp_path):
    """With core-metadata advertised: one .metadata request, hash-checked, wheel untouched."""
    fn = big_wheel(index_server)
    client, db = setup(tmp_path, index_server)
    md = db.metadata(the_file(client, fn))
    assert md.name == "big" and str(md.version) == "1.0"
    assert [str(r) for r in md.requires_dist] == ["dep>=1"]
    assert index_server.requests_for("/files/" + fn + ".metadata") == 1
    assert file_requests(index_server, fn) == []


def test_a_pep658_file_that_does_not_match_its_hash_is_refused(index_server, tmp_path):
    """A corrupted .metadata file raises HashMismatchError; nothing is cached."""
    fn = index_server.add_wheel("small", "1.0")
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    index_server.inject("/files/" + fn + ".metadata", "corrupt")
    with pytest.raises(puffin.HashMismatchError) as e:
        db.metadata(f)
    assert e.value.filename == fn + ".metadata"
    meta_root = os.path.join(str(tmp_path), "metadata-v0")
    assert [n for _, _, names in os.walk(meta_root) for n in names if n.endswith(".json")] == []


def test_range_requests_read_a_remote_wheel_without_downloading_it(index_server, tmp_path):
    """PEP 658 off: a suffix read of the tail (plus maybe one more) gives METADATA."""
    index_server.pep658 = False
    fn = big_wheel(index_server)
    size = len(index_server.data(fn))
    client, db = setup(tmp_path, index_server)
    index_server.reset_counters()
    md = db.metadata(the_file(client, fn))
    assert md.name == "big"
    reqs = file_requests(index_server, fn)
    assert 1 <= len(reqs) <= 2 and all("range" in r.headers for r in reqs)
    assert reqs[0].headers["range"].startswith("bytes=-")
    assert index_server.bytes_sent < size / 20
    assert db.stats["range"] == 1 and db.stats["full"] == 0


def test_range_reads_cope_with_a_central_directory_bigger_than_the_tail(index_server, tmp_path):
    """A wheel of 3000 files: the directory is fetched with one more range request."""
    index_server.pep658 = False
    fn = big_wheel(index_server, "many", nfiles=3000, size=3_000_000)
    size = len(index_server.data(fn))
    client, db = setup(tmp_path, index_server)
    index_server.reset_counters()
    assert db.metadata(the_file(client, fn)).name == "many"
    reqs = file_requests(index_server, fn)
    assert 2 <= len(reqs) <= 3 and all("range" in r.headers for r in reqs)
    assert index_server.bytes_sent < size / 5


def test_a_server_that_refuses_ranges_costs_one_download_kept_for_the_install(index_server, tmp_path):
    """Ranges ignored: the single full answer is streamed into the wheel cache and reused."""
    index_server.pep658 = False
    index_server.ranges = False
    fn = big_wheel(index_server)
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    assert db.metadata(f).name == "big"
    assert len(file_requests(index_server, fn)) == 1
    folder = db.fetch_wheel(f)
    assert len(file_requests(index_server, fn)) == 1
    assert os.path.isfile(os.path.join(folder, "big", "data0.bin"))


def test_metadata_is_cached_across_runs(index_server, tmp_path):
    """A second database over the same cache answers with no request at all."""
    index_server.pep658 = False
    fn = big_wheel(index_server)
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    first = db.metadata(f)
    index_server.reset_counters()
    _, db2 = setup(tmp_path, index_server)
    assert db2.metadata(f) == first or db2.metadata(f).name == first.name
    assert index_server.total_requests == 0


def test_local_wheels_and_static_sdists_are_read_in_place(tmp_path):
    """A path dist's METADATA/PKG-INFO is read from the archive; nothing enters the cache."""
    wheel = support.make_wheel("loc", "1.0", deps=["a"], out_dir=str(tmp_path / "in"))
    sdist = support.make_sdist("loc", "2.0", deps=["b"], static=True, out_dir=str(tmp_path / "in"))
    _, db = setup(tmp_path / "cache", None)
    md = db.metadata(puffin.Dist("loc", kind="path", path=wheel))
    assert str(md.version) == "1.0" and [str(r) for r in md.requires_dist] == ["a"]
    md = db.metadata(puffin.Dist("loc", kind="path", path=sdist))
    assert str(md.version) == "2.0" and [str(r) for r in md.requires_dist] == ["b"]
    assert not os.path.exists(os.path.join(str(tmp_path / "cache"), "metadata-v0"))


def test_dynamic_sdists_need_a_build(index_server, tmp_path):
    """An sdist whose PKG-INFO is not static raises NeedsBuildError with the archive's path."""
    fn = index_server.add_sdist("dyn", "1.0", static=False)
    client, db = setup(tmp_path, index_server)
    with pytest.raises(puffin.BuildError) as e:
        db.metadata(the_file(client, fn))
    assert isinstance(e.value, puffin.NeedsBuildError)
    assert e.value.path and os.path.isfile(e.value.path)
    with pytest.raises(puffin.NeedsBuildError):
        db.metadata(puffin.Dist("proj", kind="directory", path=str(tmp_path)))


def test_remote_static_sdists_give_their_pkg_info(index_server, tmp_path):
    """A static sdist on the index is downloaded once and its PKG-INFO used."""
    fn = index_server.add_sdist("stat", "1.0", static=True, deps=["x<2"])
    client, db = setup(tmp_path, index_server)
    md = db.metadata(the_file(client, fn))
    assert [str(r) for r in md.requires_dist] == ["x<2"]


def test_fetch_wheel_unzips_into_the_archive_bucket_by_sha256(index_server, tmp_path):
    """fetch_wheel returns archive-v0/NAME/SHA256 with the wheel's files."""
    fn = index_server.add_wheel("pkg", "1.0", files={"pkg/__init__.py": b"X = 1\n"})
    client, db = setup(tmp_path, index_server)
    folder = db.fetch_wheel(the_file(client, fn))
    sha = support.sha256(index_server.data(fn))
    assert folder == os.path.join(str(tmp_path), "archive-v0", "pkg", sha)
    assert pathlib.Path(folder, "pkg", "__init__.py").read_bytes() == b"X = 1\n"
    assert os.path.isdir(os.path.join(folder, "pkg-1.0.dist-info"))


def test_a_hash_mismatch_names_the_file_and_caches_nothing(index_server, tmp_path):
    """A wrong index hash: HashMismatchError with file, expected, actual; no wheel, no temp file."""
    fn = index_server.add_wheel("bad", "1.0", hashes={"sha256": "0" * 64})
    client, db = setup(tmp_path, index_server)
    with pytest.raises(puffin.HashMismatchError) as e:
        db.fetch_wheel(the_file(client, fn))
    err = e.value
    assert err.filename == fn and err.expected == {"sha256": {"0" * 64}}
    assert err.actual == support.sha256(index_server.data(fn))
    for bucket in ("wheels-v0", "archive-v0"):
        root = os.path.join(str(tmp_path), bucket)
        found = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names
                 if not n.endswith(".lock")]
        assert found == []


def test_user_hashes_are_checked_too(index_server, tmp_path):
    """--hash values that do not match the file refuse it even when the index agrees."""
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    with pytest.raises(puffin.HashMismatchError):
        db.fetch_wheel(the_file(client, fn), expected_hashes=["sha256:" + "1" * 64])
    good = support.sha256(index_server.data(fn))
    assert db.fetch_wheel(the_file(client, fn), expected_hashes=["sha256:" + good])


def cache_files(cache_dir, bucket):
    root = os.path.join(str(cache_dir), bucket)
    return [os.path.join(d, n) for d, _, names in os.walk(root) for n in names
            if not n.endswith(".lock")]


def test_a_corrupted_download_is_refused_and_cut_ones_retried(index_server, tmp_path):
    """Bytes flipped in transit -> HashMismatchError with nothing cached; a connection
    dropped or a body truncated midway -> retried, and the cached wheel is whole."""
    fn = big_wheel(index_server, size=500_000)
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    index_server.inject("/files/" + fn, "corrupt")
    with pytest.raises(puffin.HashMismatchError):
        db.fetch_wheel(f)
    assert cache_files(tmp_path, "wheels-v0") == [] and cache_files(tmp_path, "archive-v0") == []
    _, db2 = setup(tmp_path, index_server)
    index_server.inject("/files/" + fn, "drop")
    index_server.inject("/files/" + fn, "truncate")
    folder = db2.fetch_wheel(f)
    assert len(file_requests(index_server, fn)) == 4
    assert os.path.getsize(os.path.join(folder, "big", "data0.bin")) == 500_000
    [kept] = cache_files(tmp_path, "wheels-v0")
    assert support.sha256(pathlib.Path(kept).read_bytes()) == f.hashes["sha256"]


def test_range_reads_follow_redirects_to_the_file_host(index_server, tmp_path):
    """Files that redirect (as to a CDN) are still read by ranges, not downloaded."""
    index_server.pep658 = False
    index_server.files_redirect = 302
    fn = big_wheel(index_server)
    client, db = setup(tmp_path, index_server)
    assert db.metadata(the_file(client, fn)).name == "big"
    blobs = [r for r in index_server.log if r.path.startswith("/blobs/")]
    assert blobs and all("range" in r.headers for r in blobs)
    assert db.stats["full"] == 0


def test_identical_fetches_in_flight_happen_once(index_server, tmp_path):
    """Eight threads asking for the same wheel cause one download."""
    fn = big_wheel(index_server, size=300_000)
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    index_server.inject("/files/" + fn, "delay", seconds=0.3)
    with ThreadPoolExecutor(8) as pool:
        folders = set(pool.map(lambda _: db.fetch_wheel(f), range(8)))
    assert len(folders) == 1
    assert len(file_requests(index_server, fn)) == 1


def test_a_warm_cache_installs_a_pinned_wheel_with_no_network(index_server, tmp_path):
    """Once unzipped, the wheel is found by sha256 alone: offline, with the server gone."""
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    folder = db.fetch_wheel(f)
    index_server.stop()
    _, offline_db = setup(tmp_path, None, offline=True)
    assert offline_db.cached_wheel(f) == folder
    assert offline_db.fetch_wheel(f) == folder
    dist = puffin.Dist("pkg", kind="url", url=f.url)
    assert offline_db.cached_wheel(dist, expected_hashes={"sha256": f.hashes["sha256"]}) == folder
    pin = puffin.Dist("pkg", version=f.version, kind="registry")  # a lock's `pkg==1.0 --hash`
    assert offline_db.cached_wheel(pin, expected_hashes=["sha256:" + f.hashes["sha256"]]) == folder
    assert offline_db.cached_wheel(pin, expected_hashes=["sha256:" + "0" * 64]) is None


def test_offline_without_the_wheel_says_what_is_missing(index_server, tmp_path):
    """Offline and not cached: OfflineError naming the file."""
    fn = index_server.add_wheel("pkg", "1.0")
    client, _ = setup(tmp_path, index_server)
    f = the_file(client, fn)
    _, db = setup(tmp_path, None, offline=True)
    assert db.cached_wheel(f) is None
    with pytest.raises(puffin.OfflineError) as e:
        db.fetch_wheel(f)
    assert fn in str(e.value)


def test_url_wheels_without_a_hash_are_found_again_by_url(index_server, tmp_path):
    """A direct URL with no hash is hashed on download and found again on the next run."""
    fn = index_server.add_wheel("pkg", "1.0")
    dist = puffin.Dist("pkg", kind="url", url=index_server.file_url(fn))
    _, db = setup(tmp_path, index_server)
    folder = db.fetch_wheel(dist)
    _, db2 = setup(tmp_path, None, offline=True)
    assert db2.cached_wheel(dist) == folder


def test_local_wheels_are_unzipped_from_where_they_are(tmp_path):
    """A path wheel is hashed and unzipped without a copy in wheels-v0."""
    wheel = support.make_wheel("loc", "1.0", out_dir=str(tmp_path / "in"))
    _, db = setup(tmp_path / "cache", None)
    folder = db.fetch_wheel(puffin.Dist("loc", kind="path", path=wheel))
    assert os.path.isdir(os.path.join(folder, "loc"))
    assert not os.path.exists(os.path.join(str(tmp_path / "cache"), "wheels-v0", "loc"))


def test_download_memory_stays_flat(index_server, tmp_path):
    """A 24 MB wheel is streamed: peak traced memory stays far below its size."""
    import tracemalloc
    fn = "huge-1.0-py3-none-any.whl"
    index_server.add(fn,
                          support.make_wheel("huge", "1.0", files={"huge/blob": os.urandom(24_000_000)}))
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    tracemalloc.start()
    try:
        path = db.fetch_file(f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert os.path.getsize(path) == len(index_server.data(fn))
    assert peak < 4_000_000


# ---- live: the real default index ----------------------------------------------------

# Popular packages, pure and binary, pinned (CPython 3.11 Linux x86_64 wheels exist for all).
LIVE_SET = [
    ("requests", "2.31.0"), ("urllib3", "2.2.1"), ("idna", "3.6"), ("certifi", "2024.2.2"),
    ("charset-normalizer", "3.3.2"), ("six", "1.16.0"), ("packaging", "24.0"),
    ("attrs", "23.2.0"), ("click", "8.1.7"), ("jinja2", "3.1.3"), ("markupsafe", "2.1.5"),
    ("pyyaml", "6.0.1"), ("numpy", "1.26.4"), ("python-dateutil", "2.9.0.post0"),
    ("pytz", "2024.1"), ("typing-extensions", "4.10.0"), ("wheel", "0.43.0"),
    ("setuptools", "69.2.0"), ("pip", "24.0"), ("cryptography", "42.0.5"), ("cffi", "1.16.0"),
    ("pycparser", "2.21"), ("pydantic", "2.6.4"), ("pydantic-core", "2.16.3"),
    ("protobuf", "4.25.3"), ("grpcio", "1.62.1"), ("psutil", "5.9.8"), ("lxml", "5.1.0"),
    ("pillow", "10.2.0"), ("pandas", "2.2.1"),
]


def _pick_wheel(files, version):
    wheels = [f for f in files if f.is_wheel and str(f.version) == version]
    for pred in (lambda f: f.filename.endswith("-none-any.whl"),
                 lambda f: "cp311-cp311-manylinux" in f.filename and "x86_64" in f.filename,
                 lambda f: "abi3-manylinux" in f.filename and "x86_64" in f.filename):
        chosen = [f for f in wheels if pred(f)]
        if chosen:
            return chosen[0]
    raise AssertionError("no wheel for %s" % version)


@pytest.mark.live
def test_live_metadata_of_thirty_packages_without_downloading_any_wheel(tmp_path):
    """The real index: each package's metadata comes from PEP 658 or range reads, never a
    whole wheel; the bytes received are a small fraction of the wheels' sizes."""
    dns = puffin.DnsCache()  # a stalled lookup is overtaken by another after 10 s
    http = puffin.HttpClient(env={}, retries=5, backoff=1.0, timeout=60, dns=dns)
    cache = puffin.Cache(str(tmp_path))
    client = puffin.RegistryClient(puffin.IndexLocations(), cache, http)
    db = puffin.DistributionDatabase(client, cache)

    with ThreadPoolExecutor(8) as pool:  # the pages first (this index sends them uncompressed)
        picked = list(pool.map(lambda item: _pick_wheel(client.files(item[0]), item[1]), LIVE_SET))
    before = http.stats["bytes"]

    def one(f):
        md = db.metadata(f)
        assert puffin.canonicalize_name(md.name) == f.name
        assert str(md.version) == str(f.version)
        return md

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, picked))
    received = http.stats["bytes"] - before
    total_size = sum(f.size for f in picked)
    assert db.stats["full"] == 0
    assert db.stats["pep658"] + db.stats["range"] == len(LIVE_SET)
    wheels = os.path.join(str(tmp_path), "wheels-v0")
    kept = [d for d in os.listdir(wheels)] if os.path.isdir(wheels) else []
    assert all(f.size <= 32 * 1024 for f in picked if f.name in kept)  # only tails that were whole
    # at most a few tens of KiB per wheel, against tens of MiB for the wheels themselves
    assert received < 100 * 1024 * len(LIVE_SET), received
    assert received < total_size / 20, (received, total_size)
    # each host resolved once (a second attempt only if the first stalled), however many threads
    assert all(n <= dns.attempts for n in dns.lookups.values()) and len(dns.lookups) <= 2
    # a second database over the warm cache reads all metadata without the network
    offline = puffin.HttpClient(env={}, offline=True)
    warm = puffin.DistributionDatabase(
        puffin.RegistryClient(puffin.IndexLocations(), cache, offline, offline=True), cache)
    for f in picked:
        assert warm.metadata(f).version == db.metadata(f).version
