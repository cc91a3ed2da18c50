"""Requirements files (section 6): everything pip accepts, and every malformed
input reported as ``<file>:<line>: <message>`` with the offending text."""

from __future__ import annotations

import os

import pytest

import puffin
from support import write_file as write

H0 = "0" * 64
H1 = "1" * 64


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own folder with no pip/puffin variables set."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PIP_", "PUFFIN_", "UV_", "REQS_")):
            monkeypatch.delenv(name)
    del puffin._WARNINGS[:]
    return tmp_path


def project(path):
    """A project directory pip would accept (it has a pyproject.toml)."""
    write(os.path.join(str(path), "pyproject.toml"), "[project]\nname = 'p'\nversion = '1'\n")
    return path


def parse(text, name="requirements.txt"):
    write(name, text)
    return puffin.parse_requirements_file(name)


def error(text, name="requirements.txt", **kw):
    write(name, text)
    with pytest.raises(puffin.InputError) as info:
        puffin.parse_requirements_file(name, **kw)
    return info.value


def strs(entries):
    return [str(e.requirement) for e in entries]


# ---- plain requirements, comments, continuations ------------------------------

def test_named_requirements_keep_specifiers_extras_and_markers():
    """PEP 508 lines become Requirements with the file, line and label for `# via`."""
    s = parse("flask>=2,<3\nrequests[socks]==2.31.0 ; python_version >= '3.8'\n")
    assert strs(s.requirements) == ["flask<3,>=2",
                                    'requests[socks]==2.31.0; python_version >= "3.8"']
    e = s.requirements[1]
    assert (e.file, e.line, e.source, e.name, e.editable) == (
        "requirements.txt", 2, "-r requirements.txt", "requests", False)
    assert e.text == "requests[socks]==2.31.0 ; python_version >= '3.8'"
    assert e.hashes == {} and e.verbatim is None and e.url is None


def test_comments_are_removed_only_at_line_start_or_after_whitespace():
    """`#` starts a comment after whitespace, but `#sha256=` inside a URL stays."""
    s = parse("# a comment\n\n   # indented comment\nflask  # why we need it\n"
              "https://example.org/pkgs/foo-1.0-py3-none-any.whl#sha256=" + H0 + "\n")
    assert strs(s.requirements) == [
        "flask", "foo @ https://example.org/pkgs/foo-1.0-py3-none-any.whl#sha256=" + H0]
    assert s.requirements[0].line == 4


def test_continuation_lines_join_and_keep_the_first_line_number():
    """A trailing backslash joins lines; the entry reports the first one."""
    s = parse("a\nb==1.0 \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\nc\n" % (H0, H1))
    assert strs(s.requirements) == ["a", "b==1.0", "c"]
    assert s.requirements[1].line == 2
    assert s.requirements[1].hashes == {"sha256": frozenset({H0, H1})}
    assert s.requirements[2].line == 5


def test_a_comment_line_ending_in_backslash_does_not_continue():
    """As in pip, a comment line never joins the next one."""
    s = parse("# comment \\\nflask\n")
    assert strs(s.requirements) == ["flask"]


def test_a_continuation_at_the_end_of_the_file_is_an_error():
    """pip would drop the backslash silently; we say where the lost line is."""
    e = error("flask\nrequests==2.0 \\\n")
    assert str(e) == "requirements.txt:2: line continuation (`\\`) at the end of the file"
    assert e.text == "requests==2.0"


def test_utf8_bom_and_coding_declarations_are_honoured():
    """A UTF-8 BOM is skipped and a latin-1 coding line decodes the file."""
    with open("a.txt", "wb") as f:
        f.write(b"\xef\xbb\xbfflask\n")
    with open("b.txt", "wb") as f:
        f.write(b"# -*- coding: latin-1 -*-\nflask ; platform_release == '\xe9'\n")
    assert strs(puffin.parse_requirements_file("a.txt").requirements) == ["flask"]
    assert "\u00e9" in str(puffin.parse_requirements_file("b.txt").requirements[0].marker)


def test_a_file_that_is_not_utf8_is_an_error_with_its_line():
    """Undecodable bytes name the file and line."""
    with open("r.txt", "wb") as f:
        f.write(b"flask\nr\xe9quests\n")
    with pytest.raises(puffin.InputError) as info:
        puffin.parse_requirements_file("r.txt")
    assert str(info.value) == "r.txt:2: not valid utf-8 (byte 0xe9)"


# ---- malformed requirements ---------------------------------------------------

@pytest.mark.parametrize("line, message", [
    ("foo==1.0.x", "invalid requirement: `1.0.x` is not a valid version (PEP 440)"),
    ("foo>=1,<abc", "invalid requirement: `abc` is not a valid version (PEP 440)"),
    ("foo[bar", "invalid requirement: Expected matching RIGHT_BRACKET for LEFT_BRACKET, "
                "after extras"),
    ("foo @", "invalid requirement: expected a URL or path after `@`"),
])
def test_malformed_requirements_name_the_file_and_line(line, message):
    """A bad requirement: `file:line: what is wrong`, the line shown as text."""
    e = error("ok\n" + line + "\n")
    assert str(e) == "requirements.txt:2: " + message
    assert (e.file, e.line, e.text) == ("requirements.txt", 2, line)
    assert e.exit_code == 2


def test_a_single_equals_sign_gets_pips_hint():
    """`foo=1.0` is invalid, with pip's 'Did you mean ==' hint."""
    e = error("foo=1.0\n")
    assert str(e).startswith("requirements.txt:1: invalid requirement: ")
    assert e.hint == "= is not a valid operator. Did you mean == ?"


def test_a_malformed_marker_is_an_error():
    """Markers are checked while the file is read."""
    e = error("foo>=1 ; python_version >> '3'\n")
    assert str(e).startswith("requirements.txt:1: invalid requirement: ")
    assert e.text == "foo>=1 ; python_version >> '3'"


# ---- hashes -------------------------------------------------------------------

def test_several_hashes_per_line_are_grouped_by_algorithm():
    """`--hash=alg:hex` and `--hash alg:hex` both work; digests are lower-cased."""
    sha384 = "ab" * 48
    s = parse("foo==1.0 --hash=sha256:%s --hash sha256:%s --hash=SHA384:%s\n"
              % (H0, "A" * 64, sha384.upper()))
    assert s.requirements[0].hashes == {"sha256": frozenset({H0, "a" * 64}),
                                        "sha384": frozenset({sha384})}


@pytest.mark.parametrize("option, message", [
    ("--hash=sha256", "`--hash` takes a hash name and a value, like "
                      "--hash=sha256:abcde..., not `sha256`"),
    ("--hash=md5:" + "0" * 32, "unsupported hash algorithm `md5` in --hash; allowed: sha256, "
                               "sha384, sha512"),
    ("--hash=sha256:abc", "invalid sha256 digest `abc`: expected 64 hexadecimal characters"),
    ("--hash=sha256:" + "g" * 64, "invalid sha256 digest `%s`: expected 64 hexadecimal "
                                  "characters" % ("g" * 64)),
    ("--hash", "option `--hash` requires a value"),
])
def test_malformed_hashes_are_errors(option, message):
    """Each bad `--hash` form is reported on its line."""
    e = error("foo==1.0 " + option + "\n")
    assert str(e) == "requirements.txt:1: " + message
    assert e.text == "foo==1.0 " + option


def test_a_hash_on_a_line_of_its_own_is_an_error_with_a_hint():
    """The usual cause is a missing backslash on the line before."""
    e = error("foo==1.0\n    --hash=sha256:%s\n" % H0)
    assert str(e) == "requirements.txt:2: option `--hash` must follow a requirement on the same line"
    assert e.hint == "is a `\\` missing at the end of the line before?"


def test_config_settings_and_global_options_are_kept_per_requirement():
    """Per-requirement options other than --hash are kept for the build."""
    s = parse("foo --config-settings=a=b -C c=d --global-option=--x\n")
    assert s.requirements[0].options == (("--config-settings", "a=b"), ("-C", "c=d"),
                                         ("--global-option", "--x"))
    e = error("foo --config-settings nokey\n")
    assert str(e) == "requirements.txt:1: `--config-settings` takes KEY=VALUE, not `nokey`"


# ---- option lines -------------------------------------------------------------

def test_index_options_are_collected_as_pip_reads_them(tmp_path):
    """-i, --extra-index-url, -f (relative to the file), --no-index, --pre and friends."""
    s = parse("-i https://a.example/simple\n--extra-index-url=https://b.example/simple\n"
              "--extra-index-url https://b.example/simple\n-f ./wheels\n"
              "--find-links=https://c.example/links\n--no-index\n--pre\n--prefer-binary\n"
              "--require-hashes\n--trusted-host a.example:8080\n", name="sub/reqs.txt")
    assert s.index_url == "https://a.example/simple"
    assert s.extra_index_urls == ["https://b.example/simple"]
    assert s.find_links == [str(tmp_path / "sub" / "wheels"), "https://c.example/links"]
    assert (s.no_index, s.pre, s.prefer_binary, s.require_hashes) == (True, True, True, True)
    assert s.trusted_hosts == ["a.example:8080"]
    assert s.requirements == [] and s.files == ["sub/reqs.txt"]


def test_option_spellings_follow_optparse():
    """Short options with attached values, `--pypi-url`, and unique prefixes work."""
    s = parse("-ihttps://a.example/simple\n--extra-index https://b.example/simple\n")
    assert s.index_url == "https://a.example/simple"
    assert s.extra_index_urls == ["https://b.example/simple"]
    assert parse("--pypi-url https://c.example/simple\n").index_url == "https://c.example/simple"
    assert parse("--index-url=https://d.example/simple\n").index_url == "https://d.example/simple"


def test_the_last_index_url_wins():
    """A later -i replaces an earlier one, as in pip."""
    assert parse("-i https://a.example/\n-i https://b.example/\n").index_url == "https://b.example/"


@pytest.mark.parametrize("line, message", [
    ("--frobnicate", "unknown option `--frobnicate`"),
    ("-x foo", "unknown option `-x`"),
    ("--no", "ambiguous option `--no` (--no-binary, --no-index?)"),
    ("--pre=yes", "option `--pre` does not take a value"),
    ("-i", "option `-i` requires a value"),
    ("--pre flask", "unexpected argument `flask` after the options"),
    ("flask --index-url https://a.example/", "option `--index-url` cannot follow a requirement; "
                                             "put it on a line of its own"),
    ("--index-url 'https://a.example/", "could not split the options: No closing quotation"),
])
def test_malformed_option_lines_are_errors(line, message):
    """Unknown, ambiguous, misplaced or incomplete options name their line."""
    e = error("flask\n" + line + "\n")
    assert str(e) == "requirements.txt:2: " + message
    assert e.text == line


def test_an_unknown_option_hint_lists_the_accepted_ones():
    """The hint says what a requirements file may contain."""
    e = error("--upgrade\n")
    assert e.hint.startswith("requirements files accept: --requirement, --constraint, --editable")


def test_use_feature_is_accepted_and_ignored_with_a_warning():
    """pip's --use-feature lines do not stop us."""
    s = parse("--use-feature=fast-deps\nflask\n")
    assert strs(s.requirements) == ["flask"]
    assert puffin._WARNINGS == ["requirements.txt:1: `--use-feature=fast-deps` is ignored"]


def test_binary_options_exclude_each_other_like_pips():
    """--no-binary/--only-binary: names move between sets, :all: and :none: reset."""
    s = parse("--no-binary Foo_Bar,baz\n--only-binary baz\n")
    assert (s.no_binary, s.only_binary) == ({"foo-bar"}, {"baz"})
    s = parse("--only-binary :all:\n--no-binary foo\n")
    assert (s.no_binary, s.only_binary) == ({"foo"}, {":all:"})
    s = parse("--no-binary foo\n--only-binary :all:\n")
    assert (s.no_binary, s.only_binary) == (set(), {":all:"})
    s = parse("--only-binary :all:\n--only-binary :none:\n")
    assert s.only_binary == set()
    e = error("--no-binary foo,@bar\n")
    assert str(e) == "requirements.txt:1: invalid project name `@bar` in --no-binary"


# ---- environment variables ----------------------------------------------------

def test_env_vars_are_expanded_but_verbatim_urls_keep_them(monkeypatch, tmp_path):
    """${VAR} is expanded for use; the verbatim URL keeps the reference (no secrets)."""
    monkeypatch.setenv("REQS_TOKEN", "s3cret")
    monkeypatch.setenv("REQS_VERSION", "2.0")
    s = parse("-i https://u:${REQS_TOKEN}@a.example/simple\nflask==${REQS_VERSION}\n"
              "foo @ https://${REQS_TOKEN}@a.example/foo-1.0.tar.gz\n")
    assert s.index_url == "https://u:s3cret@a.example/simple"
    assert strs(s.requirements)[0] == "flask==2.0"
    foo = s.requirements[1]
    assert foo.url == "https://s3cret@a.example/foo-1.0.tar.gz"
    assert foo.verbatim == "https://${REQS_TOKEN}@a.example/foo-1.0.tar.gz"
    assert "s3cret" not in foo.text


def test_an_unset_env_var_is_left_as_written_with_a_warning():
    """As pip does, `${UNSET}` stays; we also warn."""
    s = parse("-i https://${REQS_UNSET}@a.example/simple\n")
    assert s.index_url == "https://${REQS_UNSET}@a.example/simple"
    assert puffin._WARNINGS == ["requirements.txt:1: environment variable `REQS_UNSET` is "
                                "not set; `${REQS_UNSET}` is left as written"]


@pytest.mark.parametrize("line, message", [
    ("-i https://${token}@a.example/", "invalid environment variable reference `${token}`: "
                                       "names may only contain A-Z, 0-9 and _"),
    ("-i https://${TOKEN@a.example/", "unterminated environment variable reference "
                                      "`${TOKEN@a.example/`"),
    ("flask==${}", "invalid environment variable reference `${}`: names may only contain "
                   "A-Z, 0-9 and _"),
])
def test_bad_env_var_syntax_is_an_error(line, message):
    """Only ${NAME} is a variable; anything else that looks like one is a mistake."""
    e = error(line + "\n")
    assert str(e) == "requirements.txt:1: " + message
    assert e.text == line


def test_dollar_signs_that_are_not_references_stay():
    """`$` alone is not a variable reference."""
    s = parse("-i https://a.example/$simple\n")
    assert s.index_url == "https://a.example/$simple"


# ---- nested files -------------------------------------------------------------

def test_nested_files_are_relative_to_the_including_file():
    """-r and -c paths are joined to the including file's folder; labels show them."""
    write("reqs/base.txt", "-r common/more.txt\n-c ../pins.txt\nflask\n")
    write("reqs/common/more.txt", "requests\n")
    write("pins.txt", "flask==2.0\n-r pins-extra.txt\n")
    write("pins-extra.txt", "requests==2.31\n")
    s = puffin.parse_requirements_file("reqs/base.txt")
    assert strs(s.requirements) == ["requests", "flask"]
    assert [e.source for e in s.requirements] == ["-r reqs/common/more.txt", "-r reqs/base.txt"]
    # Everything a constraints file pulls in constrains (uv's rule).
    assert strs(s.constraints) == ["flask==2.0", "requests==2.31"]
    assert [e.source for e in s.constraints] == ["-c pins.txt", "-c pins-extra.txt"]
    assert s.files == ["reqs/base.txt", "reqs/common/more.txt", "pins.txt", "pins-extra.txt"]


def test_a_file_included_twice_without_a_cycle_is_fine():
    """Diamond includes are not cycles."""
    write("a.txt", "-r b.txt\n-r c.txt\n")
    write("b.txt", "-r d.txt\n")
    write("c.txt", "-r d.txt\n")
    write("d.txt", "flask\n")
    assert strs(puffin.parse_requirements_file("a.txt").requirements) == ["flask", "flask"]


def test_a_cycle_of_includes_is_an_error():
    """a -> b -> a is reported at the line that closes the cycle."""
    write("a.txt", "flask\n-r b.txt\n")
    write("b.txt", "\n-r a.txt\n")
    with pytest.raises(puffin.InputError) as info:
        puffin.parse_requirements_file("a.txt")
    assert str(info.value) == ("b.txt:2: requirements files include each other in a cycle: "
                               "a.txt -> b.txt -> a.txt")
    assert info.value.text == "-r a.txt"


def test_a_file_including_itself_is_a_cycle():
    """Even through a different spelling of its path."""
    e = error("-r ./sub/../requirements.txt\n")
    assert str(e) == ("requirements.txt:1: requirements files include each other in a cycle: "
                      "requirements.txt -> requirements.txt")


def test_a_missing_file_is_named():
    """The top-level file, and a nested one with the line that included it."""
    with pytest.raises(puffin.InputError) as info:
        puffin.parse_requirements_file("nope.txt")
    assert str(info.value) == "requirements file not found: `nope.txt`"
    e = error("flask\n-r sub/missing.txt\n", name="top.txt")
    assert str(e) == "top.txt:2: requirements file not found: `sub/missing.txt`"
    assert e.text == "-r sub/missing.txt"


def test_a_directory_is_not_a_requirements_file():
    """Naming a folder says so."""
    os.mkdir("d")
    e = error("-r d\n")
    assert str(e) == "requirements.txt:1: `d` is a directory, not a requirements file"


def test_requirements_files_from_urls_are_reported_as_unsupported():
    """http(s) includes are a clear error for now; file: URLs work."""
    e = error("-r https://example.org/reqs.txt\n")
    assert str(e) == ("requirements.txt:1: requirements files from URLs are not supported "
                      "yet: https://example.org/reqs.txt")
    path = write("other.txt", "flask\n")
    s = parse("-r file://%s\n" % os.path.abspath(path))
    assert strs(s.requirements) == ["flask"]


def test_editables_and_unnamed_requirements_are_not_constraints(tmp_path):
    """pip refuses them in constraints files, with file:line."""
    project(tmp_path / "pkg")
    write("c.txt", "-e ./pkg\n")
    e = error("-c c.txt\n")
    assert str(e) == "c.txt:1: editable requirements are not allowed as constraints"
    write("c.txt", "./pkg\n")
    e = error("-c c.txt\n")
    assert str(e) == "c.txt:1: unnamed requirements are not allowed as constraints"
    assert e.hint == "name it: `name @ ./pkg`"


# ---- URLs and paths -----------------------------------------------------------

def test_name_at_url_keeps_the_url_and_marker():
    """`name @ url ; marker` is a direct requirement."""
    s = parse("bar[x] @ https://a.example/bar-1.0.tar.gz#sha256=%s ; sys_platform == 'linux'\n"
              % H0)
    e = s.requirements[0]
    assert e.name == "bar" and e.extras == {"x"}
    assert e.url == "https://a.example/bar-1.0.tar.gz#sha256=" + H0
    assert str(e.marker) == 'sys_platform == "linux"'
    assert e.verbatim == "https://a.example/bar-1.0.tar.gz#sha256=" + H0


def test_name_at_a_relative_path_is_resolved_against_the_file(tmp_path):
    """`name @ ./pkg` (as uv allows) becomes a file: URL; verbatim keeps the path."""
    project(tmp_path / "sub" / "pkg")
    s = parse("pkg @ ./pkg\n", name="sub/reqs.txt")
    e = s.requirements[0]
    assert e.url == (tmp_path / "sub" / "pkg").as_uri()
    assert e.verbatim == "./pkg"
    e = error("pkg @ ./missing\n")
    assert str(e) == "requirements.txt:1: path does not exist: `./missing`"


def test_bare_wheel_paths_are_named_by_their_filename(tmp_path):
    """A wheel file names itself; extras and markers are kept."""
    write("dist/Foo_Bar-1.0-py3-none-any.whl")
    s = parse("./dist/Foo_Bar-1.0-py3-none-any.whl[x] ; python_version >= '3'\n")
    e = s.requirements[0]
    assert e.name == "foo-bar" and e.extras == {"x"}
    assert e.url == (tmp_path / "dist" / "Foo_Bar-1.0-py3-none-any.whl").as_uri()
    assert e.verbatim == "./dist/Foo_Bar-1.0-py3-none-any.whl"
    assert str(e.marker) == 'python_version >= "3"'


def test_a_wheel_file_name_without_a_folder_is_a_path():
    """pip treats `foo-1.0-py3-none-any.whl` as a file, not a name."""
    write("foo-1.0-py3-none-any.whl")
    assert parse("foo-1.0-py3-none-any.whl\n").requirements[0].name == "foo"


def test_an_invalid_wheel_filename_is_an_error():
    """A .whl whose name does not parse is reported."""
    write("bad.whl")
    e = error("./bad.whl\n")
    assert str(e).startswith("requirements.txt:1: invalid wheel filename `bad.whl`")


def test_sdists_and_directories_stay_unnamed(tmp_path):
    """Their names are only known after a build: UnnamedRequirement."""
    write("foo-1.0.tar.gz")
    project(tmp_path / "proj")
    s = parse("./foo-1.0.tar.gz\nproj[a,b] ; os_name == 'posix'\n./proj\n")
    first, second, third = s.requirements[0], s.requirements[1], s.requirements[2]
    assert isinstance(first.requirement, puffin.UnnamedRequirement)
    assert first.name is None and first.url == (tmp_path / "foo-1.0.tar.gz").as_uri()
    # `proj[a,b]` has no slash: it is a name, not the folder.
    assert second.name == "proj" and second.url is None
    assert third.requirement == puffin.UnnamedRequirement((tmp_path / "proj").as_uri())


def test_directory_requirements_take_extras_and_markers(tmp_path):
    """`./pkg[extra] ; marker` as pip accepts it."""
    project(tmp_path / "pkg")
    e = parse("./pkg[extra] ; python_version < '4'\n").requirements[0]
    assert e.extras == {"extra"} and str(e.marker) == 'python_version < "4"'
    assert e.verbatim == "./pkg"


@pytest.mark.parametrize("line, message, hint", [
    ("./missing", "path does not exist: `./missing`", None),
    ("./missing-1.0.tar.gz", "path does not exist: `./missing-1.0.tar.gz`", None),
    ("./empty", "directory `./empty` is not installable: it has neither pyproject.toml "
                "nor setup.py", None),
    ("./other.txt", "`./other.txt` is not a wheel, a source archive or a project directory",
     "to include a requirements file, write `-r ./other.txt`"),
])
def test_bad_paths_are_errors(line, message, hint):
    """Paths that do not exist or cannot be installed are reported."""
    os.mkdir("empty")
    write("other.txt", "flask\n")
    e = error(line + "\n")
    assert str(e) == "requirements.txt:1: " + message
    assert e.hint == hint and e.text == line


def test_bare_urls_are_named_by_wheel_filename_or_egg():
    """Wheel URLs and #egg= name themselves; other URLs stay unnamed."""
    s = parse("https://a.example/foo-1.0-py3-none-any.whl\n"
              "https://a.example/bar-1.0.tar.gz#egg=bar\n"
              "https://a.example/baz-1.0.tar.gz ; python_version >= '3'\n"
              "git+https://github.com/o/r@v1#egg=Ree&subdirectory=sub\n"
              "git+https://github.com/o/r@v1\n")
    assert [e.name for e in s.requirements] == ["foo", "bar", None, "ree", None]
    assert s.requirements[2].requirement == puffin.UnnamedRequirement(
        "https://a.example/baz-1.0.tar.gz", (), puffin.Marker("python_version >= '3'"))
    assert s.requirements[3].url == "git+https://github.com/o/r@v1#egg=Ree&subdirectory=sub"


def test_a_semicolon_inside_a_url_is_not_a_marker():
    """After a URL the marker separator needs whitespace, as in pip."""
    e = parse("https://a.example/x;y/foo-1.0.tar.gz\n").requirements[0]
    assert e.url == "https://a.example/x;y/foo-1.0.tar.gz" and e.marker is None


def test_an_invalid_egg_fragment_is_an_error():
    """#egg= must be a project name."""
    e = error("git+https://github.com/o/r#egg=b@d\n")
    assert str(e) == "requirements.txt:1: invalid `#egg=` fragment: `b@d` is not a project name"


def test_file_urls_are_made_absolute(tmp_path):
    """`file:` URLs, relative ones included (pip accepts them), point at real files."""
    write("sub/foo-1.0-py3-none-any.whl")
    s = parse("file:./sub/foo-1.0-py3-none-any.whl\n")
    assert s.requirements[0].url == (tmp_path / "sub" / "foo-1.0-py3-none-any.whl").as_uri()
    e = error("file:///nonexistent/foo-1.0.tar.gz\n")
    assert str(e) == "requirements.txt:1: path does not exist: `file:///nonexistent/foo-1.0.tar.gz`"


# ---- editables ----------------------------------------------------------------

def test_editable_directories(tmp_path):
    """-e with a path (extras allowed), a file: URL, or `name @ path`."""
    project(tmp_path / "a")
    project(tmp_path / "b")
    s = parse("-e ./a[dev]\n--editable=file:./b\n-e 'b @ ./b'\nflask\n")
    assert [e.editable for e in s.requirements] == [True, True, True, False]
    assert s.editables == s.requirements[:3]
    a, b, named = s.editables
    assert a.requirement == puffin.UnnamedRequirement((tmp_path / "a").as_uri(), ["dev"])
    assert a.verbatim == "./a" and a.source == "-r requirements.txt"
    assert b.url == (tmp_path / "b").as_uri()
    assert named.name == "b" and named.url == (tmp_path / "b").as_uri()


def test_editables_take_markers_and_names_unquoted(tmp_path):
    """`-e ./pkg ; marker` and `-e name @ ./pkg` are read raw, as uv does."""
    project(tmp_path / "pkg")
    s = parse("-e ./pkg[x] ; python_version >= '3'\n-e pkg @ ./pkg\n-e./pkg\n")
    first, named, attached = s.editables
    assert first.extras == {"x"} and str(first.marker) == 'python_version >= "3"'
    assert named.name == "pkg" and named.verbatim == "./pkg"
    assert attached.url == (tmp_path / "pkg").as_uri()


def test_entries_are_values():
    """Entries compare and hash by their fields (they go into sets and dicts)."""
    write("pkg-1.0.tar.gz")
    a = parse("foo==1 --hash=sha256:%s\n./pkg-1.0.tar.gz\n" % H0).requirements
    b = parse("foo==1 --hash=sha256:%s\n./pkg-1.0.tar.gz\n" % H0).requirements
    assert a == b and len({a[0], a[1], b[0], b[1]}) == 2


def test_editable_vcs_urls_need_an_egg_name():
    """As in pip: -e git+URL#egg=name."""
    s = parse("-e git+https://github.com/o/r@main#egg=ree\n")
    assert s.editables[0].name == "ree"
    e = error("-e git+https://github.com/o/r@main\n")
    assert str(e) == "requirements.txt:1: cannot tell the project name of `git+https://github.com/o/r@main`"
    assert e.hint == "add `#egg=name` to the URL"


@pytest.mark.parametrize("line, message", [
    ("-e https://a.example/foo-1.0.tar.gz", "`https://a.example/foo-1.0.tar.gz` is not a valid "
     "editable requirement: it should be a path to a local project or a VCS URL "
     "(git+, hg+, svn+, bzr+)"),
    ("-e ./missing", "`./missing` is not a valid editable requirement: no such directory"),
    ("-e ./file.txt", "`./file.txt` is not a valid editable requirement: it is not a directory"),
    ("-e ./pkg --hash=sha256:" + H0, "`-e` must be alone on its line, without `--hash`"),
    ("-e", "option `-e` requires a value"),
])
def test_bad_editables_are_errors(tmp_path, line, message):
    """Editables must be local projects or VCS URLs."""
    project(tmp_path / "pkg")
    write("file.txt")
    e = error(line + "\n")
    assert str(e) == "requirements.txt:1: " + message
    assert e.text == line


# ---- other entry points -------------------------------------------------------

def test_text_from_stdin_resolves_paths_against_the_given_folder(tmp_path):
    """parse_requirements_text names the source `-` and uses base_dir for paths."""
    project(tmp_path / "x" / "pkg")
    write("x/more.txt", "requests\n")
    s = puffin.parse_requirements_text("-r more.txt\n./pkg\nflask\n", base_dir=str(tmp_path / "x"))
    assert [e.source for e in s.requirements] == ["-r more.txt", "-r -", "-r -"]
    assert s.requirements[1].url == (tmp_path / "x" / "pkg").as_uri()
    with pytest.raises(puffin.InputError) as info:
        puffin.parse_requirements_text("flask\nfoo==\n")
    assert str(info.value).startswith("-:2: invalid requirement: ")
    assert info.value.text == "foo=="


def test_command_line_requirements(tmp_path):
    """pip-install arguments: names, paths relative to cwd, URLs and editables."""
    project(tmp_path / "pkg")
    entries = puffin.parse_requirement_args(["flask>=2", "./pkg", "pkg @ ./pkg"],
                                            editables=["./pkg"])
    assert [e.name for e in entries] == ["flask", None, "pkg", None]
    assert [e.editable for e in entries] == [False, False, False, True]
    assert entries[0].file is None and entries[0].source is None
    with pytest.raises(puffin.InputError) as info:
        puffin.parse_requirement_args(["flask=2"])
    assert str(info.value).startswith("invalid requirement: ")
    assert info.value.text == "flask=2" and info.value.file is None


def test_sources_of_several_kinds_merge_into_one():
    """parse_requirements_file can add to an existing Sources."""
    write("a.txt", "flask\n-i https://a.example/\n")
    write("b.txt", "requests\n--extra-index-url https://b.example/\n")
    s = puffin.parse_requirements_file("a.txt")
    puffin.parse_requirements_file("b.txt", sources=s)
    puffin.parse_requirements_file("b.txt", sources=s, kind="override")
    assert strs(s.requirements) == ["flask", "requests"]
    assert strs(s.overrides) == ["requests"] and s.overrides[0].source == "--override b.txt"
    assert (s.index_url, s.extra_index_urls) == ("https://a.example/", ["https://b.example/"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_parsing_matches_pip_on_a_realistic_lock(tmp_path):
    """A pip-compile style lock parses to the same names and hashes pip reads."""
    text = ("#\n# This file is autogenerated\n#\n--index-url https://pypi.org/simple\n\n"
            "certifi==2023.7.22 \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\n"
            "    # via requests\nidna==3.4 \\\n    --hash=sha256:%s\n    # via requests\n"
            % (H0, H1, "2" * 64))
    s = parse(text)
    assert [(e.name, str(e.requirement.specifier), e.line) for e in s.requirements] == [
        ("certifi", "==2023.7.22", 6), ("idna", "==3.4", 10)]
    pip_req_file = pytest.importorskip("pip._internal.req.req_file")
    from pip._internal.network.session import PipSession
    parsed = list(pip_req_file.parse_requirements("requirements.txt", session=PipSession()))
    assert [p.requirement.strip() for p in parsed] == [str(e.requirement) for e in s.requirements]
    assert [sorted(p.options["hashes"]["sha256"]) for p in parsed] == [
        sorted(e.hashes["sha256"]) for e in s.requirements]
