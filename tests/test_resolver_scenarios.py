"""Resolver scenarios: each file in tests/scenarios/ is a tiny fake index.

A scenario is JSON:

    {"description": "...",
     "packages": {"a": {"1.0": {"deps": ["b>=2"], "requires_python": ">=3.8",
                                "extras": {"x": ["c"]}, "yanked": "reason",
                                "upload_time": "2024-01-01T00:00:00Z",
                                "wheels": ["py3-none-any"], "sdist": false}}},
     "requires": ["a"],            (or [["a", "-r requirements.in"], ...])
     "constraints": [], "overrides": [], "preferences": {"a": "1.0"},
     "options": {"python_version": "3.11", "platform": "linux",
                 "resolution": "highest", "prerelease": "if-necessary-or-explicit",
                 "exclude_newer": null, "only_binary": [], "no_binary": [],
                 "no_build": false, "no_deps": false},
     "expected": {"resolved": {"a": "1.0"}, "via": {"b": ["a"]}, "extras": {"a": ["x"]},
                  "warnings": ["..."]}
              or {"error": "full explanation", "hints": ["..."]}}

Per version: ``wheels`` defaults to ["py3-none-any"]; ``sdist`` adds an sdist
(static metadata); ``files_requires_python`` sets requires-python per file
instead of on the version. Versions are offered through the real
``RegistryProvider`` over an in-memory distribution database, so tags,
requires-python, yanked files and --exclude-newer go through the same code as
with a real index.
"""

from __future__ import annotations

import glob
import json
import os

import pytest

import puffin

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")


class FakeDatabase:
    """``files(name)`` and ``metadata(file_or_dist)`` over a scenario's packages."""

    def __init__(self, packages, url_files=None):
        self.packages = {puffin.canonicalize_name(k): v for k, v in packages.items()}
        self.by_filename = {}
        self.calls = []
        self.url_files = url_files or {}

    def known_names(self):
        return sorted(self.packages)

    def files(self, name):
        self.calls.append(("files", name))
        out = []
        for version, info in self.packages.get(name, {}).items():
            for f in self._files(name, version, info or {}):
                out.append(f)
        return out

    def _files(self, name, version, info):
        per_file_rp = info.get("files_requires_python")
        rp = None if per_file_rp else info.get("requires_python")
        names = ["%s-%s-%s.whl" % (name.replace("-", "_"), version, tag)
                 for tag in info.get("wheels", ["py3-none-any"])]
        if info.get("sdist"):
            names.append("%s-%s.tar.gz" % (name.replace("-", "_"), version))
        for i, fn in enumerate(names):
            frp = per_file_rp[i] if per_file_rp else rp
            self.by_filename[fn] = (name, version, info)
            yield puffin.IndexFile(fn, "https://files.example/" + fn, {"sha256": "0" * 64},
                                   requires_python=frp, yanked=info.get("yanked"),
                                   upload_time=info.get("upload_time", "2024-01-01T00:00:00Z"),
                                   index="https://index.example/simple")

    def metadata(self, target):
        fn = target.filename
        self.calls.append(("metadata", fn))
        if fn in self.url_files:
            name, version, info = self.url_files[fn]
        else:
            name, version, info = self.by_filename[fn]
        deps = list(info.get("deps", ()))
        for extra, extra_deps in (info.get("extras") or {}).items():
            for d in extra_deps:
                marker = 'extra == "%s"' % extra
                if ";" in d:
                    req, m = d.split(";", 1)
                    d = "%s; (%s) and %s" % (req, m.strip(), marker)
                else:
                    d = "%s; %s" % (d, marker)
                deps.append(d)
        rp = info.get("metadata_requires_python")
        return puffin.Metadata(name, puffin.Version(version),
                               requires_dist=[puffin.Requirement(d) for d in deps],
                               requires_python=puffin.SpecifierSet(rp) if rp else None,
                               provides_extra=sorted(info.get("extras") or ()))


def marker_env(python_version, platform):
    """The marker environment of a CPython ``python_version`` on ``platform``."""
    parts = python_version.split(".")
    full = python_version if len(parts) >= 3 else python_version + ".0"
    base = {"python_version": ".".join(parts[:2]), "python_full_version": full,
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "implementation_version": full}
    return puffin.platform_markers(platform, base)


def make_provider(packages, options=None, url_files=None):
    options = dict(options or {})
    py = options.pop("python_version", "3.11")
    platform = options.pop("platform", "linux")
    parts = py.split(".")
    full = py if len(parts) >= 3 else py + ".0"
    db = FakeDatabase(packages, url_files)
    provider = puffin.RegistryProvider(
        db, tags=puffin.tags_for_platform(".".join(parts[:2]), platform),
        python_version=full, markers=marker_env(py, platform), **options)
    return provider, db


def load_scenarios():
    out = []
    for path in sorted(glob.glob(os.path.join(SCENARIO_DIR, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out.append(pytest.param(json.load(f), id=os.path.basename(path)[:-5]))
    return out


def run_scenario(sc):
    url_files = {}
    for fn, (name, version, info) in (sc.get("url_files") or {}).items():
        url_files[fn] = (name, version, info)
    provider, db = make_provider(sc["packages"], sc.get("options"), url_files)
    reqs = [tuple(r) if isinstance(r, list) else r for r in sc["requires"]]
    return puffin.resolve(reqs, provider, constraints=sc.get("constraints", ()),
                          overrides=sc.get("overrides", ()),
                          preferences=sc.get("preferences"))


@pytest.mark.parametrize("scenario", load_scenarios())
def test_scenario(scenario):
    """Each scenario resolves to its expected pins, or fails with its exact explanation."""
    expected = scenario["expected"]
    del puffin._WARNINGS[:]
    if "error" in expected:
        with pytest.raises(puffin.NoSolutionError) as info:
            run_scenario(scenario)
        assert info.value.message == expected["error"]
        assert info.value.exit_code == 1
        if "hints" in expected:
            assert info.value.hints == expected["hints"]
        return
    resolution = run_scenario(scenario)
    assert resolution.pins() == expected["resolved"]
    for name, via in (expected.get("via") or {}).items():
        assert list(resolution[name].via) == via
    for name, extras in (expected.get("extras") or {}).items():
        assert list(resolution[name].extras) == extras
    for name, kind in (expected.get("dist_kind") or {}).items():
        assert resolution[name].dist.kind == kind
    for name, filename in (expected.get("filename") or {}).items():
        assert resolution[name].dist.filename == filename
    if "warnings" in expected:
        assert [w for w in puffin._WARNINGS if w in expected["warnings"]] == expected["warnings"]


def test_there_are_at_least_sixty_scenarios():
    """The scenario folder holds the sixty-plus ecosystems the issue asks for."""
    assert len(load_scenarios()) >= 60


# ---- the same scenarios through the real index client and database ---------------

def _served(scenario):
    """Scenarios that the local index server can host as they are."""
    return not scenario.get("url_files")


def host_scenario(server, packages):
    """Put a scenario's packages on the local index server as real wheels/sdists."""
    import support
    for name, versions in packages.items():
        for version, info in versions.items():
            info = info or {}
            extras = info.get("extras")
            deps = list(info.get("deps", ()))
            rp = info.get("requires_python")
            per_file = info.get("files_requires_python")
            common = dict(yanked=info.get("yanked"),
                          upload_time=info.get("upload_time", "2024-01-01T00:00:00Z"))
            for i, tag in enumerate(info.get("wheels", ["py3-none-any"])):
                md_rp = info.get("metadata_requires_python") or rp
                index_rp = per_file[i] if per_file else rp
                server.add_wheel(name, version, deps=deps, extras=extras, requires_python=md_rp,
                                 index_requires_python=index_rp, tag=tag, **common)
            if info.get("sdist"):
                server.add_sdist(name, version, deps=deps, extras=extras, requires_python=rp, **common)
    return support


@pytest.mark.parametrize("scenario", [s for s in load_scenarios() if _served(s.values[0])])
def test_scenario_through_the_index_server(scenario, index_server, tmp_path):
    """The registry provider over the real RegistryClient and DistributionDatabase gives the same answers."""
    host_scenario(index_server, scenario["packages"])
    http = puffin.HttpClient(env={}, dns=puffin.DnsCache(), backoff=0.01)
    cache = puffin.Cache(str(tmp_path / "cache"))
    client = puffin.RegistryClient(puffin.IndexLocations(index_server.index_url), cache, http)
    db = puffin.DistributionDatabase(client, cache)
    options = dict(scenario.get("options") or {})
    py = options.pop("python_version", "3.11")
    platform = options.pop("platform", "linux")
    parts = py.split(".")
    provider = puffin.RegistryProvider(
        db, tags=puffin.tags_for_platform(".".join(parts[:2]), platform),
        python_version=py if len(parts) >= 3 else py + ".0",
        markers=marker_env(py, platform), **options)
    reqs = [tuple(r) if isinstance(r, list) else r for r in scenario["requires"]]
    expected = scenario["expected"]

    def run():
        return puffin.resolve(reqs, provider, constraints=scenario.get("constraints", ()),
                              overrides=scenario.get("overrides", ()),
                              preferences=scenario.get("preferences"))
    if "error" in expected:
        with pytest.raises(puffin.NoSolutionError) as info:
            run()
        assert info.value.message == expected["error"]
        return
    assert run().pins() == expected["resolved"]
