"""InstallPlan as a unit (issue 16): it only decides. Real environments
(wheels installed into a scheme in a temporary folder) and real pins; no
monkeypatching: keep, fetch, reinstall, extraneous, seed packages kept."""

from __future__ import annotations

import sys

import puffin
import support


def installed(tmp_path, *wheels):
    """A scheme with these (name, version[, direct_url]) installed; its SitePackages."""
    scheme = support.make_scheme(tmp_path / "env")
    for spec in wheels:
        name, version = spec[0], spec[1]
        wheel = support.make_wheel(name, version, out_dir=tmp_path / "wheels")
        dest = puffin.SchemeDestination(scheme, sys.executable)
        with puffin.ZipWheelSource(wheel) as source:
            puffin.install_wheel(source, dest, direct_url=spec[2] if len(spec) > 2 else None)
    return scheme, puffin.SitePackages.from_scheme(scheme)


def pin(name, version, dist=None):
    v = puffin.Version(version)
    return puffin.ResolvedPackage(name, v, dist or puffin.Dist(name, v, "registry"))


def names(dists):
    return sorted((d.name, str(d.version)) for d in dists)


def test_keep_fetch_and_reinstall(tmp_path):
    _scheme, site = installed(tmp_path, ("alpha", "1.0"), ("beta", "1.0"))
    plan = puffin.InstallPlan.build([pin("alpha", "1.0"), pin("beta", "2.0"), pin("gamma", "1.0")], site)
    assert names(plan.keep) == [("alpha", "1.0")]
    assert [(i.pin.name, str(i.pin.version)) for i in plan.install] == [("beta", "2.0"), ("gamma", "1.0")]
    assert names(plan.reinstall) == [("beta", "1.0")]
    beta = plan.install[0]
    assert names(beta.replaces) == [("beta", "1.0")] and beta.cached is None
    assert plan.install[1].replaces == []
    assert plan.extraneous == [] and not plan.empty


def test_nothing_to_do_is_empty(tmp_path):
    _scheme, site = installed(tmp_path, ("alpha", "1.0"))
    plan = puffin.InstallPlan.build([pin("alpha", "1.0")], site)
    assert plan.empty and names(plan.keep) == [("alpha", "1.0")]


def test_sync_removes_the_extraneous_but_keeps_seed_packages(tmp_path):
    _scheme, site = installed(tmp_path, ("alpha", "1.0"), ("stray", "1.0"), ("pip", "24.0"))
    plan = puffin.InstallPlan.build([pin("alpha", "1.0")], site, sync=True, keep_seed=puffin.SEED_PACKAGES)
    assert names(plan.extraneous) == [("stray", "1.0")]
    plan = puffin.InstallPlan.build([pin("alpha", "1.0")], site, sync=True)
    assert names(plan.extraneous) == [("pip", "24.0"), ("stray", "1.0")]
    plan = puffin.InstallPlan.build([pin("alpha", "1.0")], site)     # install: nothing is extraneous
    assert plan.extraneous == []


def test_reinstall_all_or_some(tmp_path):
    _scheme, site = installed(tmp_path, ("alpha", "1.0"), ("beta", "1.0"))
    pins = [pin("alpha", "1.0"), pin("beta", "1.0")]
    plan = puffin.InstallPlan.build(pins, site, reinstall=True)
    assert [i.pin.name for i in plan.install] == ["alpha", "beta"] and plan.keep == []
    plan = puffin.InstallPlan.build(pins, site, reinstall_packages=["Beta"])
    assert [i.pin.name for i in plan.install] == ["beta"] and names(plan.keep) == [("alpha", "1.0")]
    assert names(plan.install[0].replaces) == [("beta", "1.0")]


def test_a_url_install_is_not_the_registry_pin_of_the_same_version(tmp_path):
    url = {"url": "file:///w/alpha-1.0-py3-none-any.whl", "archive_info": {}}
    _scheme, site = installed(tmp_path, ("alpha", "1.0", url))
    plan = puffin.InstallPlan.build([pin("alpha", "1.0")], site)
    assert [i.pin.name for i in plan.install] == ["alpha"] and plan.keep == []
    direct = puffin.Dist("alpha", puffin.Version("1.0"), "url", url="file:///w/alpha-1.0-py3-none-any.whl")
    plan = puffin.InstallPlan.build([pin("alpha", "1.0", direct)], site)
    assert names(plan.keep) == [("alpha", "1.0")]


def test_a_git_pin_is_kept_when_the_installed_commit_is_the_same(tmp_path):
    commit = "a" * 40
    vcs = {"url": "https://example.com/r.git", "vcs_info": {"vcs": "git", "commit_id": commit}}
    _scheme, site = installed(tmp_path, ("alpha", "1.0", vcs))
    same = puffin.Dist("alpha", puffin.Version("1.0"), "git", url="git+https://example.com/r.git@main",
                       commit=commit)
    other = puffin.Dist("alpha", puffin.Version("1.0"), "git", url="git+https://example.com/r.git@main",
                        commit="b" * 40)
    assert names(puffin.InstallPlan.build([pin("alpha", "1.0", same)], site).keep) == [("alpha", "1.0")]
    assert [i.pin.name for i in puffin.InstallPlan.build([pin("alpha", "1.0", other)], site).install] == ["alpha"]


def test_hashes_and_requested_travel_with_the_item(tmp_path):
    _scheme, site = installed(tmp_path)
    hashes = {"gamma": {"sha256": {"ab" * 32}}}
    plan = puffin.InstallPlan.build([pin("gamma", "1.0"), pin("delta", "1.0")], site, requested={"gamma"},
                                    hashes=hashes)
    by = {i.pin.name: i for i in plan.install}
    assert by["gamma"].requested and not by["delta"].requested
    assert by["gamma"].hashes == hashes["gamma"] and by["delta"].hashes == {}
