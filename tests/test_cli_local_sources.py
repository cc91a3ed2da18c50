"""Locks that keep what the user wrote (issue 14): pip-compile writes local
projects and archives as the input named them (relative stays relative,
`-e` stays `-e`, uv's lines), relative to the folder of the output file; a
lock made in one checkout installs from another, editables as editables."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys

import pytest

import support

puffin = functools.partial(support.puffin_cli, timeout=180)


@pytest.fixture
def tree(tmp_path):
    """work/{proj,plain,sub/proj} and other/proj, each a project of its own."""
    root = tmp_path / "checkout"
    support.write_project(root / "work" / "proj", "proj", "1.0", pkg_info=False)
    support.write_project(root / "work" / "plain", "plain", "3.0", pkg_info=False)
    support.write_project(root / "work" / "sub" / "proj", "subproj", "4.0", pkg_info=False)
    support.write_project(root / "other" / "proj", "otherproj", "2.0", pkg_info=False)
    return root


@pytest.fixture
def lenv(clean_env, tmp_path):
    return dict(clean_env, PUFFIN_CACHE_DIR=str(tmp_path / "cache"), PUFFIN_NO_INDEX="1")


def test_compile_writes_local_sources_as_uv_does(tree, lenv):
    """Same folder: each line as written (uv 0.13's output for this input)."""
    work = tree / "work"
    (work / "mix.in").write_text("./proj\n-e ../other/proj\nplain @ ./plain\n")
    code, out, err = puffin(sys.executable, "pip-compile", "mix.in", "--no-header", env=lenv, cwd=str(work))
    assert code == 0, err
    assert out.splitlines() == ["-e ../other/proj", "    # via -r mix.in", "./plain", "    # via -r mix.in",
                                "./proj", "    # via -r mix.in"]
    (work / "url.in").write_text("file:./proj\n")
    code, out, err = puffin(sys.executable, "pip-compile", "url.in", "--no-header", env=lenv, cwd=str(work))
    assert code == 0, err
    assert out.splitlines()[0] == "proj @ file:./proj"
    absolute = str(work / "proj")
    code, out, err = puffin(sys.executable, "pip-compile", "-", "--no-header", env=lenv, cwd=str(work),
                            input="proj @ file://%s\n" % absolute)
    assert code == 0, err
    assert out.splitlines()[0] == "proj @ file://%s" % absolute


def test_paths_are_rewritten_relative_to_the_output_files_folder(tree, lenv):
    """An input in sub/ and a lock in out/: the lock's paths are relative to out/."""
    work = tree / "work"
    (work / "sub" / "reqs.in").write_text("./proj\n-e ../../other/proj\n")
    (work / "out").mkdir()
    code, _, err = puffin(sys.executable, "pip-compile", "sub/reqs.in", "-o", "out/requirements.txt",
                          "--no-header", env=lenv, cwd=str(work))
    assert code == 0, err
    lines = (work / "out" / "requirements.txt").read_text().splitlines()
    assert lines == ["-e ../../other/proj", "    # via -r sub/reqs.in", "../sub/proj", "    # via -r sub/reqs.in"]


def test_a_lock_from_one_checkout_installs_from_another_with_editables_editable(tree, lenv, venv_factory,
                                                                                 tmp_path):
    work = tree / "work"
    (work / "requirements.in").write_text("-e ./proj\n../other/proj\n")
    code, _, err = puffin(sys.executable, "pip-compile", "requirements.in", "-o", "requirements.txt",
                          env=lenv, cwd=str(work))
    assert code == 0, err
    assert "file://" not in (work / "requirements.txt").read_text()
    second = tmp_path / "second-checkout"
    shutil.copytree(str(tree), str(second))
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-sync", "requirements.txt", env=lenv, cwd=str(second / "work"))
    assert code == 0, err
    with open(os.path.join(venv.site_packages, "proj-1.0.dist-info", "direct_url.json")) as f:
        assert json.load(f) == {"url": "file://%s" % (second / "work" / "proj"), "dir_info": {"editable": True}}
    with open(os.path.join(venv.site_packages, "otherproj-2.0.dist-info", "direct_url.json")) as f:
        assert json.load(f) == {"url": "file://%s" % (second / "other" / "proj"), "dir_info": {}}
    # a second sync keeps both
    code, _, err = puffin(venv.python, "pip-sync", "requirements.txt", env=lenv, cwd=str(second / "work"))
    assert code == 0, err
    assert "Checked 2 packages" in err


def test_a_mixed_input_compiles_to_uvs_lines(tree, lenv, tmp_path):
    """git (a tag), a URL, a relative path and an -e line: the lines `uv pip
    compile` writes for the same input (skipped without uv)."""
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    uv = os.environ.get("PUFFIN_TEST_UV") or os.path.join(root, "build", "tools", "bin", "uv")
    if not os.path.exists(uv) or shutil.which("git") is None:
        pytest.skip("needs uv and git")
    repo = tmp_path / "repo"
    support.write_project(repo, "gpkg", "1.0", pkg_info=False)
    git_env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@e", HOME=str(tmp_path))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "one"], ["tag", "v1.0"]):
        subprocess.run(["git"] + args, cwd=str(repo), env=git_env, check=True, capture_output=True)
    with support.IndexServer() as srv:
        srv.add_wheel("beta", "2.1")
        work = tree / "work"
        (work / "mix.in").write_text("gpkg @ git+file://%s@v1.0\nbeta @ %s\n./proj\n-e ../other/proj\n"
                                     % (repo, srv.file_url(support.wheel_filename("beta", "2.1"))))
        code, ours, err = puffin(sys.executable, "pip-compile", "mix.in", "--no-header", env=lenv, cwd=str(work))
        assert code == 0, err
        env = dict(support.without_machine_settings(), UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uvc"))
        theirs = subprocess.run([uv, "pip", "compile", "mix.in", "--no-header", "--no-index"], cwd=str(work),
                                env=env, capture_output=True, text=True, timeout=300)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.splitlines() == theirs.stdout.splitlines(), (ours, theirs.stdout)
