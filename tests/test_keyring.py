"""`--keyring-provider subprocess`: index credentials from the `keyring`
command, as pip and uv ask it; the password never shows in output."""

from __future__ import annotations

import os
import stat
import sys

import pytest

import support

FAKE_KEYRING = r'''#!%(python)s
import json, os, sys
log = os.environ["FAKE_KEYRING_LOG"]
with open(log, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
store = json.loads(os.environ["FAKE_KEYRING_STORE"])
if args[:3] == ["--mode", "creds", "get"]:
    entry = store.get(args[3])
    if entry:
        print(entry[0]); print(entry[1]); sys.exit(0)
    sys.exit(1)
if args[0] == "get":
    entry = store.get(args[1])
    if entry and entry[0] == args[2]:
        print(entry[1]); sys.exit(0)
sys.exit(1)
'''


@pytest.fixture
def keyring_env(clean_env, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "keyring"
    script.write_text(FAKE_KEYRING % {"python": sys.executable})
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "keyring.log"
    env = dict(clean_env, PATH=str(bindir) + os.pathsep + clean_env.get("PATH", ""),
               FAKE_KEYRING_LOG=str(log))
    return env, log


def test_a_user_name_in_the_index_url_gets_its_password_from_the_keyring(
        index_server, run_puffin, venv_factory, tmp_cache, keyring_env):
    env, log = keyring_env
    index_server.add_wheel("private", "1.0")
    index_server.auth = ("alice", "s3cret-pw")
    venv = venv_factory()
    url = index_server.index_url.replace("http://", "http://alice@")
    store = {index_server.index_url: ["alice", "s3cret-pw"]}
    env = dict(env, FAKE_KEYRING_STORE=__import__("json").dumps(store), PUFFIN_CACHE_DIR=tmp_cache)
    r = run_puffin(["pip-install", "private", "--python", venv.python, "--index-url", url,
                    "--keyring-provider", "subprocess", "-v"], env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(venv.site_packages) == {"private": "1.0"}
    assert "s3cret-pw" not in r.stdout + r.stderr
    calls = log.read_text().splitlines()
    assert 1 <= len(calls) <= 6 and all('"get"' in c for c in calls)   # asked once for the host


def test_without_a_user_name_a_401_asks_the_keyring_for_both(index_server, run_puffin, venv_factory,
                                                            tmp_cache, keyring_env):
    env, log = keyring_env
    index_server.add_wheel("private", "1.0")
    index_server.auth = ("bob", "pw-of-bob")
    venv = venv_factory()
    host = index_server.index_url.split("//", 1)[1].split("/", 1)[0].split(":")[0]
    store = {host: ["bob", "pw-of-bob"]}
    env = dict(env, FAKE_KEYRING_STORE=__import__("json").dumps(store), PUFFIN_CACHE_DIR=tmp_cache,
               UV_KEYRING_PROVIDER="subprocess")
    r = run_puffin(["pip-install", "private", "--python", venv.python, "--index-url", index_server.index_url],
                   env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(venv.site_packages) == {"private": "1.0"}
    assert "pw-of-bob" not in r.stdout + r.stderr
    assert any('"--mode", "creds"' in c for c in log.read_text().splitlines())


def test_no_keyring_provider_means_a_clear_401(index_server, run_puffin, venv_factory, tmp_cache, keyring_env):
    env, log = keyring_env
    index_server.add_wheel("private", "1.0")
    index_server.auth = ("bob", "pw-of-bob")
    venv = venv_factory()
    env = dict(env, FAKE_KEYRING_STORE="{}", PUFFIN_CACHE_DIR=tmp_cache)
    r = run_puffin(["pip-install", "private", "--python", venv.python, "--index-url", index_server.index_url],
                   env=env)
    assert r.returncode != 0
    assert "401" in r.stderr and "--keyring-provider subprocess" in r.stderr
    assert not log.exists()
    assert support.dist_infos(venv.site_packages) == {}
