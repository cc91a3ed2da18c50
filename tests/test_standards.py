"""Unit tests of section 2 (standards): each public name and its error messages."""

from __future__ import annotations

import json
import pickle

import pytest

import puffin
from puffin import (
    DirectUrl, InvalidDirectUrl, InvalidMarker, InvalidMetadata, InvalidRequirement,
    InvalidSdistFilename, InvalidSpecifier, InvalidVersion, InvalidWheelFilename, Marker,
    Metadata, RecordEntry, Requirement, SdistFilename, Specifier, SpecifierSet, Version,
    WheelFilename, canonicalize_name, parse_sdist_filename, parse_wheel_filename,
)


# ---- names -------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("Django", "django"), ("oslo.concurrency", "oslo-concurrency"),
    ("Foo__Bar", "foo-bar"), ("a-_.b", "a-b"), ("requests", "requests"),
])
def test_canonicalize_name_follows_pep_503(name, expected):
    """Runs of - _ . become one dash and the name is lowercased."""
    assert canonicalize_name(name) == expected


def test_name_validity_and_normal_form_checks():
    """is_valid_name accepts PEP 508 names; is_normalized_name only canonical ones."""
    assert puffin.is_valid_name("Foo.Bar_1")
    assert not puffin.is_valid_name("-foo")
    assert not puffin.is_valid_name("foo-")
    assert puffin.is_normalized_name("foo-bar")
    assert not puffin.is_normalized_name("Foo_bar")


# ---- versions ----------------------------------------------------------------

@pytest.mark.parametrize("text, normal", [
    ("1.0", "1.0"), ("v1.0", "1.0"), (" 1.0\n", "1.0"), ("1!2.0", "1!2.0"),
    ("1.0-1", "1.0.post1"), ("1.0.ALPHA1", "1.0a1"), ("1.0-beta.2", "1.0b2"),
    ("1.0c1", "1.0rc1"), ("1.0pre", "1.0rc0"), ("1.0-r3", "1.0.post3"),
    ("1.0rev", "1.0.post0"), ("1.0.dev", "1.0.dev0"), ("1.0+Ubuntu-1_2", "1.0+ubuntu.1.2"),
    ("1.0+01", "1.0+1"), ("01.002", "1.2"),
])
def test_version_normalizes_every_spelling(text, normal):
    """str() prints the PEP 440 normal form of each alternative spelling."""
    assert str(Version(text)) == normal


@pytest.mark.parametrize("text", ["", "1.", ".1", "1..0", "1.0-foo", "1.0+", "1.0++a",
                                  "foo", "1.0.*", "1!", "1.0 a1"])
def test_invalid_versions_raise_with_the_text_shown(text):
    """InvalidVersion says 'Invalid version:' and shows the offending text."""
    with pytest.raises(InvalidVersion) as e:
        Version(text)
    assert str(e.value) == "Invalid version: %r" % text
    assert isinstance(e.value, ValueError) and isinstance(e.value, puffin.PuffinError)


def test_version_rejects_non_strings():
    """A non-string is an InvalidVersion, not a TypeError."""
    with pytest.raises(InvalidVersion):
        Version(1.0)
    with pytest.raises(InvalidVersion):
        Version(None)


def test_version_order_follows_pep_440():
    """dev < a < b < rc < final < local < post, with epochs above all."""
    ordered = ["1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0a1.post1", "1.0b1", "1.0rc1", "1.0",
               "1.0+abc", "1.0+1", "1.0.post1.dev0", "1.0.post1", "1.0.1", "1!0.1"]
    versions = [Version(s) for s in ordered]
    assert sorted(reversed(versions)) == versions
    assert Version("1.0") == Version("1.0.0") and hash(Version("1.0")) == hash(Version("1"))
    assert Version("1.0") != Version("1.0+x")
    assert (Version("1.0") == "1.0") is False
    with pytest.raises(TypeError):
        Version("1.0") < "2.0"


def test_version_attributes():
    """The parts of a version are exposed as packaging names them."""
    v = Version("2!1.2.3rc4.post5.dev6+loc.7")
    assert (v.epoch, v.release, v.pre, v.post, v.dev, v.local) == \
        (2, (1, 2, 3), ("rc", 4), 5, 6, "loc.7")
    assert (v.major, v.minor, v.micro) == (1, 2, 3)
    assert v.public == "2!1.2.3rc4.post5.dev6" and v.base_version == "2!1.2.3"
    assert v.is_prerelease and v.is_postrelease and v.is_devrelease
    plain = Version("3")
    assert (plain.minor, plain.micro, plain.pre, plain.post, plain.local) == (0, 0, None, None, None)
    assert not plain.is_prerelease and repr(plain) == "<Version('3')>"


def test_version_parse_is_cached_and_shared():
    """Version.parse(s) and Version(s) return the same immutable object for one string."""
    assert Version.parse("1.2.3") is Version("1.2.3")
    assert Version.from_parts(release=(1, 2), pre=("alpha", 1)) == Version("1.2a1")


def test_version_pickles():
    """Versions survive pickling (the cache stores them)."""
    v = Version("1.0.post1+x")
    assert pickle.loads(pickle.dumps(v)) == v


# ---- specifiers --------------------------------------------------------------

@pytest.mark.parametrize("spec, yes, no", [
    ("==1.0", ["1.0", "1.0.0", "1.0+local"], ["1.0.post1", "1.0a1"]),
    ("==1.0+local", ["1.0+local"], ["1.0", "1.0+other"]),
    ("!=1.0", ["1.1", "1.0.post1"], ["1.0", "1.0+x"]),
    ("==1.*", ["1.0", "1.9.9", "1.0a1", "1"], ["2.0", "0.9"]),
    ("!=1.*", ["2.0", "0.9"], ["1.5"]),
    ("~=1.4.5", ["1.4.5", "1.4.9"], ["1.5", "1.4.4"]),
    ("~=2.2", ["2.2", "2.9"], ["3.0", "3.0.dev0"]),
    (">1.7", ["1.7.1", "1.8"], ["1.7", "1.7.post1", "1.7+x"]),
    (">1.7.post2", ["1.7.post3"], ["1.7.post2", "1.7.post2+x"]),
    ("<1.7", ["1.6", "1.6.post1"], ["1.7", "1.7a1", "1.7.dev0"]),
    ("<1.7a2", ["1.7a1"], ["1.7a2"]),
    ("<=1.7", ["1.7", "1.7+local"], ["1.7.post1"]),
    (">=1.7", ["1.7", "2.0"], ["1.6"]),
    ("===1.0", ["1.0"], ["1.0.0"]),
    ("===foobar", ["foobar", "FooBar"], ["1.0"]),
])
def test_specifier_operators(spec, yes, no):
    """Each PEP 440 operator accepts and rejects what the standard says."""
    s = Specifier(spec)
    for v in yes:
        assert s.contains(v, prereleases=True), v
    for v in no:
        assert not s.contains(v, prereleases=True), v


@pytest.mark.parametrize("text", ["=>1.0", "~=1", "==1.0.*.1", ">=1.*", "<1.0+local",
                                  "==", "foo", "== 1.0 , >2", "~=1.0.*"])
def test_invalid_specifiers_raise_with_the_text_shown(text):
    """InvalidSpecifier says 'Invalid specifier:' with the offending text."""
    with pytest.raises(InvalidSpecifier) as e:
        Specifier(text)
    assert str(e.value) == "Invalid specifier: %r" % text


def test_specifier_prerelease_rules():
    """contains() takes a lone pre-release unless told not to; filter() prefers finals."""
    s = Specifier(">=1.0")
    assert s.contains("2.0a1") and not s.contains("2.0a1", prereleases=False)
    assert list(s.filter(["1.0", "2.0a1"])) == ["1.0"]
    assert list(s.filter(["2.0a1"])) == ["2.0a1"]
    assert Specifier(">=1.0a1").prereleases is True
    assert Specifier("!=1.0a1").prereleases is False
    assert Specifier("==1.*").prereleases is False
    assert Specifier(">=1.0", prereleases=False).contains("2.0a1") is False


def test_specifier_text_equality_and_hash():
    """str keeps the version as written; equality uses the canonical form."""
    s = Specifier(" >=  1.0.0 ")
    assert str(s) == ">=1.0.0" and s.operator == ">=" and s.version == "1.0.0"
    assert s == Specifier(">=1") and hash(s) == hash(Specifier(">=1"))
    assert s == ">=1.0" and s != ">=2" and s != Specifier("~=1.0.0")
    assert repr(Specifier("<2", prereleases=True)) == "<Specifier('<2', prereleases=True)>"


def test_specifier_set_prints_sorted_and_deduplicated():
    """str() sorts by text and drops duplicates as packaging does."""
    s = SpecifierSet(">=1.0, <2,!=1.5 ,>=1.0")
    assert len(s) == 4
    assert str(s) == "!=1.5,<2,>=1.0"
    assert len(s) == 3 and [str(x) for x in s] == ["!=1.5", "<2", ">=1.0"]
    assert SpecifierSet("") == SpecifierSet() and str(SpecifierSet(" , ")) == ""
    assert SpecifierSet(">=1,<2") == "<2,>=1" and hash(SpecifierSet(">=1,<2")) == hash(SpecifierSet("<2,>=1"))


def test_specifier_set_contains_and_filter():
    """contains/filter/`in` with the prereleases switch and installed flag."""
    s = SpecifierSet(">=1.0,!=1.5,<2")
    assert "1.4" in s and "1.5" not in s and "2.0" not in s
    assert s.contains("1.6a1") and not s.contains("1.6a1", prereleases=False)
    assert not SpecifierSet(">=1", prereleases=False).contains("1.6a1")
    assert SpecifierSet(">=1", prereleases=False).contains("1.6a1", installed=True)
    assert list(s.filter(["0.9", "1.0", "1.6a1", "1.9"])) == ["1.0", "1.9"]
    assert list(s.filter(["1.6a1", "1.7b1"])) == ["1.6a1", "1.7b1"]
    assert list(s.filter(["1.0", "1.6a1"], prereleases=True)) == ["1.0", "1.6a1"]
    assert list(s.filter([{"v": "1.1"}, {"v": "3"}], key=lambda d: d["v"])) == [{"v": "1.1"}]
    assert not s.contains("not a version")
    assert SpecifierSet("").contains("anything")


def test_specifier_set_and_combines_and_checks_prerelease_overrides():
    """`&` joins specifiers and refuses contradicting prerelease overrides."""
    both = SpecifierSet(">=1") & "<2"
    assert str(both) == "<2,>=1"
    assert (SpecifierSet(">=1", prereleases=True) & SpecifierSet("<2")).prereleases is True
    with pytest.raises(ValueError, match="Cannot combine"):
        SpecifierSet(">=1", prereleases=True) & SpecifierSet("<2", prereleases=False)
    with pytest.raises(InvalidSpecifier, match="Invalid specifier: '=>2'"):
        SpecifierSet(">=1, =>2")


# ---- markers -----------------------------------------------------------------

ENV = {"python_version": "3.11", "python_full_version": "3.11.7", "os_name": "posix",
       "sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux",
       "platform_release": "6.1.0", "implementation_name": "cpython",
       "platform_python_implementation": "CPython", "implementation_version": "3.11.7",
       "platform_version": "#1"}


@pytest.mark.parametrize("text, expected", [
    ('python_version >= "3.8"', True),
    ('python_version < "3.10"', False),
    ('python_full_version == "3.11.*"', True),
    ('"3.8" < python_version', True),
    ('os_name == "posix" and sys_platform != "win32"', True),
    ('os_name == "nt" or (sys_platform == "linux" and platform_machine == "x86_64")', True),
    ('os_name == "nt" or sys_platform == "linux" and platform_machine == "arm"', False),
    ('"linux" in sys_platform', True),
    ('"lin" not in sys_platform', False),
    ('platform.python_implementation == "CPython"', True),
    ('python_implementation == "CPython"', True),
    ('platform_system > "Aaa"', False),          # strings: only == / != / in are defined
    ('platform_release >= "6"', True),
    ('extra == "test"', False),
])
def test_marker_evaluation(text, expected):
    """Variables, version vs string comparison, in/not in, precedence, parentheses."""
    assert Marker(text).evaluate(ENV) is expected


def test_marker_extra_is_normalized():
    """extra values compare in PEP 503 normal form on both sides."""
    m = Marker('extra == "Foo_Bar"')
    assert str(m) == 'extra == "foo-bar"'
    assert m.evaluate({"extra": "foo.bar"}) and not m.evaluate({"extra": "baz"})
    assert not m.evaluate() and m.evaluate({"extra": {"FOO-bar", "x"}})


def test_marker_prints_normalized():
    """str() uses double quotes (single when needed), single spaces, needed parens only."""
    m = Marker("os.name=='nt' and(python_version<'3' or sys_platform == \"x'y\")")
    assert str(m) == 'os_name == "nt" and (python_version < "3" or sys_platform == "x\'y")'
    assert Marker("((os_name == 'a'))") == Marker('os_name == "a"')
    assert str(Marker('os_name == "a"') & Marker('os_name == "b" or os_name == "c"')) == \
        'os_name == "a" and (os_name == "b" or os_name == "c")'
    assert repr(Marker('os_name == "a"')) == "<Marker('os_name == \"a\"')>"


@pytest.mark.parametrize("text, message", [
    ("os_name", "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in"),
    ('os_name == ', "Expected a marker variable or quoted string"),
    ('foo == "a"', "Expected a marker variable or quoted string"),
    ('(os_name == "a"', "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression"),
    ('os_name == "a" xor', "Expected end of marker expression"),
    ('os_name not"a"', "Expected whitespace after 'not'"),
    ('os_name not "a"', "Expected 'in' after 'not'"),
    ("os_name == '\\x'", "Invalid quoted string"),
])
def test_invalid_markers_show_the_text_and_a_caret(text, message):
    """InvalidMarker gives what is wrong, the marker, and a caret under the spot."""
    with pytest.raises(InvalidMarker) as e:
        Marker(text)
    lines = str(e.value).split("\n")
    assert lines[0] == message
    assert lines[1] == "    " + text
    assert lines[2].strip().endswith("^")


def test_marker_undefined_comparisons_and_names():
    """~= on non-versions and unknown environment names raise their own errors."""
    with pytest.raises(puffin.UndefinedComparison):
        Marker('os_name ~= "posix"').evaluate(ENV)
    with pytest.raises(puffin.UndefinedEnvironmentName):
        Marker('"a" == "b"').evaluate(ENV)      # the right side is looked up as a name


def test_default_marker_environment_describes_this_interpreter():
    """The default environment has every PEP 508 variable for the running Python."""
    import platform
    import sys
    env = puffin.default_marker_environment()
    assert env["python_version"] == "%d.%d" % sys.version_info[:2]
    assert env["python_full_version"] == platform.python_version()
    assert env["sys_platform"] == sys.platform
    assert len(env) == 11
    env["os_name"] = "changed"
    assert puffin.default_marker_environment()["os_name"] != "changed"


# ---- requirements ------------------------------------------------------------

def test_requirement_fields_and_str():
    """Name, extras, specifiers (with or without parens), url and marker."""
    r = Requirement("Foo.Bar [security , Socks] (>=1.0, <2) ; python_version < '3.12'")
    assert r.name == "Foo.Bar" and r.extras == {"security", "Socks"}
    assert str(r.specifier) == "<2,>=1.0" and r.url is None
    assert str(r.marker) == 'python_version < "3.12"'
    assert str(r) == 'Foo.Bar[Socks,security]<2,>=1.0; python_version < "3.12"'
    u = Requirement("pkg @ https://example.com/pkg-1.0.whl ; extra == 'X'")
    assert u.url == "https://example.com/pkg-1.0.whl" and u.specifier == SpecifierSet()
    assert str(u) == 'pkg @ https://example.com/pkg-1.0.whl ; extra == "x"'
    assert repr(Requirement("a>=1")) == "<Requirement('a>=1')>"


def test_requirement_equality_normalizes_names_and_extras():
    """Equal when names/extras normalize alike and specifiers are equivalent."""
    assert Requirement("Foo_Bar[A]>=1.0") == Requirement("foo-bar[a]>=1")
    assert hash(Requirement("Foo_Bar[A]>=1.0")) == hash(Requirement("foo-bar[a]>=1"))
    assert Requirement("foo>=1") != Requirement("foo>=2")


@pytest.mark.parametrize("text, message", [
    ("", "Expected package name at the start of dependency specifier"),
    ("foo >= 1.0 bar", "Expected comma (within version specifier), semicolon (after version specifier) or end"),
    ("foo bar", "Expected semicolon (after name with no version specifier) or end"),
    ("foo[bar", "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras"),
    ("foo[a b]", "Expected comma between extra names"),
    ("foo[a,]", "Expected extra name after comma"),
    ("foo (>=1", "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier"),
    ("foo @ ", "Expected URL after @"),
    ("foo @ https://x.y/z.whl extra", "Expected semicolon (after URL and whitespace) or end"),
    ("foo>=1.0.*", ".* suffix can only be used with `==` or `!=` operators"),
    ("foo==1.0a1.*", ".* suffix cannot be used with pre-release, post-release, dev or local versions"),
    ("foo>=1.0+local", "Local version label can only be used with `==` or `!=` operators"),
    ("foo; os_name", "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in"),
])
def test_invalid_requirements_say_what_is_wrong_and_where(text, message):
    """InvalidRequirement: the message, the requirement, and a caret under the spot."""
    with pytest.raises(InvalidRequirement) as e:
        Requirement(text)
    lines = str(e.value).split("\n")
    assert lines[0] == message
    assert lines[1] == "    " + text
    assert lines[2].strip().endswith("^")


# ---- filenames ---------------------------------------------------------------

def test_parse_wheel_filename_expands_compressed_tags():
    """Name is canonical, build tag parsed, compressed tag sets expanded and lowercased."""
    name, version, build, tags = parse_wheel_filename("Foo_Bar-1.0-12abc-py2.py3-none-ANY.whl")
    assert (name, version, build) == ("foo-bar", Version("1.0"), (12, "abc"))
    assert tags == frozenset({"py2-none-any", "py3-none-any"})
    w = WheelFilename.from_filename("pkg-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    assert w.tags == ("cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64")
    assert w.build == () and str(w) == w.filename


@pytest.mark.parametrize("filename, message", [
    ("foo-1.0-py3-none-any.zip", "Invalid wheel filename (extension must be '.whl'): 'foo-1.0-py3-none-any.zip'"),
    ("foo-1.0-any.whl", "Invalid wheel filename (wrong number of parts): 'foo-1.0-any'"),
    ("foo__bar-1.0-py3-none-any.whl", "Invalid project name: 'foo__bar-1.0-py3-none-any'"),
    ("foo-1.x-py3-none-any.whl", "Invalid wheel filename (invalid version): 'foo-1.x-py3-none-any'"),
    ("foo-1.0-x1-py3-none-any.whl", "Invalid build number: x1 in 'foo-1.0-x1-py3-none-any'"),
    ("foo-1.0-py3..py2-none-any.whl", "Invalid wheel filename (invalid tag component): 'foo-1.0-py3..py2-none-any'"),
])
def test_invalid_wheel_filenames(filename, message):
    """InvalidWheelFilename names the problem and shows the filename."""
    with pytest.raises(InvalidWheelFilename) as e:
        parse_wheel_filename(filename)
    assert str(e.value) == message


def test_parse_sdist_filename_with_and_without_project_name():
    """PEP 625 names split at the last dash; a known project name splits legacy names."""
    assert parse_sdist_filename("foo_bar-1.0.tar.gz") == ("foo-bar", Version("1.0"))
    assert parse_sdist_filename("Foo-Bar-1.0.zip") == ("foo-bar", Version("1.0"))
    assert parse_sdist_filename("foo-1.0-2.tar.gz", name="foo") == ("foo", Version("1.0.post2"))
    assert parse_sdist_filename("Foo.Bar-2.0b1.tar.gz", name="foo-bar") == ("foo-bar", Version("2.0b1"))
    s = SdistFilename.from_filename("pkg-1.0.zip")
    assert (s.name, s.extension, str(s)) == ("pkg", ".zip", "pkg-1.0.zip")


@pytest.mark.parametrize("filename, name, message", [
    ("foo-1.0.tar.bz2", None, "Invalid sdist filename (extension must be '.tar.gz' or '.zip'): 'foo-1.0.tar.bz2'"),
    ("foo.tar.gz", None, "Invalid sdist filename: 'foo.tar.gz'"),
    ("-1.0.tar.gz", None, "Invalid sdist filename (empty project name): '-1.0.tar.gz'"),
    ("foo-bar.tar.gz", None, "Invalid sdist filename (invalid version): 'foo-bar.tar.gz'"),
    ("bar-1.0.tar.gz", "foo", "Invalid sdist filename (does not start with project name 'foo'): 'bar-1.0.tar.gz'"),
    ("foo-x.tar.gz", "foo", "Invalid sdist filename (invalid version): 'foo-x.tar.gz'"),
])
def test_invalid_sdist_filenames(filename, name, message):
    """InvalidSdistFilename names the problem and shows the filename."""
    with pytest.raises(InvalidSdistFilename) as e:
        parse_sdist_filename(filename, name=name)
    assert str(e.value) == message


# ---- core metadata -----------------------------------------------------------

METADATA = b"""Metadata-Version: 2.4
Name: Demo_Pkg
Version: 1.2.0
Summary: A demo
Requires-Python: >=3.8
Requires-Dist: requests>=2
Requires-Dist: pytest; extra == "Test"
Requires-Dist: colorama; sys_platform == "win32"
Requires-Dist: !!not a requirement
Provides-Extra: Test
Dynamic: Requires-Dist
Description: first line
        second line

The long description.
"""


def test_metadata_from_bytes_reads_the_installer_fields():
    """Name, Version, Requires-Dist, Requires-Python, Provides-Extra, Dynamic, body."""
    m = Metadata.from_bytes(METADATA)
    assert (m.name, m.version, m.metadata_version) == ("Demo_Pkg", Version("1.2"), "2.4")
    assert [str(r) for r in m.requires_dist] == [
        "requests>=2", 'pytest; extra == "test"', 'colorama; sys_platform == "win32"']
    assert m.requires_python == SpecifierSet(">=3.8")
    assert m.provides_extra == ["Test"] and m.dynamic == ["Requires-Dist"]
    assert m.get("summary") == "A demo" and m.get("Missing", "x") == "x"
    assert m.get("Description") == "first line\n        second line"
    assert m.body.strip() == "The long description."


def test_metadata_skips_invalid_requires_dist_with_a_warning():
    """A bad Requires-Dist line is dropped and reported through warn_user."""
    Metadata.from_bytes(METADATA)
    assert any("ignoring invalid Requires-Dist '!!not a requirement'" in w for w in puffin._WARNINGS)


def test_metadata_requires_for_extras():
    """requires(extras) gives the requirements active for those extras here."""
    m = Metadata.from_bytes(METADATA)
    env = {"sys_platform": "linux"}
    assert [r.name for r in m.requires(environment=env)] == ["requests"]
    assert [r.name for r in m.requires(["test"], environment=env)] == ["requests", "pytest"]
    assert [r.name for r in m.requires(environment={"sys_platform": "win32"})] == ["requests", "colorama"]


def test_metadata_tolerates_junk_but_needs_name_and_version():
    """Junk lines and CRLF are tolerated; a missing or invalid Version is an error."""
    m = Metadata.from_bytes(b"\xef\xbb\xbfName: x\r\nthis is junk\r\nVersion: 1\r\nRequires-Python: >=3.x\r\n")
    assert (m.name, str(m.version), m.requires_python) == ("x", "1", None)
    with pytest.raises(InvalidMetadata, match="has no Version field"):
        Metadata.from_bytes(b"Name: x\n")
    with pytest.raises(InvalidMetadata, match="no Name field"):
        Metadata.from_bytes(b"Version: 1.0\n")
    with pytest.raises(InvalidMetadata, match="invalid Version: 'one'"):
        Metadata.from_bytes(b"Name: x\nVersion: one\n")


# ---- RECORD and direct_url.json ------------------------------------------------

def test_record_entries_round_trip():
    """from_row/to_row pair up; hashes are urlsafe base64 sha256 without padding."""
    e = RecordEntry.for_data("pkg/__init__.py", b"hello")
    assert e.hash == "sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ" and e.size == 5
    assert RecordEntry.from_row(e.to_row()) == e
    assert RecordEntry.from_row(["pkg-1.0.dist-info/RECORD", "", ""]).to_row() == \
        ["pkg-1.0.dist-info/RECORD", "", ""]
    assert e.matches(b"hello") and not e.matches(b"hellO")
    text = puffin.format_record([e, RecordEntry("a,b.py", None, None)])
    assert text == 'pkg/__init__.py,sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ,5\r\n"a,b.py",,\r\n'
    assert puffin.read_record(text) == [e, RecordEntry("a,b.py")]


@pytest.mark.parametrize("row, message", [
    (["a", "b"], "RECORD row must have 3 fields"),
    (["", "", ""], "empty path"),
    (["a", "sha256=x", "big"], "invalid size"),
    (["a", "nohash", "1"], "invalid hash"),
])
def test_bad_record_rows_are_refused(row, message):
    """Malformed RECORD rows raise ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=message):
        RecordEntry.from_row(row)


def test_direct_url_round_trips_each_kind():
    """archive (hashes), dir (editable) and vcs forms of PEP 610 to/from dict."""
    a = DirectUrl("https://x/p-1.0.tar.gz", "archive", hashes={"sha256": "ab"}, subdirectory="sub")
    assert a.to_dict() == {"url": "https://x/p-1.0.tar.gz", "subdirectory": "sub",
                           "archive_info": {"hashes": {"sha256": "ab"}, "hash": "sha256=ab"}}
    assert DirectUrl.from_json(a.to_json()) == a
    d = DirectUrl("file:///src/p", "dir", editable=True)
    assert d.to_dict() == {"url": "file:///src/p", "dir_info": {"editable": True}}
    assert DirectUrl.from_dict(json.loads(d.to_json())) == d
    v = DirectUrl.from_dict({"url": "https://g/x.git", "vcs_info": {
        "vcs": "git", "commit_id": "abc", "requested_revision": "main"}})
    assert (v.kind, v.vcs, v.commit_id, v.requested_revision) == ("vcs", "git", "abc", "main")
    assert DirectUrl.from_dict(v.to_dict()) == v
    legacy = DirectUrl.from_dict({"url": "u", "archive_info": {"hash": "md5=ff"}})
    assert legacy.hashes == {"md5": "ff"}


@pytest.mark.parametrize("data, message", [
    ({}, "needs a string 'url'"),
    ({"url": "u"}, "exactly one of archive_info, dir_info, vcs_info; got none"),
    ({"url": "u", "dir_info": {}, "archive_info": {}}, "got archive_info, dir_info"),
    ({"url": "u", "vcs_info": {"vcs": "git"}}, "vcs_info needs string 'vcs' and 'commit_id'"),
    ({"url": "u", "archive_info": {"hash": "nohash"}}, "invalid archive_info.hash"),
])
def test_invalid_direct_urls(data, message):
    """InvalidDirectUrl says which PEP 610 rule is broken."""
    with pytest.raises(InvalidDirectUrl, match=message):
        DirectUrl.from_dict(data)
    with pytest.raises(InvalidDirectUrl, match="not valid JSON"):
        DirectUrl.from_json("{")
