"""uv's conflict-driven priorities: a package whose versions keep being
rejected because of another package's decision is decided first after five
rejections, so the resolver does not walk every version of it (issue 20's
boto3 / python-dateutil case, in small)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import support

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_package_that_keeps_conflicting_is_decided_first(index_server, run_puffin, clean_env, tmp_cache):
    index_server.add_wheel("dateutil", "2.9")
    index_server.add_wheel("dateutil", "4.0")
    for minor in range(60):
        index_server.add_wheel("boto", "1.%d" % minor, deps=["dateutil<3"])
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    r = run_puffin(["pip-compile", "-", "--index-url", index_server.index_url, "--no-header",
                    "--no-annotate"], env=env, input="dateutil\nboto\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["boto==1.59", "dateutil==2.9"]
    asked = index_server.requests_for("/files/boto-*.metadata")
    assert asked <= 12, asked   # not one for each of the 60 versions
    uv = os.environ.get("PUFFIN_TEST_UV") or os.path.join(ROOT, "build", "tools", "bin", "uv")
    if os.path.exists(uv):
        theirs = subprocess.run([uv, "pip", "compile", "-", "--index-url", index_server.index_url,
                                 "--no-header", "--no-annotate", "--no-config", "--cache-dir",
                                 os.path.join(tmp_cache, "uv")],
                                input="dateutil\nboto\n", capture_output=True, text=True, env=env)
        assert theirs.returncode == 0, theirs.stderr
        assert theirs.stdout.split() == r.stdout.split()


PROBE = ("requests flask jinja2 click attrs six python-dateutil pytz pyyaml packaging pytest rich numpy "
         "pandas sqlalchemy pydantic httpx boto3 markdown tomli cryptography").split()


@pytest.mark.live
def test_boto3_after_python_dateutil_resolves_as_uv_does(tmp_path):
    """The set of issue 20: python-dateutil (newest 4.x) is decided before boto3, all
    of whose releases need python-dateutil<3. puffin.py used to walk ~1,200 boto3
    versions; it answers with uv's pins (boto3 newest, python-dateutil 2.x)."""
    uv = os.environ.get("PUFFIN_TEST_UV") or os.path.join(ROOT, "build", "tools", "bin", "uv")
    if not os.path.exists(uv):
        pytest.skip("uv is not available")
    env = support.without_machine_settings()   # keeps the machine's CA settings for uv
    reqs = tmp_path / "probe.in"
    reqs.write_text("\n".join(PROBE) + "\n")
    args = [str(reqs), "--python-version", "3.11", "--no-header", "--no-annotate"]
    ours = subprocess.run([sys.executable, support.PUFFIN_SCRIPT, "pip-compile", *args,
                           "--cache-dir", str(tmp_path / "c1")], capture_output=True, text=True,
                          env=env, timeout=600)
    assert ours.returncode == 0, ours.stderr[-2000:]
    theirs = subprocess.run([uv, "pip", "compile", *args, "--no-config", "--cache-dir", str(tmp_path / "c2")],
                            capture_output=True, text=True, env=dict(env, UV_NO_CONFIG="1"), timeout=600)
    assert theirs.returncode == 0, theirs.stderr[-2000:]
    assert ours.stdout.split() == theirs.stdout.split()


def test_verbose_prints_the_searchs_numbers_and_how_metadata_was_had(index_server, tmp_path):
    """-v after a resolution that backtracks: decisions, backjumps, conflicts
    and the metadata sources, as lines of their own."""
    import sys
    index_server.add_wheel("app", "2.0", deps=["lib<2"])
    index_server.add_wheel("app", "1.0", deps=["lib"])
    index_server.add_wheel("lib", "2.0")
    index_server.add_wheel("lib", "1.0")
    index_server.add_wheel("other", "1.0", deps=["lib>=2"])
    env = dict(support.without_machine_settings(), PUFFIN_INDEX_URL=index_server.index_url,
               PUFFIN_CACHE_DIR=str(tmp_path / "c"), PIP_CONFIG_FILE=os.devnull)
    code, out, err = support.puffin_cli(sys.executable, "pip-compile", "-", "-v", "--no-header", env=env,
                                        input="app\nother\n")
    assert code == 0, err
    assert "app==1.0" in out.splitlines()
    lines = err.splitlines()
    assert any(line.startswith("resolution: ") and " decisions, " in line and " backjump" in line
               for line in lines), err
    assert any(line.startswith("metadata: ") and " by range requests" in line for line in lines), err


def _uv_compile(index_server, tmp_cache, env, text):
    uv = os.environ.get("PUFFIN_TEST_UV") or os.path.join(ROOT, "build", "tools", "bin", "uv")
    if not os.path.exists(uv):
        return None
    theirs = subprocess.run([uv, "pip", "compile", "-", "--index-url", index_server.index_url,
                             "--no-header", "--no-annotate", "--no-config", "--cache-dir",
                             os.path.join(tmp_cache, "uv")],
                            input=text, capture_output=True, text=True, env=env)
    assert theirs.returncode == 0, theirs.stderr
    return theirs.stdout.split()


def test_a_culprit_that_keeps_causing_conflicts_is_undone(index_server, run_puffin, clean_env, tmp_cache):
    """A Django SaaS set in small (celery[redis] before redis): redis's newest version is
    decided first, and every final release of kombu[redis] needs an older redis. Conflicts
    are counted as uv counts them (each step of a conflict's resolution too), so redis is
    found to be the culprit, undone and decided after kombu: kombu's newest final release
    and an older redis, as uv answers -- not the kombu pre-release that would go with the
    newest redis."""
    index_server.add_wheel("celery", "5.6.3", deps=["kombu>=5.6.0"],
                           extras={"redis": ["kombu[redis]"]})
    for v in ("5.6.0", "5.6.1", "5.6.2"):
        index_server.add_wheel("kombu", v, extras={"redis": ["redis>=4.5.2,<6.5"]})
    index_server.add_wheel("kombu", "5.7.0a1", extras={"redis": ["redis>=4.5.2"]})
    for v in ("6.3.0", "6.4.0", "8.1.0"):
        index_server.add_wheel("redis", v)
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    text = "celery[redis]\nredis>=5.0\n"
    r = run_puffin(["pip-compile", "-", "--index-url", index_server.index_url, "--no-header",
                    "--no-annotate"], env=env, input=text)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["celery==5.6.3", "kombu==5.6.2", "redis==6.4.0"]
    theirs = _uv_compile(index_server, tmp_cache, env, text)
    if theirs is not None:
        assert theirs == r.stdout.split()

def test_a_deep_conflict_does_not_replay_unrelated_decisions(index_server, run_puffin, clean_env, tmp_cache):
    """Issue 20's replay pattern in small: twenty unrelated top-level requirements (each with
    a dependency of its own) are decided first, then a conflict three levels down (app ->
    lib -> core>=2 against the root's core<2) rejects nine versions of app. The search jumps
    back to app each time and keeps the unrelated decisions: the decisions stay within twice
    the number of packages (a search that replays from the start makes ~20 more per
    rejected version), and the answer is uv's."""
    unrelated = ["u%02d" % i for i in range(20)]
    for name in unrelated:
        index_server.add_wheel("s" + name, "1.0")
        for v in ("1.0", "2.0", "3.0"):
            index_server.add_wheel(name, v, deps=["s" + name])
    for minor in range(10):
        v = "1.%d" % minor
        index_server.add_wheel("app", v, deps=["lib==%s" % v])
        index_server.add_wheel("lib", v, deps=["core<2" if minor == 0 else "core>=2"])
    for v in ("1.0", "2.0"):
        index_server.add_wheel("core", v)
    env = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    text = "".join(n + "\n" for n in unrelated) + "app\ncore<2\n"
    r = run_puffin(["pip-compile", "-", "--index-url", index_server.index_url, "--no-header",
                    "--no-annotate", "-v"], env=env, input=text)
    assert r.returncode == 0, r.stderr
    pins = r.stdout.split()
    assert "app==1.0" in pins and "lib==1.0" in pins and "core==1.0" in pins
    assert len(pins) == 43
    numbers = [line for line in r.stderr.splitlines() if line.startswith("resolution: ")]
    assert numbers, r.stderr
    decisions = int(numbers[-1].split()[1])
    assert decisions <= 2 * len(pins), numbers[-1]
    theirs = _uv_compile(index_server, tmp_cache, env, text)
    if theirs is not None:
        assert theirs == pins
