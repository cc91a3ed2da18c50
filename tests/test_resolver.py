"""Unit tests of section 10 (resolver) with an in-memory Provider.

Each test builds a tiny ecosystem dict ``{name: {version: {"deps": [...], ...}}}``
and resolves it through ``FakeProvider``, a subclass of the ``Provider`` seam;
the scenario files in tests/scenarios/ cover the registry provider end to end.
"""

from __future__ import annotations

import itertools
import random
import threading
import time

import pytest

import puffin


class FakeProvider(puffin.Provider):
    """Versions and dependencies from a dict; records what the resolver asked."""

    def __init__(self, ecosystem, *, python="3.11.0", markers=None, shuffle=None, **options):
        self.ecosystem = {puffin.canonicalize_name(k): v for k, v in ecosystem.items()}
        self.python_version = puffin.Version(python)
        self.markers = markers if markers is not None else {
            "python_version": ".".join(python.split(".")[:2]), "python_full_version": python,
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "implementation_name": "cpython", "platform_machine": "x86_64"}
        for key, value in options.items():
            setattr(self, key, value)
        self.shuffle = shuffle
        self.asked_versions = []
        self.asked_deps = []
        self.prefetched = []
        self.lock = threading.Lock()

    def versions(self, name):
        with self.lock:
            self.asked_versions.append(name)
        if name not in self.ecosystem:
            return None
        out = []
        for v, info in self.ecosystem[name].items():
            info = info or {}
            rp = info.get("requires_python")
            out.append(puffin.Candidate(
                name, puffin.Version(v), puffin.Dist(name, puffin.Version(v), "registry"),
                requires_python=puffin.SpecifierSet(rp) if rp else None,
                yanked=info.get("yanked"), unavailable=info.get("unavailable"),
                unavailable_kind=info.get("unavailable_kind")))
        if self.shuffle is not None:
            self.shuffle.shuffle(out)
        return out

    def dependencies(self, candidate):
        with self.lock:
            self.asked_deps.append((candidate.name, str(candidate.version)))
        info = self.ecosystem.get(candidate.name, {}).get(str(candidate.version)) or {}
        if info.get("invalid"):
            return puffin.Unavailable("has invalid metadata", "invalid")
        return [puffin.Requirement(d) for d in info.get("deps", ())]

    def url_candidate(self, requirement):
        name = puffin.canonicalize_name(requirement.name)
        version = puffin.Version(requirement.url.split("/")[-1].split("-")[1])
        return puffin.Candidate(name, version, puffin.Dist(name, version, "url", url=requirement.url,
                                                           verbatim=requirement.url))

    def prefetch(self, names):
        with self.lock:
            self.prefetched.extend(names)

    def known_names(self):
        return sorted(self.ecosystem)


def resolve(ecosystem, requirements, **kw):
    provider_options = {k: kw.pop(k) for k in list(kw)
                        if k in ("python", "markers", "shuffle", "resolution", "prerelease", "no_deps")}
    provider = FakeProvider(ecosystem, **provider_options)
    return puffin.resolve(requirements, provider, **kw), provider


# ---- version ranges ------------------------------------------------------------

SPECIFIERS = [
    "==1.0", "==1.0.0", "!=1.0", "==1.*", "!=1.*", "==1.0.*", ">=1.0", ">1.0", "<1.0", "<=1.0",
    "~=1.4.5", "~=2.2", "~=1.4.5a1", ">1.0.post1", "<1.0.post1", ">=1.0a1", "<1.0a2", ">1.0.dev1",
    "==1.0+local", "!=1.0+local", ">=1,<2", ">=1.0,!=1.5,<3", "==1!1.0", ">=1!0.5", "<=1.0a1",
    "==2.0.*,!=2.0.1", ">0.9,<=1.0.post2", "===1.0",
]
VERSIONS = [
    "0.9", "1.0.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0+local", "1.0+other.5",
    "1.0.post1", "1.0.post2", "1.0.1", "1.4.4", "1.4.5", "1.4.9", "1.5", "1.5.0a1", "1.9",
    "2.0.dev0", "2.0", "2.0.1", "2.2", "2.9", "3.0", "1!0.5", "1!1.0", "1!1.0+x",
]


@pytest.mark.parametrize("spec", SPECIFIERS)
def test_specifier_ranges_agree_with_packaging(spec):
    """A SpecifierSet turned into intervals contains exactly what packaging's contains() does."""
    packaging_specifiers = pytest.importorskip("packaging.specifiers")
    ours = puffin.ranges_from_specifier(puffin.SpecifierSet(spec))
    theirs = packaging_specifiers.SpecifierSet(spec)
    for v in VERSIONS:
        expected = theirs.contains(v, prereleases=True)
        got = puffin._r_contains(ours, puffin._vkey(puffin.Version(v)))
        assert got == expected, (spec, v)


def test_range_set_operations_match_membership():
    """Union, intersection and complement of ranges behave like the sets of versions they hold."""
    rnd = random.Random(7)
    keys = [puffin._vkey(puffin.Version(v)) for v in VERSIONS]
    ranges = [puffin.ranges_from_specifier(puffin.SpecifierSet(s)) for s in SPECIFIERS]
    for a, b in itertools.product(rnd.sample(ranges, 12), repeat=2):
        u, i, c = puffin._r_union(a, b), puffin._r_intersect(a, b), puffin._r_complement(a)
        for k in keys:
            ina, inb = puffin._r_contains(a, k), puffin._r_contains(b, k)
            assert puffin._r_contains(u, k) == (ina or inb)
            assert puffin._r_contains(i, k) == (ina and inb)
            assert puffin._r_contains(c, k) == (not ina)
        assert puffin._r_complement(puffin._r_complement(a)) == a


def test_version_keys_order_like_pep440():
    """Sort keys order versions exactly like packaging does."""
    packaging_version = pytest.importorskip("packaging.version")
    ours = sorted(VERSIONS, key=lambda v: puffin._vkey(puffin.Version(v)))
    theirs = sorted(VERSIONS, key=packaging_version.Version)
    assert ours == theirs


# ---- resolving -----------------------------------------------------------------

def test_resolution_maps_names_to_pins_in_name_order():
    """A Resolution iterates in name order and offers pins(), get(), `in` and indexing by any spelling."""
    res, _ = resolve({"Zed": {"1.0": {"deps": ["alpha"]}}, "alpha": {"2.0": {}}}, ["zed"])
    assert [p.name for p in res] == ["alpha", "zed"]
    assert res.pins() == {"alpha": "2.0", "zed": "1.0"}
    assert "ZED" in res and res["Zed"].version == puffin.Version("1.0")
    assert res.get("missing") is None and len(res) == 2
    assert res["alpha"].via == ("zed",)
    assert res["alpha"].dist.kind == "registry"


def test_root_requirements_carry_their_source_into_via():
    """Root requirements given as (requirement, source) pairs or RootRequirement show their source in via."""
    eco = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {}}}
    res, _ = resolve(eco, [("a", "-r requirements.in"),
                           puffin.RootRequirement(puffin.Requirement("b"), "-c constraints.txt")])
    assert res["a"].via == ("-r requirements.in",)
    assert res["b"].via == ("-c constraints.txt", "a")


def test_extras_are_reported_on_the_base_package():
    """Extras activated on a package are listed in its entry; the virtual name[extra] never appears."""
    eco = {"a": {"1.0": {"deps": ['c; extra == "x"']}}, "c": {"1.0": {}}}
    res, _ = resolve(eco, ["a[x]"])
    assert res.pins() == {"a": "1.0", "c": "1.0"}
    assert res["a"].extras == ("x",)


def test_no_solution_error_carries_message_hints_and_exit_code():
    """Failure is a NoSolutionError with exit code 1, the explanation as message and the hints."""
    eco = {"a": {"1.0": {}, "2.0b1": {}}}
    with pytest.raises(puffin.NoSolutionError) as info:
        resolve(eco, ["a>=1.5"], prerelease="disallow")
    err = info.value
    assert err.exit_code == 1
    assert err.message == ("Because you require a>=1.5 and there is no version of a>=1.5, "
                           "your requirements are unsatisfiable.")
    assert err.hints == ["Pre-releases are available for `a` in the requested range (e.g., 2.0b1), "
                         "but pre-releases weren't enabled (try: `--prerelease=allow`)"]
    assert err.hint == err.hints[0]


def test_unavailable_metadata_is_explained():
    """A provider that reports a candidate unusable (bad metadata) makes the resolver move on and say why."""
    eco = {"a": {"1.0": {}, "2.0": {"invalid": True}}}
    res, _ = resolve(eco, ["a"])
    assert res.pins() == {"a": "1.0"}
    with pytest.raises(puffin.NoSolutionError) as info:
        resolve(eco, ["a>=2"])
    assert info.value.message == ("Because you require a>=2 and a==2.0 has invalid metadata, "
                                  "your requirements are unsatisfiable.")


def test_unavailable_candidates_are_grouped_in_one_explanation():
    """Consecutive versions unusable for the same reason are explained together as one range."""
    eco = {"a": {"1.0": {"deps": ["b>=2"]}},
           "b": {"1.0": {}, "2.0": {"requires_python": ">=3.12"},
                 "2.1": {"requires_python": ">=3.12"}, "3.0": {"requires_python": ">=3.12"}}}
    with pytest.raises(puffin.NoSolutionError) as info:
        resolve(eco, ["a"])
    assert info.value.message == (
        "Because a==1.0 depends on b>=2 and b>=2.0 requires Python>=3.12, a==1.0 cannot be used.\n"
        "And because you require a, your requirements are unsatisfiable.")
    assert info.value.hints == [
        "b>=2.0 requires Python>=3.12, but the target Python version is 3.11.0 "
        "(try a newer Python or `--python-version`)"]


def test_prerelease_python_satisfies_requires_python():
    """A target Python 3.13.0rc1 satisfies Requires-Python >=3.13 (as pip and uv count it)."""
    eco = {"a": {"1.0": {}, "2.0": {"requires_python": ">=3.13"}}}
    res, _ = resolve(eco, ["a"], python="3.13.0rc1")
    assert res.pins() == {"a": "2.0"}


def test_conflicting_urls_for_one_package_are_an_error():
    """Two different URLs for the same package cannot both be honoured."""
    with pytest.raises(puffin.NoSolutionError) as info:
        resolve({}, ["b @ https://x.example/b-1.0-py3-none-any.whl",
                     "b @ https://y.example/b-1.0-py3-none-any.whl"])
    assert "conflicting URLs" in info.value.message


def test_url_requirement_replaces_registry_versions():
    """A URL requirement is the only candidate of its package, even when the index has newer ones."""
    eco = {"a": {"1.0": {"deps": ["b>=1"]}}, "b": {"9.0": {}}}
    res, provider = resolve(eco, ["a", "b @ https://x.example/b-1.5-py3-none-any.whl"])
    assert res.pins() == {"a": "1.0", "b": "1.5"}
    assert res["b"].dist.kind == "url"
    assert "b" not in provider.asked_versions


def test_preferences_accept_strings_and_lose_to_requirements():
    """Preferences given as strings are used when they fit and ignored when they do not."""
    eco = {"a": {"1.0": {}, "2.0": {}}, "b": {"1.0": {}, "2.0": {}}}
    res, _ = resolve(eco, ["a", "b>=2"], preferences={"A": "1.0", "b": "1.0"})
    assert res.pins() == {"a": "1.0", "b": "2.0"}


def test_no_deps_resolves_only_the_root_requirements():
    """With no_deps the provider is never asked for dependencies."""
    eco = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {}}}
    res, provider = resolve(eco, ["a"], no_deps=True)
    assert res.pins() == {"a": "1.0"}
    assert provider.asked_deps == []


def test_only_needed_metadata_is_asked_for():
    """The resolver asks for the dependencies of the versions it picks, not of every version."""
    eco = {"a": {str(v): {"deps": ["b"]} for v in range(1, 30)}, "b": {"1": {}, "2": {}}}
    res, provider = resolve(eco, ["a"])
    assert res.pins() == {"a": "29", "b": "2"}
    assert sorted(provider.asked_deps) == [("a", "29"), ("b", "2")]


def test_dependencies_of_a_chosen_version_are_prefetched():
    """After choosing a version the provider hears which packages will be needed next."""
    eco = {"a": {"1.0": {"deps": ["b", "c"]}}, "b": {"1.0": {}}, "c": {"1.0": {}}}
    _, provider = resolve(eco, ["a"])
    assert provider.prefetched[:1] == ["a"]
    assert set(provider.prefetched) >= {"a", "b", "c"}


def test_answer_does_not_depend_on_candidate_order_or_timing():
    """Same inputs give the same answer whatever order the provider lists versions in."""
    eco = {"a": {"1.0": {"deps": ["c<2"]}, "2.0": {"deps": ["c>=2", "d"]}},
           "b": {"1.0": {"deps": ["c<3"]}, "1.1": {"deps": ["c<2"]}},
           "c": {"1.0": {}, "2.0": {}, "3.0": {}}, "d": {"1.0": {"deps": ["b<1.1"]}}}
    answers = set()
    for seed in range(8):
        res, _ = resolve(eco, ["a", "b"], shuffle=random.Random(seed))
        answers.add(tuple(sorted(res.pins().items())))
    assert len(answers) == 1


def test_reporter_hears_pins():
    """A recording reporter sees one resolve.pin event per decision."""

    class Recorder(puffin.Reporter):
        def __init__(self):
            self.events = []

        def event(self, kind, **fields):
            self.events.append((kind, fields))

    rec = Recorder()
    resolve({"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {}}}, ["a"], reporter=rec)
    pins = [f["name"] for k, f in rec.events if k == "resolve.pin"]
    assert pins == ["<root>", "a", "b"]


def test_provider_contract_methods_raise_not_implemented():
    """The Provider base class only states the contract."""
    p = puffin.Provider()
    with pytest.raises(NotImplementedError):
        p.versions("a")
    with pytest.raises(NotImplementedError):
        p.dependencies(None)
    assert p.prefetch(["a"]) is None and p.known_names() is None


def test_constraints_and_overrides_accept_strings():
    """Constraints and overrides can be given as requirement strings."""
    eco = {"a": {"1.0": {"deps": ["b<2"]}}, "b": {"1.0": {}, "2.0": {}, "3.0": {}}}
    res, _ = resolve(eco, ["a"], overrides=["b>=2"], constraints=["b<3"])
    assert res.pins() == {"a": "1.0", "b": "2.0"}


# ---- speed ---------------------------------------------------------------------

def _hard_ecosystem(width=15, depth=30, versions=30):
    """Wide: ``width`` unconstrained packages with many versions, decided before the
    troublemaker; deep: a chain whose newest versions all fail at the bottom.
    Chronological backtracking would try versions**width combinations."""
    eco = {}
    for i in range(width):
        eco["w%d" % i] = {str(v): {} for v in range(1, versions + 1)}
    for i in range(depth):
        nxt = "c%d" % (i + 1)
        eco["c%d" % i] = {str(v): {"deps": ["%s==%d" % (nxt, v)]} for v in range(1, versions + 1)}
    eco["c%d" % depth] = {str(v): ({"deps": ["bottom<1"]} if v > 1 else {})
                          for v in range(1, versions + 1)}
    eco["bottom"] = {"1.0": {}}
    eco["x"] = {str(v): {"deps": ["z==%d" % v]} for v in range(1, versions + 1)}
    eco["z"] = {"1": {}}
    return eco


def test_resolves_a_deep_and_wide_ecosystem_quickly():
    """Learning from conflicts keeps a tree that explodes naive backtracking well under a second."""
    eco = _hard_ecosystem()
    reqs = ["w%d" % i for i in range(15)] + ["c0", "x"]
    start = time.process_time()
    res, _ = resolve(eco, reqs)
    elapsed = time.process_time() - start
    pins = res.pins()
    assert pins["c0"] == "1" and pins["c30"] == "1" and pins["x"] == "1"
    assert all(pins["w%d" % i] == "30" for i in range(15))
    # CPU time, not wall time: a shared machine must not fail this. About 0.3 s on
    # an idle one; naive chronological backtracking takes minutes.
    assert elapsed < 1.5, elapsed


def test_exclude_newer_reads_upload_times_in_every_form_alike():
    """The fast text comparison of the index's usual UTC form agrees with reading the
    time (other offsets, fractions, dates, odd and missing times), for a cutoff given
    in another offset."""
    import types
    provider = puffin.RegistryProvider(object(), tags=[], python_version="3.12", markers={},
                                       exclude_newer="2024-05-01T14:00:00+02:00")   # 12:00 UTC

    def in_time(text):
        return provider._uploaded_in_time(types.SimpleNamespace(upload_time=text))

    assert in_time("2024-05-01T12:00:00Z") and in_time("2024-05-01T12:00:00.999999Z")
    assert in_time("2024-05-01T11:59:59.5Z") and in_time("2024-04-30T23:00:00Z")
    assert not in_time("2024-05-01T12:00:01Z") and not in_time("2024-05-01T12:00:01.000001Z")
    assert in_time("2024-05-01T13:30:00+01:30") and not in_time("2024-05-01T12:30:00+00:00")
    assert in_time("2024-04-30") and not in_time("2024-05-02")
    assert not in_time(None) and not in_time("") and not in_time("yesterday")
