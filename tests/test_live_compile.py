"""Live compile equality: ``puffin.py pip-compile`` pins what ``uv pip compile`` pins.

For each benchmark set of ``make bench`` (``scripts/bench_sets/popular25.in``,
25 of the most downloaded projects, and ``scripts/bench_sets/jupyter.in``, the
deep ``jupyter`` tree) and each of ``--resolution highest`` and
``--resolution lowest-direct``, puffin.py and uv compile the same file with
the same options at the same moment (side by side, uv with an empty cache and
no configuration files), and the ``name==version`` pins must be the same. The
annotated output (``# via`` lines; header left out) is compared too.

Resolution is for a CPython 3.11 found on the machine, whatever runs pytest.
popular25 under lowest-direct gets ``-c fixtures/lowest_direct_floors.txt``
(lower bounds that keep the lowest versions on wheels for 3.11).

uv comes from ``$PUFFIN_TEST_UV`` or ``build/tools/bin/uv`` (``make test``
installs it there); the tests fail, not skip, when it is missing.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
PUFFIN_SCRIPT = os.path.join(REPO_ROOT, "puffin.py")
sys.path.insert(0, TESTS_DIR)
import support  # noqa: E402

TARGET_PYTHON = support.find_python("3.11")
POPULAR = "scripts/bench_sets/popular25.in"   # paths relative to the repo root, which is the cwd
JUPYTER = "scripts/bench_sets/jupyter.in"
FLOORS = "tests/fixtures/lowest_direct_floors.txt"
CASES = {
    "popular25-highest": (POPULAR, "highest", []),
    "popular25-lowest-direct": (POPULAR, "lowest-direct", ["-c", FLOORS]),
    "jupyter-highest": (JUPYTER, "highest", []),
    "jupyter-lowest-direct": (JUPYTER, "lowest-direct", []),
}

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(TARGET_PYTHON is None, reason="needs a CPython 3.11 (pyenv or PATH)"),
]

_NETWORK_TROUBLE = re.compile(
    r"(?i)timed? ?out|temporary failure in name resolution|name or service not known|"
    r"connection (?:reset|refused|aborted|error)|network|remote end closed|"
    r"max retries exceeded|\b50[0-4]\b|eof occurred|ssl|dns"
)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(==\s*\S+|@\s*\S+)")


def find_uv() -> str:
    """The uv to compare against: $PUFFIN_TEST_UV, else build/tools/bin/uv; fail when neither exists."""
    candidate = os.environ.get("PUFFIN_TEST_UV") or os.path.join(REPO_ROOT, "build", "tools", "bin", "uv")
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        pytest.fail("uv is needed to compare pip-compile against it and was not found at %s: "
                    "run `make test-live` (it installs uv into build/tools) or set PUFFIN_TEST_UV "
                    "to a uv executable" % candidate, pytrace=False)
    return candidate


def live_env(tmp_root: str) -> dict:
    """The process environment without machine pip/uv/puffin settings; puffin's cache shared per run."""
    env = support.without_machine_settings()
    cache = os.path.join(tmp_root, "live-puffin-cache")  # the same folder test_live_fidelity uses
    os.makedirs(cache, exist_ok=True)
    env["PUFFIN_CACHE_DIR"] = cache
    env["UV_NO_CONFIG"] = "1"
    env["UV_CACHE_DIR"] = os.path.join(tmp_root, "live-uv-cache")
    return env


def run(cmd, env, cwd, timeout=900, attempts=3):
    """Run ``cmd``, timing it; retry when it failed with what looks like network trouble."""
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        proc = subprocess.run([os.fspath(c) for c in cmd], env=env, cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        proc.seconds = time.monotonic() - started
        if proc.returncode == 0 or attempt == attempts or not _NETWORK_TROUBLE.search(proc.stderr):
            return proc
        time.sleep(5 * attempt)
    return proc


def describe(proc) -> str:
    return "$ %s\nexit %d\n--- stdout\n%s\n--- stderr\n%s" % (
        " ".join(proc.args), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])


def pins(output: str) -> list:
    """The ``name==version`` / ``name @ url`` lines of a compiled file, names canonical, sorted."""
    found = []
    for line in output.splitlines():
        match = _PIN.match(line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            found.append(name + re.sub(r"\s+", "", match.group(2)).replace("@", " @ "))
    return sorted(found)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """``get(case)`` -> (uv run, puffin.py run), each pair compiled side by side once."""
    uv = find_uv()
    env = live_env(str(tmp_path_factory.getbasetemp()))
    done = {}

    def get(case):
        if case not in done:
            src, resolution, extra = CASES[case]
            common = ["--python", TARGET_PYTHON, "--resolution", resolution, "--no-header"] + extra + [src]
            with ThreadPoolExecutor(2) as pool:
                uv_job = pool.submit(run, [uv, "pip", "compile"] + common, env, REPO_ROOT)
                puf_job = pool.submit(run, [sys.executable, PUFFIN_SCRIPT, "pip-compile"] + common, env, REPO_ROOT)
                done[case] = (uv_job.result(), puf_job.result())
        return done[case]

    return get


@pytest.mark.parametrize("case", list(CASES))
def test_pip_compile_pins_what_uv_pins(compiled, case):
    """puffin.py pip-compile and uv pip compile give the same name==version pins."""
    uv_run, puf_run = compiled(case)
    assert uv_run.returncode == 0, "uv itself failed:\n" + describe(uv_run)
    assert puf_run.returncode == 0, describe(puf_run)
    uv_pins, puf_pins = pins(uv_run.stdout), pins(puf_run.stdout)
    assert uv_pins, "uv printed no pins:\n" + describe(uv_run)
    diff = "\n".join(difflib.unified_diff(uv_pins, puf_pins, "uv", "puffin.py", lineterm="", n=0))
    assert uv_pins == puf_pins, "pins differ for %s (uv %.1fs, puffin.py %.1fs):\n%s" % (
        case, uv_run.seconds, puf_run.seconds, diff)


@pytest.mark.parametrize("case", list(CASES))
def test_pip_compile_annotations_match_uv(compiled, case):
    """With the header left out, the whole output (pins and `# via` lines) is uv's, line for line."""
    uv_run, puf_run = compiled(case)
    if uv_run.returncode != 0 or puf_run.returncode != 0:
        pytest.fail("a compile failed; see test_pip_compile_pins_what_uv_pins", pytrace=False)
    diff = "\n".join(difflib.unified_diff(uv_run.stdout.splitlines(), puf_run.stdout.splitlines(),
                                         "uv", "puffin.py", lineterm="", n=1))
    assert uv_run.stdout == puf_run.stdout, "output differs for %s:\n%s" % (case, diff[:6000])


def test_pin_parser_reads_compiled_lines():
    """The pin reader takes `name==ver` and `name @ url` lines and ignores comments and options."""
    text = "# header\n--index-url x\nFoo_Bar==1.0\n    # via -r a.in\nbaz @ https://h/b.whl\n"
    assert pins(text) == ["baz @ https://h/b.whl", "foo-bar==1.0"]
