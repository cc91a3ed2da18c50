"""TOML: puffin.toml_loads and its fallback reader (used where tomllib is missing).

The fallback is compared with tomllib on a corpus of documents when tomllib is
importable (3.11+); on 3.9/3.10 the same corpus is checked against expected values.
"""

from __future__ import annotations

import datetime
import math

import pytest

import puffin

try:
    import tomllib
except ImportError:  # Python < 3.11: tomli 2.0.1, the TOML 1.0 reader that became tomllib (the test venvs have it)
    import tomli as tomllib

fallback = puffin._toml_fallback_loads

PYPROJECT_SETUPTOOLS = '''\
[build-system]
requires = ["setuptools>=61.0", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "spam-eggs"
version = "2020.0.0"
dependencies = [
  "httpx",
  "gidgethub[httpx]>4.0.0",
  "django>2.1; os_name != 'nt'",
  "django>2.0; os_name == 'nt'",
]
requires-python = ">=3.8"
authors = [
  {name = "Pradyun Gedam", email = "pradyun@example.com"},
  {name = "Tzu-Ping Chung", email = "tzu-ping@example.com"},
  {name = "Another person"},
  {email = "different.person@example.com"},
]
maintainers = [
  {name = "Brett Cannon", email = "brett@example.com"}
]
description = "Lovely Spam! Wonderful Spam!"
readme = "README.rst"
license = {file = "LICENSE.txt"}
keywords = ["egg", "bacon", "sausage", "tomatoes", "Lobster Thermidor"]
classifiers = [
  "Development Status :: 4 - Beta",
  "Programming Language :: Python"
]

[project.optional-dependencies]
gui = ["PyQt5"]
cli = [
  "rich",
  "click",
]

[project.urls]
Homepage = "https://example.com"
"Bug Tracker" = "https://github.com/me/spam/issues"

[project.scripts]
spam-cli = "spam:main_cli"

[project.gui-scripts]
spam-gui = "spam:main_gui"

[project.entry-points."spam.magical"]
tomatoes = "spam:main_tomatoes"

[tool.setuptools.packages.find]
where = ["src"]  # list of folders that contain the packages (["."] by default)
include = ["spam*"]
exclude = []
namespaces = false
'''

PYPROJECT_HATCH_GROUPS = '''\
# A project with PEP 735 dependency groups and tool tables.
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo"
dynamic = ["version"]
dependencies = ['requests >= 2.31', 'tomli; python_version < "3.11"']

[dependency-groups]
test = ["pytest>=8", "coverage[toml]"]
docs = ["sphinx"]
all = [{include-group = "test"}, {include-group = "docs"}, "ruff==0.4.*"]

[tool.hatch.version]
path = "src/demo/__init__.py"

[tool.ruff]
line-length = 100
target-version = "py39"
lint.select = ["E", "F", "I"]
lint.ignore = []

[tool.ruff.lint.per-file-ignores]
"tests/*" = ["S101"]

[tool.pytest.ini_options]
addopts = "-ra -q"
testpaths = [
    "tests",
    "integration",  # trailing comma and comment
]
markers = ["live: needs the network"]

[tool.coverage.run]
branch = true
omit = ['*/_vendor/*']
fail_under = 92.5
'''

PYLOCK = '''\
lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
created-by = "puffin.py"

[[packages]]
name = "attrs"
version = "23.2.0"
index = "https://pypi.org/simple"
requires-python = ">=3.7"

[[packages.wheels]]
name = "attrs-23.2.0-py3-none-any.whl"
upload-time = 2023-12-31T15:35:12.000000Z
url = "https://files.pythonhosted.org/packages/e0/44/attrs-23.2.0-py3-none-any.whl"
size = 60752
hashes = {sha256 = "99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1"}

[packages.sdist]
name = "attrs-23.2.0.tar.gz"
url = "https://files.pythonhosted.org/packages/e3/fc/attrs-23.2.0.tar.gz"
size = 780820
hashes = { sha256 = "935dc3b529c262f6cf76e50877d35a4bd3c1de194fd41f47a2b7ae8f19971f30" }

[[packages]]
name = "puffin-demo"
directory = { path = ".", editable = true }

[tool.puffin]
note = """
Multi-line basic string with "quotes" and \\t escapes,\
 a line-ending backslash, and unicode \\u00e9 \\U0001F600."""
'''

SPEC_SAMPLES = [
    # strings
    r'''str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."''',
    'str1 = """\nRoses are red\nViolets are blue"""',
    'str2 = """\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog."""',
    'str3 = """\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n       """',
    'str4 = """Here are two quotation marks: "". Simple enough."""',
    'str5 = """Here are three quotation marks: ""\\"."""',
    'str7 = """"This," she said, "is just a pointless statement.""""',
    "winpath  = 'C:\\Users\\nodejs\\templates'\nquoted   = 'Tom \"Dubs\" Preston-Werner'\nregex    = '<\\i\\c*\\s*>'",
    "regex2 = '''I [dw]on't need \\d{2} apples'''\nlines  = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''",
    "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\napos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\nstr = ''''That,' she said, 'is still pointless.''''",
    # keys
    'key = "value"\nbare_key = "value"\nbare-key = "value"\n1234 = "value"',
    '"127.0.0.1" = "value"\n"character encoding" = "value"\n"ʎǝʞ" = "value"\n\'key2\' = "value"\n\'quoted "value"\' = "value"',
    '"" = "blank"',
    'name = "Orange"\nphysical.color = "orange"\nphysical.shape = "round"\nsite."google.com" = true',
    'fruit.name = "banana"     # this is best practice\nfruit. color = "yellow"    # same as fruit.color\nfruit . flavor = "banana"   # same as fruit.flavor',
    'apple.type = "fruit"\norange.type = "fruit"\napple.skin = "thin"\norange.skin = "thick"\napple.color = "red"\norange.color = "orange"',
    '3.14159 = "pi"',
    # numbers and booleans
    'int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5',
    'hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110',
    'flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228',
    'sf1 = inf\nsf2 = +inf\nsf3 = -inf',
    'bool1 = true\nbool2 = false',
    # arrays
    'integers = [ 1, 2, 3 ]\ncolors = [ "red", "yellow", "green" ]\nnested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\nnested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]\nstring_array = [ "all", \'strings\', """are the same""", \'\'\'type\'\'\' ]',
    'numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\ncontributors = [\n  "Foo Bar <foo@example.com>",\n  { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }\n]',
    'integers2 = [\n  1, 2, 3\n]\n\nintegers3 = [\n  1,\n  2, # this is ok\n]',
    'empty = []\nempty2 = [ ]\nnested = [[], [[]]]',
    # tables
    '[table-1]\nkey1 = "some string"\nkey2 = 123\n\n[table-2]\nkey1 = "another string"\nkey2 = 456',
    '[dog."tater.man"]\ntype.name = "pug"',
    '[a.b.c]            # this is best practice\n[ d.e.f ]          # same as [d.e.f]\n[ g .  h  . i ]    # same as [g.h.i]\n[ j . "ʞ" . \'l\' ]  # same as [j."ʞ".\'l\']',
    '# [x] you\n# [x.y] don\'t\n# [x.y.z] need these\n[x.y.z.w] # for this to work\n\n[x] # defining a super-table afterward is ok',
    '[fruit]\napple.color = "red"\napple.taste.sweet = true\n\n[fruit.apple.texture]  # you can add sub-tables\nsmooth = true',
    'name = { first = "Tom", last = "Preston-Werner" }\npoint = { x = 1, y = 2 }\nanimal = { type.name = "pug" }\nempty = {}',
    '[[products]]\nname = "Hammer"\nsku = 738594937\n\n[[products]]  # empty table within the array\n\n[[products]]\nname = "Nail"\nsku = 284758393\n\ncolor = "gray"',
    '[[fruits]]\nname = "apple"\n\n[fruits.physical]  # subtable\ncolor = "red"\nshape = "round"\n\n[[fruits.varieties]]  # nested array of tables\nname = "red delicious"\n\n[[fruits.varieties]]\nname = "granny smith"\n\n\n[[fruits]]\nname = "banana"\n\n[[fruits.varieties]]\nname = "plantain"',
    'points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n           { x = 2, y = 4, z = 8 } ]',
    # whitespace, comments, line endings
    '# only a comment',
    '',
    '\n\n   \n\t\n',
    'a = 1\r\nb = "two"\r\n[c]\r\nd = [\r\n  1,\r\n]\r\n',
    'key = "value" # trailing comment with "quotes" and = signs',
    'tab\t=\t"x"\t# tabs',
    'a.b = 1\n[a.c]\nd = 2',
    'ml = """\\\r\n  text"""',
]

DATETIME_SAMPLES = [
    ("odt1 = 1979-05-27T07:32:00Z", "1979-05-27T07:32:00Z"),
    ("odt2 = 1979-05-27T00:32:00-07:00", "1979-05-27T00:32:00-07:00"),
    ("odt3 = 1979-05-27T00:32:00.999999-07:00", "1979-05-27T00:32:00.999999-07:00"),
    ("odt4 = 1979-05-27 07:32:00Z", "1979-05-27 07:32:00Z"),
    ("ldt1 = 1979-05-27T07:32:00", "1979-05-27T07:32:00"),
    ("ld1 = 1979-05-27", "1979-05-27"),
    ("lt1 = 07:32:00", "07:32:00"),
    ("lt2 = 00:32:00.999999", "00:32:00.999999"),
]

INVALID = [
    ("a = 1\nb = ", 2),
    ("a = 1\na = 2", 2),
    ("[t]\nx = 1\n[t]\ny = 2", 3),
    ("a = {x = 1}\n[a]", 2),
    ('a = "unterminated', 1),
    ('a = """never\nends', 1),
    ("a = 'one\ntwo'", 1),
    ("x = [1, 2", 1),
    ("x = [1 2]", 1),
    ("x = {a = 1,}", 1),
    ("x = {a = 1\n}", 1),
    ("= 1", 1),
    ("a b = 1", 1),
    ("a = 01", 1),
    ("a = 1.", 1),
    ("a = .5", 1),
    ("a = 1__000", 1),
    ("a = 0x", 1),
    ("a = tru", 1),
    ("a = 1 b = 2", 1),
    ('a = "bad \\q escape"', 1),
    ('a = "\\uD800"', 1),
    ("[a]\nb = 1\n\n[a.b]", 4),
    ("a = [1]\n[[a]]", 2),
    ("[[a]]\n[a]", 2),
    ("a.b = 1\na.b.c = 2", 2),
    ("a = 1\na.b = 2", 2),
    ("[a.b]\n[a]\nb.c = 1", 3),
    ("a = {b = 1}\na.c = 2", 2),
    ("x = 1 # comment\n[", 2),
    ("a = \"tab\x01\"", 1),
    ("a = 1979-05-27T07:32:00Zjunk", 1),
    ("\n\n\nkey = value", 4),
]


def _normalize(value):
    """tomllib's dates/times as their TOML text, to compare with the fallback's strings."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return ("dt", value)
    return value


@pytest.mark.parametrize("doc", [PYPROJECT_SETUPTOOLS, PYPROJECT_HATCH_GROUPS, PYLOCK] + SPEC_SAMPLES)
def test_fallback_reader_matches_tomllib_on_the_corpus(doc):
    """The fallback reader parses each corpus document exactly as tomllib does."""
    if tomllib is None:
        pytest.skip("tomllib is not available to compare with")
    expected = tomllib.loads(doc)
    got = fallback(doc)
    if "upload-time" in doc:  # the one datetime in the lock document
        wheel = expected["packages"][0]["wheels"][0]
        wheel["upload-time"] = "2023-12-31T15:35:12.000000Z"
    assert got == expected


def test_fallback_reader_reads_a_pyproject_file_without_tomllib():
    """The fallback gives the values a pyproject.toml holds (checked on every Python)."""
    data = fallback(PYPROJECT_HATCH_GROUPS)
    assert data["project"]["dependencies"] == ["requests >= 2.31", 'tomli; python_version < "3.11"']
    assert data["dependency-groups"]["all"][0] == {"include-group": "test"}
    assert data["tool"]["ruff"]["lint"]["select"] == ["E", "F", "I"]
    assert data["tool"]["coverage"]["run"]["fail_under"] == 92.5
    assert data["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests", "integration"]


def test_fallback_reader_decodes_escapes_and_line_ending_backslashes():
    """Basic-string escapes, \\u/\\U escapes and line-ending backslashes decode as TOML says."""
    data = fallback(PYLOCK)
    note = data["tool"]["puffin"]["note"]
    assert note == ('Multi-line basic string with "quotes" and \t escapes,'
                    ' a line-ending backslash, and unicode \u00e9 \U0001F600.')
    assert data["packages"][1]["directory"] == {"path": ".", "editable": True}


def test_fallback_reader_reads_special_floats():
    """inf and nan parse as floats, with their signs."""
    data = fallback("a = inf\nb = -inf\nc = nan\nd = +nan")
    assert data["a"] == math.inf and data["b"] == -math.inf
    assert math.isnan(data["c"]) and math.isnan(data["d"])


@pytest.mark.parametrize("doc,text", DATETIME_SAMPLES)
def test_fallback_reader_returns_dates_and_times_as_their_text(doc, text):
    """Dates and times come back as the string written in the document (documented difference)."""
    key = doc.split(" = ")[0]
    assert fallback(doc) == {key: text}
    if tomllib is not None:
        assert isinstance(tomllib.loads(doc)[key], (datetime.datetime, datetime.date, datetime.time))


@pytest.mark.parametrize("doc,line", INVALID)
def test_fallback_reader_rejects_invalid_toml_with_the_line_number(doc, line):
    """Invalid TOML raises InputError naming the line, like tomllib refuses it."""
    with pytest.raises(puffin.InputError) as info:
        fallback(doc, filename="pyproject.toml")
    assert info.value.line == line
    assert str(info.value).startswith("pyproject.toml:%d: invalid TOML: " % line)
    if tomllib is not None:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomllib.loads(doc)


def test_toml_loads_reports_the_file_and_line_through_tomllib_too():
    """toml_loads raises InputError with file and line whichever reader runs."""
    with pytest.raises(puffin.InputError) as info:
        puffin.toml_loads("[project]\nname = 'x'\nname = 'y'\n", filename="pyproject.toml")
    assert info.value.file == "pyproject.toml"
    assert info.value.line == 3


def test_toml_loads_uses_the_fallback_when_tomllib_is_missing(monkeypatch):
    """With tomllib unimportable, toml_loads still parses (through the fallback)."""
    import builtins
    real_import = builtins.__import__

    def no_tomllib(name, *args, **kwargs):
        if name == "tomllib":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tomllib)
    assert puffin.toml_loads("a.b = [1, 'x']\n[t]\nc = {d = true}") == {
        "a": {"b": [1, "x"]}, "t": {"c": {"d": True}}}


def test_fallback_reader_refuses_bytes():
    """Like tomllib, the reader takes text, not bytes."""
    with pytest.raises(TypeError):
        fallback(b"a = 1")


def _mutations(seed: int, count: int):
    """Seeded random edits (replace, insert, delete) of the corpus documents."""
    import random
    rng = random.Random(seed)
    docs = [PYPROJECT_SETUPTOOLS, PYPROJECT_HATCH_GROUPS] + [d for d in SPEC_SAMPLES if d]
    alphabet = list("[]{}=,.\"'\\#\n \t0123456789abcdefxnu+-_:eE") + [
        "[[", "]]", '"""', "'''", "inf", "nan", "1979-05-27", "07:32:00", "T", "Z", "a.b",
        "\\u00e9", "\\U0001F600", "\r", "\x7f", "\x00", "true", "0x", "0o", "0b", "= {", "= [", "é"]
    for _ in range(count):
        chars = list(rng.choice(docs))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.33:
                chars[i] = rng.choice(alphabet)
            elif op < 0.66:
                chars.insert(i, rng.choice(alphabet))
            else:
                del chars[i]
            chars = chars or ["a"]
        yield "".join(chars)


def _comparable(value):
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def test_fallback_reader_agrees_with_tomllib_on_mutated_documents():
    """On 4,000 seeded mutations of the corpus, the fallback accepts and rejects what
    tomllib does, with the same values (dates aside)."""
    if tomllib is None:
        pytest.skip("tomllib is not available to compare with")
    disagreements = []
    for doc in _mutations(seed=20240601, count=4000):
        try:
            expected = _comparable(tomllib.loads(doc))
        except tomllib.TOMLDecodeError:
            expected = "error"
        try:
            got = _comparable(fallback(doc))
        except puffin.InputError:
            got = "error"
        if expected != got and "datetime" not in repr(expected):
            disagreements.append(doc)
    assert disagreements == []
