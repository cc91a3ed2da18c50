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
    """A wheel of 3000 files: the rest of the directory, and the METADATA just before
    it, come with exactly one more range request."""
    index_server.pep658 = False
    fn = big_wheel(index_server, "many", nfiles=3000, size=3_000_000)
    size = len(index_server.data(fn))
    client, db = setup(tmp_path, index_server)
    index_server.reset_counters()
    assert db.metadata(the_file(client, fn)).name == "many"
    reqs = file_requests(index_server, fn)
    assert len(reqs) == 2 and all("range" in r.headers for r in reqs)
    assert index_server.bytes_sent < size / 5


def test_the_first_range_read_grows_with_the_wheel(index_server, tmp_path):
    """A big wheel of 600 files, whose directory and METADATA fill more than the least
    tail: its first read is sized from the listed size, so one request is enough."""
    index_server.pep658 = False
    fn = big_wheel(index_server, "wide", nfiles=600, size=6_000_000)
    size = len(index_server.data(fn))
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    assert f.size == size
    index_server.reset_counters()
    assert db.metadata(f).name == "wide"
    [req] = file_requests(index_server, fn)
    assert req.headers["range"] == "bytes=-%d" % puffin._range_tail(size)
    assert puffin._range_tail(size) > puffin._RANGE_TAIL and index_server.bytes_sent < size / 20


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
    # unzipped straight from memory: the archive is named by the verified digest,
    # and the wheel file itself is not kept
    assert os.path.basename(folder) == f.hashes["sha256"]
    assert not [p for p in cache_files(tmp_path, "wheels-v0") if p.endswith(".whl")]


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
    assert all(f.size <= puffin._RANGE_TAIL for f in picked if f.name in kept)  # only tails that were whole
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


# ---- pins answered from the cache alone ------------------------------------------------

LINUX_TAGS = puffin.TagPriority(["cp311-cp311-manylinux_2_17_x86_64", "cp311-abi3-manylinux_2_17_x86_64",
                                 "py3-none-manylinux_2_17_x86_64", "py3-none-any"])


def fill(client, db, *filenames):
    """Fetch (download + unzip) each named file from the index, as an install would."""
    for fn in filenames:
        db.fetch_wheel(the_file(client, fn))


def test_a_pinned_wheel_fetched_once_is_found_again_with_no_request(index_server, tmp_path):
    """After one install, `pkg==1.0` is answered from the cache: zero requests, and the
    Dist it gives is the one fetch_wheel and cached_wheel find unzipped."""
    fn = index_server.add_wheel("pkg", "1.0", files={"pkg/__init__.py": b"X = 1\n"})
    client, db = setup(tmp_path, index_server)
    folder = db.fetch_wheel(the_file(client, fn))
    index_server.reset_counters()
    _, db2 = setup(tmp_path, index_server)
    dist = db2.cached_registry_wheel("PKG", "1.0", LINUX_TAGS, [index_server.index_url])
    assert dist.kind == "registry" and dist.name == "pkg" and str(dist.version) == "1.0"
    assert dist.file.filename == fn and dist.file.url == the_file(client, fn).url
    assert dist.file.hashes == {"sha256": support.sha256(index_server.data(fn))}
    assert dist.file.index == index_server.index_url and dist.url == dist.file.url
    assert db2.cached_wheel(dist) == folder and db2.fetch_wheel(dist) == folder
    assert index_server.total_requests == 0


def test_the_lookup_needs_the_exact_version_and_fitting_tags(index_server, tmp_path):
    """Another version, or a wheel for another platform, is not an answer (PEP 440
    equality: 1.0.0 is 1.0)."""
    a = index_server.add_wheel("pkg", "1.0")
    b = index_server.add_wheel("pkg", "2.0", tag="cp311-cp311-win_amd64")
    client, db = setup(tmp_path, index_server)
    fill(client, db, a, b)
    index_server.reset_counters()
    assert db.cached_registry_wheel("pkg", puffin.Version("1.0.0"), LINUX_TAGS,
                                    [index_server.index_url]).file.filename == a
    assert db.cached_registry_wheel("pkg", "1.1", LINUX_TAGS, [index_server.index_url]) is None
    assert db.cached_registry_wheel("pkg", "2.0", LINUX_TAGS, [index_server.index_url]) is None
    assert db.cached_registry_wheel("other", "1.0", LINUX_TAGS, [index_server.index_url]) is None
    assert index_server.total_requests == 0


def test_the_best_tagged_cached_wheel_wins(index_server, tmp_path):
    """Two cached wheels of the pin: the one whose tag ranks higher is returned."""
    generic = index_server.add_wheel("pkg", "1.0")
    binary = index_server.add_wheel("pkg", "1.0", tag="cp311-abi3-manylinux_2_17_x86_64")
    client, db = setup(tmp_path, index_server)
    fill(client, db, generic, binary)
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, [index_server.index_url]).file.filename == binary
    pure_only = puffin.TagPriority(["py3-none-any"])
    assert db.cached_registry_wheel("pkg", "1.0", pure_only, [index_server.index_url]).file.filename == generic


def test_only_wheels_from_the_given_indexes_count_and_the_first_index_wins(index_server, tmp_path):
    """A wheel fetched from index A is not an answer for index B alone; with both, the
    earlier index in the list gives the wheel even when the later one has a better tag."""
    with support.IndexServer() as other:
        a = index_server.add_wheel("pkg", "1.0")
        b = other.add_wheel("pkg", "1.0", tag="cp311-abi3-manylinux_2_17_x86_64")
        client, db = setup(tmp_path, index_server)
        fill(client, db, a)
        client_b, db_b = setup(tmp_path, other)
        fill(client_b, db_b, b)
        index_server.reset_counters()
        other.reset_counters()
        _, db2 = setup(tmp_path, None, offline=True)
        assert db2.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, ["https://elsewhere.test/simple"]) is None
        both = [index_server.index_url + "/", other.index_url]
        assert db2.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, both).file.filename == a
        both.reverse()
        assert db2.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, both).file.filename == b
        assert index_server.total_requests == 0 and other.total_requests == 0


def test_user_hashes_and_requires_python_filter_the_answer(index_server, tmp_path):
    """--hash values must match the cached wheel; a Requires-Python the target fails is
    no answer either."""
    fn = index_server.add_wheel("pkg", "1.0", requires_python=">=3.10")
    client, db = setup(tmp_path, index_server)
    fill(client, db, fn)
    sha = support.sha256(index_server.data(fn))
    idx = [index_server.index_url]
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx, hashes=["sha256:" + sha])
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx, hashes={"sha256": {"0" * 64}}) is None
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx, hashes=["md5:" + "0" * 32]) is None
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx, python_version=puffin.Version("3.11"))
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx,
                                    python_version=puffin.Version("3.9.1")) is None


def test_a_wheel_gone_from_the_cache_is_no_answer_and_cache_clean_forgets_it(index_server, tmp_path):
    """The record alone is not enough: the unzipped wheel (or its archive) must be there;
    `cache clean pkg` removes the records with the rest."""
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    fill(client, db, fn)
    idx = [index_server.index_url]
    sha = support.sha256(index_server.data(fn))
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx)
    # a small wheel is unzipped from memory: no wheel file stays to fall back on
    puffin.remove_tree(os.path.join(str(tmp_path), "archive-v0", "pkg", sha))
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx) is None
    fill(client, setup(tmp_path, index_server)[1], fn)
    puffin.Cache(str(tmp_path)).clean(["pkg"])
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx) is None


def test_a_corrupt_record_is_ignored_and_removed(index_server, tmp_path):
    """A truncated record warns, is removed, and the pin falls back to the resolver."""
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    fill(client, db, fn)
    cache = puffin.Cache(str(tmp_path))
    record = os.path.join(cache.wheel_registry("pkg", index_server.index_url), fn + ".json")
    pathlib.Path(record).write_bytes(b'{"sha256": "ab')
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, [index_server.index_url]) is None
    assert not os.path.exists(record)


def test_wheels_cached_before_records_existed_are_recorded_when_seen(index_server, tmp_path):
    """A wheel unzipped without a record (an older cache) gets one the next time the plan
    finds it with cached_wheel, so later runs skip the index."""
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    db.fetch_wheel(f)
    cache = puffin.Cache(str(tmp_path))
    puffin.remove_tree(os.path.join(str(tmp_path), "wheels-v0", "pkg", "index-" + puffin.index_cache_key(index_server.index_url)))
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, [index_server.index_url]) is None
    assert db.cached_wheel(f)
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, [index_server.index_url]).file.filename == fn
    assert os.path.isdir(cache.wheel_registry("pkg", index_server.index_url))


def test_direct_urls_and_local_wheels_are_not_recorded(index_server, tmp_path):
    """Only index files are pins: a URL or path wheel leaves no record."""
    fn = index_server.add_wheel("pkg", "1.0")
    _, db = setup(tmp_path, index_server)
    db.fetch_wheel(puffin.Dist("pkg", kind="url", url=index_server.file_url(fn)))
    wheel = support.make_wheel("loc", "1.0", out_dir=str(tmp_path / "in"))
    db.fetch_wheel(puffin.Dist("loc", kind="path", path=wheel))
    records = [n for d, _, names in os.walk(os.path.join(str(tmp_path), "wheels-v0")) for n in names
               if n.endswith(".whl.json")]
    assert records == []


# ---- unzipping -------------------------------------------------------------------------

def tree(root):
    """{relative path: (mode, bytes)} of every file under root."""
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root).replace(os.sep, "/")] = (os.stat(p).st_mode, pathlib.Path(p).read_bytes())
    return out


def _zipfile_tree(wheel, root):
    """The oracle: a wheel laid out with zipfile (x bits as pip sets them, a symlink
    member as a file of its link text)."""
    import stat
    import zipfile
    umask = os.umask(0)
    os.umask(umask)
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.filename.endswith("/"):
                continue
            target = os.path.join(root, info.filename)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(zf.read(info))
            mode = info.external_attr >> 16
            if mode and stat.S_ISREG(mode) and mode & 0o111:
                os.chmod(target, (0o666 & ~umask) | 0o111)
    return tree(root)


def both_ways(tmp_path, wheel):
    """(extract_wheel's tree, the zipfile oracle's tree) of one wheel."""
    a, b = tmp_path / "fast", tmp_path / "ref"
    a.mkdir()
    b.mkdir()
    puffin.extract_wheel(wheel, str(a))
    return tree(str(a)), _zipfile_tree(wheel, str(b))


def test_extract_wheel_lays_out_what_zipfile_does(tmp_path, monkeypatch):
    """Same files, bytes and modes as zipfile gives: nested folders, executable scripts,
    empty files, a symlink member as a file of its link text, stored and deflated members,
    and big members inflated in pieces."""
    import zipfile
    monkeypatch.setattr(puffin, "_ONE_SHOT", 4096)
    monkeypatch.setattr(puffin, "_INFLATE_STEP", 1000)
    wheel = support.make_wheel(
        "pkg", "1.0", out_dir=str(tmp_path / "in"),
        files={"pkg/__init__.py": b"", "pkg/sub/deep/mod.py": b"X = 1\n" * 5000,
               "pkg/blob.bin": os.urandom(20000), "pkg/tool.sh": (b"#!/bin/sh\n", 0o755)},
        scripts={"run": b"#!python\nprint(1)\n"}, symlinks={"pkg/link.py": "sub/deep/mod.py"})
    fast, ref = both_ways(tmp_path, wheel)
    assert fast == ref and len(fast) >= 8
    assert fast["pkg/link.py"][1] == b"sub/deep/mod.py"
    assert fast["pkg/tool.sh"][0] & 0o111 and not fast["pkg/blob.bin"][0] & 0o111
    stored = str(tmp_path / "stored-1.0-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            info.compress_type = zipfile.ZIP_STORED
            dst.writestr(info, data)
    (tmp_path / "s").mkdir()
    fast, ref = both_ways(tmp_path / "s", stored)
    assert fast == ref and fast["pkg/blob.bin"][1] == ref["pkg/blob.bin"][1]
    monkeypatch.chdir(tmp_path)  # a relative target folder works too
    os.mkdir("rel")
    assert puffin.extract_wheel(wheel, "rel") == "rel" and tree("rel") == ref


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_extract_wheel_refuses_a_repeated_member(tmp_path):
    """A member name given twice is refused (tools disagree on which copy wins)."""
    wheel = support.make_wheel("pkg", "1.0", out_dir=str(tmp_path / "in"),
                               extra_members=[("pkg/__init__.py", b"LAST = 1\n")])
    (tmp_path / "t").mkdir()
    with pytest.raises(puffin.InstallError) as e:
        puffin.extract_wheel(wheel, str(tmp_path / "t"))
    assert "duplicate" in str(e.value)


def test_extract_wheel_refuses_unsafe_and_corrupt_wheels(tmp_path):
    """A path out of the folder or a symlink pointing out raises UnsafePathError before any
    write; a member whose bytes do not match its CRC raises InstallError."""
    out = tmp_path / "in"
    evil = support.make_wheel("evil", "1.0", out_dir=str(out), files={"../evil.py": b"x"})
    link = support.make_wheel("link", "1.0", out_dir=str(out), symlinks={"link/x": "../../../etc/passwd"})
    for w in (evil, link):
        target = tmp_path / ("t-" + os.path.basename(w))
        target.mkdir()
        with pytest.raises(puffin.UnsafePathError):
            puffin.extract_wheel(w, str(target))
        assert not os.path.exists(str(tmp_path / "evil.py"))
    import zipfile
    for i, compression in enumerate((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
        bad = tmp_path / ("crc%d-1.0-py3-none-any.whl" % i)
        with zipfile.ZipFile(str(bad), "w", compression) as zf:
            zf.writestr("crc/a.txt", b"hello world " * 100)
        data = bytearray(bad.read_bytes())
        data[30 + len(b"crc/a.txt") + 5] ^= 0xFF  # inside the member's bytes
        bad.write_bytes(bytes(data))
        (tmp_path / ("t-crc%d" % i)).mkdir()
        with pytest.raises(puffin.InstallError) as e:
            puffin.extract_wheel(str(bad), str(tmp_path / ("t-crc%d" % i)))
        assert "corrupt" in str(e.value)


def test_a_wheel_too_big_for_memory_is_kept_as_a_file(index_server, tmp_path, monkeypatch):
    """Above the in-memory size (or with the memory budget spent) a wheel is
    downloaded into wheels-v0 and kept there; the archive can be remade from it."""
    monkeypatch.setattr(puffin, "_MEMORY_WHEEL", 0)
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    fill(client, db, fn)
    idx = [index_server.index_url]
    sha = support.sha256(index_server.data(fn))
    [kept] = [p for p in cache_files(tmp_path, "wheels-v0") if p.endswith(".whl")]
    assert support.sha256(pathlib.Path(kept).read_bytes()) == sha
    puffin.remove_tree(os.path.join(str(tmp_path), "archive-v0", "pkg", sha))
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx)  # the wheel file is there
    puffin.remove_tree(os.path.join(str(tmp_path), "wheels-v0", "pkg", sha))
    assert db.cached_registry_wheel("pkg", "1.0", LINUX_TAGS, idx) is None


def test_the_memory_budget_is_given_back(index_server, tmp_path):
    """Wheels held in memory while they download and unzip give their bytes back."""
    before = puffin._WHEELS_IN_MEMORY.free
    fn = index_server.add_wheel("pkg", "1.0")
    client, db = setup(tmp_path, index_server)
    index_server.inject("/files/" + fn, "corrupt")
    with pytest.raises(puffin.HashMismatchError):
        db.fetch_wheel(the_file(client, fn))
    assert setup(tmp_path, index_server)[1].fetch_wheel(the_file(client, fn))
    assert puffin._WHEELS_IN_MEMORY.free == before


def _rezip(data: bytes, change) -> bytes:
    """The wheel ``data`` written again, ``change(info, bytes)`` -> (info, bytes) per member."""
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            info, body = change(info, src.read(info))
            dst.writestr(info, body)
    return out.getvalue()


def test_a_range_read_of_a_stored_metadata_member_agrees_with_zipfile(index_server, tmp_path):
    """METADATA is found straight from the central directory (no ZipInfo per member);
    a stored (uncompressed) member reads the same as a deflated one."""
    import io
    import zipfile
    index_server.pep658 = False
    fn = big_wheel(index_server, "many", nfiles=500, size=600_000)

    def store_metadata(info, body):
        if info.filename.endswith("METADATA"):
            info.compress_type = zipfile.ZIP_STORED
        return info, body

    stored = _rezip(index_server.data(fn), store_metadata)
    other = "many-1.0-py2.py3-none-any.whl"
    index_server.add(other, stored, metadata=False)
    client, db = setup(tmp_path, index_server)
    for name in (fn, other):
        raw = index_server.data(name)
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            member = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            assert len(puffin._metadata_entries(raw[zf.start_dir:])) == 1
            assert list(puffin._metadata_entries(raw[zf.start_dir:])) == member
    files = {f.filename: f for f in client.files("many")}
    assert db.metadata(files[fn]).headers == db.metadata(files[other]).headers
    assert db.stats["range"] == 2 and db.stats["full"] == 0


def test_a_range_read_of_a_corrupt_metadata_member_is_an_error(index_server, tmp_path):
    """METADATA whose bytes do not match the directory's CRC: a clear InstallError
    naming the wheel (and the good wheel beside it still reads)."""
    import io
    import zipfile
    index_server.pep658 = False
    fn = big_wheel(index_server, "bad")
    data = index_server.data(fn)
    corrupt = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo([n for n in zf.namelist() if n.endswith(".dist-info/METADATA")][0])
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        corrupt[start + info.compress_size // 2] ^= 0xFF
    index_server.add("bad-3.0-py3-none-any.whl", bytes(corrupt), metadata=False)
    client, db = setup(tmp_path, index_server)
    files = {f.filename: f for f in client.files("bad")}
    with pytest.raises(puffin.InstallError) as e:
        db.metadata(files["bad-3.0-py3-none-any.whl"])
    assert "bad-3.0-py3-none-any.whl" in str(e.value) and "METADATA" in str(e.value)
    assert db.metadata(files[fn]).name == "bad"


def test_a_wheel_bigger_than_the_index_says_goes_through_a_file(index_server, tmp_path):
    """An index that lists too small a size: the in-memory download stops at that size
    (the memory was reserved for it) and the wheel is fetched again into a file;
    the install gets the whole, verified wheel."""
    fn = big_wheel(index_server, "liar", size=300_000)
    real = len(index_server.data(fn))
    client, db = setup(tmp_path, index_server)
    f = the_file(client, fn)
    f.size = real // 2  # what a wrong listing would say
    before = puffin._WHEELS_IN_MEMORY.free
    folder = db.fetch_wheel(f)
    assert os.path.getsize(os.path.join(folder, "liar", "data0.bin")) == 300_000
    assert os.path.basename(folder) == f.hashes["sha256"]
    assert puffin._WHEELS_IN_MEMORY.free == before
    assert len(file_requests(index_server, fn)) == 2
