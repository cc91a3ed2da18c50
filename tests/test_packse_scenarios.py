"""uv's resolver scenarios (packse) run through ``puffin.py pip-compile``.

The scenarios come from packse (uv's own scenario suite), converted by
``tests/scenarios/packse/convert.py`` into ``tests/scenarios/packse/scenarios.json``
(its ``packse_version`` says which release).  Each scenario lists packages
(versions with requires, requires-python, extras, wheel tags, sdist or not,
yanked), the root requirements, the Python it runs on, resolver options and
the expected outcome.

One local index serves every scenario, each package named
``<scenario>-<package>`` as packse publishes them, with wheels and sdists
built by ``tests/support.py`` (sdists carry static metadata, like the ones
packse builds with hatchling).  Each scenario is then resolved in-process by
``puffin.main(["pip-compile", ...])`` the way uv's generated tests run it:

- "install" scenarios (uv runs ``uv pip install`` into a venv of the scenario's
  Python on Linux): ``--python-version <python> --python-platform linux``;
- "compile" scenarios (uv runs ``uv pip compile --python-version``): the
  resolver's Python version, on Linux;
- "lock" scenarios (uv runs them with universal resolution) run through
  ``pip-compile --universal --python-version <floor of the root requires-python>``
  and are compared line by line (name, version, and the marker, as sets of
  environments) with what ``uv pip compile --universal`` gives on the same
  index, recorded in ``tests/scenarios/packse/universal.json`` by
  ``tests/scenarios/packse/universal.py``.

Options map as in uv's templates: ``prereleases`` -> ``--prerelease=allow``,
``no_build`` -> ``--only-binary``, ``no_binary`` -> ``--no-binary``,
``python_platform`` -> ``--python-platform``.  Satisfiable scenarios must exit
0, pin every expected package at its expected version and warn about
requested extras the chosen version lacks; unsatisfiable ones must exit 1
with an explanation that names a root package and states the key facts of
uv's explanation (EXPLANATION_FACTS), in puffin.py's own words.

A few installation scenarios also run ``pip-install`` into a real venv of
the scenario's Python (INSTALLED_FROM), checking the installed versions and
whether a wheel or a build of the sdist was installed.
"""

from __future__ import annotations

import json
import os
import re

import pytest

import puffin
import support

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios", "packse", "scenarios.json")

with open(DATA, encoding="utf-8") as _f:
    _DOC = json.load(_f)
SCENARIOS = _DOC["scenarios"]
_DEFAULTS = _DOC["defaults"]["version"]

# Scenarios whose expectations puffin.py knowingly does not meet, with the reason.
KNOWN_DIFFERENCES: dict = {
    "python-less-than-current": "Requires-Python counts whole, upper bound included, as pip reads "
                                "it (a file that excludes the target is never chosen); uv ignores "
                                "upper bounds",
}

# Scenarios where uv itself no longer gives packse's expected outcome: since
# astral-sh/uv#19993 (uv 0.13), the if-necessary prerelease modes fall back to
# pre-releases when no final release is left in the *range* (not only when a
# package has no final release at all), and an explicit pre-release marker no
# longer makes a pre-release win over a final release in range. This is also
# what pip does (packaging's SpecifierSet.filter). The pins here are uv
# 0.13.9's on this index with the same options, taken by running it; puffin.py
# follows uv, the reference for resolution output.
UV_SUPERSEDES_PACKSE = {
    "package-only-prereleases-in-range": {"a": "1.0.0a1"},
    "package-prerelease-specified-mixed-available": {"a": "0.3.0"},
    "package-prereleases-specifier-boundary": {"a": "0.1.0"},
    "transitive-package-only-prereleases-in-range": {"a": "0.1.0", "b": "1.0.0a1"},
    "transitive-prerelease-and-stable-dependency-many-versions-holes":
        {"a": "1.0.0", "b": "1.0.0", "c": "2.0.0b4"},
    "transitive-prerelease-and-stable-dependency-many-versions":
        {"a": "1.0.0", "b": "1.0.0", "c": "2.0.0b9"},
    "transitive-prerelease-and-stable-dependency": {"a": "1.0.0", "b": "1.0.0", "c": "2.0.0b1"},
}

# The key facts uv's explanation states for each unsatisfiable scenario, as
# substrings (case-insensitive) of puffin.py's error; ``{a}`` is package a's
# published name.  Wording is free, the facts are not.
EXPLANATION_FACTS = {
    "backtrack-to-missing-package": ["{c} was not found", "{a}==1.0.0", "{b}"],
    "requires-exact-version-does-not-exist": ["{a}==2.0.0"],
    "requires-greater-version-does-not-exist": ["{a}>1.0.0"],
    "requires-less-version-does-not-exist": ["{a}<2.0.0"],
    "requires-package-does-not-exist": ["{a} was not found"],
    "transitive-requires-package-does-not-exist": ["{b} was not found", "{a}==1.0.0 depends on {b}"],
    "dependency-excludes-non-contiguous-range-of-compatible-versions": [
        "{a}==1.0.0 depends on {b}==1.0.0", "{a}==3.0.0 depends on {b}==3.0.0",
        "{b}>=2.0.0,<3.0.0", "{c}"],
    "dependency-excludes-range-of-compatible-versions": [
        "{a}==1.0.0 depends on {b}==1.0.0", "{a}==3.0.0 depends on {b}==3.0.0",
        "{b}>=2.0.0,<3.0.0", "{c}"],
    "excluded-only-compatible-version": [
        "{a}==1.0.0 depends on {b}==1.0.0", "{a}==3.0.0 depends on {b}==3.0.0", "{b}>=2.0.0,<3.0.0"],
    "excluded-only-version": ["{a}<1.0.0", ">1.0.0"],
    "extra-incompatible-with-extra": ["{a}[extra-b]", "{a}[extra-c]", "{b}==1.0.0", "{b}==2.0.0"],
    "extra-incompatible-with-root": ["{a}[extra]", "{b}==1.0.0", "{b}==2.0.0"],
    "direct-incompatible-versions": ["{a}==1.0.0", "{a}==2.0.0"],
    "transitive-incompatible-versions": ["{a}==1.0.0", "{b}==1.0.0", "{b}==2.0.0"],
    "transitive-incompatible-with-root-version": ["{a}==1.0.0 depends on {b}==2.0.0", "{b}==1.0.0"],
    "transitive-incompatible-with-transitive": [
        "{a}==1.0.0 depends on {c}==1.0.0", "{b}==1.0.0 depends on {c}==2.0.0"],
    "local-greater-than": ["{a}>1.2.3"],
    "local-less-than": ["{a}<1.2.3"],
    "local-transitive-conflicting": ["{b}==2.0.0+bar", "{b}==2.0.0+foo"],
    "local-transitive-greater-than": ["{b}>2.0.0", "{b}==2.0.0+foo"],
    "local-transitive-less-than": ["{b}<2.0.0", "{b}==2.0.0+foo"],
    "post-equal-not-available": ["{a}==1.2.3.post0"],
    "post-greater-than-post-not-available": ["{a}>1.2.3.post2"],
    "post-greater-than": ["{a}>1.2.3"],
    "post-less-than-or-equal": ["{a}<=1.2.3"],
    "post-less-than": ["{a}<1.2.3"],
    "post-local-greater-than-post": ["{a}>1.2.3.post1"],
    "post-local-greater-than": ["{a}>1.2.3"],
    "post-simple": ["{a}==1.2.3"],
    "compatible-python-incompatible-override": ["{a}==1.0.0", "python>=3.10"],
    "python-greater-than-current-excluded": ["python>=3.10", "python>=3.11", "python>=3.12", "{a}>=2.0.0"],
    "python-greater-than-current-many": ["{a}==1.0.0"],
    "python-greater-than-current-patch": ["{a}==1.0.0", "python>=3.13.2"],
    "python-greater-than-current": ["{a}==1.0.0", "python>=3.10"],
    "python-patch-override-no-patch": ["{a}==1.0.0", "python>=3.9.4"],
    "python-version-does-not-exist": ["{a}==1.0.0", "python>=3.30"],
    "no-sdist-no-wheels-with-matching-abi": ["{a}==1.0.0", "no wheels with a matching python abi tag"],
    "no-sdist-no-wheels-with-matching-platform": ["{a}==1.0.0", "no wheels with a matching platform tag"],
    "no-sdist-no-wheels-with-matching-python": [
        "{a}==1.0.0", "no wheels with a matching python implementation tag"],
    "no-wheels-no-build": ["{a}==1.0.0", "building from source is disabled"],
    "only-wheels-no-binary": ["{a}==1.0.0", "no source distribution"],
    "package-only-yanked-in-range": ["{a}==1.0.0 was yanked"],
    "package-only-yanked": ["{a}==1.0.0 was yanked"],
    "transitive-package-only-yanked-in-range": ["{a}==0.1.0 depends on {b}>0.1", "{b}==1.0.0 was yanked"],
    "transitive-package-only-yanked": ["{a}==0.1.0 depends on {b}", "{b}==1.0.0 was yanked"],
    "transitive-yanked-and-unyanked-dependency": ["{a}==1.0.0 depends on {c}==2.0.0", "{c}==2.0.0 was yanked"],
}

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def full_name(scenario: dict, name: str) -> str:
    """The published name of a scenario's package, as packse names it."""
    return name if name == scenario["name"] else "%s-%s" % (scenario["name"], name)


def rename(scenario: dict, requirement: str) -> str:
    """``requirement`` with its project name replaced by the published one."""
    return _NAME.sub(lambda m: full_name(scenario, m.group(1)), requirement, count=1)


def _hosted(scenario: dict) -> bool:
    return True


def host(server: support.IndexServer, scenario: dict) -> None:
    """Publish a scenario's packages: one wheel per tag (py3-none-any by default) and an sdist."""
    for name, versions in scenario["packages"].items():
        project = full_name(scenario, name)
        for version, given in versions.items():
            meta = dict(_DEFAULTS, **given)
            deps = [rename(scenario, r) for r in meta["requires"]]
            extras = {x: [rename(scenario, r) for r in reqs] for x, reqs in meta["extras"].items()}
            common = dict(deps=deps, extras=extras, requires_python=meta["requires_python"],
                          yanked="Yanked for testing" if meta["yanked"] else None)
            if meta["wheel"]:
                for tag in meta["wheel_tags"] or ["py3-none-any"]:
                    server.add_wheel(project, version, tag=tag, **common)
            if meta["sdist"]:
                server.add_sdist(project, version, static=True, **common)


@pytest.fixture(scope="module")
def packse_index():
    """One index server holding every scenario's packages."""
    with support.IndexServer() as server:
        for scenario in SCENARIOS:
            if _hosted(scenario):
                host(server, scenario)
        yield server
    assert not server.errors, "\n".join(server.errors)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("packse-cache"))


def compile_args(scenario: dict, requirements_in: str, index_url: str, cache: str) -> list:
    """The pip-compile command line uv's scenario templates would use."""
    options = scenario.get("options", {})
    python = options.get("python") or scenario["python"]
    args = ["pip-compile", requirements_in, "--index-url", index_url, "--cache-dir", cache,
            "--no-header", "--no-annotate", "--python-version", python,
            "--python-platform", options.get("python_platform", "linux")]
    if options.get("prereleases"):
        args.append("--prerelease=allow")
    for name in options.get("no_build", ()):
        args += ["--only-binary", full_name(scenario, name)]
    for name in options.get("no_binary", ()):
        args += ["--no-binary", full_name(scenario, name)]
    return args


def run_scenario(scenario: dict, index_url: str, cache: str, tmp_path, capsys):
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text("".join(rename(scenario, r) + "\n" for r in scenario["root"]))
    capsys.readouterr()
    code = puffin.main(compile_args(scenario, str(requirements_in), index_url, cache))
    out, err = capsys.readouterr()
    return code, out, err


def missing_extra_warnings(scenario: dict, pins: dict) -> list:
    """The warnings uv gives for root extras the resolved version does not define."""
    out = []
    for requirement in scenario["root"]:
        m = re.match(r"^\s*([A-Za-z0-9._-]+)\[([^\]]+)\]", requirement)
        if not m:
            continue
        name = full_name(scenario, m.group(1))
        version = pins.get(puffin.canonicalize_name(name))
        given = scenario["packages"].get(m.group(1), {}).get(version, {})
        defined = {puffin.canonicalize_name(x) for x in given.get("extras", {})}
        for extra in m.group(2).split(","):
            if puffin.canonicalize_name(extra) not in defined:
                out.append("The package `%s==%s` does not have an extra named `%s`"
                           % (puffin.canonicalize_name(name), version, puffin.canonicalize_name(extra)))
    return out


def _params():
    out = []
    for scenario in SCENARIOS:
        marks = []
        if scenario["kind"] == "lock":
            continue   # see test_packse_universal
        if scenario["name"] in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[scenario["name"]], strict=True))
        out.append(pytest.param(scenario, id=scenario["name"], marks=marks))
    return out


@pytest.mark.parametrize("scenario", _params())
def test_packse_scenario(scenario, packse_index, shared_cache, tmp_path, capsys, clean_env):
    """The scenario resolves to packse's expected pins, or fails with exit 1 naming the root packages."""
    code, out, err = run_scenario(scenario, packse_index.index_url, shared_cache, tmp_path, capsys)
    expected = scenario["expected"]
    if scenario["name"] in UV_SUPERSEDES_PACKSE:
        expected = {"satisfiable": True, "packages": UV_SUPERSEDES_PACKSE[scenario["name"]]}
    if expected["satisfiable"]:
        assert code == 0, err
        pins = {puffin.canonicalize_name(n): v for n, v in _PIN.findall(out)}
        wanted = {puffin.canonicalize_name(full_name(scenario, n)): v
                  for n, v in expected.get("packages", {}).items()}
        assert {n: pins.get(n) for n in wanted} == wanted, out
        for warning in missing_extra_warnings(scenario, pins):
            assert warning in err
    else:
        assert code == 1, out + err
        assert "error:" in err
        roots = {puffin.canonicalize_name(_NAME.match(rename(scenario, r)).group(1)) for r in scenario["root"]}
        assert any(name in err.lower() for name in roots), err
        names = {n: full_name(scenario, n) for n in scenario["packages"]}
        names.update((c, full_name(scenario, c)) for c in "abcd" if c not in names)
        for fact in EXPLANATION_FACTS[scenario["name"]]:
            assert fact.format(**names).lower() in err.lower(), err


# Installation scenarios also run for real: ``pip-install`` into a venv of the
# scenario's Python, then the installed modules report their versions, and the
# WHEEL file says whether a published wheel or a wheel built from the sdist
# (by the tests' in-tree backend) was installed.
INSTALLED_FROM = {
    "no-binary": {"a": "sdist"},
    "no-build": {"a": "wheel"},
    "no-wheels": {"a": "sdist"},
    "no-wheels-with-matching-platform": {"a": "sdist"},
    "only-wheels": {"a": "wheel"},
    "specific-tag-and-default": {"a": "wheel"},
    "local-used-without-sdist": {"a": "wheel"},
    "extra-required": {"a": "wheel", "b": "wheel"},
    "transitive-yanked-and-unyanked-dependency-opt-in": {"a": "wheel", "b": "wheel", "c": "wheel"},
}

_REPORT = """
import importlib, importlib.metadata as md, json, sys
out = {}
for name in sys.argv[1:]:
    module = importlib.import_module(name.replace("-", "_"))
    wheel = md.distribution(name).read_text("WHEEL") or ""
    out[name] = [module.__version__, "sdist" if "puffin_test_backend" in wheel else "wheel"]
print(json.dumps(out))
"""


def _install_params():
    return [pytest.param(name, id=name) for name in sorted(INSTALLED_FROM)]


@pytest.mark.parametrize("name", _install_params())
def test_packse_scenario_installs(name, packse_index, shared_cache, venv_factory, tmp_path, capsys, clean_env):
    """pip-install puts the expected versions into a venv, from a wheel or a built sdist as uv would."""
    import subprocess
    scenario = next(s for s in SCENARIOS if s["name"] == name)
    venv = venv_factory(scenario["python"])
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(rename(scenario, r) + "\n" for r in scenario["root"]))
    args = ["pip-install", "-r", str(requirements), "--python", venv.python, "--index-url",
            packse_index.index_url, "--cache-dir", shared_cache]
    options = scenario.get("options", {})
    for option, flag in (("no_build", "--only-binary"), ("no_binary", "--no-binary")):
        for package in options.get(option, ()):
            args += [flag, full_name(scenario, package)]
    capsys.readouterr()
    code = puffin.main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    names = [full_name(scenario, n) for n in INSTALLED_FROM[name]]
    report = subprocess.run([venv.python, "-c", _REPORT] + names, capture_output=True, text=True,
                            check=True, env=clean_env)
    installed = json.loads(report.stdout)
    expected_versions = scenario["expected"].get("packages", {})
    for short, source in INSTALLED_FROM[name].items():
        version, got = installed[full_name(scenario, short)]
        assert got == source, short
        if short in expected_versions:
            assert version == expected_versions[short]


def test_every_unsatisfiable_scenario_has_its_explanation_facts():
    """Each unsatisfiable scenario puffin.py runs lists the facts its explanation must state."""
    unsat = {s["name"] for s in SCENARIOS if s["kind"] != "lock" and not s["expected"]["satisfiable"]
             and s["name"] not in UV_SUPERSEDES_PACKSE}
    assert unsat == set(EXPLANATION_FACTS)
    assert set(UV_SUPERSEDES_PACKSE) <= {s["name"] for s in SCENARIOS if _hosted(s)}


def test_the_data_holds_every_packse_scenario():
    """The converted data names its packse version and holds its 150 scenarios."""
    assert _DOC["packse_version"]
    assert len(SCENARIOS) >= 150
    assert len({s["name"] for s in SCENARIOS}) == len(SCENARIOS)


# ---- universal resolution ------------------------------------------------------

with open(os.path.join(os.path.dirname(DATA), "universal.json"), encoding="utf-8") as _f:
    _UV_UNIVERSAL = json.load(_f)

# Lock scenarios where puffin.py's universal answer knowingly differs from uv's.
UNIVERSAL_DIFFERENCES: dict = {
    "wrong-backtracking-indirect": "the decision that alone brought a conflicting package in (b for "
                                   "b-inner) is decided early with it, beyond uv's conflict counts "
                                   "(the boto3/botocore walk): packse's stated intent (a 1.0.0, "
                                   "b-inner 2.0.9), where uv 0.13.9 backtracks down to b-inner 1.0.0 "
                                   "and too-old",
}


_UNIVERSAL_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?:\s*;\s*(.*))?$")


def _universal_params():
    out = []
    for scenario in SCENARIOS:
        if scenario["kind"] != "lock":
            continue
        marks = []
        if scenario["name"] in UNIVERSAL_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=UNIVERSAL_DIFFERENCES[scenario["name"]], strict=True))
        out.append(pytest.param(scenario, id=scenario["name"], marks=marks))
    return out


def universal_lines(text: str) -> list:
    """[(name, version, marker text)] of a compiled requirements file."""
    out = []
    for line in text.splitlines():
        m = _UNIVERSAL_LINE.match(line.strip())
        if m:
            out.append((m.group(1).lower(), m.group(2), (m.group(3) or "").strip()))
    return sorted(out)


def same_lines(ours: list, theirs: list, floor: str) -> bool:
    """The same pins, each for the same environments (markers compared as
    sets of environments within the Pythons from ``floor`` on, so that two
    spellings of one marker are equal)."""
    if [(n, v) for n, v, _ in ours] != [(n, v) for n, v, _ in theirs]:
        return False
    universe = puffin.MarkerSet.python(">=", floor)
    for (_, _, a), (_, _, b) in zip(ours, theirs):
        ma = puffin.MarkerSet.of(a or None) & universe
        mb = puffin.MarkerSet.of(b or None) & universe
        if not ma.equivalent(mb):
            return False
    return True


@pytest.mark.parametrize("scenario", _universal_params())
def test_packse_universal(scenario, packse_index, shared_cache, tmp_path, capsys, clean_env):
    """``pip-compile --universal`` gives uv's lines (versions and markers) or, where uv finds no
    solution, exits 1 with an explanation."""
    expected = _UV_UNIVERSAL["scenarios"][scenario["name"]]
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text("".join(rename(scenario, r) + "\n" for r in scenario["root"]))
    args = ["pip-compile", str(requirements_in), "--universal", "--python-version", expected["python"],
            "--index-url", packse_index.index_url, "--cache-dir", shared_cache, "--no-header", "--no-annotate"]
    capsys.readouterr()
    code = puffin.main(args)
    out, err = capsys.readouterr()
    if expected["exit"] != 0:
        assert code == 1, out + err
        assert "error:" in err
        return
    assert code == 0, err
    theirs = sorted(tuple(x) for x in expected["lines"])
    assert same_lines(universal_lines(out), theirs, expected["python"]), (out, theirs)
