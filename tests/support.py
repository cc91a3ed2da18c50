"""Shared test support for puffin: wheel and sdist builders and a local index server.

Everything here uses only the standard library and never imports puffin, so it can
be used to test puffin from the outside.  Three parts:

* **Builders** -- ``make_wheel``, ``make_sdist``, ``write_project``,
  ``wheel_filename``, ``sdist_filename``, ``make_metadata``: build valid (or
  deliberately broken) distributions in memory or into a directory.  Built
  archives are reproducible (fixed timestamps, sorted-by-argument member order),
  so the same arguments always give the same bytes and the same sha256.
  Sdists and projects come with a tiny in-tree PEP 517 backend (standard
  library only), so tests can build them without network or setuptools.
* **IndexServer** -- a threaded HTTP/1.1 server on 127.0.0.1 serving a PEP 503 /
  PEP 691 simple index, PEP 658 metadata files, a find-links page, with switches
  (ETag, Last-Modified, Cache-Control, ranges, auth, redirects, gzip) and
  injected faults, counting requests, connections and bytes.
* Small helpers: ``sha256``, ``record_hash``, ``normalize_name``,
  ``escape_name``, ``read_wheel_metadata``, ``negotiate_simple``,
  ``filter_times``, ``find_python``; for command-line tests ``puffin_cli``
  (run ``python puffin.py ARGS`` in a subprocess), ``run_python``,
  ``dist_infos``, ``file_stats``, ``machine_settings`` /
  ``without_machine_settings``; ``write_file`` and ``make_scheme``.

Typical use (the ``index_server`` fixture is a started ``IndexServer``)::

    def test_installs_from_the_index(index_server, run_puffin, venv_factory):
        index_server.add_wheel("app", "1.0", deps=["lib>=2"])
        index_server.add_wheel("lib", "2.1", entry_points={"console_scripts": {"lib": "lib:main"}})
        index_server.add_sdist("lib", "2.2", build_fails=["build_wheel"])
        index_server.fail("/files/lib-2.1-py3-none-any.whl", 503, retry_after=0)
        venv = venv_factory()
        code, out, err = run_puffin(["pip-install", "app", "--index-url", index_server.index_url,
                                     "--python", venv.python])
        assert index_server.requests_for("/simple/lib/") == 1
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = [
    "sha256", "normalize_name", "escape_name", "wheel_filename", "sdist_filename",
    "make_metadata", "make_wheel", "make_sdist", "sdist_tree", "write_project",
    "read_wheel_metadata", "record_hash", "filter_times", "find_python",
    "IndexServer", "Fault", "RequestRecord", "negotiate_simple", "BACKEND_MODULE",
    "JSON_CONTENT_TYPE", "HTML_CONTENT_TYPE",
    "REPO_ROOT", "PUFFIN_SCRIPT", "machine_settings", "without_machine_settings", "puffin_cli",
    "run_python", "dist_infos", "file_stats", "write_file", "make_scheme",
]

# Reproducible archives: the earliest date a zip file can hold.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_TAR_MTIME = 315532800  # 1980-01-01T00:00:00Z


# =============================================================================
# Names and hashes
# =============================================================================

def sha256(data: bytes) -> str:
    """Return the hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def record_hash(data: bytes) -> str:
    """Return the RECORD form of the sha256 of ``data``: ``sha256=<urlsafe b64, no padding>``."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name: runs of ``-_.`` become ``-``, lowercased."""
    return re.sub(r"[-_.]+", "-", name).lower()


def escape_name(name: str) -> str:
    """Project name as it appears in wheel/sdist filenames and ``.dist-info`` names.

    Per the binary distribution format spec: runs of ``-_.`` become ``_`` and the
    name is lowercased (``Foo.Bar-baz`` -> ``foo_bar_baz``).
    """
    return re.sub(r"[-_.]+", "_", name).lower()


def _escape_version(version: str) -> str:
    return str(version).replace("-", "_")


def wheel_filename(name: str, version: str, tag: str = "py3-none-any", build: str | None = None) -> str:
    """Return the wheel filename, e.g. ``wheel_filename("Foo-Bar", "1.0")`` -> ``foo_bar-1.0-py3-none-any.whl``.

    ``tag`` is the compressed tag triple (``py2.py3-none-any``,
    ``cp311-cp311-manylinux_2_17_x86_64``); ``build`` is an optional build tag
    (must start with a digit to be valid, but is not checked here).
    """
    parts = [escape_name(name), _escape_version(version)]
    if build is not None:
        parts.append(str(build))
    parts.append(tag)
    return "-".join(parts) + ".whl"


def sdist_filename(name: str, version: str, fmt: str = "tar.gz") -> str:
    """Return the sdist filename: ``foo_bar-1.0.tar.gz`` (``fmt`` is ``"tar.gz"`` or ``"zip"``)."""
    return "%s-%s.%s" % (escape_name(name), _escape_version(version), fmt)


def _to_bytes(data) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray):
        return bytes(data)
    return str(data).encode("utf-8")


# =============================================================================
# Core metadata
# =============================================================================

def _extra_requirement(req: str, extra: str) -> str:
    """Attach ``extra == "x"`` to a requirement, keeping its own marker (parenthesized)."""
    if ";" in req:
        base, marker = req.split(";", 1)
        return '%s; (%s) and extra == "%s"' % (base.strip(), marker.strip(), extra)
    return '%s; extra == "%s"' % (req.strip(), extra)


def _header_lines(extra) -> list:
    """``metadata_extra`` as a list of ``Key: value`` lines (accepts str, dict, or iterable)."""
    if not extra:
        return []
    if isinstance(extra, (str, bytes)):
        text = extra.decode("utf-8") if isinstance(extra, bytes) else extra
        return [line for line in text.splitlines() if line]
    if isinstance(extra, dict):
        lines = []
        for key, value in extra.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            lines.extend("%s: %s" % (key, v) for v in values)
        return lines
    lines = []
    for item in extra:
        lines.append(item if isinstance(item, str) else "%s: %s" % tuple(item))
    return lines


def make_metadata(name: str, version: str, *, deps=(), extras=None, requires_python=None,
                  metadata_extra=None, metadata_version: str = "2.1", dynamic=(),
                  summary: str | None = None, description: str | None = None) -> bytes:
    """Return core metadata (``METADATA`` / ``PKG-INFO``) as bytes.

    - ``deps``: ``Requires-Dist`` strings, written as given (markers allowed).
    - ``extras``: ``{"extra": ["req", ...]}``; each extra gives ``Provides-Extra``
      and its requirements get ``extra == "extra"`` appended to their marker.
    - ``requires_python``: the ``Requires-Python`` value, e.g. ``">=3.8"``.
    - ``metadata_extra``: more headers: a str of lines, a dict (list values repeat
      the header) or an iterable of lines or (key, value) pairs.
    - ``dynamic``: ``Dynamic`` field names (needs ``metadata_version`` >= 2.2).
    - ``description``: body text after the headers.
    """
    lines = ["Metadata-Version: %s" % metadata_version, "Name: %s" % name, "Version: %s" % version]
    if summary is not None:
        lines.append("Summary: %s" % summary)
    for field in dynamic:
        lines.append("Dynamic: %s" % field)
    if requires_python is not None:
        lines.append("Requires-Python: %s" % requires_python)
    for req in deps:
        lines.append("Requires-Dist: %s" % req)
    for extra, reqs in (extras or {}).items():
        lines.append("Provides-Extra: %s" % extra)
        for req in reqs:
            lines.append("Requires-Dist: %s" % _extra_requirement(req, extra))
    lines.extend(_header_lines(metadata_extra))
    text = "\n".join(lines) + "\n"
    if description is not None:
        text += "\n" + description
    return text.encode("utf-8")


# =============================================================================
# Wheels
# =============================================================================

_RECORD_MODES = ("bad-hash", "bad-size", "missing-entry", "extra-entry", "no-hash")


def _expand_tags(tag: str) -> list:
    interpreters, abis, platforms = tag.split("-")
    return ["%s-%s-%s" % (i, a, p) for i in interpreters.split(".")
            for a in abis.split(".") for p in platforms.split(".")]


def _wheel_file_text(tag, root_is_purelib, build, wheel_version, generator="puffin-tests (0.1)") -> bytes:
    versions = wheel_version if isinstance(wheel_version, (list, tuple)) else [wheel_version]
    lines = ["Wheel-Version: %s" % v for v in versions if v is not None]
    lines.append("Generator: %s" % generator)
    lines.append("Root-Is-Purelib: %s" % ("true" if root_is_purelib else "false"))
    lines.extend("Tag: %s" % t for t in _expand_tags(tag))
    if build is not None:
        lines.append("Build: %s" % build)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _entry_points_text(entry_points) -> bytes:
    if isinstance(entry_points, (str, bytes)):
        return _to_bytes(entry_points)
    out = []
    for group, entries in entry_points.items():
        out.append("[%s]" % group)
        out.extend("%s = %s" % (k, v) for k, v in entries.items())
        out.append("")
    return "\n".join(out).encode("utf-8")


def _split_mode(value, default_mode=0o644):
    """Files may be given as ``data`` or ``(data, mode)``; return (bytes, mode)."""
    if isinstance(value, tuple):
        return _to_bytes(value[0]), value[1]
    return _to_bytes(value), default_mode


def _zip_member(zf: zipfile.ZipFile, arcname: str, data: bytes, mode: int = 0o644, symlink: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)  # kept verbatim: '..' and '/abs' survive
    kind = stat.S_IFLNK if symlink else stat.S_IFREG
    info.external_attr = ((kind | (mode & 0o7777)) & 0xFFFF) << 16
    info.create_system = 3  # Unix, so the mode bits are honoured
    info.compress_type = zipfile.ZIP_STORED if symlink else zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _record_bytes(entries, record_path, mode) -> bytes:
    """RECORD text for ``entries`` [(path, data)], optionally corrupted by ``mode``."""
    rows = [[path, record_hash(data), str(len(data))] for path, data in entries]
    if mode == "bad-hash" and rows:
        rows[0][1] = record_hash(b"not the content")
    elif mode == "bad-size" and rows:
        rows[0][2] = str(int(rows[0][2]) + 1)
    elif mode == "missing-entry" and rows:
        rows.pop(0)
    elif mode == "extra-entry":
        rows.append(["not/in/archive.py", record_hash(b""), "0"])
    elif mode == "no-hash" and rows:
        rows[0][1] = rows[0][2] = ""
    rows.append([record_path, "", ""])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _default_files(name: str, version: str) -> dict:
    package = escape_name(name)
    return {"%s/__init__.py" % package: '__version__ = "%s"\n' % version}


def make_wheel(name: str, version: str, *, files=None, deps=(), extras=None, requires_python=None,
               tag: str = "py3-none-any", root_is_purelib: bool = True, data=None, scripts=None,
               entry_points=None, metadata_extra=None, build=None, wheel_version="1.0", record=True,
               dist_info_files=None, symlinks=None, out_dir=None, filename: str | None = None,
               dist_info_dir: str | None = None, metadata_version: str = "2.1",
               extra_members=None):
    """Build a wheel; return its bytes, or its path when ``out_dir`` is given.

    The result is a valid wheel unless a knob below asks for a broken one:
    ``METADATA`` (Metadata-Version 2.1 by default), ``WHEEL``, and a ``RECORD``
    with correct sha256 and sizes, in ``<escaped name>-<version>.dist-info``
    (written last, RECORD very last, as the spec recommends).  The same
    arguments always give the same bytes.

    Contents:

    - ``files``: ``{archive path: content}``; content is bytes/str or
      ``(content, mode)`` for e.g. executable bits (``0o755``).  Default: one
      package ``<escaped name>/__init__.py`` with ``__version__ = "<version>"``.
      Paths are written verbatim, so ``"../evil.py"`` or ``"/etc/x"`` make
      malicious wheels (they are listed in RECORD like any file).
    - ``deps``, ``extras``, ``requires_python``, ``metadata_extra``,
      ``metadata_version``: see ``make_metadata``.
    - ``tag``: compressed tag triple for the filename; ``WHEEL`` gets one
      expanded ``Tag:`` line per combination.  ``build``: build tag (filename
      and ``Build:``).  ``root_is_purelib``: the ``Root-Is-Purelib`` value.
    - ``data``: ``{scheme: {path: content}}`` (schemes ``purelib``, ``platlib``,
      ``headers``, ``scripts``, ``data``), or flat ``{"scheme/path": content}``;
      stored under ``<name>-<version>.data/``.
    - ``scripts``: ``{filename: content}`` shorthand for ``data["scripts"]``
      (default mode 0o755).  A script starting ``#!python`` gets its shebang
      rewritten by installers.
    - ``entry_points``: ``{"console_scripts": {"cmd": "pkg.mod:func"}, ...}`` or
      the raw ``entry_points.txt`` text.
    - ``symlinks``: ``{archive path: target}`` stored as zip symlink entries
      (Unix mode ``S_IFLNK``), not listed in RECORD.  A target like
      ``"../../../etc/passwd"`` makes an escaping symlink.
    - ``extra_members``: list of ``(archive path, content)`` written after the
      regular files and not listed in RECORD (e.g. a duplicate member name).

    Knobs for broken wheels:

    - ``wheel_version``: the ``Wheel-Version`` value (``"2.0"`` for an
      unsupported major, ``"1.9"`` for a newer minor); a list/tuple writes one
      line per item (``("1.0", "1.0")`` duplicates it); ``None`` omits it.
    - ``record``: ``True`` (correct), ``False`` (no RECORD), a corruption mode:
      ``"bad-hash"``, ``"bad-size"``, ``"missing-entry"``, ``"extra-entry"``,
      ``"no-hash"`` (applied to the first listed file), or bytes/str written
      verbatim.
    - ``dist_info_files``: ``{name: content or None}`` added to or replacing
      files in the dist-info dir (``{"WHEEL": None}`` drops WHEEL,
      ``{"METADATA": b"..."}`` replaces it, ``{"INSTALLER": None}`` is ignored).
    - ``dist_info_dir``: override the ``.dist-info`` directory name.
    - ``filename``: override the filename used with ``out_dir``.
    """
    dist_info = dist_info_dir or "%s-%s.dist-info" % (escape_name(name), _escape_version(version))
    data_dir = "%s-%s.data" % (escape_name(name), _escape_version(version))
    entries = []  # (path, bytes, mode) in archive order, all listed in RECORD
    for path, value in (_default_files(name, version) if files is None else files).items():
        content, mode = _split_mode(value)
        entries.append((path, content, mode))
    for path, value in _flatten_data(data, scripts):
        content, mode = _split_mode(value, 0o755 if path.startswith("scripts/") else 0o644)
        entries.append(("%s/%s" % (data_dir, path), content, mode))

    meta_files = {
        "METADATA": make_metadata(name, version, deps=deps, extras=extras, requires_python=requires_python,
                                  metadata_extra=metadata_extra, metadata_version=metadata_version),
        "WHEEL": _wheel_file_text(tag, root_is_purelib, build, wheel_version),
    }
    if entry_points:
        meta_files["entry_points.txt"] = _entry_points_text(entry_points)
    for key, value in (dist_info_files or {}).items():
        if value is None:
            meta_files.pop(key, None)
        else:
            meta_files[key] = _to_bytes(value)
    for key, value in meta_files.items():
        entries.append(("%s/%s" % (dist_info, key), value, 0o644))

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, content, mode in entries:
            _zip_member(zf, path, content, mode)
        for path, target in (symlinks or {}).items():
            _zip_member(zf, path, _to_bytes(target), 0o777, symlink=True)
        for path, value in (extra_members or ()):
            _zip_member(zf, path, _to_bytes(value))
        record_path = "%s/RECORD" % dist_info
        if record is True or record in _RECORD_MODES:
            listed = [(p, c) for p, c, _ in entries]
            _zip_member(zf, record_path, _record_bytes(listed, record_path, record))
        elif record not in (False, None):
            _zip_member(zf, record_path, _to_bytes(record))
    wheel = buf.getvalue()
    if out_dir is None:
        return wheel
    return _write_out(out_dir, filename or wheel_filename(name, version, tag, build), wheel)


def _flatten_data(data, scripts):
    """Yield ("scheme/path", value) from the ``data`` and ``scripts`` arguments."""
    for key, value in (data or {}).items():
        if isinstance(value, dict):
            for path, content in value.items():
                yield "%s/%s" % (key, path), content
        else:
            yield key, value
    for path, content in (scripts or {}).items():
        yield "scripts/%s" % path, content


def _write_out(out_dir, filename: str, data: bytes) -> str:
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, filename)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_wheel_metadata(wheel: bytes) -> bytes | None:
    """Return the ``*.dist-info/METADATA`` bytes of a wheel (bytes), or None if absent or not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
            for member in zf.namelist():
                parts = member.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return zf.read(member)
    except (zipfile.BadZipFile, OSError):
        return None
    return None


# =============================================================================
# Source distributions and source trees (with an in-tree PEP 517 backend)
# =============================================================================

# The backend module written into every sdist/project built here.  It only uses
# the standard library and reads its settings from ``puffin_test_backend.json``
# next to it.  When the environment variable PUFFIN_TEST_BUILD_LOG names a file,
# each hook appends "<hook> <name> <version>" to it, so tests can tell whether
# (and how often) a build really ran.
BACKEND_MODULE = "puffin_test_backend"
BACKEND_SOURCE = r'''"""Tiny PEP 517/660 build backend for puffin tests (standard library only)."""
import base64, hashlib, io, json, os, sys, tarfile, zipfile

_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "puffin_test_backend.json")) as _f:
    CONFIG = json.load(_f)
NAME, VERSION = CONFIG["name"], CONFIG["version"]
DIST = "%s-%s" % (CONFIG["escaped_name"], VERSION.replace("-", "_"))


def _log(hook):
    path = os.environ.get("PUFFIN_TEST_BUILD_LOG")
    if path:
        with open(path, "a") as f:
            f.write("%s %s %s\n" % (hook, NAME, VERSION))
    if hook in CONFIG.get("fail", ()):
        sys.stderr.write("puffin_test_backend: intentional failure in %s\n" % hook)
        raise RuntimeError("intentional build failure in %s" % hook)


def _metadata():
    return CONFIG["metadata"].encode("utf-8")


def _wheel_text():
    return ("Wheel-Version: 1.0\nGenerator: puffin_test_backend\nRoot-Is-Purelib: true\n"
            "Tag: %s\n" % CONFIG["tag"]).encode("utf-8")


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _write_wheel(wheel_directory, members):
    filename = "%s-%s.whl" % (DIST, CONFIG["tag"])
    dist_info = DIST + ".dist-info"
    members = list(members) + [(dist_info + "/METADATA", _metadata()), (dist_info + "/WHEEL", _wheel_text())]
    record = "".join("%s,%s,%d\n" % (p, _hash(d), len(d)) for p, d in members) + dist_info + "/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in members:
            zf.writestr(path, data)
        zf.writestr(dist_info + "/RECORD", record)
    return filename


def _package_files():
    for rel in CONFIG["wheel_files"]:
        with open(os.path.join(_HERE, rel), "rb") as f:
            yield rel, f.read()


def get_requires_for_build_wheel(config_settings=None):
    _log("get_requires_for_build_wheel")
    return list(CONFIG.get("build_requires", []))


def get_requires_for_build_editable(config_settings=None):
    _log("get_requires_for_build_editable")
    return list(CONFIG.get("build_requires", []))


def get_requires_for_build_sdist(config_settings=None):
    return []


if CONFIG.get("prepare_metadata", True):
    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        _log("prepare_metadata_for_build_wheel")
        dist_info = os.path.join(metadata_directory, DIST + ".dist-info")
        os.makedirs(dist_info, exist_ok=True)
        with open(os.path.join(dist_info, "METADATA"), "wb") as f:
            f.write(_metadata())
        with open(os.path.join(dist_info, "WHEEL"), "wb") as f:
            f.write(_wheel_text())
        return DIST + ".dist-info"

    def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
        return prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _log("build_wheel")
    for module in CONFIG.get("imports", ()):
        __import__(module)   # a build that needs a package of its environment
    members = list(_package_files())
    if config_settings:
        members.append(("%s/_config_settings.json" % CONFIG["escaped_name"],
                        json.dumps(config_settings, sort_keys=True).encode("utf-8")))
    return _write_wheel(wheel_directory, members)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _log("build_editable")
    pth = ("%s\n" % _HERE).encode("utf-8")
    return _write_wheel(wheel_directory, [("_%s_editable.pth" % CONFIG["escaped_name"], pth)])


def build_sdist(sdist_directory, config_settings=None):
    _log("build_sdist")
    filename = DIST + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tf:
        for root, dirs, files in os.walk(_HERE):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(root, name)
                tf.add(path, DIST + "/" + os.path.relpath(path, _HERE).replace(os.sep, "/"))
    return filename
'''


def _toml_list(items) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def sdist_tree(name: str, version: str, *, deps=(), extras=None, requires_python=None, static=True,
               dynamic=None, files=None, pyproject=None, build_requires=(), build_fails=(),
               prepare_metadata: bool = True, metadata_extra=None, pkg_info=True, build_imports=()) -> dict:
    """Return ``{relative path: bytes}`` for an unpacked source tree (no top directory).

    The tree holds ``PKG-INFO``, ``pyproject.toml``, the package files and the
    in-tree backend ``puffin_test_backend.py`` (+ its ``.json`` settings), which
    builds a wheel whose METADATA carries ``deps``/``extras``/``requires_python``.

    - ``static``: True -> ``PKG-INFO`` is Metadata-Version 2.2 with no
      ``Dynamic``, so its metadata may be trusted without building; False ->
      Metadata-Version 2.1 (must build to know).  ``dynamic``: explicit list of
      ``Dynamic`` fields (forces 2.2), e.g. ``["Requires-Dist"]``.
    - ``pkg_info``: False leaves out ``PKG-INFO`` (like a source checkout).
    - ``files``: package files as in ``make_wheel`` (default: one
      ``<escaped name>/__init__.py``); these go into the built wheel too.
    - ``pyproject``: ``pyproject.toml`` text to use instead of the generated one
      (which names the in-tree backend with ``backend-path = ["."]``).
    - ``build_requires``: returned by ``get_requires_for_build_wheel`` and listed
      in ``[build-system] requires``.
    - ``build_fails``: hook names that raise (``["build_wheel"]``,
      ``["prepare_metadata_for_build_wheel"]``), for build-failure tests.
    - ``prepare_metadata``: False leaves out the ``prepare_metadata_*`` hooks.
    - ``build_imports``: modules ``build_wheel`` imports (it fails where they
      are missing); the wheel also carries ``NAME/_config_settings.json`` when
      the hook got config settings.
    """
    package_files = _default_files(name, version) if files is None else files
    wheel_metadata = make_metadata(name, version, deps=deps, extras=extras, requires_python=requires_python,
                                   metadata_extra=metadata_extra, metadata_version="2.1")
    if dynamic is not None:
        meta_version, dyn = "2.2", list(dynamic)
    else:
        meta_version, dyn = ("2.2" if static else "2.1"), []
    tree = {}
    if pkg_info:
        tree["PKG-INFO"] = make_metadata(name, version, deps=deps, extras=extras, requires_python=requires_python,
                                         metadata_extra=metadata_extra, metadata_version=meta_version, dynamic=dyn)
    if pyproject is None:
        pyproject = ('[build-system]\nrequires = %s\nbuild-backend = "%s"\nbackend-path = ["."]\n\n'
                     '[project]\nname = "%s"\nversion = "%s"\n'
                     % (_toml_list(build_requires), BACKEND_MODULE, name, version))
    tree["pyproject.toml"] = _to_bytes(pyproject)
    config = {
        "name": name, "version": version, "escaped_name": escape_name(name), "tag": "py3-none-any",
        "metadata": wheel_metadata.decode("utf-8"), "build_requires": list(build_requires),
        "fail": list(build_fails), "prepare_metadata": prepare_metadata, "imports": list(build_imports),
        "wheel_files": sorted(package_files),
    }
    tree[BACKEND_MODULE + ".py"] = BACKEND_SOURCE.encode("utf-8")
    tree[BACKEND_MODULE + ".json"] = json.dumps(config, indent=1, sort_keys=True).encode("utf-8")
    for path, value in package_files.items():
        tree[path] = _split_mode(value)[0]
    return tree


def make_sdist(name: str, version: str, *, deps=(), static=True, fmt: str = "tar.gz", files=None,
               pyproject=None, out_dir=None, filename: str | None = None, top_dir: str | None = None,
               **tree_kwargs):
    """Build a source distribution; return its bytes, or its path when ``out_dir`` is given.

    ``fmt`` is ``"tar.gz"`` or ``"zip"``.  Members live under
    ``<escaped name>-<version>/`` (``top_dir`` overrides it).  The content is
    ``sdist_tree(name, version, deps=deps, static=static, files=files,
    pyproject=pyproject, **tree_kwargs)`` -- see there for ``extras``,
    ``requires_python``, ``dynamic``, ``build_requires``, ``build_fails``,
    ``prepare_metadata``, ``pkg_info``.  By default it builds offline with the
    in-tree backend.  Output is reproducible.
    """
    tree = sdist_tree(name, version, deps=deps, static=static, files=files, pyproject=pyproject, **tree_kwargs)
    top = top_dir if top_dir is not None else "%s-%s" % (escape_name(name), _escape_version(version))
    buf = io.BytesIO()
    if fmt == "zip":
        with zipfile.ZipFile(buf, "w") as zf:
            for path, content in tree.items():
                _zip_member(zf, "%s/%s" % (top, path), content)
    elif fmt == "tar.gz":
        import gzip
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for path, content in tree.items():
                info = tarfile.TarInfo("%s/%s" % (top, path))
                info.size, info.mtime, info.mode = len(content), _TAR_MTIME, 0o644
                tf.addfile(info, io.BytesIO(content))
        buf.write(gzip.compress(raw.getvalue(), mtime=0))
    else:
        raise ValueError("fmt must be 'tar.gz' or 'zip', not %r" % fmt)
    out = buf.getvalue()
    if out_dir is None:
        return out
    return _write_out(out_dir, filename or sdist_filename(name, version, fmt), out)


def write_project(path, name: str, version: str, **tree_kwargs) -> str:
    """Write an unpacked source tree (see ``sdist_tree``) into directory ``path``; return it.

    Useful for ``./local/project`` requirements and editables; the tree builds
    with the in-tree backend (``build_editable`` puts a ``.pth`` pointing at it).
    Pass ``pkg_info=False`` for a checkout-like tree without ``PKG-INFO``.
    """
    path = os.fspath(path)
    for rel, content in sdist_tree(name, version, **tree_kwargs).items():
        target = os.path.join(path, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(content)
    return path


# =============================================================================
# Output filtering and interpreters
# =============================================================================

_TIME_RE = re.compile(r"\bin (?:\d+m )?\d+(?:\.\d+)?\s?(?:ms|µs|us|s|m)\b")


def filter_times(text: str) -> str:
    """Replace durations like ``in 1.23s``, ``in 12ms``, ``in 1m 2s`` with ``in [TIME]``."""
    return _TIME_RE.sub("in [TIME]", text)


def find_python(version: str) -> str | None:
    """Return the path of a Python ``version`` ("3.9" or "3.9.18") interpreter, or None.

    Looks in ``$PYENV_ROOT/versions`` (default ``~/.pyenv``), then on PATH
    (``python3.9``).  The newest matching pyenv version wins.
    """
    import glob
    import shutil
    short = ".".join(version.split(".")[:2])
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = glob.glob(os.path.join(root, "versions", version)) + \
        glob.glob(os.path.join(root, "versions", version + ".*"))

    def key(path):
        return tuple(int(p) if p.isdigit() else 0 for p in os.path.basename(path).split("."))

    for candidate in sorted(set(candidates), key=key, reverse=True):
        exe = os.path.join(candidate, "bin", "python" + short)
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    return shutil.which("python" + short)


# =============================================================================
# Running puffin.py and looking at what it left
# =============================================================================

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUFFIN_SCRIPT = os.path.join(REPO_ROOT, "puffin.py")

# Variables that make a subprocess depend on the machine's pip/uv/puffin set-up
# or on the environment pytest runs in (any case).
_MACHINE_PREFIXES = ("PIP_", "PUFFIN_", "UV_")
_MACHINE_NAMES = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION")


def machine_settings(environ=None, more=()) -> list:
    """Names in ``environ`` (default ``os.environ``) of machine settings: ``PIP_*``,
    ``PUFFIN_*``, ``UV_*``, the virtual-env and Python path variables, and ``more``."""
    environ = os.environ if environ is None else environ
    names = set(_MACHINE_NAMES) | {n.upper() for n in more}
    return [k for k in environ if k.upper().startswith(_MACHINE_PREFIXES) or k.upper() in names]


def without_machine_settings(environ=None, more=()) -> dict:
    """A copy of ``environ`` (default ``os.environ``) without ``machine_settings``,
    and with ``PIP_CONFIG_FILE`` set to the null device, so that neither pip nor
    puffin.py reads the machine's pip.conf files."""
    environ = dict(os.environ if environ is None else environ)
    for key in machine_settings(environ, more):
        del environ[key]
    environ["PIP_CONFIG_FILE"] = os.devnull
    return environ


_COMPILED: dict = {}
# read at import: the clean_env fixture removes PUFFIN_* variables before a test runs
_BYTECODE_DIR = os.environ.get("PUFFIN_TEST_BYTECODE")


def _compiled_script(python) -> str:
    """``puffin.py`` as ``python`` runs it: the script itself, or, when
    ``PUFFIN_TEST_BYTECODE`` names a folder, the script compiled once per
    interpreter into it (the same code, run as ``python FILE.pyc``, is run as
    ``__main__`` just as the script is). Compiling a 750 KB script on every
    start is most of what a suite of many short commands spends."""
    folder = _BYTECODE_DIR
    if not folder:
        return PUFFIN_SCRIPT
    python = os.fspath(python)
    stamp = os.stat(PUFFIN_SCRIPT).st_mtime_ns
    key = (os.path.realpath(python), stamp)
    if key not in _COMPILED:
        tag = subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                             capture_output=True, text=True, check=True).stdout.strip()
        target = os.path.join(folder, "puffin.%s.%d.pyc" % (tag, stamp))
        if not os.path.exists(target):
            os.makedirs(folder, exist_ok=True)
            subprocess.run([python, "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], "
                            "cfile=sys.argv[2], dfile=sys.argv[1], doraise=True)", PUFFIN_SCRIPT, target],
                           check=True)
        _COMPILED[key] = target
    return _COMPILED[key]


def puffin_cli(python, *args, env, cwd=None, timeout=120, input=None, filter=True):  # noqa: A002
    """Run ``python puffin.py ARGS`` (``python``: the interpreter, often a venv's);
    return (exit code, stdout, stderr), durations and the first line naming the
    target environment filtered unless ``filter=False``.
    ``input``: str fed to stdin."""
    proc = subprocess.run([os.fspath(python), _compiled_script(python)] + [os.fspath(a) for a in args],
                          env=env, cwd=cwd, input=input, capture_output=True, text=True,
                          timeout=timeout)
    out, err = proc.stdout, proc.stderr
    if filter:
        out, err = filter_times(out), filter_target(filter_times(err))
    return proc.returncode, out, err


_TARGET_LINE = re.compile(r"\AUsing Python \S+ environment at: [^\n]*\n")


def filter_target(err: str) -> str:
    """stderr without its first line when that names the target environment
    (uv's ``Using Python 3.12.1 environment at: PATH``): most tests look at
    what follows; tests/test_cli_messages.py checks the line itself."""
    return _TARGET_LINE.sub("", err, count=1)


def run_python(venv, code: str) -> str:
    """Run ``code`` in the Python of ``venv`` (a Venv, or an interpreter path);
    return its stdout, stripped. Raises CalledProcessError when it fails."""
    python = getattr(venv, "python", venv)
    proc = subprocess.run([os.fspath(python), "-c", code], capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()


def dist_infos(site: str) -> dict:
    """{normalized name: version} of the ``.dist-info`` folders in ``site`` ({} when it is missing)."""
    out = {}
    for entry in os.listdir(site) if os.path.isdir(site) else ():
        if entry.endswith(".dist-info"):
            name, version = entry[: -len(".dist-info")].rsplit("-", 1)
            out[normalize_name(name)] = version
    return out


def file_stats(root: str, ignore=()) -> dict:
    """{relative path: (size, mtime_ns)} of every file under ``root``, but the
    relative paths in ``ignore``: to show what a run touched."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for fn in files:
            p = os.path.join(dirpath, fn)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    for rel in ignore:
        out.pop(rel, None)
    return out


def write_file(path, text: str = "") -> str:
    """Write ``text`` (UTF-8) to ``path``, making its folders; return the path (str)."""
    path = os.fspath(path)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def make_scheme(root) -> dict:
    """An install scheme (purelib, platlib, scripts, data, headers) below ``root``,
    with purelib and platlib apart so a test sees which one a file went to."""
    root = os.fspath(root)
    return {"purelib": os.path.join(root, "lib", "site-packages"),
            "platlib": os.path.join(root, "lib64", "site-packages"),
            "scripts": os.path.join(root, "bin"),
            "data": root,
            "headers": os.path.join(root, "include", "demo")}


# =============================================================================
# Local package index server
# =============================================================================

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_CONTENT_TYPE = "application/vnd.pypi.simple.v1+html"
_TEXT_HTML = "text/html"
# Last-Modified times come from a logical clock (one minute per change, from
# this date) so they are deterministic and always move forward, even when two
# changes happen within the same wall-clock second.
_CLOCK_BASE = 1704067200  # 2024-01-01T00:00:00Z
_FAULT_KINDS = ("status", "delay", "drop", "truncate", "corrupt", "malformed", "slow")


class RequestRecord:
    """One request seen by the server: ``method``, ``path`` (with query),
    ``headers`` (dict, lower-case names), ``status`` (int once answered, else None)."""

    __slots__ = ("method", "path", "headers", "status")

    def __init__(self, method, path, headers, status=None):
        self.method, self.path, self.headers, self.status = method, path, headers, status

    def __repr__(self):
        return "RequestRecord(%r, %r, status=%r)" % (self.method, self.path, self.status)


class Fault:
    """A fault injected by ``IndexServer.inject``; ``hits`` counts how often it fired.

    ``remaining`` is the number of requests it still applies to (None: forever).
    """

    def __init__(self, pattern, kind, times, params):
        if kind not in _FAULT_KINDS:
            raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(_FAULT_KINDS)))
        self.pattern, self.kind, self.remaining, self.params, self.hits = pattern, kind, times, params, 0

    def __repr__(self):
        return "Fault(%r, %r, remaining=%r, hits=%r)" % (self.pattern, self.kind, self.remaining, self.hits)


class _Hosted:
    """A file the server hosts (internal; see ``IndexServer.add``)."""

    __slots__ = ("filename", "data", "project", "version", "requires_python", "yanked",
                 "upload_time", "metadata", "hashes", "serial")


def _path_matches(pattern: str, path: str) -> bool:
    import fnmatch
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(path, pattern)
    return pattern == path


def _split_filename(filename: str):
    """(name, version) from a wheel or sdist filename, or (filename, "") if neither."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) >= 2:
            return parts[0], parts[1]
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip"):
        if filename.endswith(ext) and "-" in filename:
            name, _, version = filename[: -len(ext)].rpartition("-")
            return name, version
    return filename, ""


def _http_date(ts: float) -> str:
    import email.utils
    return email.utils.formatdate(ts, usegmt=True)


def _parse_accept(header):
    """[(media range, q)] from an Accept header; malformed q counts as 1."""
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 1.0
        out.append((media, q))
    return out


def negotiate_simple(accept: str | None, offers=(_TEXT_HTML, HTML_CONTENT_TYPE, JSON_CONTENT_TYPE)) -> str:
    """Pick a content type for a simple page the way PyPI (warehouse) does.

    Offers are ranked by the q value of the most specific matching media range
    (``type/subtype`` over ``type/*`` over ``*/*``), ties going to the earlier
    offer; q=0 refuses an offer.  No header, or nothing acceptable, gives
    ``text/html``.  So ``*/*`` gives HTML, and a client wanting JSON must ask for
    ``application/vnd.pypi.simple.v1+json`` with a higher q than HTML.
    """
    if not accept:
        return _TEXT_HTML
    ranges = _parse_accept(accept)
    ranked = []
    for index, offer in enumerate(offers):
        best = None  # (specificity, q)
        for media, q in ranges:
            if media == offer:
                spec = 3
            elif media.endswith("/*") and offer.startswith(media[:-1]):
                spec = 2
            elif media == "*/*":
                spec = 1
            else:
                continue
            if best is None or spec > best[0]:
                best = (spec, q)
        if best is not None and best[1] > 0:
            ranked.append((-best[1], index, offer))
    return min(ranked)[2] if ranked else _TEXT_HTML


class IndexServer:
    """A local package index on ``http://127.0.0.1:<random port>`` for tests.

    Use as a context manager (``with IndexServer() as server:``) or through the
    ``index_server`` fixture; ``start()``/``stop()`` also work.  Add files with
    ``add``/``add_wheel``/``add_sdist``; everything (files, switches, faults) may
    change while it runs.

    URLs: ``server.url`` (``http://127.0.0.1:PORT``), ``server.index_url``
    (``.../simple``, for ``--index-url``), ``server.find_links_url``
    (``.../links/``), ``server.file_url(filename)``.

    Routes:

    - ``/simple/``: project list.  ``/simple/<name>/``: PEP 691 JSON (api 1.1:
      hashes, requires-python, yanked, core-metadata + dist-info-metadata, size,
      upload-time, versions) or PEP 503 HTML (``data-requires-python``,
      ``data-yanked``, ``data-core-metadata``, ``data-dist-info-metadata``,
      ``#sha256=`` fragments), chosen from ``Accept`` like PyPI (see
      ``negotiate_simple``; ``?format=<type>`` also works).  ``/simple/Foo_Bar/``
      and ``/simple/foo-bar`` answer 301 to ``/simple/foo-bar/``; unknown
      projects 404.
    - ``/files/<filename>``: the file; ``/files/<filename>.metadata``: its PEP
      658 core metadata.  ``/blobs/<filename>``: the file again (redirect target).
    - ``/links/``: a flat find-links HTML page listing every file.

    Switches (attributes):

    - ``pep658`` (True): advertise and serve ``.metadata`` files.
    - ``json`` (True): False serves HTML only, whatever the Accept header.
    - ``relative_urls`` (False): page links relative (``../../files/x``).
    - ``etag`` (True): ETag on every 200; matching ``If-None-Match`` -> 304.
    - ``last_modified`` (True): Last-Modified (logical clock) and
      ``If-Modified-Since`` -> 304 (when no If-None-Match was sent).
    - ``cache_control`` (None): Cache-Control value for pages, e.g.
      ``"max-age=600"``; ``files_cache_control`` (None) the same for files.
    - ``ranges`` (True): ``Range: bytes=a-b`` / ``bytes=a-`` / ``bytes=-N`` on
      files -> 206 with Content-Range, unsatisfiable -> 416; multiple or
      syntactically invalid ranges are ignored (200).  False ignores Range.
    - ``auth`` (None): ``(user, password)`` required as Basic auth on paths
      matching ``auth_paths`` (default ``"*"``), else 401.
    - ``files_redirect`` (None): e.g. 302 -> ``/files/x`` redirects to
      ``/blobs/x``.  ``redirect(path, location, status)`` adds any redirect.
    - ``gzip`` (True): gzip pages when the client sends Accept-Encoding: gzip.
    - ``name_redirect`` (True): False serves non-normalized names directly.

    Faults: ``inject(pattern, kind, times=1, **params)``; see there.

    Counters (reset with ``reset_counters()``): ``log`` (list of
    ``RequestRecord``), ``total_requests``, ``requests_for(pattern)``,
    ``connections`` (accepted sockets), ``bytes_sent`` (headers + bodies),
    ``errors`` (tracebacks of exceptions raised in handlers -- a server bug;
    the ``index_server`` fixture fails the test if any are left).

    Every response carries Content-Length and the server speaks HTTP/1.1
    keep-alive, so a client reusing connections shows ``connections == 1``.
    """

    def __init__(self):
        self.pep658 = True
        self.json = True
        self.relative_urls = False
        self.etag = True
        self.last_modified = True
        self.cache_control = None
        self.files_cache_control = None
        self.ranges = True
        self.auth = None
        self.auth_paths = "*"
        self.files_redirect = None
        self.gzip = True
        self.name_redirect = True
        self.log = []
        self.connections = 0
        self.bytes_sent = 0
        self.errors = []
        self._files = {}  # filename -> _Hosted
        self._names = {}  # normalized project -> display name (first added)
        self._redirects = {}  # path -> (status, location)
        self._faults = []
        self._serial = 0
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None
        self._handlers = {}  # thread -> socket, for a clean stop

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "IndexServer":
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name="IndexServer", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        # Our own accept loop instead of serve_forever(): stop() wakes it at once
        # through a socketpair, where serve_forever polls (0.5 s by default).
        import selectors
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd.socket, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._httpd.socket and not self._stopping.is_set():
                        self._httpd._handle_request_noblock()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close every open connection and join all threads."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()  # also wakes delayed responses
        self._wake_w.send(b"x")
        self._thread.join(timeout)
        httpd.server_close()
        self._wake_r.close()
        self._wake_w.close()
        with self._lock:
            handlers = list(self._handlers.items())
        for _, sock in handlers:
            try:  # wakes handlers blocked reading the next keep-alive request
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread, _ in handlers:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd = self._thread = None

    def __enter__(self) -> "IndexServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("IndexServer is not started")
        return "http://127.0.0.1:%d" % self.port

    @property
    def index_url(self) -> str:
        """The simple index root, ``http://127.0.0.1:PORT/simple`` (no trailing slash)."""
        return self.url + "/simple"

    @property
    def find_links_url(self) -> str:
        """The flat find-links page, ``http://127.0.0.1:PORT/links/``."""
        return self.url + "/links/"

    def auth_url(self, path: str = "/simple", user: str | None = None, password: str | None = None) -> str:
        """URL of ``path`` with credentials embedded (``http://user:pass@127.0.0.1:PORT/simple``).

        Defaults to the credentials in ``auth``.
        """
        from urllib.parse import quote
        if user is None:
            user, password = self.auth
        return "http://%s:%s@127.0.0.1:%d%s" % (quote(user, safe=""), quote(password or "", safe=""), self.port, path)

    def file_url(self, filename: str) -> str:
        """Absolute URL of a hosted file (``/files/<filename>``)."""
        from urllib.parse import quote
        return self.url + "/files/" + quote(filename)

    # -- content -------------------------------------------------------------

    def add(self, filename: str, data: bytes, *, requires_python=None, yanked=None, upload_time=None,
            metadata=None, hashes=None, project=None) -> str:
        """Host ``data`` as ``/files/<filename>``; return the file's URL.

        - ``requires_python``: the index's requires-python for the file.
        - ``yanked``: None (not yanked), True or "" (yanked, no reason), or a reason str.
        - ``upload_time``: ISO 8601 str for PEP 700 ``upload-time`` (omitted if None).
        - ``metadata``: PEP 658 bytes; None -> the wheel's ``METADATA`` (sdists:
          none); False -> no metadata file for this file.
        - ``hashes``: dict alg -> hex listed by the index instead of the real
          sha256 (``{}`` lists no hash; a wrong value makes a hash mismatch).
        - ``project``: project name, when it can't be read from the filename.

        Re-adding a filename replaces it.  Each change advances the logical
        clock, so ETag and Last-Modified of the affected pages change.
        """
        name, version = _split_filename(filename)
        hosted = _Hosted()
        hosted.filename, hosted.data = filename, bytes(data)
        hosted.project = normalize_name(project or name)
        hosted.version = version
        hosted.requires_python = requires_python
        hosted.yanked = "" if yanked is True else (None if yanked is False else yanked)
        hosted.upload_time = upload_time
        if metadata is None and filename.endswith(".whl"):
            metadata = read_wheel_metadata(hosted.data)
        hosted.metadata = metadata or None
        hosted.hashes = {"sha256": sha256(hosted.data)} if hashes is None else dict(hashes)
        with self._lock:
            self._serial += 1
            hosted.serial = self._serial
            self._files[filename] = hosted
            self._names.setdefault(hosted.project, project or name)
        return self.file_url(filename)

    def add_file(self, path, **kwargs) -> str:
        """Host the file at ``path`` under its basename; keywords as in ``add``; return its URL."""
        path = os.fspath(path)
        with open(path, "rb") as f:
            return self.add(os.path.basename(path), f.read(), **kwargs)

    def add_wheel(self, name: str, version: str, *, yanked=None, upload_time=None, metadata=None,
                  hashes=None, index_requires_python="same", **wheel_kwargs) -> str:
        """Build a wheel with ``make_wheel(name, version, **wheel_kwargs)``, host it, return its filename.

        ``requires_python`` goes into the wheel's METADATA and the index listing,
        unless ``index_requires_python`` gives the listing a different value.
        The other keywords are those of ``add``.
        """
        wheel_kwargs.pop("out_dir", None)
        filename = wheel_kwargs.pop("filename", None) or wheel_filename(
            name, version, wheel_kwargs.get("tag", "py3-none-any"), wheel_kwargs.get("build"))
        data = make_wheel(name, version, **wheel_kwargs)
        rp = wheel_kwargs.get("requires_python") if index_requires_python == "same" else index_requires_python
        self.add(filename, data, requires_python=rp, yanked=yanked, upload_time=upload_time,
                 metadata=metadata, hashes=hashes, project=name)
        return filename

    def add_sdist(self, name: str, version: str, *, yanked=None, upload_time=None, metadata=None,
                  hashes=None, index_requires_python="same", **sdist_kwargs) -> str:
        """Build an sdist with ``make_sdist(name, version, **sdist_kwargs)``, host it, return its filename.

        Keywords as in ``add_wheel``; sdists get no PEP 658 file unless
        ``metadata`` is given.
        """
        sdist_kwargs.pop("out_dir", None)
        filename = sdist_kwargs.pop("filename", None) or sdist_filename(name, version, sdist_kwargs.get("fmt", "tar.gz"))
        data = make_sdist(name, version, **sdist_kwargs)
        rp = sdist_kwargs.get("requires_python") if index_requires_python == "same" else index_requires_python
        self.add(filename, data, requires_python=rp, yanked=yanked, upload_time=upload_time,
                 metadata=metadata if metadata is not None else False, hashes=hashes, project=name)
        return filename

    def remove(self, filename: str) -> None:
        """Stop hosting ``filename`` (its project page changes)."""
        with self._lock:
            hosted = self._files.pop(filename)
            self._serial += 1
            if not any(f.project == hosted.project for f in self._files.values()):
                self._names.pop(hosted.project, None)

    def data(self, filename: str) -> bytes:
        """The bytes hosted as ``filename``."""
        return self._files[filename].data

    @property
    def filenames(self) -> list:
        """Hosted filenames, in the order added."""
        with self._lock:
            return list(self._files)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Answer requests for exactly ``path`` with a redirect to ``location`` (relative or absolute)."""
        with self._lock:
            self._redirects[path] = (status, location)

    # -- faults --------------------------------------------------------------

    def inject(self, pattern: str, kind: str, times=1, **params) -> Fault:
        """Make the next ``times`` requests whose path matches ``pattern`` misbehave.

        ``pattern`` is an exact path (``"/files/a-1.0-py3-none-any.whl"``) or an
        fnmatch pattern (``"/simple/*"``); the query string is ignored.
        ``times=None`` means every matching request.  Kinds and params:

        - ``"status"``: answer ``status`` (default 500) with a short body;
          ``retry_after=N`` adds ``Retry-After: N`` (use with status=429/503).
        - ``"delay"``: sleep ``seconds`` (default 1.0) before answering
          normally; combines with another fault on the same path.
        - ``"drop"``: send headers and the first ``after`` bytes of the body
          (default half), then reset the connection (RST).
        - ``"truncate"``: declare the full Content-Length but send only
          ``after`` bytes (default half), then close the connection (FIN).
        - ``"corrupt"``: serve a body of the same length with bytes flipped (or
          ``body=`` bytes) -- so the index hash no longer matches.
        - ``"malformed"``: serve ``body=`` (default: a broken JSON/HTML page
          of the same content type) with status 200.
        - ``"slow"``: send the body in pieces of ``chunk`` bytes (default
          16384), ``pause`` seconds (default 0.05) apart: a download to watch.

        Faults are checked in the order injected; all matching ``delay``
        faults apply, then the first other matching fault.  Returns the
        ``Fault``, whose ``hits`` counts the requests it affected.
        """
        fault = Fault(pattern, kind, times, params)
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(self, pattern: str, status: int = 500, times=1, retry_after=None) -> Fault:
        """Shortcut for ``inject(pattern, "status", times, status=..., retry_after=...)``."""
        return self.inject(pattern, "status", times, status=status, retry_after=retry_after)

    def clear_faults(self) -> None:
        """Remove all injected faults."""
        with self._lock:
            self._faults = []

    def _take_faults(self, path: str) -> list:
        """Consume and return the faults that apply to one request for ``path``."""
        taken, terminal = [], False
        with self._lock:
            for fault in self._faults:
                if fault.remaining == 0 or not _path_matches(fault.pattern, path):
                    continue
                if fault.kind != "delay":
                    if terminal:
                        continue
                    terminal = True
                taken.append(fault)
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
        return taken

    # -- counters ------------------------------------------------------------

    @property
    def total_requests(self) -> int:
        """Number of requests received since start / the last ``reset_counters``."""
        return len(self.log)

    def requests_for(self, pattern: str, method: str | None = None) -> int:
        """Count requests whose path equals ``pattern`` or matches it as an fnmatch pattern.

        The query string is ignored and the path is percent-decoded first, so
        ``requests_for("/files/a-1.0+local-py3-none-any.whl")`` counts requests
        for ``/files/a-1.0%2Blocal-py3-none-any.whl``.  ``method``: only count
        this method ("GET", "HEAD").
        """
        from urllib.parse import unquote
        with self._lock:
            return sum(1 for r in self.log if _path_matches(pattern, unquote(r.path.split("?", 1)[0]))
                       and (method is None or r.method == method))

    def paths(self) -> list:
        """Request paths (with query) in the order received."""
        with self._lock:
            return [r.path for r in self.log]

    def reset_counters(self) -> None:
        """Forget the request log and zero ``connections`` and ``bytes_sent``."""
        with self._lock:
            self.log = []
            self.connections = 0
            self.bytes_sent = 0
            self.errors = []

    # -- static copies -------------------------------------------------------

    def write_mirror(self, root) -> str:
        """Write a static simple index under ``root``; return the path of its ``simple`` dir.

        Layout: ``simple/index.html``, ``simple/<name>/index.html`` (PEP 503
        HTML, links relative ``../../files/<filename>#sha256=...``),
        ``files/<filename>`` and ``files/<filename>.metadata`` (when PEP 658 is
        on).  Use ``pathlib.Path(result).as_uri()`` as a ``file://`` index URL.
        """
        root = os.fspath(root)
        simple = os.path.join(root, "simple")
        files_dir = os.path.join(root, "files")
        os.makedirs(files_dir, exist_ok=True)
        with self._lock:
            hosted = list(self._files.values())
            projects = sorted(self._names)
        for project in projects:
            page = self._html_page(project, [f for f in hosted if f.project == project], "../../files/")
            os.makedirs(os.path.join(simple, project), exist_ok=True)
            _write_bytes(os.path.join(simple, project, "index.html"), page)
        _write_bytes(os.path.join(simple, "index.html"), self._html_index(projects))
        for f in hosted:
            _write_bytes(os.path.join(files_dir, f.filename), f.data)
            if f.metadata is not None and self.pep658:
                _write_bytes(os.path.join(files_dir, f.filename + ".metadata"), f.metadata)
        return simple

    def write_flat(self, directory) -> str:
        """Write every hosted file into ``directory`` (a find-links directory); return it."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        with self._lock:
            hosted = list(self._files.values())
        for f in hosted:
            _write_bytes(os.path.join(directory, f.filename), f.data)
        return directory

    # -- page rendering ------------------------------------------------------

    def _project_files(self, project):
        with self._lock:
            return [f for f in self._files.values() if f.project == project]

    def _serial_of(self, files) -> int:
        return max((f.serial for f in files), default=0)

    def _file_href(self, f, base: str) -> str:
        from urllib.parse import quote
        href = base + quote(f.filename)
        if f.hashes:
            alg = "sha256" if "sha256" in f.hashes else next(iter(f.hashes))
            href += "#%s=%s" % (alg, f.hashes[alg])
        return href

    def _anchor(self, f, base: str) -> str:
        import html
        attrs = ['href="%s"' % html.escape(self._file_href(f, base))]
        if f.requires_python is not None:
            attrs.append('data-requires-python="%s"' % html.escape(f.requires_python))
        if f.yanked is not None:
            attrs.append('data-yanked="%s"' % html.escape(f.yanked))
        if self.pep658 and f.metadata is not None:
            value = html.escape("sha256=" + sha256(f.metadata))
            attrs.append('data-dist-info-metadata="%s" data-core-metadata="%s"' % (value, value))
        return "    <a %s>%s</a><br />" % (" ".join(attrs), html.escape(f.filename))

    def _html_page(self, project, files, base) -> bytes:
        import html
        title = "Links for %s" % html.escape(project)
        lines = ["<!DOCTYPE html>", "<html>", "  <head>",
                 '    <meta name="pypi:repository-version" content="1.1">',
                 "    <title>%s</title>" % title, "  </head>", "  <body>", "    <h1>%s</h1>" % title]
        lines.extend(self._anchor(f, base) for f in files)
        lines += ["  </body>", "</html>", ""]
        return "\n".join(lines).encode("utf-8")

    def _html_index(self, projects, base="") -> bytes:
        import html
        lines = ["<!DOCTYPE html>", "<html>", "  <head>",
                 '    <meta name="pypi:repository-version" content="1.1">',
                 "    <title>Simple index</title>", "  </head>", "  <body>"]
        lines.extend('    <a href="%s%s/">%s</a><br />' % (base, html.escape(_quote(p)), html.escape(self._names.get(p, p)))
                     for p in projects)
        lines += ["  </body>", "</html>", ""]
        return "\n".join(lines).encode("utf-8")

    def _json_page(self, project, files, base) -> bytes:
        entries, versions = [], []
        for f in files:
            entry = {"filename": f.filename, "url": self._file_href(f, base).split("#")[0],
                     "hashes": dict(f.hashes), "requires-python": f.requires_python,
                     "yanked": False if f.yanked is None else (f.yanked or True), "size": len(f.data)}
            if f.upload_time is not None:
                entry["upload-time"] = f.upload_time
            meta = {"sha256": sha256(f.metadata)} if (self.pep658 and f.metadata is not None) else False
            entry["core-metadata"] = meta
            entry["data-dist-info-metadata"] = meta
            entries.append(entry)
            if f.version and f.version not in versions:
                versions.append(f.version)
        page = {"meta": {"api-version": "1.1", "_last-serial": self._serial_of(files)},
                "name": project, "versions": versions, "files": entries}
        return json.dumps(page, indent=1).encode("utf-8")

    def _json_index(self, projects) -> bytes:
        page = {"meta": {"api-version": "1.1", "_last-serial": self._serial},
                "projects": [{"name": self._names.get(p, p)} for p in projects]}
        return json.dumps(page, indent=1).encode("utf-8")


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


# -- HTTP plumbing -----------------------------------------------------------

class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that counts accepted sockets and tracks handler threads."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs when many clients connect
    # at once, and each dropped SYN costs the client a 1 s retransmit.
    request_queue_size = 128

    def __init__(self, owner: IndexServer):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        conn, addr = super().get_request()
        with self.owner._lock:
            self.owner.connections += 1
        return conn, addr

    def process_request(self, request, client_address):
        thread = threading.Thread(target=self._run, args=(request, client_address),
                                  name="IndexServer-conn", daemon=True)
        with self.owner._lock:
            self.owner._handlers[thread] = request
        thread.start()

    def _run(self, request, client_address):
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.owner._lock:
                self.owner._handlers.pop(threading.current_thread(), None)

    def handle_error(self, request, client_address):
        # Clients going away mid-response is normal in fault tests; keep stderr quiet.
        import traceback
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):  # ConnectionError, timeouts, closed sockets
            self.owner.errors.append(traceback.format_exc())


class _CountingWriter:
    """Wraps the connection's writer to count bytes sent."""

    def __init__(self, inner, owner):
        self.inner, self.owner = inner, owner

    def write(self, data):
        n = self.inner.write(data)
        with self.owner._lock:
            self.owner.bytes_sent += len(data)
        return n

    def flush(self):
        self.inner.flush()

    def close(self):
        self.inner.close()

    @property
    def closed(self):
        return self.inner.closed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "puffin-test-index/1.0"
    timeout = 60  # an idle keep-alive connection is dropped after this many seconds

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus
        # the client's delayed ACK adds ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner = self.server.owner
        self.wfile = _CountingWriter(self.wfile, self.owner)

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def send_response(self, code, message=None):
        if getattr(self, "record", None) is not None:
            self.record.status = code
        super().send_response(code, message)

    # -- entry points --------------------------------------------------------

    def do_GET(self):
        self._dispatch(head=False)

    def do_HEAD(self):
        self._dispatch(head=True)

    def _other(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # keep the connection in sync
        self.record = self._log()
        self._plain(405, "method not allowed\n", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other

    def _log(self):
        record = RequestRecord(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        with self.owner._lock:
            self.owner.log.append(record)
        return record

    def _dispatch(self, head):
        from urllib.parse import parse_qs, unquote, urlsplit
        self.head = head
        self.record = self._log()
        self.body_fault = None
        split = urlsplit(self.path)
        path, self.query = unquote(split.path), parse_qs(split.query)
        owner = self.owner
        terminal = None
        for fault in owner._take_faults(path):
            if fault.kind == "delay":
                owner._stopping.wait(fault.params.get("seconds", 1.0))
            else:
                terminal = fault
        if terminal is not None and terminal.kind == "status":
            status = terminal.params.get("status", 500)
            extra = {}
            if terminal.params.get("retry_after") is not None:
                extra["Retry-After"] = str(terminal.params["retry_after"])
            body = terminal.params.get("body", "injected fault: %d\n" % status)
            return self._plain(status, body, extra)
        self.body_fault = terminal
        if owner.auth is not None and _path_matches(owner.auth_paths, path) and not self._authorized():
            return self._plain(401, "authentication required\n",
                               {"WWW-Authenticate": 'Basic realm="puffin-test-index"'})
        with owner._lock:
            redirect = owner._redirects.get(path)
        if redirect is not None:
            return self._redirect(redirect[1], redirect[0])
        self._route(path)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return (user, password) == tuple(self.owner.auth)

    def _route(self, path):
        owner = self.owner
        if path in ("/simple", "/links"):
            return self._redirect(path + "/", 301)
        if path == "/simple/":
            return self._serve_index()
        if path == "/links/":
            with owner._lock:
                files = list(owner._files.values())
            page = owner._html_page("all files", files, "../files/" if owner.relative_urls else owner.url + "/files/")
            return self._serve_page(page, _TEXT_HTML, owner._serial_of(files))
        if path.startswith("/simple/"):
            return self._serve_project(path[len("/simple/"):])
        for prefix in ("/files/", "/blobs/"):
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                return self._serve_file(path[len(prefix):], redirectable=prefix == "/files/")
        return self._plain(404, "not found\n")

    # -- simple pages --------------------------------------------------------

    def _content_type(self) -> str:
        offers = [_TEXT_HTML, HTML_CONTENT_TYPE] + ([JSON_CONTENT_TYPE] if self.owner.json else [])
        forced = self.query.get("format")
        if forced and forced[0] in offers:
            return forced[0]
        return negotiate_simple(self.headers.get("Accept"), offers)

    def _serve_index(self):
        owner = self.owner
        with owner._lock:
            projects = sorted(owner._names)
        ctype = self._content_type()
        page = owner._json_index(projects) if ctype == JSON_CONTENT_TYPE else owner._html_index(projects)
        self._serve_page(page, ctype, owner._serial)

    def _serve_project(self, rest):
        owner = self.owner
        name = rest[:-1] if rest.endswith("/") else rest
        if not name or "/" in name:
            return self._plain(404, "not found\n")
        project = normalize_name(name)
        if owner.name_redirect and rest != project + "/":
            return self._redirect("/simple/%s/" % _quote(project), 301)
        files = owner._project_files(project)
        if not files:
            return self._plain(404, "project not found\n")
        ctype = self._content_type()
        if owner.relative_urls:
            base = "../../files/"
        else:
            base = owner.url + "/files/"
        if ctype == JSON_CONTENT_TYPE:
            page = owner._json_page(project, files, base)
        else:
            page = owner._html_page(project, files, base)
        self._serve_page(page, ctype, owner._serial_of(files))

    def _serve_page(self, page: bytes, ctype: str, serial: int):
        owner = self.owner
        headers = {"Vary": "Accept, Accept-Encoding", "X-PyPI-Last-Serial": str(serial)}
        if owner.cache_control:
            headers["Cache-Control"] = owner.cache_control
        gzipped = owner.gzip and "gzip" in self.headers.get("Accept-Encoding", "") and self.body_fault is None
        etag = '"%s%s"' % (sha256(ctype.encode() + page)[:32], "-gz" if gzipped else "")
        content_type = ctype + ("; charset=utf-8" if "html" in ctype else "")
        if self._not_modified(etag, _CLOCK_BASE + 60 * serial, headers):
            return
        if gzipped:
            import gzip
            page = gzip.compress(page, mtime=0)
            headers["Content-Encoding"] = "gzip"
        if self.body_fault is not None and self.body_fault.kind == "malformed":
            default = b'{"meta": {"api-version": "1.1"}, "files": [{"filename": ' if "json" in ctype \
                else b'<!DOCTYPE html>\n<html><body><a href="../../files/broken'
            page = _to_bytes(self.body_fault.params.get("body", default))
        self._send(200, page, content_type, headers)

    # -- files ---------------------------------------------------------------

    def _serve_file(self, filename, redirectable):
        owner = self.owner
        wants_metadata = filename.endswith(".metadata")
        with owner._lock:
            hosted = owner._files.get(filename[: -len(".metadata")] if wants_metadata else filename)
            if wants_metadata and filename in owner._files:  # a file really named *.metadata
                hosted, wants_metadata = owner._files[filename], False
        if hosted is None:
            return self._plain(404, "file not found\n")
        if wants_metadata:
            if not owner.pep658 or hosted.metadata is None:
                return self._plain(404, "no metadata\n")
            body = hosted.metadata
        else:
            if redirectable and owner.files_redirect:
                return self._redirect("/blobs/" + _quote(filename), owner.files_redirect)
            body = hosted.data
        headers = {}
        if owner.files_cache_control:
            headers["Cache-Control"] = owner.files_cache_control
        if owner.ranges:
            headers["Accept-Ranges"] = "bytes"
        if self._not_modified('"%s"' % sha256(body)[:32], _CLOCK_BASE + 60 * hosted.serial, headers):
            return
        ctype = "text/plain; charset=utf-8" if wants_metadata else "application/octet-stream"
        status, body = self._apply_range(body, headers)
        if status == 416:
            return self._send(416, b"", "text/plain", headers)
        self._send(status, body, ctype, headers)

    def _apply_range(self, body, headers):
        """Return (status, body) after honouring a Range header (adds Content-Range)."""
        header = self.headers.get("Range")
        if not self.owner.ranges or not header:
            return 200, body
        match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
        if not match or not (match.group(1) or match.group(2)):
            return 200, body  # invalid or multiple ranges: ignored, as RFC 9110 allows
        size = len(body)
        if match.group(1):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else max(start, size - 1)
            if end < start:
                return 200, body  # invalid: ignored
            end = min(end, size - 1)
        else:
            suffix = int(match.group(2))
            start, end = (max(0, size - suffix) if suffix else size), size - 1
        if start >= size:
            headers["Content-Range"] = "bytes */%d" % size
            return 416, b""
        headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
        return 206, body[start:end + 1]

    # -- responses -----------------------------------------------------------

    def _not_modified(self, etag, modified, headers) -> bool:
        """Add validators to ``headers``; send 304 and return True when the request is fresh."""
        import email.utils
        owner = self.owner
        if owner.etag:
            headers["ETag"] = etag
        if owner.last_modified:
            headers["Last-Modified"] = _http_date(modified)
        inm = self.headers.get("If-None-Match")
        fresh = False
        if owner.etag and inm:
            tags = [t.strip() for t in inm.split(",")]
            fresh = "*" in tags or etag in [t[2:] if t.startswith("W/") else t for t in tags]
        elif owner.last_modified and self.headers.get("If-Modified-Since"):
            try:
                since = email.utils.parsedate_to_datetime(self.headers["If-Modified-Since"]).timestamp()
                fresh = modified <= since
            except (TypeError, ValueError, IndexError):
                fresh = False
        if fresh and self.body_fault is None:
            self.send_response(304)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            return True
        return False

    def _redirect(self, location, status):
        self._plain(status, "redirect to %s\n" % location, {"Location": location})

    def _plain(self, status, text, headers=None):
        self._send(status, _to_bytes(text), "text/plain; charset=utf-8", headers or {})

    def _send(self, status, body, ctype, headers):
        """Send a complete response (always with Content-Length), applying body faults."""
        fault = self.body_fault
        if fault is not None and fault.kind == "corrupt":
            body = _to_bytes(fault.params["body"]) if "body" in fault.params else bytes(b ^ 0xFF for b in body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.head:
            return
        if fault is not None and fault.kind in ("drop", "truncate"):
            return self._send_partial(body, fault)
        if fault is not None and fault.kind == "slow":
            chunk = int(fault.params.get("chunk", 16384))
            for i in range(0, len(body), chunk):
                self.wfile.write(body[i:i + chunk])
                self.wfile.flush()
                if self.owner._stopping.wait(fault.params.get("pause", 0.05)):
                    break
            return
        self.wfile.write(body)

    def _send_partial(self, body, fault):
        after = fault.params.get("after")
        self.wfile.write(body[: len(body) // 2 if after is None else after])
        self.wfile.flush()
        self.close_connection = True
        if fault.kind == "drop":
            import struct
            # SO_LINGER 0: close() sends RST instead of FIN, like a crashed peer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def _quote(filename: str) -> str:
    from urllib.parse import quote
    return quote(filename)


# ---- what a user sees: shared checks of the CLI tests ------------------------------------------

def error_lines(err: str) -> list:
    """The stderr lines from the first `error:` on, after checking there is no traceback."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("error: ")]
    assert starts, err
    return lines[starts[0]:]


def assert_installed_whole(site: str, name: str, version: str, requested=None) -> str:
    """Check one install: RECORD lists every file with the right hash and size,
    INSTALLER says puffin, and (``requested`` True or False) REQUESTED is there
    exactly when the user asked for the package. Returns the dist-info path."""
    dist_info = os.path.join(site, "%s-%s.dist-info" % (escape_name(name), version))
    with open(os.path.join(dist_info, "INSTALLER"), encoding="utf-8") as f:
        assert f.read().strip() == "puffin"
    if requested is not None:
        assert os.path.isfile(os.path.join(dist_info, "REQUESTED")) is requested
    with open(os.path.join(dist_info, "RECORD"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows
    for path, digest, size in rows:
        full = os.path.normpath(os.path.join(site, path))
        assert os.path.isfile(full), path
        if path.endswith("RECORD"):
            assert digest == "" and size == ""
            continue
        with open(full, "rb") as f:
            data = f.read()
        assert digest == record_hash(data), path
        assert int(size) == len(data), path
    return dist_info
