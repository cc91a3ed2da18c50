"""Git sources from the command line (issue 14): `name @ git+URL@REV`, bare
URLs with `#egg=`, `#subdirectory=`, editable checkouts, locks pinned to a
commit and replayed offline, and the errors a user meets. Repositories are
made here with `git init`; projects build with the in-tree test backend, so
nothing leaves the machine."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys

import pytest

import support

puffin = functools.partial(support.puffin_cli, timeout=180)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")


def git(cwd, *args) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1",
               HOME=str(cwd))
    return subprocess.run(["git"] + list(args), cwd=str(cwd), env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def commit_project(repo, name, version, message, sub=None, **kwargs) -> str:
    folder = os.path.join(str(repo), sub) if sub else str(repo)
    support.write_project(folder, name, version, pkg_info=False, **kwargs)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    """gpkg: 1.0 (tag v1.0), then 1.1 on the default branch, 1.2.dev0 on the
    branch `feature`; mono: the project `subpkg` 2.0 in its folder `sub/`."""
    root = tmp_path_factory.mktemp("git")
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    c10 = commit_project(repo, "gpkg", "1.0", "one")
    git(repo, "tag", "v1.0")
    c11 = commit_project(repo, "gpkg", "1.1", "two")
    git(repo, "checkout", "-q", "-b", "feature")
    c12 = commit_project(repo, "gpkg", "1.2.dev0", "three")
    git(repo, "checkout", "-q", "main")
    mono = root / "mono"
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    (mono / "README").write_text("not a project\n")
    cm = commit_project(mono, "subpkg", "2.0", "sub", sub="sub")
    return {"repo": "file://" + str(repo), "mono": "file://" + str(mono), "path": str(repo),
            "v1.0": c10, "main": c11, "feature": c12, "sub": cm}


@pytest.fixture
def genv(clean_env, tmp_path):
    """No index at all: everything comes from the repositories."""
    return dict(clean_env, PUFFIN_CACHE_DIR=str(tmp_path / "cache"), PUFFIN_NO_INDEX="1")


def direct_url(venv, name, version) -> bytes:
    with open(os.path.join(venv.site_packages, "%s-%s.dist-info" % (name, version), "direct_url.json"),
              "rb") as f:
        return f.read()


@pytest.mark.parametrize("rev,version,commit", [
    ("@v1.0", "1.0", "v1.0"), ("@feature", "1.2.dev0", "feature"), ("", "1.1", "main"),
    ("@{v1.0}", "1.0", "v1.0"), ("@{v1.0:7}", "1.0", "v1.0")])
def test_branch_tag_commit_and_default_branch_install_with_pips_direct_url(repos, genv, venv_factory,
                                                                           rev, version, commit):
    """Each way of naming a revision installs the right commit; direct_url.json
    is pip's bytes (url without git+ and @rev, vcs_info with the commit and
    the revision asked for)."""
    full = repos[commit]
    rev = rev.replace("{v1.0}", full).replace("{v1.0:7}", full[:7])
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "gpkg @ git+%s%s" % (repos["repo"], rev), env=genv)
    assert code == 0, err
    assert " + gpkg==%s (from git+%s@%s)" % (version, repos["repo"], full) in err.splitlines()
    expected = {"url": repos["repo"], "vcs_info": {"commit_id": full, "vcs": "git"}}
    if rev:
        expected["vcs_info"]["requested_revision"] = rev[1:]
    assert direct_url(venv, "gpkg", version) == json.dumps(expected, sort_keys=True).encode()
    code, out, _ = puffin(venv.python, "pip-freeze", env=genv)
    assert out.splitlines() == ["gpkg @ git+%s@%s" % (repos["repo"], full)]


def test_direct_url_is_byte_identical_to_pips(repos, genv, tmp_path):
    """The same install by pip (`--target`) and by puffin.py: the same direct_url.json bytes."""
    pip_ok = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0
    if not pip_ok:
        pytest.skip("pip is not installed in the test environment")
    url = "git+%s@v1.0#egg=gpkg" % repos["repo"]
    env = dict(genv, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(tmp_path / "pip"), url],
                   env=env, check=True, capture_output=True)
    code, _, err = puffin(sys.executable, "pip-install", "--target", str(tmp_path / "puffin"), url, env=genv)
    assert code == 0, err
    rel = os.path.join("gpkg-1.0.dist-info", "direct_url.json")
    with open(tmp_path / "pip" / rel, "rb") as a, open(tmp_path / "puffin" / rel, "rb") as b:
        assert b.read() == a.read()


def test_subdirectory_and_a_url_without_a_name(repos, genv, venv_factory):
    """`#subdirectory=` builds the project in that folder; a bare URL gets its
    name from the project; the top folder, not a project, is refused by name."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "git+%s#subdirectory=sub" % repos["mono"], env=genv)
    assert code == 0, err
    assert json.loads(direct_url(venv, "subpkg", "2.0")) == {
        "url": repos["mono"], "subdirectory": "sub", "vcs_info": {"commit_id": repos["sub"], "vcs": "git"}}
    code, out, _ = puffin(venv.python, "pip-freeze", env=genv)
    assert out.splitlines() == ["subpkg @ git+%s@%s#subdirectory=sub" % (repos["mono"], repos["sub"])]
    code, _, err = puffin(venv.python, "pip-install", "subpkg @ git+%s" % repos["mono"], env=genv)
    assert code == 2
    assert "has no pyproject.toml or setup.py in its top folder" in err
    assert "#subdirectory=PATH" in err


def test_compile_pins_the_commit_as_uv_writes_it(repos, genv, tmp_path):
    """pip-compile writes `name @ git+URL@COMMIT` with the fragment kept (uv's lines)."""
    reqs = tmp_path / "requirements.in"
    reqs.write_text("gpkg @ git+%s@v1.0\nsubpkg @ git+%s#subdirectory=sub\n" % (repos["repo"], repos["mono"]))
    code, out, err = puffin(sys.executable, "pip-compile", str(reqs), "--no-header", env=genv)
    assert code == 0, err
    assert out.splitlines() == [
        "gpkg @ git+%s@%s" % (repos["repo"], repos["v1.0"]), "    # via -r %s" % reqs,
        "subpkg @ git+%s@%s#subdirectory=sub" % (repos["mono"], repos["sub"]), "    # via -r %s" % reqs]
    code, out, err = puffin(sys.executable, "pip-compile", "-", "--no-header", env=genv,
                            input="git+%s@feature#egg=gpkg\n" % repos["repo"])
    assert code == 0, err
    assert out.splitlines()[0] == "gpkg @ git+%s@%s#egg=gpkg" % (repos["repo"], repos["feature"])


def test_a_lock_pinned_to_a_commit_replays_offline_with_no_fetch_and_no_build(repos, genv, venv_factory,
                                                                              tmp_path):
    """Compile, then sync twice into new environments with --offline after the
    repository is gone: the commit comes from the cache; the second sync
    fetches nothing and builds nothing (counted by the trace and the backend)."""
    src = tmp_path / "copy"
    shutil.copytree(repos["path"], str(src))
    url = "file://" + str(src)
    lock = tmp_path / "requirements.txt"
    code, _, err = puffin(sys.executable, "pip-compile", "-", "-o", str(lock), env=genv,
                          input="gpkg @ git+%s@v1.0\n" % url)
    assert code == 0, err
    shutil.rmtree(str(src))
    log = tmp_path / "build.log"
    for n in (1, 2):
        venv = venv_factory(name="v%d" % n)
        trace = tmp_path / ("trace%d.json" % n)
        code, _, err = puffin(venv.python, "pip-sync", str(lock), "--offline",
                              env=dict(genv, PUFFIN_TEST_BUILD_LOG=str(log), PUFFIN_TRACE=str(trace)))
        assert code == 0, err
        assert " + gpkg==1.0 (from git+%s@%s)" % (url, repos["v1.0"]) in err.splitlines()
        names = [e["name"] for e in json.loads(trace.read_text())["traceEvents"] if e.get("ph") == "X"]
        assert "git.fetch" not in names
    builds = [line for line in log.read_text().splitlines() if line.startswith("build_wheel")]
    assert len(builds) <= 1     # the first sync may build (compile read metadata only); the second never


def test_a_branch_is_fetched_once_per_run_and_again_on_the_next(repos, genv, venv_factory, tmp_path):
    """Two requirements naming the same branch: one fetch; a later run fetches
    again (a branch moves) but builds nothing new for an unchanged commit."""
    venv = venv_factory()
    trace = tmp_path / "trace.json"
    reqs = tmp_path / "r.in"
    reqs.write_text("gpkg @ git+%s@feature\n-c c.txt\n" % repos["repo"])
    (tmp_path / "c.txt").write_text("gpkg @ git+%s@feature\n" % repos["repo"])
    code, _, err = puffin(venv.python, "pip-install", "-r", str(reqs), env=dict(genv, PUFFIN_TRACE=str(trace)))
    assert code == 0, err
    names = [e["name"] for e in json.loads(trace.read_text())["traceEvents"] if e.get("ph") == "X"]
    assert names.count("git.fetch") == 1


def test_editable_git_checks_out_into_src_as_pip_does(repos, genv, venv_factory):
    """`-e git+URL#egg=NAME`: a clone in ENV/src/NAME at the commit, installed
    editable; direct_url.json and pip-freeze as pip writes them."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "-e", "git+%s@v1.0#egg=gpkg" % repos["repo"], env=genv)
    assert code == 0, err
    src = os.path.join(str(venv), "src", "gpkg")
    assert git(src, "rev-parse", "HEAD") == repos["v1.0"]
    assert direct_url(venv, "gpkg", "1.0") == json.dumps(
        {"dir_info": {"editable": True}, "url": "file://" + src}, sort_keys=True).encode()
    where = subprocess.run([venv.python, "-c", "import gpkg; print(gpkg.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(src)
    code, out, _ = puffin(venv.python, "pip-freeze", env=genv)
    assert out.splitlines() == ["-e git+%s@%s#egg=gpkg" % (repos["repo"], repos["v1.0"])]
    # again at another revision: the same checkout moves
    code, _, err = puffin(venv.python, "pip-install", "-e", "git+%s@feature#egg=gpkg" % repos["repo"], env=genv)
    assert code == 0, err
    assert git(src, "rev-parse", "HEAD") == repos["feature"]


def test_git_errors_are_one_line_with_a_hint_and_change_nothing(repos, genv, venv_factory, tmp_path):
    venv = venv_factory()
    before = support.file_stats(venv.site_packages)
    cases = [
        ("gpkg @ git+%s@nosuch" % repos["repo"], "`nosuch` is not a branch, tag or commit of %s" % repos["repo"]),
        ("gpkg @ git+%s" % (repos["repo"] + "-missing"), "cannot fetch %s-missing: fatal:" % repos["repo"]),
        ("gpkg @ hg+https://example.invalid/repo", "is not a git URL that puffin.py can fetch"),
        ("gpkg @ git+https://user:s3cr3t@127.0.0.1:9/repo.git@v1", "cannot fetch https://user:****@127.0.0.1:9/"),
    ]
    for req, message in cases:
        code, out, err = puffin(venv.python, "pip-install", req, env=genv)
        assert code == 2, err
        assert message in err, err
        assert "s3cr3t" not in err + out
        assert "Traceback" not in err and "hint:" in err
    # no git command: said so, with what to do instead
    bare = tmp_path / "bin"
    bare.mkdir()
    code, _, err = puffin(venv.python, "pip-install", "gpkg @ git+%s@v1.0" % repos["repo"],
                          env=dict(genv, PATH=str(bare)))
    assert code == 2
    assert "git sources need the `git` command, and none is on PATH" in err
    # --offline with a remote repository never fetched
    code, _, err = puffin(venv.python, "pip-install", "gpkg @ git+https://example.invalid/r.git@v1",
                          "--offline", env=genv)
    assert code == 2
    assert "is not in the cache, and --offline forbids fetching it" in err
    assert support.file_stats(venv.site_packages) == before


def test_pylock_and_pyproject_carry_git_sources(repos, genv, venv_factory, tmp_path):
    """A pyproject dependency on a git tag compiles to pylock.toml's vcs table
    (the commit, the revision asked for), and that lock installs the commit."""
    proj = tmp_path / "app"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1"\n'
                                         'dependencies = ["gpkg @ git+%s@v1.0"]\n' % repos["repo"])
    lock = tmp_path / "pylock.toml"
    code, _, err = puffin(sys.executable, "pip-compile", str(proj / "pyproject.toml"), "-o", str(lock), env=genv)
    assert code == 0, err
    text = lock.read_text()
    assert ('vcs = { type = "git", url = "%s", requested-revision = "v1.0", commit-id = "%s" }'
            % (repos["repo"], repos["v1.0"])) in text
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-sync", str(lock), env=genv)
    assert code == 0, err
    assert json.loads(direct_url(venv, "gpkg", "1.0"))["vcs_info"]["commit_id"] == repos["v1.0"]


def test_git_over_http_keeps_credentials_out_of_output_and_cache(repos, genv, venv_factory, tmp_path):
    """git+http:// (a bare repository served by a plain HTTP server, git's
    "dumb" protocol), with user:token in the URL: installed; the token is in
    no message, no file of the cache and no direct_url.json."""
    import http.server
    import threading
    bare = tmp_path / "served" / "repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", repos["path"], str(bare)], check=True, capture_output=True)
    subprocess.run(["git", "update-server-info"], cwd=str(bare), check=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = "git+http://user:tok3n@127.0.0.1:%d/repo.git@v1.0" % httpd.server_address[1]
        venv = venv_factory()
        code, out, err = puffin(venv.python, "pip-install", "gpkg @ " + url, "-v", env=genv)
        assert code == 0, err
        assert "tok3n" not in out + err
        assert json.loads(direct_url(venv, "gpkg", "1.0"))["url"] == "http://127.0.0.1:%d/repo.git" % httpd.server_address[1]
        for root, _dirs, files in os.walk(genv["PUFFIN_CACHE_DIR"]):
            assert "tok3n" not in root
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    assert b"tok3n" not in f.read(), os.path.join(root, name)
    finally:
        httpd.shutdown()


def test_pip_download_saves_a_git_source_as_pips_zip_and_it_installs_offline(repos, genv, venv_factory,
                                                                             tmp_path):
    """pip-download of a git requirement: NAME-VERSION.zip of the commit (as
    pip saves it) with its hash in the lock; the folder installs offline;
    --build saves the wheel instead."""
    dest = tmp_path / "wheelhouse"
    code, _, err = puffin(sys.executable, "pip-download", "gpkg @ git+%s@v1.0" % repos["repo"], "-d", str(dest),
                          env=genv)
    assert code == 0, err
    assert sorted(os.listdir(str(dest))) == ["gpkg-1.0.zip", "requirements.txt"]
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-sync", "requirements.txt", "--offline",
                          env=dict(genv, PUFFIN_CACHE_DIR=str(tmp_path / "other-cache")), cwd=str(dest))
    assert code == 0, err
    assert " + gpkg==1.0" in err.splitlines()
    built = tmp_path / "built"
    code, _, err = puffin(sys.executable, "pip-download", "gpkg @ git+%s@v1.0" % repos["repo"], "-d", str(built),
                          "--build", env=genv)
    assert code == 0, err
    assert sorted(os.listdir(str(built))) == ["gpkg-1.0-py3-none-any.whl", "requirements.txt"]


def test_git_url_parts():
    """GitUrl: the revision after the path's last `@`, the fragment kept; one
    cache key for the spellings of one repository, none for credentials."""
    import puffin
    gu = puffin.GitUrl.parse("git+ssh://git@github.com/org/repo.git@feature/x#egg=pkg&subdirectory=a/b")
    assert (gu.repo, gu.rev, gu.subdirectory) == ("ssh://git@github.com/org/repo.git", "feature/x", "a/b")
    assert gu.pinned("c" * 40) == "git+ssh://git@github.com/org/repo.git@%s#egg=pkg&subdirectory=a/b" % ("c" * 40)
    plain = puffin.GitUrl.parse("git+https://host/org/repo")
    assert plain.rev is None and plain.subdirectory is None
    assert plain.key() == puffin.GitUrl.parse("git+https://u:t@host/org/repo.git/@v1").key()
    assert puffin.GitUrl.parse("git+https://host/r@%s" % ("A" * 40)).is_commit
    for bad in ("git+https://host/r@-upload-pack=x", "git+https://host/r#subdirectory=../x",
                "hg+https://host/r", "svn+https://host/r"):
        with pytest.raises(puffin.InputError):
            puffin.GitUrl.parse(bad)


def test_an_editable_checkout_refuses_a_folder_it_did_not_make(repos, genv, venv_factory, tmp_path):
    """`--src` naming a folder that holds other files, or a clone of another
    repository: a one-line error with a hint, nothing installed, the folder
    left as it was."""
    venv = venv_factory()
    src = tmp_path / "src"
    (src / "gpkg").mkdir(parents=True)
    (src / "gpkg" / "notes.txt").write_text("mine\n")
    before = support.file_stats(venv.site_packages)
    code, _, err = puffin(venv.python, "pip-install", "-e", "git+%s@v1.0#egg=gpkg" % repos["repo"],
                          "--src", str(src), env=genv)
    assert code == 2
    assert "error: cannot check out %s into %s: the folder is not empty" % (repos["repo"], src / "gpkg") in err
    assert "hint: remove it, or choose another folder with --src" in err
    assert os.listdir(str(src / "gpkg")) == ["notes.txt"]
    other = tmp_path / "other-src"
    git(tmp_path, "clone", "-q", repos["mono"].replace("file://", ""), str(other / "gpkg"))
    code, _, err = puffin(venv.python, "pip-install", "-e", "git+%s@v1.0#egg=gpkg" % repos["repo"],
                          "--src", str(other), env=genv)
    assert code == 2
    assert "error: %s already holds a different checkout (its origin is " % (other / "gpkg") in err
    assert support.file_stats(venv.site_packages) == before
