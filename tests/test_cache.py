"""Section 4: the cache folder, its buckets, entries, clean and prune."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

import puffin

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)


def test_cache_dir_comes_from_flag_then_env_then_xdg_then_home(tmp_path):
    """--cache-dir beats PUFFIN_CACHE_DIR, which beats XDG_CACHE_HOME, which beats ~/.cache."""
    env = {"PUFFIN_CACHE_DIR": str(tmp_path / "env"), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "HOME": str(tmp_path / "home")}
    assert puffin.Cache.from_settings(str(tmp_path / "flag"), env=env).root == str(tmp_path / "flag")
    assert puffin.Cache.from_settings(None, env=env).root == str(tmp_path / "env")
    del env["PUFFIN_CACHE_DIR"]
    assert puffin.Cache.from_settings(None, env=env).root == str(tmp_path / "xdg" / "puffin")
    del env["XDG_CACHE_HOME"]
    assert puffin.Cache.from_settings(None, env=env).root == str(tmp_path / "home" / ".cache" / "puffin")


def test_no_cache_uses_a_temporary_folder_removed_at_exit():
    """--no-cache gives a fresh cache that is gone once the process exits."""
    code = ("import puffin; c = puffin.Cache.from_settings(None, no_cache=True); "
            "c.write_json('simple-v1', 'pypi', 'x.json', {'a': 1}); print(c.root)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out and not os.path.exists(out)


def test_cache_folder_is_tagged_for_backup_tools(tmp_path):
    """The cache root gets a CACHEDIR.TAG with the standard signature."""
    cache = puffin.Cache(str(tmp_path / "c"))
    with open(os.path.join(cache.dir, "CACHEDIR.TAG"), "rb") as f:
        assert f.read().startswith(b"Signature: 8a477f597d28d172789f06886806bc55")


def test_every_bucket_documents_its_layout_with_example_paths():
    """Each CacheBucket constant names a versioned bucket whose comment shows example paths."""
    import inspect
    source = inspect.getsource(puffin.CacheBucket)
    for bucket in puffin.CacheBucket.ALL:
        assert __import__("re").search(r"-v\d+$", bucket), bucket
        assert (bucket + "/") in source, bucket
    assert set(puffin.CacheBucket.NAME_DEPTH) == set(puffin.CacheBucket.ALL)


def test_json_entries_round_trip_and_leave_no_temporary_files(tmp_path):
    """write_json then read_json gives the value back; only the entry (and its lock) remain."""
    cache = puffin.Cache(str(tmp_path))
    path = cache.write_json("interpreter-v0", "abc", {"x": [1, 2], "y": "z"})
    assert cache.read_json("interpreter-v0", "abc") == {"x": [1, 2], "y": "z"}
    assert cache.read_json("interpreter-v0", "missing") is None
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("damage", [b"", b'{"x": [1, 2', b"\x00\x00garbage"])
def test_a_corrupt_entry_is_reported_removed_and_treated_as_missing(tmp_path, damage):
    """A truncated or garbled entry warns, disappears and reads as missing."""
    cache = puffin.Cache(str(tmp_path))
    path = cache.write_json("interpreter-v0", "k", {"x": [1, 2]})
    with open(path, "wb") as f:
        f.write(damage)
    assert cache.read_json("interpreter-v0", "k") is None
    assert not os.path.exists(path)
    assert any("corrupt cache entry" in w and path in w for w in puffin._WARNINGS)


def test_entry_keys_cannot_leave_their_bucket(tmp_path):
    """Key parts like '..' or with slashes are refused."""
    cache = puffin.Cache(str(tmp_path))
    for bad in ("..", "a/b", "", "."):
        with pytest.raises(puffin.CacheError):
            cache.entry("wheels-v0", bad)
    with pytest.raises(puffin.CacheError):
        cache.bucket("nope-v9")


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path):
    """Threads and processes rewriting one entry while others read: every read is whole."""
    cache = puffin.Cache(str(tmp_path))
    cache.write_json("metadata-v0", "pkg", "e.json", {"n": -1, "pad": "x" * 50000})
    code = ("import sys, puffin; c = puffin.Cache(sys.argv[1])\n"
            "for i in range(100): c.write_json('metadata-v0', 'pkg', 'e.json', "
            "{'n': i, 'pad': 'y' * 50000})\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=REPO_ROOT)
             for _ in range(2)]
    stop = threading.Event()
    bad = []

    def writer():
        i = 0
        while not stop.is_set():
            cache.write_json("metadata-v0", "pkg", "e.json", {"n": i, "pad": "z" * 50000})
            i += 1

    def reader():
        while not stop.is_set():
            v = cache.read_json("metadata-v0", "pkg", "e.json")
            if v is None or len(v["pad"]) != 50000:
                bad.append(v)

    threads = [threading.Thread(target=writer) for _ in range(2)] + \
        [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for p in procs:
        assert p.wait(60) == 0
    stop.set()
    for t in threads:
        t.join()
    assert bad == []


def _populate(cache: puffin.Cache):
    cache.write_json("simple-v1", "pypi", "flask.json", {})
    cache.write_json("simple-v1", "example.com-0123456789ab", "flask.json", {})
    cache.write_json("simple-v1", "pypi", "six.json", {})
    os.makedirs(cache.entry("archive-v0", "flask", "a" * 64))
    os.makedirs(cache.entry("archive-v0", "six", "b" * 64))
    cache.write_json("metadata-v0", "flask", "c.json", {})
    with open(cache.entry("wheels-v0", "flask", "d" * 64 + ".whl"), "wb") as f:
        f.write(b"x" * 100)
    cache.write_json("interpreter-v0", "k", {})


def test_clean_of_a_package_removes_it_from_every_bucket_and_index(tmp_path):
    """`cache clean flask` removes Flask everywhere (any index) and keeps the rest."""
    cache = puffin.Cache(str(tmp_path))
    _populate(cache)
    stats = cache.clean(["Flask"])
    assert stats["entries"] == 5 and stats["files"] == 4 and stats["bytes"] >= 100
    remaining = sorted(os.path.relpath(os.path.join(d, f), cache.root)
                       for d, _, files in os.walk(cache.root) for f in files
                       if not f.endswith(".lock"))
    assert not any("flask" in p for p in remaining)
    assert os.path.join("simple-v1", "pypi", "six.json") in remaining
    assert cache.read_json("interpreter-v0", "k") == {}


def test_clean_without_packages_empties_the_cache_but_keeps_the_tag(tmp_path):
    """`cache clean` removes every bucket; the folder and CACHEDIR.TAG stay."""
    cache = puffin.Cache(str(tmp_path))
    _populate(cache)
    cache.clean()
    assert sorted(os.listdir(cache.root)) == [".gitignore", ".lock", "CACHEDIR.TAG"]


def test_prune_removes_old_buckets_and_abandoned_temporary_files(tmp_path):
    """`cache prune` drops unknown/old-version buckets and stale temp files, keeps live entries."""
    cache = puffin.Cache(str(tmp_path))
    _populate(cache)
    os.makedirs(os.path.join(cache.root, "simple-v-1", "pypi"))
    tmp = cache.entry("wheels-v0", "flask", ".tmp-123-abc.part")
    with open(tmp, "wb") as f:
        f.write(b"partial")
    fresh_tmp = cache.entry("wheels-v0", "flask", ".tmp-456-def.part")
    with open(fresh_tmp, "wb") as f:
        f.write(b"being written")
    old = time.time() - 7200
    os.utime(tmp, (old, old))
    cache.prune()
    assert not os.path.exists(os.path.join(cache.root, "simple-v-1"))
    assert not os.path.exists(tmp)
    assert os.path.exists(fresh_tmp)
    assert cache.read_json("simple-v1", "pypi", "six.json") == {}


def test_index_cache_keys_ignore_credentials_and_name_pypi_plainly():
    """The default index is `pypi`; other indexes are host-digest, the same with or without a password."""
    assert puffin.index_cache_key(puffin.DEFAULT_INDEX_URL) == "pypi"
    a = puffin.index_cache_key("https://user:secret@example.com/simple")
    b = puffin.index_cache_key("https://example.com/simple")
    assert a == b and a.startswith("example.com-") and "secret" not in a


def test_the_wheel_registry_of_an_index_lives_under_the_package_name(tmp_path):
    """wheels-v0/NAME/index-KEY: one folder per index (credentials and a trailing slash
    do not change it), not created by asking, and removed by `cache clean NAME`."""
    cache = puffin.Cache(str(tmp_path))
    pypi = cache.wheel_registry("Six", "https://pypi.org/simple/")
    assert pypi == os.path.join(str(tmp_path), "wheels-v0", "six", "index-pypi")
    private = cache.wheel_registry("six", "https://user:secret@example.com/simple")
    assert private == cache.wheel_registry("six", "https://example.com/simple/")
    assert "secret" not in private and not os.path.exists(private)
    os.makedirs(pypi)
    with open(os.path.join(pypi, "six-1.16.0-py2.py3-none-any.whl.json"), "w") as f:
        f.write("{}")
    cache.clean(["six"])
    assert not os.path.exists(os.path.dirname(pypi))
