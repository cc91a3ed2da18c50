"""Differential tests: puffin's standards section against the `packaging` library.

Every case is generated from a fixed seed, so reruns are identical. `packaging`
is the reference (the Makefile installs it into every test venv); puffin.py
never imports it.
"""

from __future__ import annotations

import json
import os
import random
import re

import pytest

try:
    import packaging
    from packaging import markers as p_markers
    from packaging import requirements as p_requirements
    from packaging import specifiers as p_specifiers
    from packaging import utils as p_utils
    from packaging import version as p_version
except ImportError:  # pragma: no cover - the Makefile installs packaging
    pytest.fail("the differential tests need `packaging`; `make test` installs it into "
                "the test venv (pip install packaging)", pytrace=False)

import puffin

# packaging's marker parser lets Python warn about escapes like "\d"; puffin's doesn't.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence")

N = 10_000
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
PACKAGING_VERSION = tuple(int(x) for x in packaging.__version__.split(".")[:2])
# puffin follows packaging 26.4. Older packaging (pip installs 26.3 on Python 3.9)
# accepted `===` with an empty version and tokenized `===` in requirements
# differently; cases with `===` are left out when comparing against it.
OLD_PACKAGING = PACKAGING_VERSION < (26, 4)


def diverges(text: str) -> bool:
    """True for inputs whose meaning changed in packaging 26.4, when the
    reference installed here is older."""
    # (the 26.3 tokenizer also split `===` requirements differently)
    return OLD_PACKAGING and "===" in text


# ---- generators ----------------------------------------------------------------

SEPS = ["", ".", "-", "_"]
PRE_SPELLINGS = ["a", "A", "alpha", "b", "beta", "BETA", "c", "rc", "RC", "pre", "preview"]
POST_SPELLINGS = ["post", "POST", "rev", "r"]


def _num(rng):
    return rng.choice(["0", "1", "2", "9", "10", "00", "01", "007", "123", "2024", "999999"])


def gen_version(rng: random.Random) -> str:
    """A version string: mostly valid in odd spellings, sometimes broken."""
    roll = rng.random()
    if roll < 0.07:
        alphabet = "0123456789.!+-_abcdeprotv *"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
    s = ""
    if rng.random() < 0.1:
        s += rng.choice(["v", "V"])
    if rng.random() < 0.12:
        s += _num(rng) + "!"
    s += ".".join(_num(rng) for _ in range(rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])))
    if rng.random() < 0.3:
        s += rng.choice(SEPS) + rng.choice(PRE_SPELLINGS) + rng.choice(SEPS + [""] * 3)
        if rng.random() < 0.8:
            s += _num(rng)
    if rng.random() < 0.25:
        if rng.random() < 0.3:
            s += "-" + _num(rng)
        else:
            s += rng.choice(SEPS) + rng.choice(POST_SPELLINGS) + rng.choice(SEPS + [""] * 3)
            if rng.random() < 0.7:
                s += _num(rng)
    if rng.random() < 0.25:
        s += rng.choice(SEPS) + rng.choice(["dev", "DEV"]) + rng.choice(SEPS + [""] * 3)
        if rng.random() < 0.7:
            s += _num(rng)
    if rng.random() < 0.15:
        s += "+" + rng.choice(["ubuntu", "1", "abc", "local", "x", "0", "12", "Z9"])
        for _ in range(rng.randint(0, 2)):
            s += rng.choice([".", "-", "_"]) + rng.choice(["1", "a", "deb10", "02", "B"])
    if rng.random() < 0.04:      # damage it
        i = rng.randint(0, len(s))
        s = s[:i] + rng.choice([" ", "..", "+", "-", "!", "*", "é", "/"]) + s[i:]
    if rng.random() < 0.05:
        s = rng.choice([" ", "\t", "\n"]) + s + rng.choice(["", " ", "\n"])
    return s


def gen_spec(rng: random.Random) -> str:
    """One specifier string, valid or not."""
    op = rng.choice(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "=", "=>", ""])
    v = gen_version(rng)
    if rng.random() < 0.15:
        v = ".".join(_num(rng) for _ in range(rng.randint(1, 3))) + ".*"
    ws = rng.choice(["", "", "", " ", "  "])
    s = op + ws + v
    if rng.random() < 0.05:
        s = " " + s + " "
    return s


def gen_specset(rng: random.Random) -> str:
    parts = [gen_spec(rng) for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]
    return rng.choice([",", ", ", " ,"]).join(parts)


def gen_valid_specset(rng: random.Random) -> str:
    for _ in range(50):
        s = gen_specset(rng)
        try:
            p_specifiers.SpecifierSet(s)
            return s
        except p_specifiers.InvalidSpecifier:
            continue
    return ">=1.0"


VERSION_POOL_SEED = 1234


def version_pool():
    rng = random.Random(VERSION_POOL_SEED)
    pool = []
    while len(pool) < 400:
        s = gen_version(rng)
        try:
            p_version.Version(s)
        except p_version.InvalidVersion:
            continue
        pool.append(s)
    pool += ["1.0", "1", "1.0.0", "1.0+local", "1.0.post1", "1.0a1", "1.0.dev0", "0",
             "0.dev0", "1!1.0", "2.0rc1", "1.1", "1.0.1", "1.0.post1+x", "1.0a1.post1"]
    return pool


MARKER_VARS = ["python_version", "python_full_version", "os_name", "os.name", "sys_platform",
               "sys.platform", "platform_release", "platform_system", "platform_version",
               "platform.version", "platform_machine", "platform.machine",
               "platform_python_implementation", "platform.python_implementation",
               "python_implementation", "implementation_name", "implementation_version",
               "extra"]
MARKER_VALUES = ["3.8", "3.10", "3.11.7", "3", "2.7", "posix", "nt", "linux", "win32",
                 "Linux", "Windows", "x86_64", "aarch64", "CPython", "PyPy", "cpython",
                 "foo", "Foo_Bar", "test", "6.1.0-1-amd64", "3.12.0rc1", "", "lin",
                 "3.*", "3.8.*", "1.0+local", "a'b", 'a"b']
MARKER_OPS = ["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"]


def _quote(rng, value):
    if "'" in value:
        return '"%s"' % value
    if '"' in value:
        return "'%s'" % value
    q = rng.choice(["'", '"'])
    return q + value + q


def gen_marker_item(rng: random.Random) -> str:
    var = rng.choice(MARKER_VARS)
    val = _quote(rng, rng.choice(MARKER_VALUES))
    op = rng.choice(MARKER_OPS)
    ws = lambda: rng.choice(["", " ", " ", "  ", "\t"])  # noqa: E731
    if op in ("in", "not in"):
        left, right = (val, var) if rng.random() < 0.7 else (var, val)
        return left + " " + op + " " + right
    left, right = (var, val) if rng.random() < 0.8 else (val, var)
    return left + ws() + op + ws() + right


def gen_marker(rng: random.Random, depth: int = 0) -> str:
    n = rng.choice([1, 1, 2, 2, 3])
    out = []
    for i in range(n):
        if depth < 2 and rng.random() < 0.2:
            atom = "(" + rng.choice(["", " "]) + gen_marker(rng, depth + 1) + rng.choice(["", " "]) + ")"
        else:
            atom = gen_marker_item(rng)
        if i:
            out.append(rng.choice([" and ", " or ", "  and  ", " or"]))
        out.append(atom)
    s = "".join(out)
    if rng.random() < 0.08:      # damage it
        i = rng.randint(0, len(s))
        s = s[:i] + rng.choice(["(", ")", "'", " and", "==", "~", "x", "\\n", "\\"]) + s[i:]
    return s


def gen_environment(rng: random.Random) -> dict:
    env = {
        "python_version": rng.choice(["3.8", "3.10", "3.11", "3.12", "2.7"]),
        "python_full_version": rng.choice(["3.8.10", "3.11.7", "3.12.0rc1", "3.10.0+", "2.7.18"]),
        "os_name": rng.choice(["posix", "nt"]),
        "sys_platform": rng.choice(["linux", "win32", "darwin"]),
        "platform_release": rng.choice(["6.1.0-1-amd64", "10", "22.1.0", "5.15"]),
        "platform_system": rng.choice(["Linux", "Windows", "Darwin"]),
        "platform_version": rng.choice(["#1 SMP", "10.0.19041"]),
        "platform_machine": rng.choice(["x86_64", "aarch64", "AMD64"]),
        "platform_python_implementation": rng.choice(["CPython", "PyPy"]),
        "implementation_name": rng.choice(["cpython", "pypy"]),
        "implementation_version": rng.choice(["3.11.7", "7.3.13", "3.13.0a2"]),
    }
    if rng.random() < 0.5:
        env["extra"] = rng.choice(["", "foo", "Foo_Bar", "test", "foo-bar", None])
    return env


NAMES = ["foo", "Foo_Bar", "a", "zope.interface", "requests", "A1-b_c.d", "x"]
EXTRAS = ["security", "Socks", "a", "b_c", "test.extra"]
URLS = ["https://example.com/foo-1.0.tar.gz", "file:///tmp/foo", "git+https://g/x.git@v1#egg=x"]


def gen_requirement(rng: random.Random) -> str:
    s = rng.choice(["", " "]) + rng.choice(NAMES)
    if rng.random() < 0.3:
        ex = rng.sample(EXTRAS, rng.randint(0, 3))
        s += rng.choice(["", " "]) + "[" + rng.choice(["", " "]) + \
            rng.choice([",", ", ", " ,"]).join(ex) + rng.choice(["", " "]) + "]"
    roll = rng.random()
    if roll < 0.15:
        s += rng.choice([" @ ", "@", " @"]) + rng.choice(URLS)
        if rng.random() < 0.4:
            s += rng.choice([" ; ", " ;", ";", "; "]) + gen_marker(rng)
        return s
    if roll < 0.8:
        spec = gen_valid_specset(rng) if rng.random() < 0.85 else gen_specset(rng)
        if rng.random() < 0.25:
            s += rng.choice(["", " "]) + "(" + spec + ")"
        else:
            s += rng.choice(["", " "]) + spec
    if rng.random() < 0.3:
        s += rng.choice([" ; ", ";", "; "]) + gen_marker(rng)
    if rng.random() < 0.05:
        i = rng.randint(0, len(s))
        s = s[:i] + rng.choice(["[", "]", "(", ")", ",", ";", "@", "!", " x"]) + s[i:]
    return s


def neighbours(rng: random.Random, spec: str) -> list:
    """Versions around a specifier's version: its locals, posts, devs, pre-releases,
    trailing zeros, next releases; the cases where PEP 440 operators are subtle."""
    text = spec.lstrip("=!<>~ ").rstrip(" *").rstrip(".")
    try:
        v = p_version.Version(text)
    except p_version.InvalidVersion:
        return []
    base = v.base_version
    rel = list(v.release)
    bumped = ".".join(map(str, rel[:-1] + [rel[-1] + 1]))
    out = [str(v), base, base + ".0", base + "+local", str(v) + "+1", base + ".post1",
           base + ".post0.dev1", base + ".dev0", base + "a1", base + "rc1.post1",
           base + "a1.dev2", base + "b1+x", str(v.public) + ".post3", bumped, bumped + ".dev0",
           bumped + "a1", base + ".1", base + ".0.1", "%d!%s" % (v.epoch + 1, base)]
    if v.pre:
        out += [base + "%s%d" % (v.pre[0], v.pre[1] + 1), base + "%s%d.post1" % v.pre]
    if v.post is not None:
        out += [base + ".post%d" % (v.post + 1), base + ".post%d.dev0" % (v.post + 1),
                base + ".post%d+l" % v.post]
    if v.dev is not None:
        out += [str(v.public).rsplit("dev", 1)[0] + "dev%d" % (v.dev + 1)]
    valid = []
    for o in out:
        try:
            p_version.Version(o)
            valid.append(o)
        except p_version.InvalidVersion:
            pass
    return rng.sample(valid, min(len(valid), 8))


# ---- helpers -----------------------------------------------------------------

def outcome(fn, *args, **kw):
    """("ok", value) or ("err", exception type name) so both sides compare."""
    try:
        return ("ok", fn(*args, **kw))
    except Exception as e:  # noqa: BLE001 - we compare which kind of failure
        return ("err", _error_kind(e))


def _error_kind(e):
    name = type(e).__name__
    return {"InvalidVersion": "invalid", "InvalidSpecifier": "invalid",
            "InvalidMarker": "invalid", "InvalidRequirement": "invalid"}.get(name, name)


def version_attrs(v):
    return (str(v), repr(v), v.epoch, v.release, v.pre, v.post, v.dev, v.local, v.public,
            v.base_version, v.is_prerelease, v.is_postrelease, v.is_devrelease,
            v.major, v.minor, v.micro)


# ---- versions ----------------------------------------------------------------

def test_versions_parse_print_and_attributes_like_packaging():
    """10,000 generated version strings parse (or fail) and print exactly as in packaging."""
    rng = random.Random(20240101)
    valid = 0
    for _ in range(N):
        s = gen_version(rng)
        ours = outcome(lambda: version_attrs(puffin.Version(s)))
        theirs = outcome(lambda: version_attrs(p_version.Version(s)))
        assert ours == theirs, s
        valid += ours[0] == "ok"
    assert valid > N // 2


def test_versions_sort_and_compare_like_packaging():
    """Sorting, every rich comparison and hash agreement match packaging's key."""
    rng = random.Random(7)
    strings = []
    while len(strings) < 3000:
        s = gen_version(rng)
        try:
            p_version.Version(s)
        except p_version.InvalidVersion:
            continue
        strings.append(s)
    ours = [puffin.Version(s) for s in strings]
    theirs = [p_version.Version(s) for s in strings]
    order_ours = sorted(range(len(strings)), key=lambda i: (ours[i], i))
    order_theirs = sorted(range(len(strings)), key=lambda i: (theirs[i], i))
    assert order_ours == order_theirs
    for _ in range(N):
        i, j = rng.randrange(len(strings)), rng.randrange(len(strings))
        a, b = ours[i], ours[j]
        pa, pb = theirs[i], theirs[j]
        assert (a < b, a <= b, a == b, a != b, a > b, a >= b) == \
            (pa < pb, pa <= pb, pa == pb, pa != pb, pa > pb, pa >= pb), (strings[i], strings[j])
        if a == b:
            assert hash(a) == hash(b)


# ---- specifiers ----------------------------------------------------------------

def test_specifiers_parse_print_and_match_like_packaging():
    """10,000 single specifiers: validity, str, repr, prereleases, and contains for
    a pool of versions with prereleases None/True/False."""
    rng = random.Random(99)
    pool = version_pool()
    valid = 0
    for _ in range(N):
        s = gen_spec(rng)
        if diverges(s):
            continue
        ours = outcome(puffin.Specifier, s)
        theirs = outcome(p_specifiers.Specifier, s)
        assert ours[0] == theirs[0], s
        if ours[0] == "err":
            assert ours == theirs
            continue
        valid += 1
        a, b = ours[1], theirs[1]
        assert (str(a), repr(a), a.operator, a.version, a.prereleases) == \
            (str(b), repr(b), b.operator, b.version, b.prereleases), s
        near = neighbours(rng, s)
        for v in rng.sample(pool, 4) + near:
            pre = rng.choice([None, True, False])
            assert a.contains(v, prereleases=pre) == b.contains(v, prereleases=pre), (s, v, pre)
            assert a.contains(puffin.Version(v)) == b.contains(p_version.Version(v)), (s, v)
        items = rng.sample(pool, 3) + near
        pre = rng.choice([None, True, False])
        assert list(a.filter(items, prereleases=pre)) == list(b.filter(items, prereleases=pre)), \
            (s, items, pre)
    assert valid > N // 3


def test_specifier_equality_and_hash_like_packaging():
    """Specifier equality (canonical forms, strings) agrees with packaging."""
    rng = random.Random(5)
    specs = []
    while len(specs) < 600:
        s = gen_spec(rng)
        if diverges(s):
            continue
        try:
            p_specifiers.Specifier(s)
        except p_specifiers.InvalidSpecifier:
            continue
        specs.append(s)
    for _ in range(N):
        x, y = rng.choice(specs), rng.choice(specs)
        if rng.random() < 0.3:
            y = x.replace(".0", ".0.0", 1)
        ours = outcome(lambda: puffin.Specifier(x) == puffin.Specifier(y))
        theirs = outcome(lambda: p_specifiers.Specifier(x) == p_specifiers.Specifier(y))
        assert ours == theirs, (x, y)
        if ours == ("ok", True):
            assert hash(puffin.Specifier(x)) == hash(puffin.Specifier(y))


def test_specifier_sets_print_contain_and_filter_like_packaging():
    """10,000 specifier sets: validity, str, len, prereleases, contains (None/True/False,
    installed), filter, equality and `&`."""
    rng = random.Random(4242)
    pool = version_pool()
    valid = 0
    prev = None
    for _ in range(N):
        s = gen_specset(rng)
        if diverges(s):
            continue
        set_pre = rng.choice([None, None, None, True, False])
        ours = outcome(puffin.SpecifierSet, s, prereleases=set_pre)
        theirs = outcome(p_specifiers.SpecifierSet, s, prereleases=set_pre)
        assert ours[0] == theirs[0], s
        if ours[0] == "err":
            continue
        valid += 1
        a, b = ours[1], theirs[1]
        assert (len(a), a.prereleases) == (len(b), b.prereleases), s
        near = [n for spec in s.split(",") for n in neighbours(rng, spec)]
        for v in rng.sample(pool, 4) + near:
            pre = rng.choice([None, True, False])
            assert a.contains(v, prereleases=pre) == b.contains(v, prereleases=pre), (s, v, pre)
            assert (v in a) == (v in b), (s, v)
        v = rng.choice(pool)
        assert a.contains(v, installed=True) == b.contains(v, installed=True), (s, v)
        items = rng.sample(pool + near, rng.randint(0, 8))
        pre = rng.choice([None, True, False])
        assert list(a.filter(items, prereleases=pre)) == list(b.filter(items, prereleases=pre)), \
            (s, items, pre)
        assert (str(a), repr(a), len(a), [str(x) for x in a]) == \
            (str(b), repr(b), len(b), [str(x) for x in b]), s
        if prev is not None:
            ps, pa, pb = prev
            assert (a == pa) == (b == pb), (s, ps)
            assert outcome(lambda: str(a & pa)) == outcome(lambda: str(b & pb)), (s, ps)
        prev = (s, a, b)
    assert valid > N // 4


def test_filter_keeps_unparsable_strings_like_packaging():
    """Arbitrary (===) and empty sets pass through strings that are not versions."""
    items = ["1.0", "foobar", "2.0a1", "1.0.0", "FooBar"]
    for s in ["", "===foobar", "===1.0", ">=1.0,===1.0.0", "==1.0"]:
        for pre in (None, True, False):
            assert list(puffin.SpecifierSet(s).filter(items, prereleases=pre)) == \
                list(p_specifiers.SpecifierSet(s).filter(items, prereleases=pre)), (s, pre)
            for item in items:
                assert puffin.SpecifierSet(s).contains(item, prereleases=pre) == \
                    p_specifiers.SpecifierSet(s).contains(item, prereleases=pre), (s, item, pre)


# ---- markers -----------------------------------------------------------------

def _evaluate(marker, env):
    return outcome(marker.evaluate, env)


def test_markers_parse_print_and_evaluate_like_packaging():
    """10,000 markers: validity, the exact error text, str, equality and
    evaluation under varied environments."""
    rng = random.Random(508)
    valid = 0
    for _ in range(N):
        s = gen_marker(rng)
        if diverges(s):
            continue
        ours = outcome(puffin.Marker, s)
        theirs = outcome(p_markers.Marker, s)
        assert ours[0] == theirs[0], s
        if ours[0] == "err":
            with pytest.raises(puffin.InvalidMarker) as e1:
                puffin.Marker(s)
            with pytest.raises(p_markers.InvalidMarker) as e2:
                p_markers.Marker(s)
            assert str(e1.value) == str(e2.value), s
            continue
        valid += 1
        a, b = ours[1], theirs[1]
        assert outcome(str, a) == outcome(str, b), s
        for _ in range(3):
            env = gen_environment(rng)
            r1, r2 = _evaluate(a, env), _evaluate(b, env)
            assert r1 == r2, (s, env)
    assert valid > N // 2


def test_marker_evaluation_with_default_environment_matches_packaging():
    """Without an environment both evaluate against this interpreter."""
    assert puffin.default_marker_environment() == p_markers.default_environment()
    rng = random.Random(3)
    for _ in range(500):
        s = gen_marker(rng)
        try:
            b = p_markers.Marker(s)
        except p_markers.InvalidMarker:
            continue
        assert _evaluate(puffin.Marker(s), None) == _evaluate(b, None), s


# ---- requirements ------------------------------------------------------------

def req_fields(r):
    return (str(r), repr(r), r.name, r.url, sorted(r.extras), str(r.specifier),
            None if r.marker is None else str(r.marker))


def test_requirements_parse_and_print_like_packaging():
    """10,000 requirements: validity, the exact error text, fields, str and equality."""
    rng = random.Random(6508)
    valid = 0
    prev = None
    for _ in range(N):
        s = gen_requirement(rng)
        if diverges(s):
            continue
        ours = outcome(puffin.Requirement, s)
        theirs = outcome(p_requirements.Requirement, s)
        assert ours[0] == theirs[0], s
        if ours[0] == "err":
            try:
                puffin.Requirement(s)
            except puffin.InvalidRequirement as e1:
                try:
                    p_requirements.Requirement(s)
                except p_requirements.InvalidRequirement as e2:
                    assert str(e1) == str(e2), s
            continue
        valid += 1
        a, b = ours[1], theirs[1]
        assert outcome(req_fields, a) == outcome(req_fields, b), s
        if prev is not None:
            ps, pa, pb = prev
            assert (a == pa) == (b == pb), (s, ps)
        prev = (s, a, b)
    assert valid > N // 2


# ---- filenames and names -----------------------------------------------------

def test_wheel_filenames_and_names_like_packaging():
    """Wheel filename parsing and canonicalize_name agree with packaging."""
    rng = random.Random(427)
    names = NAMES + ["foo__bar", "", "Ünicode", "a-b"]
    for _ in range(3000):
        name = rng.choice(names)
        assert puffin.canonicalize_name(name) == p_utils.canonicalize_name(name)
        v = gen_version(rng)
        build = rng.choice(["", "", "-1", "-12abc", "-x1"])
        tag = rng.choice(["py3-none-any", "py2.py3-none-any", "cp311-cp311-manylinux_2_17_x86_64."
                          "manylinux2014_x86_64", "CP39-abi3-Win_AMD64", "py3--any", "3py-none-any",
                          "py3-none"])
        fn = "%s-%s%s-%s.whl" % (name, v, build, tag)
        ours = outcome(puffin.parse_wheel_filename, fn)
        theirs = outcome(p_utils.parse_wheel_filename, fn)
        assert ours[0] == theirs[0], fn
        if ours[0] == "ok":
            n1, v1, b1, t1 = ours[1]
            n2, v2, b2, t2 = theirs[1]
            assert (n1, str(v1), b1, t1) == (n2, str(v2), b2, {str(t) for t in t2}), fn
        else:
            with pytest.raises(puffin.InvalidWheelFilename) as e1:
                puffin.parse_wheel_filename(fn)
            with pytest.raises(p_utils.InvalidWheelFilename) as e2:
                p_utils.parse_wheel_filename(fn)
            if not OLD_PACKAGING:   # 26.3 checked the parts in another order
                assert str(e1.value) == str(e2.value)
        sd = "%s-%s%s" % (name, v, rng.choice([".tar.gz", ".zip", ".tar.bz2"]))
        ours = outcome(puffin.parse_sdist_filename, sd)
        theirs = outcome(p_utils.parse_sdist_filename, sd)
        assert ours[0] == theirs[0], sd
        if ours[0] == "ok":
            assert (ours[1][0], str(ours[1][1])) == (theirs[1][0], str(theirs[1][1])), sd


# ---- the 300 most downloaded projects ------------------------------------------

def test_every_version_of_the_top_300_projects_like_packaging():
    """Every version string published by the 300 most downloaded PyPI projects:
    same validity, same str, and the same sort order of the whole list."""
    with open(os.path.join(FIXTURES, "top300_versions.json"), encoding="utf-8") as f:
        data = json.load(f)
    strings = sorted({v for versions in data["projects"].values() for v in versions})
    assert len(strings) > 10_000
    ours, theirs = {}, {}
    for s in strings:
        o = outcome(puffin.Version, s)
        t = outcome(p_version.Version, s)
        assert o[0] == t[0], s
        if o[0] == "ok":
            assert str(o[1]) == str(t[1]), s
            ours[s], theirs[s] = o[1], t[1]
    valid = list(ours)
    assert sorted(valid, key=lambda s: (ours[s], s)) == sorted(valid, key=lambda s: (theirs[s], s))


# ---- exceptions and API edges (found by an independent differential hunt) ------

def _outcome(fn):
    try:
        return ("ok", str(fn()))
    except Exception as e:  # compared by class name and text
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("text,env", [
    ('os_name === "posix"', {"os_name": "posix"}),
    ('platform_release ~= "5"', {"platform_release": "5.15.0-91-generic"}),
    ('extras == "a"', {}),
    ('"" == "x"', {}),
])
def test_marker_evaluation_errors_read_as_packagings(text, env):
    ours = _outcome(lambda: puffin.Marker(text).evaluate(env or None))
    theirs = _outcome(lambda: p_markers.Marker(text).evaluate(env or None))
    assert ours == theirs


@pytest.mark.parametrize("cls", ["Marker", "Requirement"])
@pytest.mark.parametrize("text", ["os_name ==", "foo bar", "foo[bar", "name; os_name =="])
def test_parse_failures_carry_message_source_and_span(cls, text):
    ref = {"Marker": p_markers.Marker, "Requirement": p_requirements.Requirement}[cls]
    with pytest.raises(Exception) as theirs:
        ref(text)
    with pytest.raises(Exception) as ours:
        getattr(puffin, cls)(text)
    assert str(ours.value) == str(theirs.value)
    for attr in ("message", "source", "span"):
        if hasattr(theirs.value, attr):
            assert getattr(ours.value, attr) == getattr(theirs.value, attr), attr


@pytest.mark.parametrize("name", ["Foo_bar", "-x", "a..b", "ok.name", "x-"])
def test_canonicalize_name_validates_like_packaging(name):
    if "validate" not in p_utils.canonicalize_name.__code__.co_varnames:
        pytest.skip("this packaging has no validate=")
    ours = _outcome(lambda: puffin.canonicalize_name(name, validate=True))
    theirs = _outcome(lambda: p_utils.canonicalize_name(name, validate=True))
    assert ours[0] == theirs[0].replace("InvalidName", "InvalidName") and ours[1] == theirs[1]


def test_a_version_subclass_gets_its_own_instances():
    class Mine(puffin.Version):
        pass
    puffin.Version("7.7")
    assert type(Mine("7.7")) is Mine


@pytest.mark.parametrize("parts", [dict(release=()), dict(release=(1,), local="a b"), dict(release=(-1,)),
                                   dict(release=(1,), pre=("x", 1)), dict(epoch=1, release=(1, 2), pre=("rc", 1),
                                                                          post=2, dev=3, local="abc")])
def test_version_from_parts_validates_like_packaging(parts):
    if not hasattr(p_version.Version, "from_parts"):
        pytest.skip("this packaging has no Version.from_parts")
    ours = _outcome(lambda: puffin.Version.from_parts(**parts))
    theirs = _outcome(lambda: p_version.Version.from_parts(**parts))
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1]


def test_the_specifier_pattern_is_packagings():
    """puffin's specifier regex, put together from its pieces, is packaging's
    own pattern once comments and whitespace are set aside (packaging 26.4;
    the possessive forms need CPython 3.11.5+ there too)."""
    pattern = getattr(p_specifiers.Specifier, "_specifier_regex_str", None)
    if pattern is None or OLD_PACKAGING or "++" not in pattern:
        pytest.skip("this packaging writes its specifier pattern differently")

    def norm(text):
        return re.sub(r"\s+", "", re.sub(r"#[^\n]*", "", text))
    assert norm(puffin._STD_SPECIFIER_PATTERN) == norm(pattern)


# ---- the shapes read without the patterns (lock lines) --------------------------------------

LOCK_RELEASES = ["1", "1.0", "01.2", "1.2.3.4", "0", "1.", "", ".1", "1..2", "\uff11"]
LOCK_TAILS = ["", "a1", "b0", "rc2", "a", "rc", "c1", "alpha1", "a1.post0", ".post0", ".post",
              ".post1.dev2", ".dev0", ".dev", ".post0.dev1", "a1.dev3", "rc1.post2.dev3",
              ".dev1.post0", "-post1", "post1", "a1b2", "rc1rc2", ".post01", "a\u0661", "+local", "a1+l",
              "A1", ".POST1"]


def test_lock_shaped_versions_specifiers_and_lines_read_as_packaging_reads_them():
    """Versions in normal form, plain specifiers and `name==version` lines skip
    the patterns (vendor_notes/packaging.md): each release x tail, alone, after
    each operator and in a requirement line, gives packaging's answer, valid
    or not; sort order included."""
    import itertools
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, Specifier
    from packaging.version import InvalidVersion, Version
    valid = []
    for release, tail in itertools.product(LOCK_RELEASES, LOCK_TAILS):
        text = release + tail
        try:
            ours = puffin.Version(text)
        except puffin.InvalidVersion:
            ours = None
        try:
            theirs = Version(text)
        except InvalidVersion:
            theirs = None
        assert (ours is None) == (theirs is None), text
        if ours is not None:
            assert (str(ours), ours.release, ours.pre, ours.post, ours.dev) == \
                (str(theirs), theirs.release, theirs.pre, theirs.post, theirs.dev), text
            valid.append(text)
        for op in ("==", "!=", ">=", "<=", "~=", ">", "<"):
            try:
                mine = puffin.Specifier(op + text)
                mine = (mine.operator, mine.version, str(mine))
            except puffin.InvalidSpecifier:
                mine = None
            try:
                ref = Specifier(op + text)
                ref = (ref.operator, ref.version, str(ref))
            except InvalidSpecifier:
                ref = None
            assert mine == ref, op + text
        line = "pkg==" + text
        try:
            mine = puffin.Requirement(line)
            mine = (mine.name, str(mine.specifier), mine.marker)
        except puffin.InvalidRequirement:
            mine = None
        try:
            ref = Requirement(line)
            ref = (ref.name, str(ref.specifier), ref.marker)
        except InvalidRequirement:
            ref = None
        assert mine == ref, line
    assert [str(v) for v in sorted(map(puffin.Version, valid))] == \
        [str(v) for v in sorted(map(Version, valid))]
