"""pylock.toml (PEP 751) written by pip-compile and installed by pip-sync / pip-install -r:
the round trip gives the environment a requirements.txt lock gives, a lock written by
`uv pip compile --format pylock.toml` installs the same versions, and an output file whose
name says no known format is a usage error (it used to get requirements text)."""

from __future__ import annotations

import pytest

import support
from support import dist_infos
from support import puffin_cli as puffin


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("app", "1.0", deps=["lib>=1", "extra-dep ; python_version < '3'"])
        s.add_wheel("lib", "1.0")
        s.add_wheel("lib", "2.0")
        s.add_sdist("lib", "2.0")
        s.add_wheel("extra-dep", "1.0")
        yield s
    assert not s.errors, "\n".join(s.errors)


def compile_to(venv, env, tmp_path, name, *more):
    (tmp_path / "req.in").write_text("app\n")
    out = tmp_path / name
    code, _, err = puffin(venv.python, "pip-compile", str(tmp_path / "req.in"), "-o", str(out), *more,
                          env=env)
    assert code == 0, err
    return out


def test_a_pylock_round_trip_gives_the_environment_a_requirements_lock_gives(env, venv_factory, tmp_path):
    """compile -o pylock.toml then pip-sync it == compile -o requirements.txt then pip-sync it."""
    venv_a, venv_b = venv_factory(name="a"), venv_factory(name="b")
    lock = compile_to(venv_a, env, tmp_path, "pylock.toml")
    text = lock.read_text()
    assert text.splitlines()[2] == 'lock-version = "1.0"'
    assert 'name = "lib"' in text and 'version = "2.0"' in text and "sha256 = " in text
    reqs = compile_to(venv_b, env, tmp_path, "requirements.txt")
    for venv, path in ((venv_a, lock), (venv_b, reqs)):
        code, _, err = puffin(venv.python, "pip-sync", str(path), env=env)
        assert code == 0, err
    assert dist_infos(venv_a.site_packages) == dist_infos(venv_b.site_packages) == {"app": "1.0", "lib": "2.0"}
    other = venv_factory(name="c")
    code, _, err = puffin(other.python, "pip-install", "-r", str(lock), env=env)
    assert code == 0, err
    assert dist_infos(other.site_packages) == {"app": "1.0", "lib": "2.0"}


def test_format_flag_and_names_choose_the_output_format(env, venv_factory, tmp_path):
    """pylock.NAME.toml and --format pylock.toml write PEP 751; other names are a usage error."""
    venv = venv_factory()
    named = compile_to(venv, env, tmp_path, "pylock.dev.toml")
    assert 'lock-version = "1.0"' in named.read_text()
    flagged = compile_to(venv, env, tmp_path, "lock.out.txt", "--format", "pylock.toml")
    assert 'lock-version = "1.0"' in flagged.read_text()
    (tmp_path / "req.in").write_text("app\n")
    code, _, err = puffin(venv.python, "pip-compile", str(tmp_path / "req.in"), "-o", str(tmp_path / "x.lock"),
                          env=env)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "hint:"))]
    assert lines[0] == "error: cannot tell the format of `%s` from its name" % (tmp_path / "x.lock")
    assert "pylock.toml" in lines[1] and "--format" in lines[1]
    assert not (tmp_path / "x.lock").exists()


@pytest.mark.live
def test_a_pylock_written_by_uv_installs_the_versions_uv_locked(tmp_path, venv_factory):
    """`uv pip compile --format pylock.toml` of a real set, installed by pip-sync: the versions uv pinned."""
    from test_live_compile import find_uv, live_env, run
    uv = find_uv()
    env = live_env(str(tmp_path))
    (tmp_path / "req.in").write_text("requests\nsix\nattrs\n")
    lock = tmp_path / "pylock.toml"
    proc = run([uv, "pip", "compile", str(tmp_path / "req.in"), "--format", "pylock.toml", "-o", str(lock),
                "--python-version", "3.11"], env, str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    venv = venv_factory(python=support.find_python("3.11"))
    code, _, err = puffin(venv.python, "pip-sync", str(lock), env=env, timeout=600)
    assert code == 0, err
    import puffin as puffin_module
    locked = {pkg["name"]: pkg["version"] for pkg in puffin_module.toml_loads(lock.read_text())["packages"]}
    assert dist_infos(venv.site_packages) == locked
