"""Configuration that images already carry: an option not given on the command
line comes from PUFFIN_*, then UV_*, then PIP_* variables, then uv's files
(uv.toml, [tool.uv]), then pip's (pip.conf); `--no-config` skips the files and
`-v` names where each value came from. One reading of booleans for all of them.
"""

from __future__ import annotations

import argparse
import os
import sys

import pytest

import support

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
import puffin  # noqa: E402  (conftest puts the repo on sys.path)


def ns(command="pip-install", **given):
    """A namespace as argparse leaves it for ``command`` with nothing given."""
    base = dict(command=command, index_url=None, extra_index_url=None, find_links=None, no_index=None,
                offline=None, cache_dir=None, no_cache=None, link_mode=None, compile_bytecode=False,
                system=None, break_system_packages=None, trusted_host=None, cert=None, timeout=None,
                python=None, require_hashes=False, no_config=None, resolution=None,
                index_strategy=None, keyring_provider=None, prerelease=None)
    base.update(given)
    return argparse.Namespace(**base)


def settle(env, cwd, **given):
    args = ns(**given)
    notes = puffin.apply_settings(args, dict(env), cwd=str(cwd))
    return args, {dest: source for dest, _value, source in notes}


@pytest.fixture
def home(tmp_path):
    """An environment with a HOME and XDG folders of its own (no machine files)."""
    h = tmp_path / "home"
    (h / ".config").mkdir(parents=True)
    return {"HOME": str(h), "XDG_CONFIG_HOME": str(h / ".config"), "XDG_CONFIG_DIRS": str(tmp_path / "xdg-sys")}


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_the_command_line_beats_puffin_beats_uv_beats_pip_variables(home, tmp_path):
    env = dict(home, PIP_INDEX_URL="https://pip/simple", UV_INDEX_URL="https://uv/simple")
    args, src = settle(env, tmp_path)
    assert args.index_url == "https://uv/simple" and src["index_url"] == "UV_INDEX_URL"
    args, _ = settle(dict(env, PUFFIN_INDEX_URL="https://puffin/simple"), tmp_path)
    assert args.index_url == "https://puffin/simple"
    args, src = settle(dict(env, PUFFIN_INDEX_URL="https://puffin/simple"), tmp_path, index_url="https://cli/simple")
    assert args.index_url == "https://cli/simple" and "index_url" not in src
    # an empty variable is unset
    args, _ = settle(dict(env, UV_INDEX_URL=""), tmp_path)
    assert args.index_url == "https://pip/simple"


def test_lists_split_as_each_tool_splits_them_and_add_up_with_the_command_line(home, tmp_path):
    env = dict(home, PIP_EXTRA_INDEX_URL="https://a/simple  https://b/simple",
               UV_FIND_LINKS="/w1,/w2", PIP_TRUSTED_HOST="h1 h2")
    args, _ = settle(env, tmp_path, extra_index_url=["https://cli/simple"])
    assert args.extra_index_url == ["https://cli/simple", "https://a/simple", "https://b/simple"]
    assert args.find_links == ["/w1", "/w2"]
    assert args.trusted_host == ["h1", "h2"]


@pytest.mark.parametrize("word,value", [("1", True), ("true", True), ("YES", True), ("on", True), ("y", True),
                                        ("0", False), ("False", False), ("no", False), ("off", False), ("n", False)])
def test_one_reading_of_booleans_for_every_variable(home, tmp_path, word, value):
    for name, dest in (("PUFFIN_OFFLINE", "offline"), ("PUFFIN_NO_INDEX", "no_index"),
                       ("UV_SYSTEM_PYTHON", "system"), ("PIP_BREAK_SYSTEM_PACKAGES", "break_system_packages"),
                       ("UV_COMPILE_BYTECODE", "compile_bytecode")):
        args, _ = settle(dict(home, **{name: word}), tmp_path)
        assert getattr(args, dest) is value, (name, word)


def test_pips_no_cache_dir_disables_the_cache_whatever_its_value(home, tmp_path):
    """pip's own rule: PIP_NO_CACHE_DIR=false disables the cache too."""
    for word in ("1", "false", "off"):
        args, _ = settle(dict(home, PIP_NO_CACHE_DIR=word), tmp_path)
        assert args.no_cache is True
    args, _ = settle(dict(home, UV_NO_CACHE="0"), tmp_path)
    assert args.no_cache is False


def test_a_bad_value_is_a_usage_error_naming_its_source(run_puffin, clean_env, tmp_path):
    for name, value, says in (("PUFFIN_OFFLINE", "maybe", "PUFFIN_OFFLINE='maybe' is not a boolean"),
                              ("UV_NO_INDEX", "2", "UV_NO_INDEX='2' is not a boolean"),
                              ("PIP_TIMEOUT", "soon", "PIP_TIMEOUT='soon' is not a positive number")):
        r = run_puffin(["pip-install", "x", "--dry-run"], env=dict(clean_env, **{name: value}))
        assert r.returncode == 2, r
        assert says in r.stderr
        assert "Traceback" not in r.stderr
    conf = write(tmp_path / "pip.conf", "[global]\nno-index = perhaps\n")
    r = run_puffin(["pip-install", "x", "--dry-run"], env=dict(clean_env, PIP_CONFIG_FILE=conf))
    assert r.returncode == 2 and "pip.conf [global] no-index='perhaps' is not a boolean" in r.stderr


def test_a_pip_conf_that_is_not_ini_is_an_error_naming_the_file(run_puffin, clean_env, tmp_path):
    """A pip.conf without a section header stops the run with a message naming
    the file (exit 2, no traceback); an empty one, like /dev/null, is no error."""
    conf = write(tmp_path / "pip.conf", "index-url = https://example.invalid/simple\n")
    r = run_puffin(["pip-install", "x", "--dry-run"], env=dict(clean_env, PIP_CONFIG_FILE=conf))
    assert r.returncode == 2, r
    assert "cannot read pip's configuration file %s:" % conf in r.stderr
    assert "Traceback" not in r.stderr
    empty = write(tmp_path / "empty.conf", "\n  \n")
    r = run_puffin(["pip-freeze", "--python", sys.executable],
                   env=dict(clean_env, PIP_CONFIG_FILE=empty))
    assert r.returncode == 0, r


def test_pip_conf_files_in_pips_order_and_sections(home, tmp_path):
    sysconf = write(tmp_path / "xdg-sys" / "pip" / "pip.conf", "[global]\nindex-url = https://site/simple\ntimeout = 5\n")
    user = write(tmp_path / "home" / ".config" / "pip" / "pip.conf",
                 "[global]\nindex-url = https://user/simple\n[install]\ntrusted_host = t1\n"
                 "[download]\nindex-url = https://download-only/simple\n")
    args, src = settle(home, tmp_path)
    assert args.index_url == "https://user/simple" and src["index_url"].startswith(user)
    assert args.timeout == 5.0 and src["timeout"].startswith(sysconf)
    assert args.trusted_host == ["t1"] and "[install] trusted-host" in src["trusted_host"]
    args, _ = settle(home, tmp_path, command="pip-download")
    assert args.index_url == "https://download-only/simple"
    # PIP_CONFIG_FILE beats them and hides the user's file; /dev/null hides every file
    named = write(tmp_path / "named.conf", "[global]\nextra-index-url = https://named/simple\n")
    args, _ = settle(dict(home, PIP_CONFIG_FILE=named), tmp_path)
    assert args.index_url == "https://site/simple" and args.extra_index_url == ["https://named/simple"]
    args, src = settle(dict(home, PIP_CONFIG_FILE=os.devnull), tmp_path)
    assert args.index_url is None and src == {}
    # an environment's own pip.conf (sys.prefix, VIRTUAL_ENV) beats the user's, as pip reads a venv's
    venv_conf = write(tmp_path / "venv" / "pip.conf", "[global]\nindex-url = https://venv/simple\n")
    files = puffin.pip_config_files(home, [str(tmp_path / "venv")])
    assert files[-2:] == [user, venv_conf]
    args, _ = settle(dict(home, VIRTUAL_ENV=str(tmp_path / "venv")), tmp_path)
    assert args.index_url == "https://venv/simple"


def test_uv_files_project_then_user_then_system(home, tmp_path):
    write(tmp_path / "xdg-sys" / "uv" / "uv.toml", 'index-url = "https://sys/simple"\noffline = true\n')
    write(tmp_path / "home" / ".config" / "uv" / "uv.toml",
          'index-url = "https://user/simple"\n[pip]\nindex-url = "https://user-pip/simple"\n')
    project = tmp_path / "proj" / "sub"
    project.mkdir(parents=True)
    args, src = settle(home, project)
    assert args.index_url == "https://user-pip/simple" and args.offline is True
    write(tmp_path / "proj" / "pyproject.toml",
          '[project]\nname = "p"\nversion = "1"\n[tool.uv]\nlink-mode = "copy"\n'
          '[[tool.uv.index]]\nname = "corp"\nurl = "https://corp/simple"\ndefault = true\n'
          '[[tool.uv.index]]\nname = "extra"\nurl = "https://extra/simple"\n')
    args, src = settle(home, project)
    assert args.link_mode == "copy" and args.index_url == "https://corp/simple"
    assert args.extra_index_url == ["https://extra/simple"]
    assert "pyproject.toml [[index]] default" in src["index_url"]
    # UV_CONFIG_FILE alone; uv's files beat pip's; variables beat both
    only = write(tmp_path / "only.toml", 'find-links = ["/wh"]\n')
    write(tmp_path / "home" / ".config" / "pip" / "pip.conf", "[global]\nfind-links = /pipwh\nindex-url = https://pip/simple\n")
    args, _ = settle(dict(home, UV_CONFIG_FILE=only), project)
    assert args.find_links == ["/wh"] and args.index_url == "https://pip/simple"
    args, _ = settle(dict(home, UV_CONFIG_FILE=only, PIP_FIND_LINKS="/envwh"), project)
    assert args.find_links == ["/envwh"]


def test_no_config_skips_every_file_but_not_the_variables(home, tmp_path):
    write(tmp_path / "home" / ".config" / "pip" / "pip.conf", "[global]\nindex-url = https://user/simple\n")
    write(tmp_path / "home" / ".config" / "uv" / "uv.toml", 'offline = true\n')
    args, _ = settle(home, tmp_path, no_config=True)
    assert args.index_url is None and args.offline is None
    for name in ("PUFFIN_NO_CONFIG", "UV_NO_CONFIG"):
        args, _ = settle(dict(home, **{name: "1", "PIP_INDEX_URL": "https://env/simple"}), tmp_path)
        assert args.index_url == "https://env/simple" and args.offline is None


# ---- through the command line, against a local index ------------------------

@pytest.fixture
def two_indexes():
    with support.IndexServer() as a, support.IndexServer() as b:
        a.add_wheel("pkg", "1.0")
        b.add_wheel("pkg", "2.0")
        yield a, b


def test_a_pip_conf_pointing_at_the_local_index_installs_from_it(run_puffin, clean_env, venv_factory,
                                                                 tmp_path, tmp_cache, two_indexes):
    a, _b = two_indexes
    venv = venv_factory()
    conf = write(tmp_path / "xdg-config" / "pip" / "pip.conf", "[global]\nindex-url = %s\n" % a.index_url)
    env = dict(clean_env)
    del env["PIP_CONFIG_FILE"]   # the user's file, found as pip finds it
    env["XDG_CONFIG_DIRS"] = str(tmp_path / "none")
    env["HOME"] = str(tmp_path)
    r = run_puffin(["pip-install", "pkg", "--python", venv.python, "--cache-dir", tmp_cache, "-v"], env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(venv.site_packages) == {"pkg": "1.0"}
    assert "setting index_url = %s (from %s [global] index-url)" % (a.index_url, conf) in r.stderr
    assert a.requests_for("/simple/pkg/") == 1


def test_an_image_with_pip_and_uv_variables_for_different_servers(run_puffin, clean_env, venv_factory,
                                                                  tmp_cache, two_indexes):
    """A base image sets PIP_INDEX_URL, a later layer UV_INDEX_URL: uv's wins (puffin.py
    reads uv's names before pip's), -v says so, and PUFFIN_INDEX_URL beats both."""
    a, b = two_indexes
    venv = venv_factory()
    env = dict(clean_env, PIP_INDEX_URL=a.index_url, UV_INDEX_URL=b.index_url, PUFFIN_CACHE_DIR=tmp_cache)
    r = run_puffin(["pip-install", "pkg", "--python", venv.python, "-v"], env=env)
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(venv.site_packages) == {"pkg": "2.0"}
    assert "(from UV_INDEX_URL)" in r.stderr
    assert a.requests_for("/simple/pkg/") == 0
    venv2 = venv_factory(name="v2")
    r = run_puffin(["pip-install", "pkg", "--python", venv2.python],
                   env=dict(env, PUFFIN_INDEX_URL=a.index_url))
    assert r.returncode == 0, r.stderr
    assert support.dist_infos(venv2.site_packages) == {"pkg": "1.0"}


def test_credentials_in_a_configured_url_are_never_printed(run_puffin, clean_env, two_indexes):
    a, _b = two_indexes
    url = a.index_url.replace("http://", "http://user:s3cret@")
    r = run_puffin(["pip-compile", "-", "-v"], env=dict(clean_env, UV_INDEX_URL=url), input="pkg\n")
    assert "s3cret" not in r.stderr + r.stdout
    assert "setting index_url" in r.stderr


# ---- fixes: the user scheme follows HOME, --target is for the running Python,
# ---- an unusable default cache folder falls back to a temporary one

def test_user_installs_follow_the_current_home_not_a_cached_one(run_puffin, clean_env, index_server,
                                                                tmp_path, tmp_cache):
    base = support.find_python("3.12") or support.find_python("3.11")
    if not base:
        pytest.skip("no pyenv CPython 3.11/3.12 outside a venv")
    index_server.add_wheel("userpkg", "1.0")
    homes = []
    for name in ("alice", "bob"):
        home = tmp_path / name
        home.mkdir()
        homes.append(home)
        env = dict(clean_env, HOME=str(home))
        r = run_puffin(["pip-install", "userpkg", "--user", "--python", base, "--cache-dir", tmp_cache,
                        "--index-url", index_server.index_url], env=env)
        assert r.returncode == 0, r.stderr
    for home in homes:
        found = list(home.glob(".local/lib/python3.*/site-packages/userpkg-1.0.dist-info"))
        assert len(found) == 1, (home, list(home.rglob("*"))[:20])


def test_target_without_python_is_for_the_python_running_puffin(run_puffin, clean_env, index_server,
                                                                venv_factory, tmp_path, tmp_cache):
    """VIRTUAL_ENV names a 3.9 venv, but `--target` fills a folder for the running Python."""
    import sys
    other = venv_factory("3.9" if sys.version_info[:2] != (3, 9) else "3.12")
    tag = "cp%d%d" % sys.version_info[:2]
    index_server.add_wheel("native", "1.0", tag="%s-%s-manylinux_2_17_x86_64" % (tag, tag))
    target = tmp_path / "t"
    r = run_puffin(["pip-install", "native", "--target", str(target), "--cache-dir", tmp_cache,
                    "--index-url", index_server.index_url], env=dict(clean_env, VIRTUAL_ENV=other.path))
    assert r.returncode == 0, r.stderr
    assert (target / "native-1.0.dist-info").is_dir()
    assert support.dist_infos(other.site_packages) == {}


def test_a_default_cache_folder_that_cannot_be_made_falls_back_to_a_temporary_one(
        run_puffin, clean_env, index_server, venv_factory, tmp_path):
    index_server.add_wheel("pkg", "1.0")
    venv = venv_factory()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where HOME's parent should be")
    env = dict(clean_env, HOME=str(blocker / "home"))
    env.pop("XDG_CACHE_HOME", None)
    r = run_puffin(["pip-install", "pkg", "--python", venv.python, "--index-url", index_server.index_url], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("warning: cannot use the cache folder") == 1
    assert "this run uses a temporary cache" in r.stderr
    assert support.dist_infos(venv.site_packages) == {"pkg": "1.0"}
    # a folder the user chose is never replaced: a clear error instead
    r = run_puffin(["pip-install", "pkg", "--python", venv.python, "--index-url", index_server.index_url,
                    "--cache-dir", str(blocker / "cache")], env=env)
    assert r.returncode == 2
    assert "cannot use the cache folder" in r.stderr and "Traceback" not in r.stderr


def test_a_choice_from_a_variable_is_checked_like_the_flag(home, tmp_path):
    with pytest.raises(puffin.UsageError) as e:
        settle(dict(home, UV_RESOLUTION="newest"), tmp_path)
    assert "UV_RESOLUTION='newest' is not a value resolution takes" in str(e.value)
    args, _ = settle(dict(home, UV_LINK_MODE="clone"), tmp_path)   # uv's clone: a copy here
    assert args.link_mode == "copy"
    args, _ = settle(dict(home, PUFFIN_INDEX_STRATEGY="unsafe-best-match"), tmp_path)
    assert args.index_strategy == "unsafe-best-match"


def test_uv_index_entries_may_be_named(home, tmp_path):
    env = dict(home, UV_INDEX="torch=https://download.example/whl/cpu https://plain/simple",
               UV_DEFAULT_INDEX="corp=https://corp/simple")
    args, _ = settle(env, tmp_path)
    assert args.extra_index_url == ["https://download.example/whl/cpu", "https://plain/simple"]
    assert args.index_url == "https://corp/simple"


def test_pips_extra_indexes_are_merged_as_pip_merges_them(home, tmp_path):
    """An extra index set up for pip (PIP_EXTRA_INDEX_URL, pip.conf) is used with
    pip's strategy (every index's versions together), unless one is chosen;
    uv's and puffin's own settings keep uv's first-index."""
    args, src = settle(dict(home, PIP_EXTRA_INDEX_URL="file:///mirror/simple"), tmp_path, index_strategy=None)
    assert args.index_strategy == "unsafe-best-match" and "pip" in src["index_strategy"]
    write(tmp_path / "home" / ".config" / "pip" / "pip.conf", "[global]\nextra-index-url = https://m/simple\n")
    args, _ = settle(home, tmp_path, index_strategy=None)
    assert args.index_strategy == "unsafe-best-match"
    args, _ = settle(dict(home, UV_INDEX_STRATEGY="first-index"), tmp_path, index_strategy=None)
    assert args.index_strategy == "first-index"
    args, _ = settle(dict(home, PIP_CONFIG_FILE=os.devnull, UV_EXTRA_INDEX_URL="https://u/simple"), tmp_path,
                     index_strategy=None)
    assert args.index_strategy is None
