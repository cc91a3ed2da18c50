"""pyproject.toml as a requirement source (section 6): [project] dependencies,
extras, PEP 735 dependency groups, and read_sources() merging every kind of
source; malformed input reported as ``<file>:<line>: <message>``."""

from __future__ import annotations

import os
import textwrap

import pytest

import puffin
import support


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own folder."""
    monkeypatch.chdir(tmp_path)
    del puffin._WARNINGS[:]
    return tmp_path


def write(path, text=""):
    """Write ``text``, dedented, to ``path`` (folders made); return the path."""
    return support.write_file(path, textwrap.dedent(text))


PROJECT = """\
    [project]
    name = "My_Project"
    version = "1.0"
    dependencies = [
        "flask>=2",
        "requests ; python_version >= '3.8'",
    ]

    [project.optional-dependencies]
    Socks = ["pysocks"]
    test = ["pytest>=7", "my-project[socks]"]
    all = ["my_project[test] ; sys_platform == 'linux'"]

    [dependency-groups]
    Dev = ["ruff", {include-group = "typing"}]
    typing = ["mypy"]
    """


def reqs(entries):
    return [str(e.requirement) for e in entries]


def sources(*paths, **kw):
    return puffin.read_sources(list(paths), **kw)


# ---- [project] ------------------------------------------------------------------

def test_project_dependencies_are_read_with_their_lines():
    """[project] dependencies become entries labelled `name (pyproject.toml)`."""
    write("pyproject.toml", PROJECT)
    s = sources("pyproject.toml")
    assert reqs(s.requirements) == ["flask>=2", 'requests; python_version >= "3.8"']
    e = s.requirements[1]
    assert (e.file, e.line, e.source) == ("pyproject.toml", 6, "My_Project (pyproject.toml)")
    assert e.text == "requests ; python_version >= '3.8'"
    assert s.files == ["pyproject.toml"]
    assert s.extras == {"pyproject.toml": ["all", "socks", "test"]}
    assert s.groups == {"pyproject.toml": ["dev", "typing"]}


def test_extras_select_optional_dependencies_by_normalized_name():
    """`--extra SOCKS` matches `Socks`; self-references expand to the other extra."""
    write("pyproject.toml", PROJECT)
    s = sources("pyproject.toml", extras=["SOCKS"])
    assert reqs(s.requirements)[2:] == ["pysocks"]
    s = sources("pyproject.toml", extras=["test"])
    assert reqs(s.requirements)[2:] == ["pytest>=7", "pysocks"]


def test_self_reference_markers_are_joined_to_the_expanded_requirements():
    """`my_project[test] ; linux` gives test's requirements with the linux marker."""
    write("pyproject.toml", PROJECT)
    s = sources("pyproject.toml", extras=["all"])
    assert reqs(s.requirements)[2:] == ['pytest>=7; sys_platform == "linux"',
                                        'pysocks; sys_platform == "linux"']


def test_all_extras_selects_every_optional_dependency_once():
    """--all-extras takes every extra, in name order."""
    write("pyproject.toml", PROJECT)
    s = sources("pyproject.toml", all_extras=True)
    assert reqs(s.requirements) == [
        "flask>=2", 'requests; python_version >= "3.8"',
        'pytest>=7; sys_platform == "linux"', 'pysocks; sys_platform == "linux"',
        "pysocks", "pytest>=7", "pysocks"]


def test_an_unknown_extra_names_the_available_ones():
    """`--extra nope` is an error listing the extras there are."""
    write("pyproject.toml", PROJECT)
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml", extras=["nope"])
    assert str(info.value) == "pyproject.toml: unknown extra `nope`; available: all, socks, test"
    write("pyproject.toml", "[project]\nname = 'x'\nversion = '1'\n")
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml", extras=["nope"])
    assert str(info.value) == "pyproject.toml: unknown extra `nope`; there are none"


def test_an_extra_needs_to_exist_in_only_one_of_several_projects():
    """With two pyproject files, an extra of either is fine."""
    write("a/pyproject.toml", "[project]\nname = 'a'\nversion = '1'\n"
                              "[project.optional-dependencies]\nx = ['xa']\n")
    write("b/pyproject.toml", "[project]\nname = 'b'\nversion = '1'\n"
                              "[project.optional-dependencies]\ny = ['yb']\n")
    s = sources("a/pyproject.toml", "b/pyproject.toml", extras=["y"])
    assert reqs(s.requirements) == ["yb"]
    assert s.requirements[0].source == "b (b/pyproject.toml)"
    with pytest.raises(puffin.InputError) as info:
        sources("a/pyproject.toml", "b/pyproject.toml", extras=["z"])
    assert str(info.value) == "unknown extra `z`; available: x, y"


def test_dynamic_dependencies_need_a_build():
    """Dynamic or undeclared dependencies raise SourceNeedsBuildError naming the file."""
    write("pyproject.toml", "[project]\nname = 'x'\nversion = '1'\ndynamic = ['dependencies']\n")
    with pytest.raises(puffin.SourceNeedsBuildError) as info:
        sources("pyproject.toml")
    assert str(info.value) == ("pyproject.toml: the dependencies of `pyproject.toml` are dynamic; "
                               "reading them needs a build, which is not supported yet")
    assert info.value.path == os.getcwd()
    write("pyproject.toml", "[build-system]\nrequires = ['setuptools']\n")
    with pytest.raises(puffin.SourceNeedsBuildError) as info:
        sources("pyproject.toml")
    assert "not declared in a [project] table" in str(info.value)


def test_dynamic_optional_dependencies_need_a_build_only_when_asked_for():
    """Without --extra a dynamic optional-dependencies does not matter."""
    write("pyproject.toml", "[project]\nname = 'x'\nversion = '1'\ndependencies = ['a']\n"
                            "dynamic = ['optional-dependencies']\n")
    assert reqs(sources("pyproject.toml").requirements) == ["a"]
    with pytest.raises(puffin.SourceNeedsBuildError):
        sources("pyproject.toml", extras=["x"])


@pytest.mark.parametrize("name", ["setup.py", "setup.cfg", "sub/setup.py"])
def test_setup_files_need_a_build(name):
    """setup.py and setup.cfg cannot be read without running a build."""
    write(name, "")
    with pytest.raises(puffin.SourceNeedsBuildError) as info:
        sources(name)
    assert str(info.value) == ("%s: reading the requirements of `%s` needs a build, which is "
                               "not supported yet" % (name, name))


# ---- malformed pyproject.toml ------------------------------------------------------

def test_bad_toml_names_the_file_and_line():
    """Invalid TOML: file:line and the offending line."""
    write("pyproject.toml", "[project]\nname = 'x'\ndependencies = [\"a\",\nversion 1\n")
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml")
    e = info.value
    assert str(e).startswith("pyproject.toml:4: invalid TOML: ")
    assert e.text == "version 1"


def test_a_bad_dependency_names_its_line():
    """A malformed requirement in [project] shows where it is."""
    write("pyproject.toml", '[project]\nname = "x"\nversion = "1"\ndependencies = [\n'
                            '  "ok",\n  "foo==1.0.x",\n]\n')
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml")
    assert str(info.value) == ("pyproject.toml:6: invalid requirement: `1.0.x` is not a valid "
                               "version (PEP 440)")
    assert info.value.text == "foo==1.0.x"


@pytest.mark.parametrize("body, message", [
    ('dependencies = "flask"', "pyproject.toml:4: `project.dependencies` must be a list of strings"),
    ("dependencies = [1]", "pyproject.toml:4: `project.dependencies` must be a list of strings"),
    ("optional-dependencies = 3", "pyproject.toml:4: `project.optional-dependencies` must be "
                                  "a table"),
    ("[project.optional-dependencies]\n'b@d' = []", "pyproject.toml:5: invalid extra name `b@d`"),
])
def test_malformed_project_tables_are_errors(body, message):
    """Wrong types in [project] are reported at their line."""
    write("pyproject.toml", "[project]\nname = 'x'\nversion = '1'\n" + body + "\n")
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml")
    assert str(info.value) == message


def test_a_self_reference_to_an_unknown_extra_is_an_error():
    """`x[nope]` inside x's extras must name one of x's extras."""
    write("pyproject.toml", "[project]\nname = 'x'\nversion = '1'\n"
                            "[project.optional-dependencies]\na = ['x[nope]']\n")
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml", extras=["a"])
    assert str(info.value) == "pyproject.toml:5: unknown extra `nope`; available: a"


# ---- dependency groups (PEP 735) ---------------------------------------------------

def test_groups_include_other_groups():
    """--group dev gives dev's requirements with typing's included."""
    write("pyproject.toml", PROJECT)
    s = sources("pyproject.toml", groups=["DEV"])
    assert reqs(s.requirements) == ["flask>=2", 'requests; python_version >= "3.8"', "ruff", "mypy"]
    assert s.requirements[2].source == "My_Project (pyproject.toml:dev)"


def test_groups_work_without_a_project_table():
    """A pyproject.toml with only [dependency-groups] is a valid group source."""
    write("pyproject.toml", "[dependency-groups]\ndocs = ['sphinx']\n")
    s = sources("pyproject.toml", groups=["docs"])
    assert reqs(s.requirements) == ["sphinx"]
    assert s.requirements[0].source == "pyproject.toml:docs"


def test_an_unknown_group_names_the_available_ones():
    """--group nope is an error listing the groups."""
    write("pyproject.toml", PROJECT)
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml", groups=["nope"])
    assert str(info.value) == "pyproject.toml: unknown dependency group `nope`; available: dev, typing"


@pytest.mark.parametrize("table, message", [
    ("a = [{include-group = 'b'}]\nb = [{include-group = 'a'}]",
     "pyproject.toml:3: dependency groups include each other in a cycle: a -> b -> a"),
    ("a = [{include-group = 'a'}]",
     "pyproject.toml:2: dependency groups include each other in a cycle: a -> a"),
    ("a = [{include-group = 'missing'}]",
     "pyproject.toml:2: dependency group `a` includes unknown group `missing`"),
    ("a = ['x']\nA = ['y']", "pyproject.toml:3: dependency group `A` is defined twice "
                             "(names are compared normalized)"),
    ("a = [{include-group = 'b', extra = 1}]\nb = []",
     "pyproject.toml:2: invalid item in dependency group `a`: tables may only have an "
     "`include-group` string"),
    ("a = [1]", "pyproject.toml:2: invalid item in dependency group `a`: 1"),
    ("a = 'x'", "pyproject.toml:2: dependency group `a` must be a list"),
])
def test_malformed_dependency_groups_are_errors(table, message):
    """PEP 735's rules: unique normalized names, known includes, no cycles."""
    write("pyproject.toml", "[dependency-groups]\n" + table + "\n")
    with pytest.raises(puffin.InputError) as info:
        sources("pyproject.toml", groups=["a"])
    assert str(info.value) == message


# ---- read_sources -----------------------------------------------------------------

def test_every_kind_of_source_merges_in_order(tmp_path):
    """Files, pyproject, stdin, constraints, overrides and arguments, in one Sources."""
    write("pyproject.toml", PROJECT)
    write("requirements.in", "-i https://a.example/simple\nattrs\n")
    write("constraints.txt", "flask<3\n")
    write("overrides.txt", "requests==2.0\n")
    s = sources("requirements.in", "pyproject.toml", "-", constraints=["constraints.txt"],
                overrides=["overrides.txt"], stdin="six\n", requirements=["click"])
    assert reqs(s.requirements) == ["attrs", "flask>=2", 'requests; python_version >= "3.8"',
                                    "six", "click"]
    assert [e.source for e in s.requirements] == [
        "-r requirements.in", "My_Project (pyproject.toml)", "My_Project (pyproject.toml)",
        "-r -", None]
    assert reqs(s.constraints) == ["flask<3"] and s.constraints[0].source == "-c constraints.txt"
    assert reqs(s.overrides) == ["requests==2.0"]
    assert s.index_url == "https://a.example/simple"


def test_stdin_may_carry_constraints():
    """`-c -` reads constraints from the given text."""
    s = sources(requirements=["flask"], constraints=["-"], stdin="flask<3\n")
    assert reqs(s.constraints) == ["flask<3"] and s.constraints[0].source == "-c -"


def test_paths_are_relative_to_the_given_cwd(tmp_path):
    """read_sources(cwd=) opens relative paths there and names them as given."""
    write("w/requirements.in", "flask\n")
    s = puffin.read_sources(["requirements.in"], cwd=str(tmp_path / "w"))
    os.chdir("/")
    assert reqs(s.requirements) == ["flask"]
    assert s.requirements[0].file == "requirements.in"


@pytest.mark.parametrize("kw, message", [
    (dict(extras=["x"]), "`--extra` needs a pyproject.toml among the sources"),
    (dict(all_extras=True), "`--all-extras` needs a pyproject.toml among the sources"),
    (dict(groups=["dev"]), "`--group` needs a pyproject.toml among the sources"),
])
def test_extras_and_groups_need_a_pyproject(kw, message):
    """Asking for extras of a requirements file is a usage error."""
    write("r.txt", "flask\n")
    with pytest.raises(puffin.UsageError) as info:
        sources("r.txt", **kw)
    assert str(info.value) == message


def test_stdin_must_be_given_for_dash():
    """`-` without text is a usage error, not a hang."""
    with pytest.raises(puffin.UsageError):
        sources("-")


PYLOCK = """\
    lock-version = "1.0"
    created-by = "test"
    requires-python = ">=3.9"

    [[packages]]
    name = "attrs"
    version = "23.1.0"
    index = "https://pypi.org/simple"
    wheels = [
      {url = "https://files.example/attrs-23.1.0-py3-none-any.whl", hashes = {sha256 = "%s"}},
      {path = "wheels/attrs-23.1.0-py2-none-any.whl", hashes = {sha256 = "%s", md5 = "x"}},
    ]
    sdist = {url = "https://files.example/attrs-23.1.0.tar.gz", hashes = {sha256 = "%s"}}

    [[packages]]
    name = "colorama"
    version = "0.4.6"
    marker = "sys_platform == 'win32'"
    index = "https://mirror.example/simple"
    wheels = [{url = "https://mirror.example/colorama-0.4.6-py3-none-any.whl", hashes = {sha256 = "%s"}}]

    [[packages]]
    name = "local"
    directory = {path = "src/local", editable = true}

    [[packages]]
    name = "remote"
    archive = {url = "https://files.example/remote-1.0.tar.gz", hashes = {sha256 = "%s"}}

    [[packages]]
    name = "gitpkg"
    vcs = {type = "git", url = "https://github.com/o/r", commit-id = "abc123", subdirectory = "sub"}
    """ % ("a" * 64, "b" * 64, "c" * 64, "d" * 64, "e" * 64)


def test_pylock_packages_become_exact_requirements(tmp_path):
    """A PEP 751 lock reads as pins with hashes, direct URLs and editables."""
    write("pylock.toml", PYLOCK)
    s = sources("pylock.toml")
    assert reqs(s.requirements) == [
        "attrs==23.1.0", 'colorama==0.4.6; sys_platform == "win32"',
        "local @ " + (tmp_path / "src" / "local").as_uri(),
        "remote @ https://files.example/remote-1.0.tar.gz",
        "gitpkg @ git+https://github.com/o/r@abc123#subdirectory=sub"]
    attrs, colorama, local, remote, gitpkg = s.requirements
    assert attrs.hashes == {"sha256": frozenset({"a" * 64, "b" * 64, "c" * 64})}
    assert remote.hashes == {"sha256": frozenset({"e" * 64})}
    assert [e.editable for e in s.requirements] == [False, False, True, False, False]
    assert (attrs.file, attrs.line, attrs.source) == ("pylock.toml", 6, "-r pylock.toml")
    assert s.extra_index_urls == ["https://mirror.example/simple"]
    assert s.find_links == [str(tmp_path / "wheels")]


@pytest.mark.parametrize("text, message", [
    ('lock-version = "2.0"\npackages = []\n',
     "pylock.toml:1: unsupported lock-version `2.0` (this reader knows 1.x)"),
    ('lock-version = "1.0"\npackages = 3\n', "pylock.toml:2: `packages` must be an array of tables"),
    ('lock-version = "1.0"\n[[packages]]\nname = "x"\n',
     "pylock.toml:3: package `x` needs a `version` (or vcs, directory, archive)"),
    ('lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = "1.0.x"\n',
     "pylock.toml:3: invalid requirement: `1.0.x` is not a valid version (PEP 440)"),
    ('lock-version = "1.0"\n[[packages]]\nname = "x"\nvcs = {type = "git", url = "u"}\n',
     "pylock.toml:3: package `x`: `vcs` needs a `commit-id`"),
    ('lock-version = "1.0"\n[[packages]\n', None),
])
def test_malformed_pylock_files_are_errors(text, message):
    """Bad locks are reported at their line."""
    write("pylock.dev.toml", "")
    write("pylock.toml", text)
    with pytest.raises(puffin.InputError) as info:
        sources("pylock.toml")
    if message is None:
        assert str(info.value).startswith("pylock.toml:2: invalid TOML: ")
        assert info.value.text == "[[packages]"
    else:
        assert str(info.value) == message


def test_named_pylock_files_are_locks():
    """`pylock.NAME.toml` is a lock too, not a pyproject."""
    assert puffin.source_kind("pylock.dev.toml") == "pylock"
    assert puffin.source_kind("sub/pylock.toml") == "pylock"
    assert puffin.source_kind("x/pyproject.toml") == "pyproject"
    assert puffin.source_kind("requirements.in") == "requirements"
    assert puffin.source_kind("setup.cfg") == "setup"


def test_a_missing_source_file_is_named():
    """Missing requirements and pyproject files both name the path."""
    with pytest.raises(puffin.InputError) as info:
        sources("missing.in")
    assert str(info.value) == "requirements file not found: `missing.in`"
    with pytest.raises(puffin.InputError) as info:
        sources("sub/pyproject.toml")
    assert str(info.value) == "file not found: `sub/pyproject.toml`"


def test_constraints_must_be_requirements_files():
    """A pyproject.toml is not a constraints file."""
    write("pyproject.toml", PROJECT)
    with pytest.raises(puffin.InputError) as info:
        sources(constraints=["pyproject.toml"])
    assert str(info.value) == "constraints must be given in a requirements file, not `pyproject.toml`"


def test_relative_paths_in_pyproject_are_against_its_folder(tmp_path):
    """`name @ file:./sub` in a nested pyproject points next to it."""
    write("proj/sub/pyproject.toml", "[project]\nname = 'sub'\nversion = '1'\n")
    write("proj/pyproject.toml", "[project]\nname = 'p'\nversion = '1'\n"
                                 "dependencies = ['sub @ file:./sub']\n")
    s = sources("proj/pyproject.toml")
    assert s.requirements[0].url == (tmp_path / "proj" / "sub").as_uri()
    assert s.requirements[0].verbatim == "file:./sub"
