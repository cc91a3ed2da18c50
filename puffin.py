#!/usr/bin/env python3
"""puffin.py: a Python package installer in one file of pure standard-library Python.

It does what Astral's puffin (now uv) does with ``pip-compile``, ``pip-sync`` and
``pip-install``, and needs nothing installed: copy this file anywhere and run it with
the Python that is already there (CPython 3.9+; targets CPython 3.8+).

    VENV/bin/python puffin.py pip-install requests
    python3 puffin.py pip-compile requirements.in -o requirements.txt
    python3 puffin.py pip-sync requirements.txt

The file reads top to bottom in numbered sections; a section uses the ones above
it, never the ones below (grep for '# ====' to get the table of contents):

     1. Foundations           errors, printer, tracing, files, locks, OnceMap, pool
     2. Standards             names, versions, specifiers, markers, requirements,
                              filenames, wheel tags, core metadata, RECORD, TOML
     3. Distributions         IndexFile, Dist, the BuildContext contract
     4. Cache                 versioned buckets on disk
     5. Interpreters          query a target Python; find the environment; venvs
     6. Requirement sources   requirements.txt, pyproject.toml
     7. Wheel install         one wheel into one environment; uninstall
     8. Index client          HTTP, simple pages, find-links
     9. Distribution database metadata, downloads, unzipped wheels in the cache
    10. Resolver              PubGrub over the index
    11. Builds                PEP 517 builds through the BuildContext
    12. Install plan          what to keep, fetch, remove; executing it
    13. Commands              pip-compile, pip-sync, pip-install, ...
    14. Command line          argparse and main()
"""

__version__ = "0.1.0"
VERSION_LINE = "puffin.py " + __version__   # what every --version prints

# Before anything an older Python cannot run: a plain line, not a traceback.
# (The file compiles on 3.6 and later: annotations are strings, no newer syntax.)
if __import__("sys").version_info < (3, 8):
    __import__("sys").stderr.write("error: puffin.py needs Python 3.9+ to run (it can install "
                                   "into 3.8+ with --python)\n")
    raise SystemExit(2)

# `puffin.py --version` answers before the rest of the file is defined: start-up
# is the first thing a user measures (at most twice `python -c pass`). A Ctrl-C
# before main() takes over ends the process quietly (130), never with a traceback.
if __name__ == "__main__":
    __import__("_signal").signal(2, lambda signum, frame: __import__("os")._exit(130))
    if __import__("sys").argv[1:] in (["--version"], ["-V"]):
        print(VERSION_LINE)
        raise SystemExit(0)

import gc as _gc
_GC_WAS_ON = _gc.isenabled()
_gc.disable()   # defining the file makes ~100k objects: no collection need look at them meanwhile

import _thread
import errno
import io
import itertools
import os
import stat
import sys
import time


class _LazyModule:
    """A module imported when first used, then put in its own name's place.

    ``re`` and ``json`` cost about 5 ms to import, a third of our start-up
    budget (``puffin --version`` may take at most twice ``python -c pass``), and
    most commands need them only after parsing the command line.
    """

    def __init__(self, name: "str"):
        self._name = name

    def __getattr__(self, attr: "str"):
        module = __import__(self._name)
        globals()[self._name] = module
        return getattr(module, attr)


re = _LazyModule("re")
json = _LazyModule("json")
threading = _LazyModule("threading")   # locks come from _thread; threads start later
functools = _LazyModule("functools")   # (with collections: 3 ms of start-up)


# =============================================================================
# 1. Foundations
# =============================================================================
# Owns: constants, the PuffinError family, warnings, Printer/Reporter, tracing
# spans, atomic writes, file locks, safe joins, link-or-copy, OnceMap and the
# shared thread pool. Uses nothing else in this file.

# The one place the default index is written down (pip and uv use the same).
DEFAULT_INDEX_URL = "https://pypi.org/simple"

USER_AGENT = "puffin.py/%s (%s %d.%d.%d; %s)" % (
    __version__, sys.implementation.name, sys.version_info[0], sys.version_info[1],
    sys.version_info[2], sys.platform)


# ---- errors -----------------------------------------------------------------

class PuffinError(Exception):
    """Every error puffin.py raises on purpose.

    Carries data, not prose layout: ``message`` (one line, what went wrong),
    ``hint`` (optional, what to try), ``causes`` (optional chain, printed as
    ``Caused by:`` lines). ``exit_code`` is 2 (an error) unless a subclass says
    1 (the request cannot be satisfied). Only the command line prints them.
    """

    exit_code = 2

    def __init__(self, message: "str", hint: "str | None" = None, causes=None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.causes = list(causes or ())

    def __str__(self) -> "str":
        return self.message


class InputError(PuffinError):
    """Bad input in a file or argument: ``<file>:<line>: <what is wrong>``.

    ``text`` is the offending input, shown by the command line under the error,
    with ``caret`` (``   ~~^``) under its bad spot when known.
    """

    def __init__(self, message: "str", *, file: "str | None" = None, line: "int | None" = None,
                 text: "str | None" = None, hint: "str | None" = None, caret: "str | None" = None):
        self.reason = message
        self.file = file
        self.line = line
        self.text = text
        self.caret = caret
        where = ""
        if file is not None:
            where = "%s:%s: " % (file, line) if line is not None else "%s: " % file
        super().__init__(where + message, hint=hint)


class UsageError(PuffinError):
    """Options or arguments that cannot go together."""


class NetworkError(PuffinError):
    """A request that failed for good (after retries)."""


class NotFoundError(PuffinError):
    """Something named by the user does not exist (a package, a file, a URL)."""


class HashMismatchError(PuffinError):
    """A file whose digest is not the one the index or the user expects."""

    def __init__(self, filename: "str", expected: "dict", actual: "str", alg: "str" = "sha256"):
        self.filename = filename
        self.expected = dict(expected)
        self.actual = actual
        lines = ["Hash mismatch for `%s`" % filename, "", "Expected:"]
        for a, digests in sorted(self.expected.items()):
            for d in sorted(digests) if isinstance(digests, (set, frozenset, list, tuple)) else [digests]:
                lines.append("  %s:%s" % (a, d))
        lines += ["", "Computed:", "  %s:%s" % (alg, actual)]
        super().__init__("\n".join(lines))


class OfflineError(PuffinError):
    """The network was needed while running with --offline."""


class InterpreterError(PuffinError):
    """A path that is not a working Python, or a failed query of one."""


class InstallError(PuffinError):
    """A wheel that cannot be installed or uninstalled."""


class UnsafePathError(InstallError):
    """An archive member or RECORD path that would land outside its target."""


class BuildError(PuffinError):
    """A source distribution that cannot be built (or needs a build we cannot do)."""


class NoSolutionError(PuffinError):
    """The requirements cannot be satisfied (exit code 1)."""

    exit_code = 1


class CacheError(PuffinError):
    """The cache folder cannot be used."""


# ---- warnings and printing --------------------------------------------------

_WARNINGS: "list" = []          # every distinct warning of this process, in order
_WARN_LOCK = _thread.allocate_lock()


def warn_user(message: "str") -> "None":
    """Tell the user something is off without stopping: ``warning: message``.

    Printed once per distinct message through the current Printer (silent under
    ``-q``); tests read ``_WARNINGS``.
    """
    with _WARN_LOCK:
        if message in _WARNINGS:
            return
        _WARNINGS.append(message)
    _PRINTER.warn(message)


_BOOLEANS = {"1": True, "true": True, "t": True, "yes": True, "y": True, "on": True,
             "0": False, "false": False, "f": False, "no": False, "n": False, "off": False}


def parse_bool(value, where: "str") -> "bool":
    """The one reading of a boolean from the environment or a configuration
    file: 1/0, true/false, yes/no, on/off (and t/f, y/n), any case; anything
    else is a usage error naming ``where``."""
    word = str(value).strip().lower()
    if word in _BOOLEANS:
        return _BOOLEANS[word]
    raise UsageError("%s=%r is not a boolean" % (where, value),
                     hint="use 1 or 0, true or false, yes or no, on or off")


class Printer:
    """Where user-facing lines go. Data (compile output, freeze) goes to stdout,
    everything else (summaries, warnings, progress) to stderr, as uv does."""

    def __init__(self, quiet: "int" = 0, verbose: "int" = 0, out=None, err=None, color: "bool" = False):
        self.quiet = quiet
        self.verbose = verbose
        self._out = out
        self._err = err
        self.color = color   # ANSI colours on stderr (see use_color)
        self._lock = _thread.allocate_lock()

    def paint(self, text: "str", *styles: "str") -> "str":
        """``text`` in uv's colours (``bold``, ``dim``, ``red``, ``green``,
        ``yellow``, ``cyan``) when colour is on, else as it is."""
        if not self.color or not text:
            return text
        return "\x1b[%sm%s\x1b[0m" % (";".join(_ANSI[s] for s in styles), text)

    @property
    def err_stream(self):
        return self._err or sys.stderr

    def _write(self, stream, text: "str") -> "None":
        with self._lock:
            stream.write(text + "\n")
            stream.flush()

    def out(self, text: "str") -> "None":
        """Data the user asked for; printed even with -q."""
        self._write(self._out or sys.stdout, text)

    def info(self, text: "str") -> "None":
        if self.quiet <= 0:
            self._write(self.err_stream, text)

    def done(self, text: "str") -> "None":
        """A summary line (``Resolved 3 packages in 5ms``), dimmed as uv dims it."""
        if self.quiet <= 0:
            self._write(self.err_stream, self.paint(text, "dim"))

    def debug(self, text: "str") -> "None":
        if self.verbose > 0 and self.quiet <= 0:
            self._write(self.err_stream, text)

    def warn(self, text: "str") -> "None":
        if self.quiet <= 1:
            self._write(self.err_stream, self.paint("warning", "yellow", "bold") + self.paint(":", "bold")
                        + " " + text)

    def is_tty(self) -> "bool":
        try:
            return self.quiet <= 0 and self.err_stream.isatty()
        except (AttributeError, ValueError):
            return False


_ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def use_color(choice: "str", env, stream) -> "bool":
    """Colour on stderr: ``--color always|never`` decide; ``auto`` (the
    default) follows NO_COLOR (off), then FORCE_COLOR / CLICOLOR_FORCE (on),
    then whether stderr is a terminal (and TERM is not ``dumb``)."""
    if choice in ("always", "never"):
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR") or env.get("CLICOLOR_FORCE"):
        return True
    try:
        return bool(stream.isatty()) and env.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


_PRINTER = Printer()


def set_printer(printer: "Printer") -> "Printer":
    """Install the process's Printer (the command line does this); returns the old one."""
    global _PRINTER
    old, _PRINTER = _PRINTER, printer
    return old


def format_duration(seconds: "float") -> "str":
    """uv's way of writing elapsed time: ``12ms`` below a second, ``1.23s`` above."""
    if seconds < 1:
        return "%dms" % int(seconds * 1000)
    return "%.2fs" % seconds


def format_size(n: "int") -> "str":
    """uv's way of writing a size: ``512B``, ``12.3KiB``, ``4.5MiB``, ``1.2GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d%s" if unit == "B" else "%.1f%s") % (n, unit)
        n /= 1024.0
    return "%dB" % n


def plural(n: "int", word: "str", words: "str | None" = None) -> "str":
    """``1 package``, ``2 packages``."""
    return "%d %s" % (n, word if n == 1 else (words or word + "s"))


class Reporter:
    """Progress sink passed as ``reporter=`` to long-running parts.

    ``event(kind, **fields)`` is called at points such as ``resolve.pin``,
    ``download.start``, ``download.done``, ``install.done``. The base class
    ignores everything; the command line passes a printing one, tests a recording one.
    """

    def event(self, kind: "str", **fields) -> "None":
        pass


# ---- values -----------------------------------------------------------------

class Value:
    """Base for small value classes: equality, hash and repr over the public slots.

    Chosen over dataclasses because ``@dataclass`` imports ``inspect`` and
    compiles code per class at import time, which would double our start-up.
    Slots whose names start with ``_`` are caches and take no part.
    """

    __slots__ = ()

    @classmethod
    def _fields(cls) -> "tuple":
        f = cls.__dict__.get("_FIELDS_CACHE")
        if f is None:
            names = []
            for klass in reversed(cls.__mro__):
                for n in klass.__dict__.get("__slots__", ()):
                    if not n.startswith("_") and n not in names:
                        names.append(n)
            f = tuple(names)
            setattr(cls, "_FIELDS_CACHE", f)
        return f

    def _astuple(self) -> "tuple":
        return tuple(getattr(self, n, None) for n in self._fields())

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._astuple() == other._astuple()

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash((type(self).__name__,) + tuple(
            tuple(sorted(v.items())) if isinstance(v, dict) else
            tuple(v) if isinstance(v, list) else v for v in self._astuple()))

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (n, getattr(self, n, None)) for n in self._fields()))


_RE_CACHE: "dict" = {}
_RE_IGNORECASE, _RE_VERBOSE = 2, 64   # re.IGNORECASE, re.VERBOSE without importing re


def _lazy_re(pattern: "str", flags: "int" = 0):
    """A compiled regex, compiled on first use: start-up pays for none of them."""
    key = (pattern, flags)
    r = _RE_CACHE.get(key)
    if r is None:
        r = _RE_CACHE[key] = re.compile(pattern, flags)
    return r


# ---- settings (the table of them is in section 13) -------------------------

class Setting(Value):
    """One option's other sources: ``kind`` (str, path, list, bool, float, int),
    environment variables best first, pip.conf's key, uv.toml's key."""

    __slots__ = ("dest", "kind", "env", "pip", "uv")

    def __init__(self, dest, kind, env=(), pip=None, uv=None):
        self.dest, self.kind, self.env, self.pip, self.uv = dest, kind, tuple(env), pip, uv


# Not options of a command, read where they are used (same rules):
CONCURRENCY = Setting("concurrency", "int", ("PUFFIN_CONCURRENCY", "UV_CONCURRENT_DOWNLOADS"))


def _setting_value(setting: "Setting", raw, where: "str", pips: "bool" = False):
    """A raw value (a string from the environment or pip.conf, or a TOML value)
    converted to the option's kind; UsageError naming ``where`` if it is not one.
    ``pips``: the value is pip's (PIP_* or pip.conf)."""
    kind = setting.kind
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        value = parse_bool(raw, where)
        # pip disables its cache for any valid PIP_NO_CACHE_DIR, "false" included
        return True if pips and setting.dest == "no_cache" else value
    if where in ("UV_INDEX", "UV_DEFAULT_INDEX"):   # uv's `name=url` entries: the URL
        raw = " ".join(_lazy_re(r"^[A-Za-z0-9_.-]+=(?=[A-Za-z][A-Za-z0-9+.-]*://)").sub("", v)
                       for v in str(raw).split())
    if kind == "list":
        if isinstance(raw, (list, tuple)):
            return [str(v) for v in raw]
        sep = "," if where.startswith("UV_FIND_LINKS") else None
        return [v.strip() for v in str(raw).split(sep) if v.strip()]
    if kind in ("float", "int"):
        try:
            value = (float if kind == "float" else int)(str(raw).strip())
        except ValueError:
            value = 0
        if value <= 0:
            raise UsageError("%s=%r is not a positive number" % (where, raw))
        return value
    if not isinstance(raw, str) or not raw.strip():
        raise UsageError("%s=%r is not a %s" % (where, raw, "path" if kind == "path" else "string"))
    return os.path.expanduser(raw.strip()) if kind == "path" else raw.strip()


def setting_from_env(env, setting: "Setting"):
    """(value, variable) of the first of the setting's variables that is set
    (an empty one is unset), or (None, None)."""
    for name in setting.env:
        raw = env.get(name)
        if raw is not None and raw.strip() != "":
            return _setting_value(setting, raw, name, name.startswith("PIP_")), name
    return None, None


# ---- tracing ----------------------------------------------------------------

class _NullSpan:
    """What ``span`` returns while tracing is off: entering it costs one call."""

    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def set(self, **args) -> "None":
        pass


_NULL_SPAN = _NullSpan()


class _Span:
    __slots__ = ("tracer", "name", "args", "start")

    def __init__(self, tracer, name, args):
        self.tracer = tracer
        self.name = name
        self.args = args
        self.start = 0

    def __enter__(self):
        self.start = time.perf_counter_ns()
        return self

    def set(self, **args) -> "None":
        """Add fields known only at the end (bytes read, status)."""
        self.args.update(args)

    def __exit__(self, exc_type, exc, tb):
        end = time.perf_counter_ns()
        if exc_type is not None:
            self.args["error"] = exc_type.__name__
        self.tracer.record(self.name, self.start, end, self.args)
        return False


class Tracer:
    """Collects timed spans; writes Chrome trace-event JSON (Perfetto opens it)
    and a by-name summary for ``-v``."""

    def __init__(self):
        self.events: "list" = []
        self.origin = time.perf_counter_ns()
        self.lock = _thread.allocate_lock()
        self.thread_names: "dict" = {}

    def record(self, name: "str", start: "int", end: "int", args: "dict") -> "None":
        tid = _thread.get_ident()
        ev = {"name": name, "ph": "X", "pid": os.getpid(), "tid": tid,
              "ts": (start - self.origin) / 1000.0, "dur": (end - start) / 1000.0}
        if args:
            ev["args"] = {k: (v if isinstance(v, (int, float, bool)) or v is None else str(v))
                          for k, v in args.items()}
        with self.lock:
            self.events.append(ev)
            if tid not in self.thread_names:
                self.thread_names[tid] = threading.current_thread().name

    def chrome_json(self) -> "str":
        meta = [{"name": "thread_name", "ph": "M", "pid": os.getpid(), "tid": tid,
                 "args": {"name": tname}} for tid, tname in self.thread_names.items()]
        return json.dumps({"traceEvents": meta + sorted(self.events, key=lambda e: e["ts"]),
                           "displayTimeUnit": "ms"})

    def summary(self, top: "int" = 15) -> "list":
        """Lines ``name  count  total`` for the most expensive span names."""
        totals: "dict" = {}
        for ev in self.events:
            c, t = totals.get(ev["name"], (0, 0.0))
            totals[ev["name"]] = (c + 1, t + ev["dur"])
        rows = sorted(totals.items(), key=lambda kv: -kv[1][1])[:top]
        return ["%-28s %6d  %s" % (name, c, format_duration(t / 1e6)) for name, (c, t) in rows]


_TRACER = None


def enable_tracing() -> "Tracer":
    """Turn spans on for the rest of the process (``-v`` or ``PUFFIN_TRACE``)."""
    global _TRACER
    if _TRACER is None:
        _TRACER = Tracer()
    return _TRACER


def span(_label: "str", **args):
    """``with span("http.get", url=u):`` times a step when tracing is on."""
    t = _TRACER
    if t is None:
        return _NULL_SPAN
    return _Span(t, _label, args)


# ---- files ------------------------------------------------------------------

def atomic_write(path: "str", data: "bytes", regular: "bool" = False) -> "None":
    """Write ``data`` to ``path`` so that readers see the old file or the new one,
    never a part: a temporary file in the same folder, fsync-free, then os.replace.
    ``regular``: the caller knows ``path`` is no device or fifo (a cache entry),
    so it is not looked at first."""
    if not regular:
        try:
            special = not stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            special = False
        if special:  # /dev/null, a fifo, /dev/stdout: write into it, never replace it
            with open(path, "wb") as f:
                f.write(data)
            return
    d = os.path.dirname(path) or "."
    ensure_folder(d)
    tmp = os.path.join(d, ".tmp-%d-%d-%s" % (os.getpid(), _thread.get_ident(),
                                             os.path.basename(path)))
    try:
        try:
            f = open(tmp, "wb")
        except FileNotFoundError:   # the folder went away since it was made (a cache clean)
            os.makedirs(d, exist_ok=True)
            f = open(tmp, "wb")
        with f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp, OSError)
        raise


_FOLDERS_MADE: "set" = set()


def ensure_folder(folder: "str", made: "set" = _FOLDERS_MADE) -> "None":
    """``os.makedirs(folder, exist_ok=True)`` once per folder in ``made`` (by
    default the process's): a cold run writes hundreds of cache entries into a
    few folders, and each makedirs of an existing one is a failing mkdir and a
    stat (writers whose folder was removed since make it again: see atomic_write)."""
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)


def _unlink_quietly(path: "str", missing=FileNotFoundError) -> "None":
    """Remove a file; ``missing`` (an exception class) is not an error."""
    try:
        os.unlink(path)
    except missing:
        pass


_SHA2_MODULES = ("_sha2", "_sha256") if sys.version_info >= (3, 12) else ("_sha256", "_sha2")


def sha256_of(data: "bytes"):
    """A sha256 object of ``data``. Small data before anything has imported
    hashlib is hashed by CPython's own sha256 module: importing hashlib loads
    OpenSSL (2 ms of a warm sync that hashes only a few small files)."""
    if len(data) < 65536 and "hashlib" not in sys.modules:
        for name in _SHA2_MODULES:
            try:
                return __import__(name).sha256(data)
            except ImportError:
                continue
    import hashlib
    return hashlib.sha256(data)


def atomic_write_text(path: "str", text: "str") -> "None":
    atomic_write(path, text.encode("utf-8"))


class FileLock:
    """An exclusive advisory lock on ``path`` (created if missing), held by a
    ``with`` block; other processes (and threads) block until it is released."""

    _thread_locks: "dict" = {}
    _guard = _thread.allocate_lock()

    def __init__(self, path: "str"):
        self.path = path
        self._fd = None
        with FileLock._guard:
            self._tlock = FileLock._thread_locks.setdefault(os.path.abspath(path), _thread.RLock())

    def __enter__(self):
        self._tlock.acquire()
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if os.name == "nt":  # pragma: no cover - exercised on Windows only
                import msvcrt
                msvcrt.locking(self._fd, msvcrt.LK_LOCK, 1)
            else:
                import fcntl
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._release()
            raise
        return self

    def _release(self):
        if self._fd is not None:
            try:
                os.close(self._fd)  # closing drops the flock
            finally:
                self._fd = None
        self._tlock.release()

    def __exit__(self, *exc):
        self._release()
        return False


def safe_join(root: "str", relpath: "str") -> "str":
    """``root/relpath``, refusing anything that would land outside ``root``.

    Checks the path's parts instead of calling ``os.path.realpath`` (as
    pypa/installer does): it is a string check per archive member, so it is
    fast, and symlinks inside the target are refused where they are created.
    """
    p = relpath.replace("\\", "/") if "\\" in relpath else relpath
    if not p or p[0] == "/" or p[1:2] == ":" or "\x00" in p:
        raise UnsafePathError("refusing the path %r: it is absolute or empty" % relpath)
    if "/." not in p and not p.startswith(".") and "//" not in p:
        return root + "/" + p if os.sep == "/" else os.path.join(root, *p.split("/"))
    parts = [part for part in p.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise UnsafePathError("refusing the path %r: it leaves the target folder" % relpath)
    return os.path.join(root, *parts)


_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES,
            getattr(errno, "ENOTSUP", -1), getattr(errno, "EOPNOTSUPP", -1)}


def link_or_copy(src: "str", dst: "str", mode: "str" = "hardlink") -> "str":
    """Put ``src`` at ``dst`` by ``mode`` (hardlink, copy or symlink); returns the
    mode used. A hardlink that the filesystem refuses (another device, as with
    Docker cache mounts) becomes a copy without fuss. ``dst`` is replaced."""
    if mode == "hardlink":
        try:
            _replace_with(dst, lambda tmp: os.link(src, tmp))
            return "hardlink"
        except OSError as e:
            if e.errno not in _NO_LINK:
                raise
        mode = "copy"
    if mode == "symlink":
        _replace_with(dst, lambda tmp: os.symlink(os.path.abspath(src), tmp))
        return "symlink"
    import shutil

    def _copy(tmp):
        try:
            shutil.copyfile(src, tmp)
        except OSError as e:
            if e.errno in _DISK_FULL:  # name the file that did not fit, not the source
                e.filename, e.filename2 = dst, None
            raise
        shutil.copymode(src, tmp)
    _replace_with(dst, _copy)
    return "copy"


_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", -1)}


def _replace_with(dst: "str", make) -> "None":
    """Create ``dst`` through ``make(tmp_path)`` then rename over any old file."""
    try:
        make(dst)
        return
    except FileExistsError:
        pass
    tmp = "%s.puffin-%d" % (dst, _thread.get_ident())
    make(tmp)
    os.replace(tmp, dst)
    if os.path.lexists(tmp):  # rename(2) does nothing when both are links to one file
        os.unlink(tmp)


def remove_tree(path: "str") -> "None":
    """Remove a folder (or file or link) if present, read-only entries included."""
    import shutil

    def onerror(func, p, exc_info):
        try:
            os.chmod(p, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
            func(p)
        except FileNotFoundError:
            pass
    if os.path.islink(path) or os.path.isfile(path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    if os.path.isdir(path):
        shutil.rmtree(path, onerror=onerror)


# ---- cancellation and child processes -----------------------------------------
# A signal (SIGINT, SIGTERM) stops the work at once: the command line's handler
# raises ``Interrupted`` in the main thread, kills the child processes (builds,
# bytecode compiles) by process group, and ends the process without waiting
# for worker threads. While the environment is being changed (``acting``),
# the first signal waits for that short, journaled step to finish, so an
# install is never left half linked by a Ctrl-C; a second one does not wait.

class Interrupted(BaseException):
    """A signal asked the process to stop; ``exit_code`` is 128 + its number."""

    def __init__(self, signum: "int" = 2):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum


class _Flag:
    """A flag threads read and the signal handler sets (``threading.Event``
    without ``wait``, which nothing here needs: no import of threading at start)."""

    def __init__(self):
        self._set = False

    def set(self) -> "None":
        self._set = True

    def clear(self) -> "None":
        self._set = False

    def is_set(self) -> "bool":
        return self._set


CANCEL = _Flag()               # set by the first signal: no new work starts
_SIGNALS: "list" = []            # the signals received, in order
_ACTING = {"depth": 0, "started": False, "finished": False}
_OWN_PROCESS = [False, False]  # main() runs the process (the script or console entry point);
#                                and, in that process, a signal is already stopping it


def check_cancelled() -> "None":
    """Raise ``Interrupted`` when a signal asked to stop (for worker threads
    about to start a request, a build or an unzip)."""
    if CANCEL.is_set():
        raise Interrupted(_SIGNALS[0] if _SIGNALS else 2)


class acting:
    """``with acting():`` marks the step that changes the environment; a
    signal received meanwhile is raised when the step ends."""

    def __enter__(self):
        _ACTING["depth"] += 1
        _ACTING["started"] = True
        return self

    def __exit__(self, exc_type, *exc):
        _ACTING["depth"] -= 1
        if _ACTING["depth"] == 0 and exc_type is None:
            _ACTING["finished"] = True
            if _SIGNALS:
                raise Interrupted(_SIGNALS[0])
        return False


def on_signal(signum, frame=None) -> "None":
    """The handler of SIGINT and SIGTERM (main thread only)."""
    if _OWN_PROCESS[1]:   # already stopping (see _interrupted): a second signal ends the process
        os._exit(128 + signum)
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        # in the import machinery's own callbacks (a module lock's weakref) an
        # exception is printed and then ignored: take the signal again a moment
        # later, from another thread (from this one, Python would run the
        # handler again at once, still inside the callback)
        def again():
            time.sleep(0.002)
            if sys.version_info >= (3, 10):
                _thread.interrupt_main(signum)
            else:
                _thread.interrupt_main()
        _thread.start_new_thread(again, ())
        return
    _SIGNALS.append(signum)
    CANCEL.set()
    if _ACTING["depth"] and len(_SIGNALS) == 1:
        return   # finish changing the environment first: it is short and journaled
    if _OWN_PROCESS[0]:
        _OWN_PROCESS[1] = True
    raise Interrupted(signum)


def reset_cancellation() -> "None":
    CANCEL.clear()
    del _SIGNALS[:]
    _ACTING.update(depth=0, started=False, finished=False)


_CHILDREN: "set" = set()
_CHILDREN_LOCK = _thread.allocate_lock()


def run_child(args, *, input=None, **kwargs):  # noqa: A002 - subprocess's own name
    """``subprocess.run`` for the children a signal must stop: each in a
    process group of its own, killed with its group when we are interrupted."""
    import subprocess
    check_cancelled()
    proc = subprocess.Popen(args, start_new_session=os.name != "nt",
                            stdin=subprocess.PIPE if input is not None else kwargs.pop("stdin", None),
                            **kwargs)
    with _CHILDREN_LOCK:
        _CHILDREN.add(proc)
    try:
        out, err = proc.communicate(input)
    except BaseException:
        stop_children([proc])
        raise
    finally:
        with _CHILDREN_LOCK:
            _CHILDREN.discard(proc)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def stop_children(procs=None) -> "None":
    """Terminate the children's process groups; kill what is left after 0.3 s."""
    import signal
    with _CHILDREN_LOCK:
        procs = list(_CHILDREN if procs is None else procs)
    for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
        alive = [p for p in procs if p.poll() is None]
        for proc in alive:
            try:
                if os.name == "nt":  # pragma: no cover
                    proc.kill()
                else:
                    os.killpg(proc.pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + 0.3
        while alive and time.monotonic() < deadline:
            alive = [p for p in alive if p.poll() is None]
            time.sleep(0.01)
        if not alive:
            return


# ---- concurrency ------------------------------------------------------------

class OnceMap:
    """One in-flight job per key: the first caller of ``get(key, fn)`` runs
    ``fn()``; callers arriving meanwhile wait and share its result or its
    exception; later callers get the stored result at once."""

    def __init__(self):
        self._lock = _thread.allocate_lock()
        self._done: "dict" = {}
        self._pending: "dict" = {}

    def get(self, key, fn):
        with self._lock:
            if key in self._done:
                ok, value = self._done[key]
                if ok:
                    return value
                raise value
            event = self._pending.get(key)
            owner = event is None
            if owner:
                event = self._pending[key] = threading.Event()
        if owner:
            try:
                value, ok = fn(), True
            except BaseException as e:  # handed to every waiter, then re-raised
                value, ok = e, False
            with self._lock:
                self._done[key] = (ok, value)
                del self._pending[key]
            event.set()
        else:
            event.wait()
            with self._lock:
                ok, value = self._done[key]
        if ok:
            return value
        raise value

    def peek(self, key, default=None):
        """The stored result for ``key`` if its job finished well, else ``default``."""
        with self._lock:
            entry = self._done.get(key)
        return entry[1] if entry and entry[0] else default

    def __contains__(self, key) -> "bool":
        with self._lock:
            return key in self._done or key in self._pending


class _NoCollection:
    """Garbage collection held off while a block builds many long-lived objects
    that form no cycles (an index page's rows and files): each page adds
    ~100k of them, and the collector would walk the whole heap again and again
    as they pile up (a fifth of the CPU of a large compile). Counted across
    threads; when the last block ends, what was built is left out of later
    collections (as the file's own definitions are) and collection resumes
    if it was on."""

    depth = 0
    was_on = False
    lock = _thread.allocate_lock()

    def __enter__(self):
        with _NoCollection.lock:
            if _NoCollection.depth == 0:
                _NoCollection.was_on = _gc.isenabled()
                _gc.disable()
            _NoCollection.depth += 1

    def __exit__(self, *exc):
        with _NoCollection.lock:
            _NoCollection.depth -= 1
            if _NoCollection.depth == 0:
                _gc.freeze()
                if _NoCollection.was_on:
                    _gc.enable()
        return False


_POOL = None
_POOL_LOCK = _thread.allocate_lock()
_JOB_LOCK = _thread.allocate_lock()


def concurrency(env) -> "int":
    """Threads for network and disk work (and connections per host):
    ``PUFFIN_CONCURRENCY`` (or uv's ``UV_CONCURRENT_DOWNLOADS``), else four per
    core, at least 4 and at most 16. The work is mostly waiting on sockets, but
    each TLS read takes the GIL back: on 2 cores a cold download of 110 wheels
    spends a fifth more CPU with 16 threads than with 8 (measured)."""
    try:
        n = setting_from_env(env, CONCURRENCY)[0]
    except ValueError:
        n = None
    return max(1, n) if n else min(16, max(4, 4 * (os.cpu_count() or 1)))


class CancelledJob(Exception):
    """``Job.result()`` of a job cancelled before it started."""


class Job:
    """One call run on a WorkerPool: ``result()`` waits for it and returns its
    value or raises its exception; ``cancel()`` stops it if it has not started.
    (What puffin.py used of concurrent.futures.Future: that module imports
    logging, 4 ms of a 70 ms warm sync.)"""

    __slots__ = ("_call", "_state", "_value", "_ok", "_done", "_notify")

    def __init__(self, fn, args, kwargs):
        self._call = (fn, args, kwargs)
        self._state = "pending"
        self._value = None
        self._ok = False
        self._done = _thread.allocate_lock()
        self._done.acquire()          # released once the job is over
        self._notify = []             # SimpleQueues of as_completed() callers

    def _run(self) -> "None":
        with _JOB_LOCK:
            if self._state != "pending":
                return
            self._state = "running"
        fn, args, kwargs = self._call
        self._call = None
        try:
            self._value, self._ok = fn(*args, **kwargs), True
        except BaseException as e:    # handed to whoever asks for the result
            self._value = e
        self._finish("finished")

    def _finish(self, state: "str") -> "None":
        with _JOB_LOCK:
            self._state = state
            notify, self._notify = self._notify, None
        self._done.release()
        for q in notify:
            q.put(self)

    def cancel(self) -> "bool":
        with _JOB_LOCK:
            if self._state != "pending":
                return self._state == "cancelled"
            self._state = "cancelling"
        self._call = None
        self._finish("cancelled")
        return True

    def cancelled(self) -> "bool":
        return self._state == "cancelled"

    def done(self) -> "bool":
        return self._state in ("finished", "cancelled")

    def result(self):
        if not self.done():
            self._done.acquire()
            self._done.release()
        if self._state == "cancelled":
            raise CancelledJob()
        if self._ok:
            return self._value
        raise self._value

    def _watch(self, q) -> "bool":
        """Put this job on ``q`` once it is over; False if it is over already."""
        with _JOB_LOCK:
            if self._notify is None:
                return False
            self._notify.append(q)
            return True


def as_completed(jobs):
    """The jobs, each as soon as it is over (finished or cancelled)."""
    from _queue import SimpleQueue
    q = SimpleQueue()
    waiting = 0
    for job in jobs:
        if job._watch(q):
            waiting += 1
        else:
            yield job
    while waiting:
        waiting -= 1
        yield q.get()


class WorkerPool:
    """Threads that run jobs from one queue, started as jobs arrive (up to
    ``workers``). Leaving a ``with`` block, or the end of the process, lets
    the queued jobs finish and stops the threads, as ThreadPoolExecutor does."""

    def __init__(self, workers: "int", name: "str"):
        from _queue import SimpleQueue
        self.workers = workers
        self.name = name
        self._queue = SimpleQueue()
        self._threads = []
        self._idle = 0
        self._closed = False

    def submit(self, fn, *args, **kwargs) -> "Job":
        job = Job(fn, args, kwargs)
        with _JOB_LOCK:
            if self._closed:
                raise RuntimeError("the worker pool %s is shut down" % self.name)
            start = self._idle == 0 and len(self._threads) < self.workers
            if start:
                t = threading.Thread(target=self._work, name="%s_%d" % (self.name, len(self._threads)))
                self._threads.append(t)
            elif self._idle:
                self._idle -= 1   # an idle thread will take it
        self._queue.put(job)
        if start:
            t.start()
        return job

    def _work(self) -> "None":
        get = self._queue.get
        while True:
            job = get()
            if job is None:
                return
            job._run()
            del job
            with _JOB_LOCK:
                self._idle += 1

    def map(self, fn, items):
        """``fn(item)`` for each item, all submitted at once; an iterator of
        the results in order (the jobs not yet asked for are cancelled if it
        stops early)."""
        jobs = [self.submit(fn, item) for item in items]

        def results():
            try:
                for job in jobs:
                    yield job.result()
            finally:
                for job in jobs:
                    job.cancel()
        return results()

    def shutdown(self) -> "None":
        """Run what is queued, then stop the threads and wait for them."""
        with _JOB_LOCK:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for t in threads:
            if t is not threading.current_thread():
                t.join()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> "bool":
        self.shutdown()
        return False


def thread_pool() -> "WorkerPool":
    """The process-wide WorkerPool (see concurrency()); at the end of the
    process its queued jobs finish and its threads end before anything else
    is torn down: as ThreadPoolExecutor, through threading's own exit hook
    (it runs before atexit's callbacks, such as a temporary cache's removal)."""
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                pool = WorkerPool(concurrency(os.environ), "puffin")
                register = getattr(threading, "_register_atexit", None)
                if register is None:   # pragma: no cover - CPython has had it since 3.9
                    import atexit
                    register = atexit.register
                register(pool.shutdown)
                _POOL = pool
    return _POOL


# =============================================================================
# 2. Standards
# =============================================================================
# Owns: names (PEP 503), Version and Specifier/SpecifierSet (PEP 440), Marker and
# Requirement (PEP 508), wheel and sdist filenames, core metadata, RECORD rows,
# direct_url.json (PEP 610), the running interpreter's marker environment.
# Behaves as packaging 26 does (differential tests prove it). Uses section 1 only.

# ---- names ------------------------------------------------------------------

def canonicalize_name(name: "str", *, validate: "bool" = False) -> "str":
    """PEP 503 normalized form: lowercase, runs of ``-_.`` become one ``-``;
    with ``validate``, InvalidName for a name core metadata does not allow."""
    if validate and not is_valid_name(name):
        raise InvalidName("name is invalid: %r" % (name,))
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


class InvalidName(PuffinError, ValueError):
    """A distribution name that core metadata does not allow (packaging's InvalidName)."""


def is_valid_name(name: "str") -> "bool":
    """Whether ``name`` is an acceptable distribution name (core metadata rules)."""
    return _lazy_re(r"[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9]",
                    re.IGNORECASE | re.ASCII).fullmatch(name) is not None


def is_normalized_name(name: "str") -> "bool":
    """Whether ``name`` is already a valid PEP 503 normalized name."""
    return _lazy_re(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII).fullmatch(name) is not None


# ---- versions (PEP 440) -----------------------------------------------------

class InvalidVersion(PuffinError, ValueError):
    """A string that is not a PEP 440 version: ``Invalid version: '1.0-foo'``."""


# packaging's VERSION_PATTERN, not anchored. Possessive quantifiers change what
# a prefix match accepts, so we use them exactly where packaging does (see
# _std_possessive) to agree with it on every interpreter.
_STD_VERSION_PATTERN = r"""
    v?+
    (?a:
        (?:(?P<epoch>[0-9]++)!)?+
        (?P<release>[0-9]++(?:\.[0-9]++)*+)
        (?P<pre>
            [._-]?+
            (?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)
            [._-]?+
            (?P<pre_n>[0-9]++)?+
        )?+
        (?P<post>
            (?:-(?P<post_n1>[0-9]++))
            |
            (?:
                [._-]?+
                (?P<post_l>post|rev|r)
                [._-]?+
                (?P<post_n2>[0-9]++)?+
            )
        )?+
        (?P<dev>
            [._-]?+
            (?P<dev_l>dev)
            [._-]?+
            (?P<dev_n>[0-9]++)?+
        )?+
    )
    (?a:\+
        (?P<local>
            [a-z0-9]++
            (?:[._-][a-z0-9]++)*+
        )
    )?+
"""

def _std_possessive(pattern: "str") -> "str":
    """``pattern`` without possessive quantifiers where this interpreter lacks
    them or has them broken (before CPython 3.11.5), as packaging does."""
    cpython = sys.implementation.name == "cpython"
    pypy = sys.implementation.name == "pypy"
    if (sys.version_info < (3, 11) or (cpython and sys.version_info < (3, 11, 5))
            or (pypy and sys.version_info < (3, 11, 13))):
        return pattern.replace("++", "+").replace("*+", "*").replace("?+", "?")
    if not cpython and getattr(sys, "pypy_version_info", (0,)) < (7, 3, 22):
        return pattern.replace("++", "+")
    return pattern


_LETTER_NORMALIZATION = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc",
                         "preview": "rc", "rev": "post", "r": "post"}
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_STABLE_SUFFIX = (3, 0, 0, 0, 1, 0)
_SIMPLE_VERSION_CHARS = frozenset(".0123456789")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
# str -> Version. Versions are immutable, so one parse per distinct string is
# enough; the resolver parses the same few thousand strings over and over.
_VERSION_CACHE: "dict" = {}
_VERSION_CACHE_MAX = 200_000


def _std_version_regex():
    return _lazy_re(r"\s*" + _std_possessive(_STD_VERSION_PATTERN) + r"\s*", re.VERBOSE | re.IGNORECASE)


def _std_letter_version(letter, number):
    if letter:
        letter = letter.lower()
        return _LETTER_NORMALIZATION.get(letter, letter), int(number or 0)
    if number:
        return "post", int(number)      # implicit post release: 1.0-1
    return None


def _std_parse_local(local):
    if local is None:
        return None
    return tuple(int(p) if p.isdigit() else p.lower()
                 for p in _lazy_re(r"[._-]").split(local))


def _std_version_key(epoch, release, pre, post, dev, local) -> "tuple":
    """packaging's comparison key: ``(epoch, trimmed release, 6-int suffix[, local])``.

    The suffix is ``(pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)`` with
    pre_rank dev-only=-1, a=0, b=1, rc=2, none=3. Local segments sort strings
    before ints; no local sorts before any local (3-tuple < 4-tuple).
    """
    i = len(release)
    while i and release[i - 1] == 0:
        i -= 1
    trimmed = release[:i]
    if pre is None and post is None and dev is None and local is None:
        return (epoch, trimmed, _STABLE_SUFFIX)
    if pre is None and post is None and dev is not None:
        pre_rank, pre_n = -1, 0
    elif pre is None:
        pre_rank, pre_n = 3, 0
    else:
        pre_rank, pre_n = _PRE_RANK[pre[0]], pre[1]
    suffix = (pre_rank, pre_n, 0 if post is None else 1, 0 if post is None else post[1],
              1 if dev is None else 0, 0 if dev is None else dev[1])
    if local is None:
        return (epoch, trimmed, suffix)
    return (epoch, trimmed, suffix,
            tuple((s, "") if isinstance(s, int) else (-1, s) for s in local))


class Version(Value):
    """A PEP 440 version, ordered and normalized exactly as ``packaging`` does.

    ``Version(s)`` and ``Version.parse(s)`` return a shared, cached instance per
    distinct string; raise ``InvalidVersion``. ``str()`` is the normal form.
    """

    __slots__ = ("_epoch", "_release", "_pre", "_post", "_dev", "_local",
                 "_key", "_hash", "_str")

    def __new__(cls, version: "str" = None):
        if cls is Version:   # a subclass gets instances of its own
            try:
                return _VERSION_CACHE[version]
            except KeyError:
                pass
            except TypeError:       # unhashable input
                raise InvalidVersion("Invalid version: %r" % (version,)) from None
        self = _std_parse_version(cls, version)
        if cls is Version:
            if len(_VERSION_CACHE) >= _VERSION_CACHE_MAX:
                _VERSION_CACHE.clear()
            _VERSION_CACHE[version] = self
        return self

    @classmethod
    def parse(cls, version: "str") -> "Version":
        """Named constructor; same as ``Version(version)``."""
        return cls(version)

    @classmethod
    def from_parts(cls, epoch: "int" = 0, release: "tuple" = (0,), pre=None, post=None,
                   dev=None, local=None) -> "Version":
        """Build from parts without a string (pre like ``("a", 1)``, post/dev ints);
        InvalidVersion for parts no version string could give, as packaging says."""
        if not isinstance(release, tuple) or not release or not all(
                isinstance(x, int) and x >= 0 for x in release):
            raise InvalidVersion("release must be a non-empty tuple of non-negative integers")
        if not isinstance(epoch, int) or epoch < 0:
            raise InvalidVersion("epoch must be a non-negative integer")
        for label, value in (("post", post), ("dev", dev)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise InvalidVersion("%s must be a non-negative integer" % label)
        if pre is not None and (not isinstance(pre, tuple) or len(pre) != 2
                                or _LETTER_NORMALIZATION.get(str(pre[0]).lower(), str(pre[0]).lower())
                                not in _PRE_RANK
                                or not isinstance(pre[1], int) or pre[1] < 0):
            raise InvalidVersion("pre must be a tuple of ('a' | 'b' | 'rc', a non-negative integer)")
        if local is not None and not _lazy_re(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*\Z", re.I).match(str(local)):
            raise InvalidVersion("invalid local version label %r" % (local,))
        self = object.__new__(cls)
        pre = (_LETTER_NORMALIZATION.get(pre[0].lower(), pre[0].lower()), int(pre[1])) \
            if pre is not None else None
        _std_init_version(self, int(epoch), tuple(int(x) for x in release), pre,
                      None if post is None else ("post", int(post)),
                      None if dev is None else ("dev", int(dev)),
                      _std_parse_local(local))
        return self

    def __getnewargs__(self):
        return (str(self),)

    def __getstate__(self):
        return None

    def __setstate__(self, state):
        pass

    # -- ordering: compare the precomputed keys
    def __lt__(self, other):
        if isinstance(other, Version):
            return self._key < other._key
        return NotImplemented

    def __le__(self, other):
        if isinstance(other, Version):
            return self._key <= other._key
        return NotImplemented

    def __eq__(self, other):
        if isinstance(other, Version):
            return self._key == other._key
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, Version):
            return self._key != other._key
        return NotImplemented

    def __ge__(self, other):
        if isinstance(other, Version):
            return self._key >= other._key
        return NotImplemented

    def __gt__(self, other):
        if isinstance(other, Version):
            return self._key > other._key
        return NotImplemented

    def __hash__(self):
        h = self._hash
        if h is None:
            h = self._hash = hash(self._key)
        return h

    def __repr__(self) -> "str":
        return "<Version(%r)>" % str(self)

    def __str__(self) -> "str":
        s = self._str
        if s is None:
            s = self._str = _std_version_str(self._epoch, self._release, self._pre,
                                         self._post, self._dev, self._local)
        return s

    @property
    def epoch(self) -> "int":
        return self._epoch

    @property
    def release(self) -> "tuple":
        return self._release

    @property
    def pre(self):
        return self._pre

    @property
    def post(self):
        return self._post[1] if self._post else None

    @property
    def dev(self):
        return self._dev[1] if self._dev else None

    @property
    def local(self):
        return ".".join(str(x) for x in self._local) if self._local else None

    @property
    def public(self) -> "str":
        return str(self).split("+", 1)[0]

    @property
    def base_version(self) -> "str":
        r = ".".join(map(str, self._release))
        return "%d!%s" % (self._epoch, r) if self._epoch else r

    @property
    def is_prerelease(self) -> "bool":
        return self._dev is not None or self._pre is not None

    @property
    def is_postrelease(self) -> "bool":
        return self._post is not None

    @property
    def is_devrelease(self) -> "bool":
        return self._dev is not None

    @property
    def major(self) -> "int":
        return self._release[0] if len(self._release) >= 1 else 0

    @property
    def minor(self) -> "int":
        return self._release[1] if len(self._release) >= 2 else 0

    @property
    def micro(self) -> "int":
        return self._release[2] if len(self._release) >= 3 else 0

    def _replaced(self, **parts) -> "Version":
        """A copy with some of epoch/release/pre/post/dev/local (raw forms) replaced."""
        new = object.__new__(Version)
        _std_init_version(new, parts.get("epoch", self._epoch), parts.get("release", self._release),
                      parts.get("pre", self._pre), parts.get("post", self._post),
                      parts.get("dev", self._dev), parts.get("local", self._local))
        return new


def _std_init_version(self, epoch, release, pre, post, dev, local) -> "None":
    self._epoch = epoch
    self._release = release
    self._pre = pre
    self._post = post
    self._dev = dev
    self._local = local
    self._key = _std_version_key(epoch, release, pre, post, dev, local)
    self._hash = None
    self._str = None


def _std_parse_version(cls, version) -> "Version":
    self = object.__new__(cls)
    try:
        simple = _SIMPLE_VERSION_CHARS.issuperset(version)
    except TypeError:
        raise InvalidVersion("Invalid version: %r" % (version,)) from None
    if simple:
        try:
            release = tuple(map(int, version.split(".")))
        except AttributeError:
            raise InvalidVersion("Invalid version: %r" % (version,)) from None
        except ValueError:
            # Empty parts ("1..2", ".1", "") are invalid; any other ValueError
            # (the int digit limit) propagates as packaging lets it.
            if "" in version.split("."):
                raise InvalidVersion("Invalid version: %r" % (version,)) from None
            raise
        _std_init_version(self, 0, release, None, None, None, None)
        return self
    normal = _normal_version(version)
    if normal is not None:   # 1.3.0.post0, 2.0rc1: the pattern's answer without compiling it
        release, pre, post, dev = normal
        _std_init_version(self, 0, tuple(map(int, release.split("."))), pre, post, dev, None)
        return self
    try:
        m = _std_version_regex().fullmatch(version)
    except TypeError:
        raise InvalidVersion("Invalid version: %r" % (version,)) from None
    if not m:
        raise InvalidVersion("Invalid version: %r" % (version,))
    g = m.group
    _std_init_version(
        self,
        int(g("epoch")) if g("epoch") else 0,
        tuple(map(int, g("release").split("."))),
        _std_letter_version(g("pre_l"), g("pre_n")),
        _std_letter_version(g("post_l"), g("post_n1") or g("post_n2")),
        _std_letter_version(g("dev_l"), g("dev_n")),
        _std_parse_local(g("local")))
    return self


def _std_version_str(epoch, release, pre, post, dev, local) -> "str":
    s = ".".join(map(str, release))
    if epoch:
        s = "%d!%s" % (epoch, s)
    if pre is not None:
        s += "%s%d" % pre
    if post:
        s += ".post%d" % post[1]
    if dev:
        s += ".dev%d" % dev[1]
    if local:
        s += "+" + ".".join(map(str, local))
    return s


def _std_trimmed_version_str(v: "Version") -> "str":
    """str(v) with trailing zeros of the release dropped (one 0 is kept)."""
    r = v._release
    i = len(r)
    while i > 1 and r[i - 1] == 0:
        i -= 1
    return _std_version_str(v._epoch, r[:i], v._pre, v._post, v._dev, v._local)


def _std_coerce_version(item):
    """A Version for ``item`` (Version or str), or None when it does not parse."""
    if isinstance(item, Version):
        return item
    try:
        return Version(item)
    except InvalidVersion:
        return None


# ---- specifiers (PEP 440) ---------------------------------------------------

class InvalidSpecifier(PuffinError, ValueError):
    """A string that is not a version specifier: ``Invalid specifier: '=>1'``."""


# The pre-, post- and dev-release parts every version clause of a specifier
# takes (packaging's regex repeats them in each branch; here they are written once).
_STD_VERSION_SUFFIXES = r"""
    (?a:
        [-_\.]?+
        (?:alpha|beta|preview|pre|a|b|c|rc)
        [-_\.]?+
        [0-9]*+
    )?+
    (?a:
        (?:-[0-9]++)|(?:[-_\.]?+(?:post|rev|r)[-_\.]?+[0-9]*+)
    )?+
    (?a:[-_\.]?+dev[-_\.]?+[0-9]*+)?+
"""

_STD_SPECIFIER_PATTERN = r"""
        (?:
            (?:
                ===
                \s*+
                [^\s;)]++
            )
            |
            (?:
                (?:==|!=)
                \s*+
                v?+
                (?:[0-9]++!)?+
                [0-9]++(?:\.[0-9]++)*+
                (?:
                    \.\*
                    |
                    %(suffixes)s
                    (?a:\+[a-z0-9]++(?:[-_\.][a-z0-9]++)*+)?+
                )?+
            )
            |
            (?:
                (?:~=)
                \s*+
                v?+
                (?:[0-9]++!)?+
                [0-9]++(?:\.[0-9]++)++
                %(suffixes)s
            )
            |
            (?:
                (?:<=|>=|<|>)
                \s*+
                v?+
                (?:[0-9]++!)?+
                [0-9]++(?:\.[0-9]++)*+
                %(suffixes)s
            )
        )
""" % {"suffixes": _STD_VERSION_SUFFIXES}


def _std_resolve_prereleases(configured, autodetected):
    if configured is not None:
        return configured
    return True if autodetected else None


def _std_key3(v: "Version") -> "tuple":
    k = v._key
    return k if len(k) == 3 else k[:3]


def _std_spec_matcher(op: "str", text: "str", v: "Version"):
    """A predicate Version -> bool for one standard specifier, ignoring the
    prerelease policy. Each is the exact interval packaging 26 builds:
    ``<=V``/``==V`` take V's local versions, ``>V`` skips V's post releases,
    ``<V`` (V final) skips V's pre-releases, ``==V.*`` is [V.dev0, next.dev0)."""
    K = v._key
    if text.endswith(".*"):
        r = v._release
        lo = Version.from_parts(epoch=v._epoch, release=r, dev=0)._key
        hi = Version.from_parts(epoch=v._epoch, release=r[:-1] + (r[-1] + 1,), dev=0)._key
        if op == "==":
            return lambda c: lo <= c._key < hi
        return lambda c: not (lo <= c._key < hi)
    if op == ">=":
        return lambda c: c._key >= K
    if op == "<=":
        return lambda c: c._key <= K or _std_key3(c) == K
    if op in ("==", "!="):
        if "+" in text:
            if op == "==":
                return lambda c: c._key == K
            return lambda c: c._key != K
        if op == "==":
            return lambda c: c._key == K or (c._local is not None and _std_key3(c) == K)
        return lambda c: c._key != K and (c._local is None or _std_key3(c) != K)
    if op == "<":
        bound = K if v.is_prerelease else v._replaced(dev=("dev", 0), local=None)._key
        return lambda c: c._key < bound
    if op == ">":
        if v._dev is not None:
            lo = v._replaced(dev=("dev", v._dev[1] + 1), local=None)._key
            return lambda c: c._key >= lo
        if v._post is not None:
            lo = v._replaced(post=("post", v._post[1] + 1), dev=("dev", 0), local=None)._key
            return lambda c: c._key >= lo
        s = K[2]
        # Above every post release and local of V: post number "infinity".
        after_posts = (K[0], K[1], (s[0], s[1], 1, float("inf"), 1, 0))
        return lambda c: c._key > after_posts
    if op == "~=":
        r = v._release[:-1]
        hi = Version.from_parts(epoch=v._epoch, release=r[:-1] + (r[-1] + 1,), dev=0)._key
        return lambda c: K <= c._key < hi
    raise InvalidSpecifier("Unknown operator: %r" % op)


def _plain_release(text) -> "bool":
    """Whether ``text`` is a release alone (``1``, ``26.1.0``): ASCII digits
    between single dots."""
    return bool(text) and _SIMPLE_VERSION_CHARS.issuperset(text) and text[0] != "." \
        and text[-1] != "." and ".." not in text


def _normal_version(text):
    """(release, pre, post, dev) of a version written in its normal form
    without epoch or local label (``1.3.0.post0``, ``2.0rc1``, ``1.0.dev3``):
    ``release`` the text of ASCII digits between single dots, the others
    (label, number) or None. None for any other shape, which the version
    pattern then decides: a lock's versions are read without compiling it."""
    if text.__class__ is not str:
        return None
    rest = text
    parts = []
    for label in (".dev", ".post"):
        i = rest.find(label)
        if i < 0:
            parts.append(None)
            continue
        number = rest[i + len(label):]
        if not (number.isdigit() and number.isascii()):
            return None
        parts.append((label[1:], int(number)))
        rest = rest[:i]
    dev, post = parts
    pre = None
    for label in ("rc", "a", "b"):
        i = rest.find(label)
        if i >= 0:
            number = rest[i + len(label):]
            if not (number.isdigit() and number.isascii()):
                return None
            pre = (label, int(number))
            rest = rest[:i]
            break
    if not _plain_release(rest):
        return None
    return rest, pre, post, dev


def _plain_specifier(spec):
    """(operator, version) of a specifier of an operator other than ``===``
    and a version in normal form without spaces (what locks are made of),
    else None: a lock's lines are read without compiling the specifier
    pattern (1 ms)."""
    if spec.__class__ is str:
        if spec[:2] in _PLAIN_OPERATORS:
            normal = _normal_version(spec[2:])
            if normal is not None and (spec[0] != "~" or "." in normal[0]):
                return spec[:2], spec[2:]
        elif spec[:1] in ("<", ">") and _normal_version(spec[1:]) is not None:
            return spec[:1], spec[1:]   # markers' python_version < "3.11"
    return None


_PLAIN_OPERATORS = frozenset(("==", "!=", ">=", "<=", "~="))


class Specifier:
    """One PEP 440 specifier such as ``>=1.0`` or ``==2.*``, like packaging's.

    ``str()`` keeps the version text as written; equality and hash use the
    canonical form (``==1.0`` equals ``==1``). ``contains`` with
    ``prereleases=None`` accepts a pre-release (a single version has no
    alternative); ``filter`` drops pre-releases unless nothing else matches.
    """

    __slots__ = ("_spec", "_prereleases", "_version", "_match", "_canonical")

    def __init__(self, spec: "str" = "", prereleases=None):
        plain = _plain_specifier(spec)
        if plain is not None:   # ``==1.2.3`` as locks write it: the pattern would accept it
            self._spec = plain
            self._prereleases = prereleases
            self._version = self._match = self._canonical = None
            return
        if not isinstance(spec, str) or not _lazy_re(
                r"\s*" + _std_possessive(_STD_SPECIFIER_PATTERN) + r"\s*", re.VERBOSE | re.IGNORECASE).fullmatch(spec):
            raise InvalidSpecifier("Invalid specifier: %r" % (spec,))
        spec = spec.strip()
        if spec.startswith("==="):
            op, version = spec[:3], spec[3:].strip()
        elif spec.startswith(("~=", "==", "!=", "<=", ">=")):
            op, version = spec[:2], spec[2:].strip()
        else:
            op, version = spec[:1], spec[1:].strip()
        self._spec = (op, version)
        self._prereleases = prereleases
        self._version = None
        self._match = None
        self._canonical = None

    @property
    def operator(self) -> "str":
        return self._spec[0]

    @property
    def version(self) -> "str":
        return self._spec[1]

    def _spec_version(self):
        """The spec's Version (without ``.*``), or None for an unparsable ``===``."""
        v = self._version
        if v is None:
            op, text = self._spec
            if op != "===" and text.endswith(".*"):
                text = text[:-2]
            v = self._version = _std_coerce_version(text) or False
        return v or None

    def _matches(self, v: "Version") -> "bool":
        m = self._match
        if m is None:
            op, text = self._spec
            m = self._match = _std_spec_matcher(op, text, self._spec_version())
        return m(v)

    @property
    def prereleases(self):
        if self._prereleases is not None:
            return self._prereleases
        op, text = self._spec
        if op == "!=":
            return False
        if op == "==" and text.endswith(".*"):
            return False
        v = self._spec_version()
        if v is None:
            return None
        return v.is_prerelease

    @prereleases.setter
    def prereleases(self, value) -> "None":
        self._prereleases = value

    def __str__(self) -> "str":
        return self._spec[0] + self._spec[1]

    def __repr__(self) -> "str":
        pre = ", prereleases=%r" % (self.prereleases,) if self._prereleases is not None else ""
        return "<Specifier(%r%s)>" % (str(self), pre)

    def _canonical_spec(self) -> "tuple":
        c = self._canonical
        if c is None:
            op, text = self._spec
            if op == "===" or text.endswith(".*"):
                c = self._spec
            else:
                v = self._spec_version()
                c = (op, str(v) if op == "~=" else _std_trimmed_version_str(v))
            self._canonical = c
        return c

    def __hash__(self) -> "int":
        return hash(self._canonical_spec())

    def __eq__(self, other) -> "bool":
        if isinstance(other, str):
            try:
                other = self.__class__(str(other))
            except InvalidSpecifier:
                return NotImplemented
        elif not isinstance(other, self.__class__):
            return NotImplemented
        return self._canonical_spec() == other._canonical_spec()

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __contains__(self, item) -> "bool":
        return self.contains(item)

    def contains(self, item, prereleases=None) -> "bool":
        """Whether ``item`` (Version or str) matches; an unparsable str never
        matches a standard operator."""
        if self._spec[0] == "===":
            return bool(list(self.filter([item], prereleases=prereleases)))
        parsed = _std_coerce_version(item)
        if parsed is None:
            return False
        if prereleases is None:
            prereleases = _std_resolve_prereleases(self._prereleases, self.prereleases)
        if prereleases is False and parsed.is_prerelease:
            return False
        return self._matches(parsed)

    def filter(self, iterable, prereleases=None, key=None):
        """The items of ``iterable`` that match, in order (see the class doc)."""
        if prereleases is None:
            prereleases = _std_resolve_prereleases(self._prereleases, self.prereleases)
        if self._spec[0] == "===":
            want = self._spec[1].lower()
            matches = (item for item in iterable
                       if str(item if key is None else key(item)).lower() == want)
            return _std_apply_prereleases(matches, key, prereleases)
        return _std_filter_matching(self._matches, iterable, key, prereleases)


def _std_filter_matching(match, iterable, key, prereleases):
    """Yield matching items; with ``prereleases=None`` pre-releases come out
    only (at the end) when no final release matched."""
    buffered = []
    found_final = False
    for item in iterable:
        parsed = item if key is None else key(item)
        if not isinstance(parsed, Version):
            parsed = _std_coerce_version(parsed)
            if parsed is None:
                continue
        is_pre = parsed._pre is not None or parsed._dev is not None
        if prereleases is False and is_pre:
            continue
        if not match(parsed):
            continue
        if prereleases is not None:
            yield item
        elif not is_pre:
            found_final = True
            yield item
        elif not found_final:
            buffered.append(item)
    if prereleases is None and not found_final:
        yield from buffered


def _std_apply_prereleases(matches, key, prereleases):
    if prereleases is None:
        return _std_pep440_prereleases(matches, key)
    if prereleases:
        return iter(matches)
    return _std_drop_prereleases(matches, key)


def _std_drop_prereleases(matches, key):
    for item in matches:
        parsed = _std_coerce_version(item if key is None else key(item))
        if parsed is None or not parsed.is_prerelease:
            yield item


def _std_pep440_prereleases(iterable, key):
    """PEP 440 default: drop pre-releases unless no final exists; strings that
    are not versions always pass (they already matched)."""
    nonfinal = []
    arbitrary = []
    found_final = False
    for item in iterable:
        parsed = _std_coerce_version(item if key is None else key(item))
        if parsed is None:
            if found_final:
                yield item
            else:
                arbitrary.append(item)
                nonfinal.append(item)
            continue
        if not parsed.is_prerelease:
            if not found_final:
                yield from arbitrary
                found_final = True
            yield item
            continue
        if not found_final:
            nonfinal.append(item)
    if not found_final:
        yield from nonfinal


class SpecifierSet:
    """Comma-separated specifiers, all of which must match (packaging's SpecifierSet).

    ``str()`` sorts and de-duplicates as packaging prints it; ``len``/``iter``
    see the specifiers as given until the set is first printed, hashed or compared.
    """

    __slots__ = ("_specs", "_prereleases", "_canonicalized", "_has_arbitrary", "_matchers")

    def __init__(self, specifiers="", prereleases=None):
        if isinstance(specifiers, str):
            parts = [s.strip() for s in specifiers.split(",") if s.strip()]
            self._specs = tuple(map(Specifier, parts))
            self._has_arbitrary = "===" in specifiers
        else:
            self._specs = tuple(s if isinstance(s, Specifier) else Specifier(s)
                                for s in specifiers)
            self._has_arbitrary = any(s.operator == "===" for s in self._specs)
        self._canonicalized = len(self._specs) <= 1
        self._prereleases = prereleases
        self._matchers = None

    @classmethod
    def parse(cls, specifiers: "str") -> "SpecifierSet":
        return cls(specifiers)

    def _canonical_specs(self) -> "tuple":
        if not self._canonicalized:
            self._specs = tuple(dict.fromkeys(sorted(self._specs, key=str)))
            self._canonicalized = True
        return self._specs

    @property
    def prereleases(self):
        if self._prereleases is not None:
            return self._prereleases
        if not self._specs:
            return None
        if any(s.prereleases for s in self._specs):
            return True
        return None

    @prereleases.setter
    def prereleases(self, value) -> "None":
        self._prereleases = value

    def __repr__(self) -> "str":
        pre = ", prereleases=%r" % (self.prereleases,) if self._prereleases is not None else ""
        return "<SpecifierSet(%r%s)>" % (str(self), pre)

    def __str__(self) -> "str":
        return ",".join(str(s) for s in self._canonical_specs())

    def __hash__(self) -> "int":
        return hash(self._canonical_specs())

    def __and__(self, other) -> "SpecifierSet":
        if isinstance(other, str):
            other = SpecifierSet(other)
        elif not isinstance(other, SpecifierSet):
            return NotImplemented
        result = SpecifierSet()
        result._specs = self._specs + other._specs
        result._canonicalized = len(result._specs) <= 1
        result._has_arbitrary = self._has_arbitrary or other._has_arbitrary
        result._matchers = None
        if self._prereleases is None or self._prereleases == other._prereleases:
            result._prereleases = other._prereleases
        elif other._prereleases is None:
            result._prereleases = self._prereleases
        else:
            raise ValueError(
                "Cannot combine SpecifierSets with True and False prerelease overrides.")
        return result

    def __eq__(self, other) -> "bool":
        if isinstance(other, (str, Specifier)):
            other = SpecifierSet(str(other))
        elif not isinstance(other, SpecifierSet):
            return NotImplemented
        return self._canonical_specs() == other._canonical_specs()

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __len__(self) -> "int":
        return len(self._specs)

    def __iter__(self):
        return iter(self._specs)

    def __contains__(self, item) -> "bool":
        return self.contains(item)

    def contains(self, item, prereleases=None, installed=None) -> "bool":
        """Whether ``item`` (Version or str) satisfies every specifier.

        ``prereleases=None``: a pre-release matches unless the set was made with
        ``prereleases=False``; ``False`` rejects pre-releases; ``installed=True``
        accepts an installed pre-release.
        """
        version = item if isinstance(item, Version) else _std_coerce_version(item)
        if installed and version is not None and version.is_prerelease:
            prereleases = True
        if version is not None and not self._has_arbitrary and self._specs:
            # The resolver's hot path: no filter machinery.
            if (version._pre is not None or version._dev is not None) and (
                    prereleases is False or (prereleases is None and self._prereleases is False)):
                return False
            matchers = self._matchers
            if matchers is None:
                matchers = self._compile()
            for match in matchers:
                if not match(version):
                    return False
            return True
        if version is None or (self._has_arbitrary and not isinstance(item, Version)):
            check = item
        else:
            check = version
        return bool(list(self.filter([check], prereleases=prereleases)))

    def _compile(self) -> "tuple":
        """One predicate per specifier (no prerelease policy), built once."""
        for spec in self._specs:
            if spec._match is None:
                op, text = spec._spec
                spec._match = _std_spec_matcher(op, text, spec._spec_version())
        self._matchers = tuple(spec._match for spec in self._specs)
        return self._matchers

    def filter(self, iterable, prereleases=None, key=None):
        """Items of ``iterable`` matching every specifier, in order; with
        ``prereleases=None`` pre-releases only when no final release matches."""
        if prereleases is None and self.prereleases is not None:
            prereleases = self.prereleases
        specs = self._specs
        if specs:
            if self._has_arbitrary:
                matches = (item for item in iterable
                           if all(s.contains(item if key is None else key(item), prereleases=True)
                                  for s in specs))
                return _std_apply_prereleases(matches, key, prereleases)
            matchers = self._matchers
            if matchers is None:
                matchers = self._compile()
            if len(matchers) == 1:
                match = matchers[0]
            else:
                def match(v, matchers=matchers):
                    for m in matchers:
                        if not m(v):
                            return False
                    return True
            return _std_filter_matching(match, iterable, key, prereleases)
        return _std_apply_prereleases(iterable, key, prereleases)


# ---- PEP 508 tokenizer and parser -------------------------------------------
# A port of packaging's hand-written recursive descent parser: the same tokens,
# the same error messages and the same caret display under the source.

_MARKER_VARIABLE = r"""
    \b(
        python_version
        |python_full_version
        |os[._]name
        |sys[._]platform
        |platform_(release|system)
        |platform[._](version|machine|python_implementation)
        |python_implementation
        |implementation_(name|version)
        |extras?
        |dependency_groups
    )\b
"""

_std_TOKEN_RULES = {
    "LEFT_PARENTHESIS": (r"\(", 0),
    "RIGHT_PARENTHESIS": (r"\)", 0),
    "LEFT_BRACKET": (r"\[", 0),
    "RIGHT_BRACKET": (r"\]", 0),
    "SEMICOLON": (r";", 0),
    "COMMA": (r",", 0),
    "QUOTED_STRING": (r"""(('[^']*')|("[^"]*"))""", 0),
    "OP": (r"(===|==|~=|!=|<=|>=|<|>)", 0),
    "BOOLOP": (r"\b(or|and)\b", 0),
    "IN": (r"\bin\b", 0),
    "NOT": (r"\bnot\b", 0),
    # flags as numbers: naming re.VERBOSE here would import re at start-up
    "VARIABLE": (_MARKER_VARIABLE, _RE_VERBOSE),
    "SPECIFIER": (_STD_SPECIFIER_PATTERN, _RE_VERBOSE | _RE_IGNORECASE),
    "AT": (r"\@", 0),
    "URL": (r"\S+", 0),
    "IDENTIFIER": (r"\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b", 0),
    "SPECIFIER_LIST": (r"[\t\x20-\x28\x2a-\x3a\x3c-\x7e]*(?=[;)]|\Z)", 0),
    "VERSION_PREFIX_TRAIL": (r"\.\*", 0),
    "VERSION_LOCAL_LABEL_TRAIL": (r"\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*", 0),
    "WS": (r"[ \t]+", 0),
    "END": (r"\Z", 0),
}

_MAX_MARKER_NESTING = 200


class _std_SyntaxError(Exception):
    """Internal: a parse failure with its span; turned into InvalidMarker/Requirement."""

    def __init__(self, message: "str", source: "str", span: "tuple"):
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span

    def __str__(self) -> "str":
        caret = " " * self.span[0] + "~" * (self.span[1] - self.span[0]) + "^"
        return "%s\n    %s\n    %s" % (self.message, self.source, caret)


class _StdParseError(PuffinError, ValueError):
    """A marker or requirement that does not parse: ``message`` (the bare
    reason), ``source`` and ``span`` as packaging 26.4 has them; ``str()``
    shows the text with a caret (``display``)."""

    def __str__(self) -> "str":
        return getattr(self, "display", None) or self.message


def _std_parse_failure(cls, e: "_std_SyntaxError"):
    """InvalidMarker/InvalidRequirement as packaging 26.4 makes them: ``message``
    (the bare reason), ``source`` and ``span``; ``str()`` shows the caret display."""
    err = cls(str(e))
    err.message, err.source, err.span, err.display = e.message, e.source, e.span, str(e)
    return err


class _std_Tokenizer:
    __slots__ = ("source", "position", "next_token")

    def __init__(self, source: "str"):
        self.source = source
        self.position = 0
        self.next_token = None      # (name, text, position) once check() saw it

    def _match(self, name: "str"):
        pattern, flags = _std_TOKEN_RULES[name]
        if name == "SPECIFIER":
            pattern = _std_possessive(pattern)
        return _lazy_re(pattern, flags).match(self.source, self.position)

    def consume(self, name: "str") -> "None":
        m = self._match(name)
        if m is not None:
            self.position = m.end()

    def match_rule(self, name: "str"):
        m = self._match(name)
        if m is not None:
            self.position = m.end()
        return m

    def check(self, name: "str", peek: "bool" = False) -> "bool":
        m = self._match(name)
        if m is None:
            return False
        if not peek:
            self.next_token = (name, m.group(0), self.position)
        return True

    def peek_text(self, name: "str"):
        m = self._match(name)
        return None if m is None else m.group(0)

    def expect(self, name: "str", expected: "str") -> "str":
        if not self.check(name):
            self.error("Expected %s" % expected)
        return self.read()

    def read(self) -> "str":
        text = self.next_token[1]
        self.position += len(text)
        self.next_token = None
        return text

    def error(self, message: "str", span_start=None, span_end=None):
        raise _std_SyntaxError(message, self.source, (
            self.position if span_start is None else span_start,
            self.position if span_end is None else span_end))

    def close(self, open_position: "int", close_token: "str", open_token: "str", around: "str") -> "None":
        if not self.check(close_token):
            self.error("Expected matching %s for %s, after %s" % (close_token, open_token, around),
                       span_start=open_position)
        self.read()


def _std_parse_requirement_text(source: "str"):
    """-> (name, url, extras list, specifier str|SpecifierSet, marker tree|None)."""
    name, eq, version = source.partition("==")
    if eq and name and _normal_version(version) is not None and name[0].isalnum() \
            and name[-1].isalnum() and name.isascii() and _NAME_CHARS.issuperset(name):
        # ``name==1.2.3``, a lock's line: what the tokenizer would give, without its patterns
        return name, "", [], SpecifierSet("==" + version), None
    t = _std_Tokenizer(source)
    t.consume("WS")
    name = t.expect("IDENTIFIER", "package name at the start of dependency specifier")
    t.consume("WS")
    extras = _std_parse_extras(t)
    url, specifier, marker = _std_parse_requirement_details(t)
    t.expect("END", "end of dependency specifier")
    return name, url, extras, specifier, marker


def _std_parse_requirement_details(t: "_std_Tokenizer"):
    specifier = ""
    url = ""
    marker = None
    if t.check("AT"):
        t.read()
        t.consume("WS")
        url_start = t.position
        url = t.expect("URL", "URL after @")
        if t.check("END", peek=True):
            return url, specifier, marker
        t.expect("WS", "whitespace after URL")
        if t.check("END", peek=True):
            return url, specifier, marker
        marker = _std_parse_requirement_marker(t, url_start, "semicolon (after URL and whitespace)")
    else:
        specifier_start = t.position
        specifier = _std_parse_specifier(t)
        if t.check("END", peek=True):
            return url, specifier, marker
        marker = _std_parse_requirement_marker(
            t, specifier_start,
            "comma (within version specifier), semicolon (after version specifier)"
            if specifier else "semicolon (after name with no version specifier)")
    return url, specifier, marker


def _std_parse_requirement_marker(t: "_std_Tokenizer", span_start: "int", expected: "str"):
    if not t.check("SEMICOLON"):
        t.error("Expected %s or end" % expected, span_start=span_start)
    t.read()
    return _std_parse_marker_expr(t)


def _std_parse_extras(t: "_std_Tokenizer") -> "list":
    if not t.check("LEFT_BRACKET"):
        return []
    open_position = t.position
    t.read()
    t.consume("WS")
    extras = _std_parse_extras_list(t)
    t.consume("WS")
    t.close(open_position, "RIGHT_BRACKET", "LEFT_BRACKET", "extras")
    t.consume("WS")
    return extras


def _std_parse_extras_list(t: "_std_Tokenizer") -> "list":
    extras = []
    if not t.check("IDENTIFIER"):
        return extras
    extras.append(t.read())
    while True:
        t.consume("WS")
        if t.check("IDENTIFIER", peek=True):
            t.error("Expected comma between extra names")
        elif not t.check("COMMA"):
            break
        t.read()
        t.consume("WS")
        extras.append(t.expect("IDENTIFIER", "extra name after comma"))
    return extras


def _std_parse_specifier(t: "_std_Tokenizer"):
    if not t.check("LEFT_PARENTHESIS"):
        return _std_parse_version_many(t)
    open_position = t.position
    t.read()
    t.consume("WS")
    specifiers = _std_parse_version_many(t)
    t.close(open_position, "RIGHT_PARENTHESIS", "LEFT_PARENTHESIS", "version specifier")
    t.consume("WS")
    return specifiers


def _std_try_parse_specifier_set(t: "_std_Tokenizer"):
    text = t.peek_text("SPECIFIER_LIST")
    if not text:
        return None
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier:
        return None
    commas = text.count(",")
    # SpecifierSet skips empty items, but the grammar allows only a trailing comma.
    if len(specifiers) != commas + 1 and not (
            specifiers and len(specifiers) == commas and text.rstrip(" \t").endswith(",")):
        return None
    t.position += len(text)
    return specifiers


def _std_parse_version_many(t: "_std_Tokenizer"):
    if t.position == len(t.source):
        return ""
    fast = _std_try_parse_specifier_set(t)
    if fast is not None:
        return fast
    parsed = ""
    while t.check("SPECIFIER"):
        span_start = t.position
        spec = t.read()
        parsed += spec
        if t.check("VERSION_PREFIX_TRAIL", peek=True):
            message = ".* suffix can only be used with `==` or `!=` operators"
            if spec.startswith("!=") or (spec.startswith("==") and not spec.startswith("===")):
                message = (".* suffix cannot be used with pre-release, post-release, "
                           "dev or local versions")
            t.error(message, span_start=span_start, span_end=t.position + 1)
        if t.check("VERSION_LOCAL_LABEL_TRAIL", peek=True):
            t.error("Local version label can only be used with `==` or `!=` operators",
                    span_start=span_start, span_end=t.position)
        t.consume("WS")
        if not t.check("COMMA"):
            break
        parsed += t.read()
        t.consume("WS")
    return parsed


# Marker trees, as packaging keeps them: a list of atoms and "and"/"or" strings;
# an atom is a nested list or a (lhs, op, rhs) tuple whose sides are _MVar or _MVal.

class _MVar(str):
    """A marker variable name (a str subclass, so trees stay plain data)."""
    __slots__ = ()

    def serialize(self) -> "str":
        return str(self)


class _MVal(str):
    """A marker literal value."""
    __slots__ = ()

    def serialize(self) -> "str":
        value = str(self)
        if '"' not in value:
            return '"%s"' % value
        if "'" not in value:
            return "'%s'" % value
        raise ValueError("Cannot serialize marker value containing both quote characters")


def _std_parse_full_marker(source: "str") -> "list":
    t = _std_Tokenizer(source)
    tree = _std_parse_marker_expr(t)
    t.expect("END", "end of marker expression")
    return tree


def _std_parse_marker_expr(t: "_std_Tokenizer", depth: "int" = 0) -> "list":
    expression = [_std_parse_marker_atom(t, depth)]
    while t.check("BOOLOP"):
        op = t.read()
        expression.extend((op, _std_parse_marker_atom(t, depth)))
    return expression


def _std_parse_marker_atom(t: "_std_Tokenizer", depth: "int"):
    t.consume("WS")
    if t.check("LEFT_PARENTHESIS"):
        if depth >= _MAX_MARKER_NESTING:
            t.next_token = None
            t.error("Marker expression is nested more than %d levels deep" % _MAX_MARKER_NESTING)
        open_position = t.position
        t.read()
        marker = _std_parse_marker_expr(t, depth + 1)
        t.close(open_position, "RIGHT_PARENTHESIS", "LEFT_PARENTHESIS", "marker expression")
    else:
        marker = _std_parse_marker_item(t)
    t.consume("WS")
    return marker


def _std_parse_marker_item(t: "_std_Tokenizer") -> "tuple":
    left = _std_parse_marker_var(t)
    t.consume("WS")
    op = _std_parse_marker_op(t)
    t.consume("WS")
    right = _std_parse_marker_var(t)
    return (left, op, right)


def _std_parse_marker_var(t: "_std_Tokenizer"):
    position = t.position
    m = t.match_rule("VARIABLE")
    if m is not None:
        name = m.group(0).replace(".", "_")
        if name in ("platform_python_implementation", "python_implementation"):
            name = "platform_python_implementation"
        return _MVar(name)
    m = t.match_rule("QUOTED_STRING")
    if m is not None:
        text = m.group(0)
        try:
            return _MVal(_std_python_str(text))
        except (SyntaxError, ValueError):
            raise _std_SyntaxError("Invalid quoted string", t.source,
                               (position, position + len(text))) from None
    t.error("Expected a marker variable or quoted string")


def _std_python_str(text: "str") -> "str":
    """The value of a quoted marker string, escapes interpreted as Python does."""
    if "\\" not in text and text.isprintable():
        return text[1:-1]
    import ast
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(ast.literal_eval(text))


def _std_parse_marker_op(t: "_std_Tokenizer") -> "str":
    if t.match_rule("IN") is not None:
        return "in"
    if t.match_rule("NOT") is not None:
        t.expect("WS", "whitespace after 'not'")
        t.expect("IN", "'in' after 'not'")
        return "not in"
    m = t.match_rule("OP")
    if m is not None:
        return m.group(0)
    t.error("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")


# ---- markers ----------------------------------------------------------------

class InvalidMarker(_StdParseError):
    """A marker that does not parse; the message shows the text and a caret."""


class UndefinedComparison(PuffinError, ValueError):
    """A marker comparison PEP 508 leaves undefined (e.g. ``~=`` on non-versions)."""


class UndefinedEnvironmentName(PuffinError, KeyError):
    """A marker names a variable the environment lacks (``str()`` as KeyError's)."""

    def __str__(self) -> "str":
        return KeyError.__str__(self)


_MARKERS_ALLOWING_SET = ("extras", "dependency_groups")
_MARKERS_REQUIRING_VERSION = ("implementation_version", "platform_release",
                              "python_full_version", "python_version")


def _std_normalize_extra_atom(atom):
    if isinstance(atom, list):
        return [_std_normalize_extra_atom(a) for a in atom]
    if not isinstance(atom, tuple):
        return atom
    lhs, op, rhs = atom
    if isinstance(lhs, _MVar) and lhs == "extra" and isinstance(rhs, _MVal):
        rhs = _MVal(canonicalize_name(rhs))
    elif isinstance(rhs, _MVar) and rhs == "extra" and isinstance(lhs, _MVal):
        lhs = _MVal(canonicalize_name(lhs))
    elif isinstance(rhs, _MVar) and rhs in _MARKERS_ALLOWING_SET and isinstance(lhs, _MVal):
        lhs = _MVal(canonicalize_name(lhs))
    return (lhs, op, rhs)


def _std_format_marker(marker, first: "bool" = True) -> "str":
    if isinstance(marker, tuple):
        lhs, op, rhs = marker
        return "%s %s %s" % (lhs.serialize(), op, rhs.serialize())
    if isinstance(marker, str):
        return marker
    if len(marker) == 1 and isinstance(marker[0], (list, tuple)):
        return _std_format_marker(marker[0], first=first)
    inner = " ".join(_std_format_marker(m, first=False) for m in marker)
    return inner if first else "(" + inner + ")"


def _std_splice_operand(markers: "list", op: "str") -> "list":
    while len(markers) == 1 and isinstance(markers[0], list):
        markers = markers[0]
    if all(markers[i] == op for i in range(1, len(markers), 2)):
        return markers
    return [markers]


def _std_eval_extra_set(extras, op: "str", literal: "str") -> "bool":
    if not extras:
        extras = {""}
    if op == "==":
        return literal in extras
    if op == "!=":
        return literal not in extras
    raise UndefinedComparison("Undefined <Op(%r)> on %r and %r." % (op, extras, literal))


def _std_eval_op(lhs: "str", op: "str", rhs, key: "str") -> "bool":
    if key in _MARKERS_REQUIRING_VERSION:
        try:
            spec = Specifier(op + rhs) if isinstance(rhs, str) else None
        except InvalidSpecifier:
            spec = None
        if spec is not None:
            return spec.contains(lhs, prereleases=True)
    if op == "in":
        return lhs in rhs
    if op == "not in":
        return lhs not in rhs
    if op in ("==", "<=", ">="):
        return lhs == rhs
    if op == "!=":
        return lhs != rhs
    if op in ("<", ">"):
        return False
    raise UndefinedComparison("Undefined <Op(%r)> on %r and %r." % (op, lhs, rhs))


def _std_lookup_env(environment, key: "str"):
    try:
        return environment[key]
    except KeyError:
        raise UndefinedEnvironmentName(key) from None


def _std_evaluate_markers(markers: "list", environment) -> "bool":
    groups = [[]]
    for marker in markers:
        if isinstance(marker, list):
            groups[-1].append(_std_evaluate_markers(marker, environment))
        elif isinstance(marker, tuple):
            groups[-1].append(_std_evaluate_item(marker, environment))
        elif marker == "or":
            groups.append([])
    return any(all(g) for g in groups)


def _std_evaluate_item(item: "tuple", environment) -> "bool":
    lhs, op, rhs = item
    if isinstance(lhs, _MVar):
        key = str(lhs)
        lhs_value = _std_lookup_env(environment, key)
        rhs_value = str(rhs)
    else:
        lhs_value = str(lhs)
        key = str(rhs)
        rhs_value = _std_lookup_env(environment, key)
        if key == "extra" and isinstance(rhs_value, (set, frozenset)):
            return _std_eval_extra_set(rhs_value, op, lhs_value)
    if not isinstance(lhs_value, str):
        if key == "extra":
            if isinstance(lhs_value, (set, frozenset)):
                return _std_eval_extra_set(lhs_value, op, rhs_value)
            raise UndefinedComparison("Marker 'extra' must be a string, not %r." % (lhs_value,))
        raise UndefinedComparison(
            "Set-valued marker %r can only be used with the membership form "
            "(e.g. \"<name>\" in %s); it cannot appear on the left-hand side of %r."
            % (key, key, op))
    if key == "extra":
        if not isinstance(rhs_value, str):
            raise UndefinedComparison("Marker 'extra' must be a string, not %r." % (rhs_value,))
    elif key in _MARKERS_ALLOWING_SET:
        if isinstance(rhs_value, str):
            raise UndefinedComparison("Marker %r must be a set, not %r." % (key, rhs_value))
        lhs_value = canonicalize_name(lhs_value)
        rhs_value = {canonicalize_name(v) for v in rhs_value}
    return _std_eval_op(lhs_value, op, rhs_value, key)


def _std_prepare_extra(extra):
    if not extra:
        return ""
    if isinstance(extra, str):
        return canonicalize_name(extra)
    return frozenset(canonicalize_name(e) for e in extra)


_std_DEFAULT_ENV = None


_MARKER_ENV_KEYS = ("implementation_name", "implementation_version", "os_name", "platform_machine",
                    "platform_release", "platform_system", "platform_version",
                    "python_full_version", "platform_python_implementation", "python_version",
                    "sys_platform")


def default_marker_environment() -> "dict":
    """PEP 508 marker variables of the running interpreter (a fresh dict)."""
    global _std_DEFAULT_ENV
    if _std_DEFAULT_ENV is None:
        import platform
        info = sys.implementation.version
        iver = "%d.%d.%d" % (info.major, info.minor, info.micro)
        if info.releaselevel != "final":
            iver += info.releaselevel[0] + str(info.serial)
        _std_DEFAULT_ENV = {
            "implementation_name": sys.implementation.name,
            "implementation_version": iver,
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "platform_python_implementation": platform.python_implementation(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
        }
    return dict(_std_DEFAULT_ENV)


class Marker:
    """A PEP 508 environment marker, parsed and printed as packaging does.

    ``evaluate(environment=None, context="metadata")`` overlays ``environment``
    on the running interpreter's; ``extra`` defaults to "" and is normalized
    (a set of extras is evaluated set-wide).
    """

    __slots__ = ("_markers", "_serialized")

    def __init__(self, marker: "str"):
        self._serialized = None
        try:
            self._markers = [_std_normalize_extra_atom(a) for a in _std_parse_full_marker(marker)]
        except _std_SyntaxError as e:
            raise _std_parse_failure(InvalidMarker, e) from None

    @classmethod
    def _from_tree(cls, tree: "list") -> "Marker":
        new = cls.__new__(cls)
        new._markers = tree
        new._serialized = None
        return new

    def __str__(self) -> "str":
        if self._serialized is None:
            self._serialized = _std_format_marker(self._markers)
        return self._serialized

    def __repr__(self) -> "str":
        return "<Marker(%r)>" % str(self)

    def __hash__(self) -> "int":
        return hash(str(self))

    def __eq__(self, other) -> "bool":
        if not isinstance(other, Marker):
            return NotImplemented
        return str(self) == str(other)

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __and__(self, other: "Marker") -> "Marker":
        if not isinstance(other, Marker):
            return NotImplemented
        return self._from_tree([*_std_splice_operand(self._markers, "and"), "and",
                                *_std_splice_operand(other._markers, "and")])

    def __or__(self, other: "Marker") -> "Marker":
        if not isinstance(other, Marker):
            return NotImplemented
        return self._from_tree([*_std_splice_operand(self._markers, "or"), "or",
                                *_std_splice_operand(other._markers, "or")])

    def evaluate(self, environment=None, context: "str" = "metadata") -> "bool":
        """True when the marker holds in ``environment`` (see the class doc)."""
        if environment is not None and all(k in environment for k in _MARKER_ENV_KEYS):
            env = {}   # all given: the running interpreter's (platform's import) not needed
        else:
            env = default_marker_environment()
        if context == "lock_file":
            env["extras"] = frozenset()
            env["dependency_groups"] = frozenset()
        elif context == "metadata":
            env["extra"] = ""
        if environment is not None:
            env.update(environment)
            if "extra" in env:
                env["extra"] = _std_prepare_extra(env["extra"])
        full = env["python_full_version"]
        if isinstance(full, str) and full.endswith("+"):
            env["python_full_version"] = full + "local"
        return _std_evaluate_markers(self._markers, env)


# ---- marker algebra (for universal resolution) -------------------------------
#
# A MarkerSet is a set of marker environments, held as a union of "cubes": a
# cube restricts some variables, each to a domain, and leaves the others free.
# ``python_version`` is read as the ``python_full_version`` range it covers (as
# uv reads it) and a full version as its release (3.9b1 counts as 3.9.0);
# ``platform_system`` values that name one ``sys_platform`` are that value (as
# uv normalizes them); ``==``/``!=`` on other names are sets of values; every
# other comparison (``in``, ``<`` on strings, ...) is a variable of its own
# that is true or false. ``extra`` is decided before (it is not an environment
# fact but which extra of a package is asked for).

_PY = "python_full_version"
_PY_FULL = ((((), (float("inf"),)),))
_PLATFORM_SYSTEM_SYS = {"Windows": "win32", "Darwin": "darwin", "Linux": "linux", "AIX": "aix",
                        "Emscripten": "emscripten", "Android": "android"}
_ANY_VALUE = ("out", frozenset())


def _py_release(text: "str") -> "tuple":
    v = Version(text)
    return (tuple(v.release) + (0, 0))[:3]


def _py_next(rel: "tuple", at: "int") -> "tuple":
    """The first release after every release that starts with ``rel[:at+1]``."""
    head = list(rel[:at + 1])
    head[-1] += 1
    return tuple(head + [0] * (3 - len(head)))


def _py_complement(r: "tuple") -> "tuple":
    out, prev = [], ()
    for lo, hi in r:
        if prev < lo:
            out.append((prev, lo))
        prev = hi
    if prev < (float("inf"),):
        out.append((prev, (float("inf"),)))
    return tuple(out)


def _py_intersect(a: "tuple", b: "tuple") -> "tuple":
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo < hi:
                out.append((lo, hi))
    return tuple(sorted(out))


def _py_union(a: "tuple", b: "tuple") -> "tuple":
    out = []
    for lo, hi in sorted(a + b):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def _py_range(op: "str", text: "str", minor_only: "bool" = False) -> "tuple":
    """The releases (3-tuples, as [lo, hi) intervals) where ``python_full_version
    OP TEXT`` holds, or with ``minor_only`` where ``python_version OP TEXT`` does."""
    wild = text.endswith(".*")
    if wild:
        text = text[:-2]
    rel = _py_release(text)
    given = len(Version(text).release)
    if op in ("==", "!=", "==="):
        if wild:
            r = ((rel, _py_next(rel, min(given, 3) - 1)),)
        elif minor_only:
            r = ((rel, _py_next(rel, 1)),) if given <= 2 or rel[2] == 0 else ()
        else:
            r = ((rel, _py_next(rel, 2)),)
        return r if op != "!=" else _py_complement(r)
    if op == "~=":
        return ((rel, _py_next(rel, given - 2)),) if given >= 2 else _PY_FULL
    if minor_only:
        # python_version is X.Y: "<= 3.10" holds for 3.10.*, "> 3.10" from 3.11 on;
        # against "3.10.2", X.Y is below it up to 3.10 and above it from 3.11
        up = _py_next(rel, 1)
        low = rel if rel[2] == 0 else up
        bound = {"<": low, "<=": up, ">": up, ">=": low}[op]
    else:
        bound = {"<": rel, "<=": _py_next(rel, 2), ">": _py_next(rel, 2), ">=": rel}[op]
    if op in ("<", "<="):
        return (((), bound),) if bound > (0, 0, 0) else ()
    return ((bound, (float("inf"),)),)


def _dom_full(var: "str", dom) -> "bool":
    if var == _PY:
        return dom == _PY_FULL
    if var[0] == "?":
        return dom == ("in", frozenset((True, False)))
    return dom == _ANY_VALUE


def _dom_and(var: "str", a, b):
    if var == _PY:
        return _py_intersect(a, b) or None
    (ka, sa), (kb, sb) = a, b
    if ka == "in" and kb == "in":
        s = sa & sb
        return ("in", s) if s else None
    if ka == "in":
        s = sa - sb
        return ("in", s) if s else None
    if kb == "in":
        s = sb - sa
        return ("in", s) if s else None
    return ("out", sa | sb)


def _dom_or(var: "str", a, b):
    if var == _PY:
        return _py_union(a, b)
    (ka, sa), (kb, sb) = a, b
    if ka == "in" and kb == "in":
        return ("in", sa | sb)
    if ka == "out" and kb == "out":
        return ("out", sa & sb)
    if ka == "in":
        return ("out", sb - sa)
    return ("out", sa - sb)


def _dom_not(var: "str", dom):
    if var == _PY:
        return _py_complement(dom) or None
    kind, s = dom
    if var[0] == "?":
        s = frozenset((True, False)) - s
        return ("in", s) if s else None
    return ("out" if kind == "in" else "in", s) if (kind == "out" or s) else None


def _dom_within(var: "str", a, b) -> "bool":
    """Is domain ``a`` inside domain ``b``?"""
    outside = _dom_not(var, b)
    return outside is None or _dom_and(var, a, outside) is None


class MarkerSet:
    """A set of marker environments: ``MarkerSet.of(marker, extra="")``,
    ``&``, ``|``, ``~``, ``is_empty``, ``implies``, ``equivalent``; ``str()``
    writes it as a marker in uv's spelling (``python_full_version >= '3.9'``)."""

    __slots__ = ("cubes",)

    def __init__(self, cubes=()):
        self.cubes = tuple(cubes)     # each a tuple of sorted (variable, domain) pairs

    TRUE = None    # set below
    FALSE = None

    @classmethod
    def of(cls, marker, extra: "str" = "") -> "MarkerSet":
        if marker is None:
            return cls.TRUE
        tree = marker._markers if isinstance(marker, Marker) else Marker(marker)._markers
        return cls._tree(tree, canonicalize_name(extra) if extra else "")

    @classmethod
    def python(cls, op: "str", text: "str") -> "MarkerSet":
        """``python_full_version OP TEXT``."""
        return cls._cube({_PY: _py_range(op, text)})

    @classmethod
    def _cube(cls, doms: "dict") -> "MarkerSet":
        for var, dom in doms.items():
            if dom is None or dom == () or (isinstance(dom, tuple) and dom and dom[0] == "in" and not dom[1]):
                return cls.FALSE
        return cls((tuple(sorted((v, d) for v, d in doms.items() if not _dom_full(v, d))),))

    @classmethod
    def _tree(cls, tree, extra) -> "MarkerSet":
        out, term = cls.FALSE, None
        for item in tree:
            if item == "or":
                out, term = out | (term if term is not None else cls.TRUE), None
                continue
            if item == "and":
                continue
            atom = cls._tree(item, extra) if isinstance(item, list) else cls._atom(item, extra)
            term = atom if term is None else term & atom
        return out | (term if term is not None else cls.TRUE)

    @classmethod
    def _atom(cls, item, extra) -> "MarkerSet":
        lhs, op, rhs = item
        if isinstance(lhs, _MVar) and isinstance(rhs, _MVal):
            var, value, flipped = str(lhs), str(rhs), False
        elif isinstance(rhs, _MVar) and isinstance(lhs, _MVal):
            var, value, flipped = str(rhs), str(lhs), True
        else:   # two literals, or two variables: a fact of its own
            return cls._opaque(item)
        if var == "extra":
            if op in ("==", "!="):
                return cls.TRUE if (canonicalize_name(value) == extra) == (op == "==") else cls.FALSE
            return cls._opaque(item)
        if flipped and op in ("<", "<=", ">", ">="):
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            flipped = False
        if var in ("python_version", "python_full_version") and not flipped \
                and op in ("==", "!=", "<", "<=", ">", ">=", "~=", "==="):
            try:
                return cls._cube({_PY: _py_range(op, value, minor_only=var == "python_version")})
            except (InvalidVersion, ValueError, IndexError):
                return cls._opaque(item)
        if op in ("==", "!=") and var not in _MARKERS_ALLOWING_SET:
            if var == "platform_system" and value in _PLATFORM_SYSTEM_SYS:
                var, value = "sys_platform", _PLATFORM_SYSTEM_SYS[value]
            return cls._cube({var: ("in" if op == "==" else "out", frozenset((value,)))})
        return cls._opaque(item)

    @classmethod
    def _opaque(cls, item) -> "MarkerSet":
        lhs, op, rhs = item
        negated = {"not in": "in", "!=": "=="}.get(op)
        side = lambda x: "'%s'" % x if isinstance(x, _MVal) else str(x)   # uv's quotes
        key = "?%s %s %s" % (side(lhs), negated or op, side(rhs))
        return cls._cube({key: ("in", frozenset((negated is None,)))})

    # -- algebra -------------------------------------------------------------

    def __and__(self, other: "MarkerSet") -> "MarkerSet":
        if not self.cubes or not other.cubes:
            return MarkerSet.FALSE
        if other.cubes == ((),):
            return self
        if self.cubes == ((),):
            return other
        out = []
        for a in self.cubes:
            for b in other.cubes:
                c = _cube_and(a, b)
                if c is not None:
                    out.append(c)
        return MarkerSet(out)._simplified()

    def __or__(self, other: "MarkerSet") -> "MarkerSet":
        if not self.cubes:
            return other
        if not other.cubes:
            return self
        return MarkerSet(self.cubes + other.cubes)._simplified()

    def __invert__(self) -> "MarkerSet":
        out = MarkerSet.TRUE
        for cube in self.cubes:
            parts = []
            for var, dom in cube:
                nd = _dom_not(var, dom)
                if nd is not None:
                    parts.append(((var, nd),))
            out = out & MarkerSet(parts)
            if not out.cubes:
                break
        return out

    def is_empty(self) -> "bool":
        return not self.cubes

    def is_true(self) -> "bool":
        return self.cubes == ((),)

    def implies(self, other: "MarkerSet") -> "bool":
        return (self & ~other).is_empty()

    def equivalent(self, other: "MarkerSet") -> "bool":
        return self.implies(other) and other.implies(self)

    def disjoint(self, other: "MarkerSet") -> "bool":
        return (self & other).is_empty()

    def python_lower(self):
        """The lowest Python release (a 3-tuple) inside, () when unbounded."""
        lows = []
        for cube in self.cubes:
            dom = dict(cube).get(_PY, _PY_FULL)
            lows.append(dom[0][0])
        return min(lows) if lows else None

    def python_minors(self):
        """(lowest, highest) Python X.Y inside, as uv truncates a fork's
        Python range (``< 3.11`` ends with 3.10, ``< 3.11.3`` with 3.11); the
        highest is None when unbounded; None for the empty set."""
        if not self.cubes:
            return None
        low = tuple((self.python_lower() or (0, 0))[:2])
        low += (0,) * (2 - len(low))
        hi = max(dict(cube).get(_PY, _PY_FULL)[-1][1] for cube in self.cubes)
        if hi[0] == float("inf"):
            return low, None
        return low, (hi[0], hi[1]) if len(hi) > 2 and hi[2] > 0 else (hi[0], hi[1] - 1)

    def within(self, universe: "MarkerSet") -> "MarkerSet":
        """The same set, written for readers who know ``universe`` holds (a
        ``python_full_version`` bound that ``requires-python`` already gives is
        left out, as uv writes it)."""
        if not universe.cubes or universe.is_true() or len(universe.cubes) != 1:
            return self
        given = dict(universe.cubes[0])
        out = []
        for cube in self.cubes:
            doms = dict(cube)
            for var, udom in given.items():
                if var in doms:
                    d = _dom_and(var, doms[var], udom)
                    if d is None:
                        doms = None
                        break
                    # widen to free where the universe already says as much
                    if _dom_and(var, udom, _dom_not(var, d) or udom) is None or d == udom:
                        del doms[var]
                    else:
                        doms[var] = _widen_in(var, d, udom)
            if doms is not None:
                out.append(tuple(sorted(doms.items())))
        return MarkerSet(out)._simplified()

    def _simplified(self) -> "MarkerSet":
        cubes = list(dict.fromkeys(self.cubes))
        changed = True
        while changed:
            changed = False
            # drop a cube inside another
            keep = []
            for i, c in enumerate(cubes):
                if any(j != i and _cube_within(c, d) and (not _cube_within(d, c) or j < i)
                       for j, d in enumerate(cubes)):
                    changed = True
                    continue
                keep.append(c)
            cubes = keep
            # merge two cubes that differ in one variable
            done = False
            for i in range(len(cubes)):
                for j in range(i + 1, len(cubes)):
                    m = _cube_merge(cubes[i], cubes[j])
                    if m is not None:
                        cubes = cubes[:i] + [m] + cubes[i + 1:j] + cubes[j + 1:]
                        changed = done = True
                        break
                if done:
                    break
        if any(c == () for c in cubes):
            return MarkerSet.TRUE
        return MarkerSet(sorted(cubes, key=_cube_sort_key))

    def __eq__(self, other) -> "bool":
        return isinstance(other, MarkerSet) and self.equivalent(other)

    def __hash__(self) -> "int":
        return 0

    def __str__(self) -> "str":
        if self.is_true():
            return ""
        if not self.cubes:
            return "python_full_version < '0'"   # no environment at all
        parts = [_cube_text(c) for c in self.cubes]
        if len(parts) == 1:
            return parts[0]
        return " or ".join("(%s)" % p if " and " in p else p for p in parts)

    def __repr__(self) -> "str":
        return "<MarkerSet(%r)>" % str(self)


for _name, _cubes in (("TRUE", ((),)), ("FALSE", ())):   # every environment; none
    setattr(MarkerSet, _name, MarkerSet(_cubes))


def _widen_in(var: "str", dom, universe):
    """``dom`` (inside ``universe``) made as simple as it can be while it says
    the same within ``universe``: a Python range starts at nothing when it
    starts where the universe does, ends at nothing when it ends there."""
    if var != _PY:
        return dom
    lo_u, hi_u = universe[0][0], universe[-1][1]
    out = []
    for lo, hi in dom:
        out.append(((() if lo <= lo_u else lo), ((float("inf"),) if hi >= hi_u else hi)))
    return tuple(out)


def _cube_and(a: "tuple", b: "tuple"):
    doms = dict(a)
    for var, dom in b:
        if var in doms:
            d = _dom_and(var, doms[var], dom)
            if d is None:
                return None
            doms[var] = d
        else:
            doms[var] = dom
    return tuple(sorted((v, d) for v, d in doms.items() if not _dom_full(v, d)))


def _cube_within(a: "tuple", b: "tuple") -> "bool":
    """Is every environment of cube ``a`` in cube ``b``?"""
    da = dict(a)
    for var, dom in b:
        if var not in da or not _dom_within(var, da[var], dom):
            return False
    return True


def _cube_merge(a: "tuple", b: "tuple"):
    """One cube for ``a | b`` when they differ in one variable, else None."""
    da, db = dict(a), dict(b)
    if set(da) != set(db):
        # a cube free in a variable the other restricts, the rest equal: a | b = a
        return None
    diff = [v for v in da if da[v] != db[v]]
    if len(diff) != 1:
        return None
    var = diff[0]
    da[var] = _dom_or(var, da[var], db[var])
    return tuple(sorted((v, d) for v, d in da.items() if not _dom_full(v, d)))


_VAR_ORDER = {_PY: 0, "sys_platform": 1, "platform_machine": 2, "os_name": 3,
              "platform_python_implementation": 4, "implementation_name": 5}


def _cube_sort_key(cube: "tuple"):
    return [(_VAR_ORDER.get(v, 9), v, repr(d)) for v, d in cube]


def _py_text(rel: "tuple") -> "str":
    rel = list(rel)
    while len(rel) > 2 and rel[-1] == 0:
        rel.pop()
    return ".".join(map(str, rel))


def _cube_text(cube: "tuple") -> "str":
    parts = []
    for var, dom in sorted(cube, key=lambda vd: (_VAR_ORDER.get(vd[0], 9), vd[0])):
        if var == _PY:
            ors = []
            for lo, hi in dom:
                if lo and hi != (float("inf"),) and lo[2] == 0 and hi == _py_next(lo, 1):
                    ors.append("%s == '%s.*'" % (_PY, _py_text(lo[:2])))
                elif lo and hi != (float("inf"),) and hi == _py_next(lo, 2):
                    ors.append("%s == '%s'" % (_PY, ".".join(map(str, lo))))
                else:
                    bits = []
                    if lo:
                        bits.append("%s >= '%s'" % (_PY, _py_text(lo)))
                    if hi != (float("inf"),):
                        bits.append("%s < '%s'" % (_PY, _py_text(hi)))
                    ors.append(" and ".join(bits))
            parts.append(ors[0] if len(ors) == 1 else "(%s)" % " or ".join(ors))
        elif var[0] == "?":
            text = var[1:]
            if True not in dom[1]:   # the negation
                lhs, _sep, rest = text.partition(" in ")
                text = (lhs + " not in " + rest) if _sep else text.replace(" == ", " != ", 1)
            parts.append(text)
        else:
            kind, values = dom
            op = "==" if kind == "in" else "!="
            each = ["%s %s '%s'" % (var, op, v) for v in sorted(values)]
            joined = (" or " if kind == "in" else " and ").join(each)
            parts.append("(%s)" % joined if kind == "in" and len(each) > 1 else joined)
    return " and ".join(parts)


# ---- requirements -----------------------------------------------------------

class InvalidRequirement(_StdParseError):
    """A PEP 508 requirement that does not parse; the message shows where."""


class Requirement:
    """A PEP 508 dependency specifier: ``name[extras] (specifiers) @ url ; marker``.

    ``.name`` as written, ``.url`` or None, ``.extras`` (set of str as written),
    ``.specifier`` (SpecifierSet), ``.marker`` (Marker or None). ``str()`` and
    equality are packaging's.
    """

    __slots__ = ("name", "url", "extras", "specifier", "marker")

    def __init__(self, requirement_string: "str"):
        try:
            name, url, extras, specifier, marker = _std_parse_requirement_text(requirement_string)
        except _std_SyntaxError as e:
            raise _std_parse_failure(InvalidRequirement, e) from None
        self.name = name
        self.url = url or None
        self.extras = set(extras)
        try:
            self.specifier = SpecifierSet(specifier) if isinstance(specifier, str) else specifier
        except InvalidSpecifier as e:
            raise InvalidRequirement(str(e)) from None
        self.marker = None
        if marker is not None:
            self.marker = Marker._from_tree([_std_normalize_extra_atom(a) for a in marker])

    @classmethod
    def parse(cls, text: "str") -> "Requirement":
        return cls(text)

    def __str__(self) -> "str":
        parts = [self.name]
        if self.extras:
            parts.append("[%s]" % ",".join(sorted(self.extras)))
        if self.specifier:
            parts.append(str(self.specifier))
        if self.url:
            parts.append(" @ %s" % self.url)
            if self.marker:
                parts.append(" ")
        if self.marker:
            parts.append("; %s" % self.marker)
        return "".join(parts)

    def __repr__(self) -> "str":
        return "<Requirement(%r)>" % str(self)

    def __hash__(self) -> "int":
        return hash((canonicalize_name(self.name),
                     frozenset(canonicalize_name(e) for e in self.extras),
                     self.specifier, self.url, self.marker))

    def __eq__(self, other) -> "bool":
        if not isinstance(other, Requirement):
            return NotImplemented
        return (canonicalize_name(self.name) == canonicalize_name(other.name)
                and frozenset(canonicalize_name(e) for e in self.extras)
                == frozenset(canonicalize_name(e) for e in other.extras)
                and self.specifier == other.specifier
                and self.url == other.url
                and self.marker == other.marker)

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r


# ---- wheel and sdist filenames ----------------------------------------------

class InvalidWheelFilename(PuffinError, ValueError):
    """A wheel filename that does not follow PEP 427 (the name is shown)."""


class InvalidSdistFilename(PuffinError, ValueError):
    """An sdist filename that is not ``name-version.tar.gz`` / ``.zip``."""


def _std_expand_tags(tag: "str"):
    """``py2.py3-none-any`` -> ["py2-none-any", "py3-none-any"] (lowercased, in
    order, no duplicates); ValueError with packaging's message when malformed."""
    components = [c.split(".") for c in tag.split("-")]
    for parts in components:
        if "" in parts:
            raise ValueError("Tag %r has an empty component: %r" % (tag, ".".join(parts)))
    if len(components) != 3:
        raise ValueError("Tag %r must have exactly three components" % tag)
    interpreters, abis, platforms = components
    for interpreter in interpreters:
        if not interpreter.isidentifier():
            raise ValueError("Tag %r has an invalid interpreter: %r" % (tag, interpreter))
    out = {}
    for i in interpreters:
        for a in abis:
            for p in platforms:
                out["%s-%s-%s" % (i.lower(), a.lower(), p.lower())] = None
    return list(out)


def parse_wheel_filename(filename: "str"):
    """``name-ver(-build)?-interp-abi-plat.whl`` -> (canonical name, Version,
    build tuple ``()`` or ``(int, str)``, frozenset of "interp-abi-plat" strings)."""
    w = WheelFilename.from_filename(filename)
    return (w.name, w.version, w.build, frozenset(w.tags))


class WheelFilename(Value):
    """A parsed wheel filename. ``tags`` is a tuple of expanded tag strings."""

    __slots__ = ("name", "version", "build", "tags", "filename")

    def __init__(self, name: "str", version: "Version", build: "tuple", tags: "tuple", filename: "str"):
        self.name = name
        self.version = version
        self.build = build
        self.tags = tags
        self.filename = filename

    def __str__(self) -> "str":
        return self.filename

    @classmethod
    def from_filename(cls, filename: "str") -> "WheelFilename":
        """Parse; raises InvalidWheelFilename naming what is wrong (packaging's wording)."""
        original = filename
        if not filename.endswith(".whl"):
            raise InvalidWheelFilename(
                "Invalid wheel filename (extension must be '.whl'): %r" % filename)
        filename = filename[:-4]
        dashes = filename.count("-")
        if dashes not in (4, 5):
            raise InvalidWheelFilename(
                "Invalid wheel filename (wrong number of parts): %r" % filename)
        parts = filename.split("-", dashes - 2)
        name_part = parts[0]
        if "__" in name_part or _lazy_re(r"^[\w._]+\Z", re.UNICODE).match(name_part) is None:
            raise InvalidWheelFilename("Invalid project name: %r" % filename)
        try:
            version = Version(parts[1])
        except InvalidVersion:
            raise InvalidWheelFilename(
                "Invalid wheel filename (invalid version): %r" % filename) from None
        if dashes == 5:
            m = _lazy_re(r"(\d+)(.*)\Z", re.ASCII).match(parts[2])
            if m is None:
                raise InvalidWheelFilename(
                    "Invalid build number: %s in %r" % (parts[2], filename))
            build = (int(m.group(1)), m.group(2))
        else:
            build = ()
        try:
            tags = tuple(_std_expand_tags(parts[-1]))
        except ValueError:
            raise InvalidWheelFilename(
                "Invalid wheel filename (invalid tag component): %r" % filename) from None
        return cls(canonicalize_name(name_part), version, build, tags, original)


_SDIST_EXTENSIONS = (".tar.gz", ".zip")


def parse_sdist_filename(filename: "str", name: "str" = None):
    """``name-version.tar.gz`` / ``.zip`` -> (canonical name, Version).

    Without ``name`` the version is after the last dash (packaging). With the
    project's ``name``, legacy names are accepted too: the split is the dash
    after which the prefix normalizes to ``name`` (``Foo_Bar-1.0-2.tar.gz``).
    """
    s = SdistFilename.from_filename(filename, name)
    return (s.name, s.version)


class SdistFilename(Value):
    """A parsed source distribution filename."""

    __slots__ = ("name", "version", "extension", "filename")

    def __init__(self, name: "str", version: "Version", extension: "str", filename: "str"):
        self.name = name
        self.version = version
        self.extension = extension
        self.filename = filename

    def __str__(self) -> "str":
        return self.filename

    @classmethod
    def from_filename(cls, filename: "str", name: "str" = None) -> "SdistFilename":
        for ext in _SDIST_EXTENSIONS:
            if filename.endswith(ext):
                stem = filename[:-len(ext)]
                break
        else:
            raise InvalidSdistFilename(
                "Invalid sdist filename (extension must be '.tar.gz' or '.zip'): %r" % filename)
        if name is not None:
            return cls._split_with_name(stem, ext, filename, name)
        name_part, sep, version_part = stem.rpartition("-")
        if not sep:
            raise InvalidSdistFilename("Invalid sdist filename: %r" % filename)
        if not name_part:
            raise InvalidSdistFilename(
                "Invalid sdist filename (empty project name): %r" % filename)
        try:
            version = Version(version_part)
        except InvalidVersion:
            raise InvalidSdistFilename(
                "Invalid sdist filename (invalid version): %r" % filename) from None
        return cls(canonicalize_name(name_part), version, ext, filename)

    @classmethod
    def _split_with_name(cls, stem: "str", ext: "str", filename: "str", name: "str"):
        want = canonicalize_name(name)
        bad_version = False
        for i, ch in enumerate(stem):
            if ch != "-" or canonicalize_name(stem[:i]) != want:
                continue
            try:
                return cls(want, Version(stem[i + 1:]), ext, filename)
            except InvalidVersion:
                bad_version = True
        if bad_version:
            raise InvalidSdistFilename(
                "Invalid sdist filename (invalid version): %r" % filename)
        raise InvalidSdistFilename(
            "Invalid sdist filename (does not start with project name %r): %r" % (name, filename))


# ---- core metadata (METADATA / PKG-INFO) ------------------------------------

class InvalidMetadata(PuffinError, ValueError):
    """Core metadata without a usable Name or Version."""


def _std_parse_headers(text: "str"):
    """RFC 822 headers as email.parser reads core metadata: (list of (name, value)
    in order, body). Continuation lines join with a newline; junk lines are skipped."""
    headers = []
    lines = text.split("\n")
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i].rstrip("\r")
        if line == "":
            i += 1
            break
        if line[:1] in (" ", "\t"):
            if headers:     # continuation of the previous header
                k, v = headers[-1]
                headers[-1] = (k, v + "\n" + line)
            i += 1
            continue
        key, sep, value = line.partition(":")
        if sep and key and " " not in key.strip():
            headers.append((key.strip(), value.strip()))
        i += 1
    else:
        return headers, ""
    return headers, "\n".join(lines[i:])


class Metadata:
    """Parsed core metadata (versions 1.0 to 2.4) with the fields installers need.

    ``name`` (as written), ``version`` (Version), ``requires_dist`` (list of
    Requirement; invalid lines are skipped with a warning), ``requires_python``
    (SpecifierSet or None), ``provides_extra`` (list of str), ``metadata_version``
    (str), ``dynamic`` (list of str), ``headers`` (all (name, value) pairs), ``body``.
    """

    __slots__ = ("name", "version", "requires_dist", "requires_python", "provides_extra",
                 "metadata_version", "dynamic", "headers", "body")

    def __init__(self, name: "str", version: "Version", requires_dist=(), requires_python=None,
                 provides_extra=(), metadata_version: "str" = "2.1", dynamic=(), headers=(),
                 body: "str" = ""):
        self.name = name
        self.version = version
        self.requires_dist = list(requires_dist)
        self.requires_python = requires_python
        self.provides_extra = list(provides_extra)
        self.metadata_version = metadata_version
        self.dynamic = list(dynamic)
        self.headers = list(headers)
        self.body = body

    def __repr__(self) -> "str":
        return "<Metadata(%s %s)>" % (self.name, self.version)

    @classmethod
    def from_bytes(cls, data: "bytes") -> "Metadata":
        """Parse METADATA/PKG-INFO bytes (UTF-8, tolerating bad bytes and junk lines).

        Raises InvalidMetadata when Name or Version is missing or Version is invalid.
        """
        text = data.decode("utf-8", errors="surrogateescape") if isinstance(data, bytes) else data
        if text.startswith("\ufeff"):
            text = text[1:]
        headers, body = _std_parse_headers(text)
        fields = {}
        for key, value in headers:
            fields.setdefault(key.lower(), []).append(value)

        def first(k):
            v = fields.get(k)
            return v[0] if v else None

        name = first("name")
        version_text = first("version")
        if not name:
            raise InvalidMetadata("core metadata has no Name field")
        if not version_text:
            raise InvalidMetadata("core metadata of %s has no Version field" % name)
        try:
            version = Version(version_text)
        except InvalidVersion:
            raise InvalidMetadata("core metadata of %s has an invalid Version: %r"
                                  % (name, version_text)) from None
        requires = []
        for line in fields.get("requires-dist", ()):
            try:
                requires.append(Requirement(line))
            except InvalidRequirement as e:
                warn_user("%s %s: ignoring invalid Requires-Dist %r: %s"
                          % (name, version, line, str(e).split("\n", 1)[0]))
        requires_python = None
        rp = first("requires-python")
        if rp:
            try:
                requires_python = SpecifierSet(rp)
            except InvalidSpecifier:
                warn_user("%s %s: ignoring invalid Requires-Python %r" % (name, version, rp))
        return cls(name, version, requires, requires_python,
                   [e.strip() for e in fields.get("provides-extra", ())],
                   first("metadata-version") or "1.0",
                   [d.strip() for d in fields.get("dynamic", ())], headers, body)

    def get(self, field: "str", default=None):
        """The first value of a header (case-insensitive), e.g. ``get("Summary")``."""
        lf = field.lower()
        for k, v in self.headers:
            if k.lower() == lf:
                return v
        return default

    def get_all(self, field: "str") -> "list":
        lf = field.lower()
        return [v for k, v in self.headers if k.lower() == lf]

    def requires(self, extras=(), environment=None) -> "list":
        """Requires-Dist entries active for ``extras`` in ``environment`` (None:
        the running interpreter). A marker counts when it holds for no extra or
        for any one requested extra, as pip evaluates it."""
        wanted = [""] + sorted({canonicalize_name(e) for e in extras})
        out = []
        for req in self.requires_dist:
            if req.marker is None:
                out.append(req)
                continue
            for extra in wanted:
                env = dict(environment) if environment else {}
                env["extra"] = extra
                if req.marker.evaluate(env):
                    out.append(req)
                    break
        return out


# ---- core metadata as JSON (PEP 566), as pip writes it ---------------------------

# pip's METADATA_FIELDS (pip/_internal/metadata/_json.py, pip 26.x):
# (field, multiple-use), in the order pip writes the keys.
_METADATA_JSON_FIELDS = (
    ("Metadata-Version", False), ("Name", False), ("Version", False), ("Dynamic", True),
    ("Platform", True), ("Supported-Platform", True), ("Summary", False),
    ("Description", False), ("Description-Content-Type", False), ("Keywords", False),
    ("Home-page", False), ("Download-URL", False), ("Author", False), ("Author-email", False),
    ("Maintainer", False), ("Maintainer-email", False), ("License", False),
    ("License-Expression", False), ("License-File", True), ("Classifier", True),
    ("Requires-Dist", True), ("Requires-Python", False), ("Requires-External", True),
    ("Project-URL", True), ("Provides-Extra", True), ("Provides-Dist", True),
    ("Obsoletes-Dist", True),
)


def _redent(value: "str") -> "str":
    """A folded header value without its continuation indent, as
    importlib.metadata repairs it before pip reads it (old setuptools folded a
    long Description with 8 spaces a line)."""
    if not value or "\n" not in value:
        return value
    import textwrap
    return textwrap.dedent(" " * 8 + value)


def metadata_to_json(data) -> "dict":
    """Core metadata (METADATA/PKG-INFO bytes or text) as the PEP 566 JSON that
    pip puts in an installation report, key for key and value for value.

    pip reads the file with the standard email parser (compat32, through
    importlib.metadata, which dedents folded values and adds the body as a
    Description header) and keeps only the fields it knows: lowercase names
    with ``_``, multiple-use fields as lists, Keywords split on commas (else
    on blanks), ``description`` from the body when there is one. The same
    parser is used here so that folded lines and odd spacing come out as in
    pip; undecodable bytes become U+FFFD (pip refuses such a file).
    """
    import email.parser
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if text.startswith("\ufeff"):
        text = text[1:]
    msg = email.parser.Parser().parsestr(text)
    body = msg.get_payload()
    if not isinstance(body, str):   # a Content-Type: multipart header in METADATA
        body = ""
    headers = [(k.lower(), _redent(v)) for k, v in msg.items()]
    if body:
        headers.append(("description", body))
    result = {}
    for field, multiple in _METADATA_JSON_FIELDS:
        lf = field.lower()
        values = [str(v) for k, v in headers if k == lf]
        if not values:
            continue
        key = lf.replace("-", "_")
        if multiple:
            result[key] = values
        elif key == "keywords":
            v = values[0]
            result[key] = [w.strip() for w in v.split(",")] if "," in v else v.split()
        else:
            result[key] = values[0]
    if body:
        result["description"] = body
    return result


def metadata_text(md) -> "str":
    """METADATA text of a parsed Metadata: its headers in order, a blank line,
    the body. For metadata_to_json when the raw bytes are gone (Metadata keeps
    headers and body, not the bytes); the email parser reads it as it reads
    the original, except trailing blanks of a header line and junk lines,
    which Metadata.from_bytes dropped."""
    return "".join("%s: %s\n" % (k, v) for k, v in md.headers) + "\n" + (md.body or "")


# The PEP 508 environment names, in the order packaging's default_environment()
# gives them (and pip's report shows them).
MARKER_NAMES = ("implementation_name", "implementation_version", "os_name", "platform_machine",
                "platform_release", "platform_system", "platform_version", "python_full_version",
                "platform_python_implementation", "python_version", "sys_platform")


def marker_environment_json(markers: "dict") -> "dict":
    """A marker environment as pip reports it: the eleven PEP 508 names in
    packaging's order, values as strings; ``extra`` and anything else a
    target reports are left out."""
    return {k: str(markers[k]) for k in MARKER_NAMES if k in markers}


# ---- RECORD -----------------------------------------------------------------

class RecordEntry(Value):
    """One row of a wheel's RECORD: ``path``, ``hash`` ("sha256=<urlsafe b64, no
    padding>" or None), ``size`` (int or None)."""

    __slots__ = ("path", "hash", "size")

    def __init__(self, path: "str", hash: "str" = None, size: "int" = None):
        self.path = path
        self.hash = hash
        self.size = size

    @classmethod
    def from_row(cls, row) -> "RecordEntry":
        """From a CSV row ``[path, hash, size]`` (hash and size may be empty)."""
        if len(row) != 3:
            raise ValueError("RECORD row must have 3 fields, got %d: %r" % (len(row), row))
        path, h, size = row
        if not path:
            raise ValueError("RECORD row has an empty path: %r" % (row,))
        try:
            size_value = int(size) if size else None
        except ValueError:
            raise ValueError("RECORD row has an invalid size: %r" % (row,)) from None
        if h and "=" not in h:
            raise ValueError("RECORD row has an invalid hash: %r" % (row,))
        return cls(path, h or None, size_value)

    def to_row(self) -> "list":
        return [self.path, self.hash or "", "" if self.size is None else str(self.size)]

    @classmethod
    def for_data(cls, path: "str", data: "bytes", algorithm: "str" = "sha256") -> "RecordEntry":
        """The entry for a file with content ``data``."""
        return cls(path, record_hash(data, algorithm), len(data))

    def matches(self, data: "bytes") -> "bool":
        """Whether ``data`` has this entry's hash (and size, when recorded)."""
        if self.size is not None and len(data) != self.size:
            return False
        if not self.hash:
            return True
        alg = self.hash.split("=", 1)[0]
        return record_hash(data, alg) == self.hash


def record_hash(data: "bytes", algorithm: "str" = "sha256") -> "str":
    """``"sha256=<urlsafe base64 without padding>"`` of ``data``."""
    import binascii
    if algorithm == "sha256":
        digest = sha256_of(data).digest()
    else:
        import hashlib
        digest = hashlib.new(algorithm, data).digest()
    text = binascii.b2a_base64(digest, newline=False).rstrip(b"=").translate(_URLSAFE_B64)
    return "%s=%s" % (algorithm, text.decode("ascii"))


_URLSAFE_B64 = bytes.maketrans(b"+/", b"-_")


def record_rows(text: "str") -> "list":
    """RECORD's rows as ``csv.reader`` reads them (blank lines skipped); lines
    without a quote are split directly (the same answer, without importing ``csv``)."""
    lines = text.splitlines()
    if '"' in text:
        import csv
        return [row for row in csv.reader(lines) if row]
    return [line.split(",") for line in lines if line]


def record_bytes(rows) -> "bytes":
    """RECORD as pip writes it: the csv module's default dialect (CRLF line
    ends). Rows with nothing to quote are joined directly: the same bytes."""
    rows = [tuple(row) for row in rows]
    if any(len(row) < 2 or any(field.__class__ is not str or _CSV_SPECIAL.intersection(field)
                               for field in row) for row in rows):
        import csv
        out = io.StringIO(newline="")
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8")
    return "".join(",".join(row) + "\r\n" for row in rows).encode("utf-8")


_CSV_SPECIAL = frozenset(',"\r\n')


def read_record(text: "str") -> "list":
    """RECORD file text -> list of RecordEntry (blank lines skipped)."""
    return [RecordEntry.from_row(row) for row in record_rows(text)]


def format_record(entries) -> "str":
    """List of RecordEntry -> RECORD file text, as pip writes it (CRLF line ends)."""
    return record_bytes([e.to_row() for e in entries]).decode("utf-8")


# ---- direct_url.json (PEP 610) ----------------------------------------------

class InvalidDirectUrl(PuffinError, ValueError):
    """direct_url.json content that breaks PEP 610."""


class DirectUrl(Value):
    """PEP 610 ``direct_url.json``. ``kind`` is "archive", "dir" or "vcs".

    archive: ``hashes`` (dict alg -> hex); dir: ``editable``; vcs: ``vcs``,
    ``commit_id``, ``requested_revision``. ``subdirectory`` for any kind.
    """

    __slots__ = ("url", "kind", "hashes", "editable", "vcs", "commit_id",
                 "requested_revision", "subdirectory")

    def __init__(self, url: "str", kind: "str", hashes=None, editable: "bool" = False, vcs=None,
                 commit_id=None, requested_revision=None, subdirectory=None):
        if kind not in ("archive", "dir", "vcs"):
            raise InvalidDirectUrl("unknown direct URL kind %r" % (kind,))
        self.url = url
        self.kind = kind
        self.hashes = dict(hashes or {})
        self.editable = bool(editable)
        self.vcs = vcs
        self.commit_id = commit_id
        self.requested_revision = requested_revision
        self.subdirectory = subdirectory

    def to_dict(self) -> "dict":
        d = {"url": self.url}
        if self.kind == "archive":
            info = {}
            if self.hashes:
                info["hashes"] = dict(self.hashes)
                alg = "sha256" if "sha256" in self.hashes else next(iter(self.hashes))
                info["hash"] = "%s=%s" % (alg, self.hashes[alg])   # the legacy key older readers want
            d["archive_info"] = info
        elif self.kind == "dir":
            d["dir_info"] = {"editable": True} if self.editable else {}
        else:
            info = {"vcs": self.vcs}
            if self.commit_id:   # PEP 610 requires it; a report of an unbuilt source may lack it
                info["commit_id"] = self.commit_id
            if self.requested_revision:
                info["requested_revision"] = self.requested_revision
            d["vcs_info"] = info
        if self.subdirectory:
            d["subdirectory"] = self.subdirectory
        return d

    def to_json(self) -> "str":
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: "dict") -> "DirectUrl":
        """Validate and read a PEP 610 dict; raises InvalidDirectUrl."""
        if not isinstance(d, dict) or not isinstance(d.get("url"), str):
            raise InvalidDirectUrl("direct_url.json needs a string 'url'")
        present = [k for k in ("archive_info", "dir_info", "vcs_info") if k in d]
        if len(present) != 1:
            raise InvalidDirectUrl(
                "direct_url.json needs exactly one of archive_info, dir_info, vcs_info; got %s"
                % (", ".join(present) or "none"))
        info = d[present[0]]
        if not isinstance(info, dict):
            raise InvalidDirectUrl("%s must be an object" % present[0])
        sub = d.get("subdirectory")
        if present[0] == "archive_info":
            hashes = dict(info.get("hashes") or {})
            legacy = info.get("hash")
            if legacy:
                alg, sep, value = legacy.partition("=")
                if not sep:
                    raise InvalidDirectUrl("invalid archive_info.hash %r" % (legacy,))
                hashes.setdefault(alg, value)
            return cls(d["url"], "archive", hashes=hashes, subdirectory=sub)
        if present[0] == "dir_info":
            return cls(d["url"], "dir", editable=bool(info.get("editable", False)),
                       subdirectory=sub)
        if not isinstance(info.get("vcs"), str) or not isinstance(info.get("commit_id"), str):
            raise InvalidDirectUrl("vcs_info needs string 'vcs' and 'commit_id'")
        return cls(d["url"], "vcs", vcs=info["vcs"], commit_id=info["commit_id"],
                   requested_revision=info.get("requested_revision"), subdirectory=sub)

    @classmethod
    def from_json(cls, text: "str") -> "DirectUrl":
        try:
            d = json.loads(text)
        except ValueError as e:
            raise InvalidDirectUrl("direct_url.json is not valid JSON: %s" % e) from None
        return cls.from_dict(d)


# ---- 2b. Wheel tags and TOML ------------------------------------------------
# Owns: compatible wheel tags in priority order from "tag inputs" (the facts a
# target interpreter reports about itself), tags for a `--python-platform`,
# `TagPriority`, and `toml_loads` (tomllib, or a small TOML 1.0 reader).
# Tags equal packaging.tags.sys_tags() of the newest packaging that installs
# into the target's Python (see `_packaging_26_3_rules`).

_INTERPRETER_SHORT_NAMES = {
    "python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy",
}

# PEP 600 legacy aliases, emitted right after their manylinux_2_X twin.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}

_MANYLINUX_ARCHS = frozenset(
    ("x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"))


def _packaging_26_3_rules(py: "tuple") -> "bool":
    """Whether a target of Python ``py`` gets packaging 26.3+ tags, not 26.2's.

    We match sys_tags() of the newest packaging pip installs into the target.
    packaging 26.3 (Requires-Python >=3.9) put ``linux_<arch>`` ahead of the
    manylinux/musllinux tags (pypa/packaging#160: a locally built wheel beats a
    portable one) and renamed macOS's ``fat32`` to ``fat3``; 26.4 (>=3.10) has
    the same tag output as 26.3. CPython 3.8 can only get packaging 26.2, and
    older targets older releases whose order is 26.2's, so they keep it.
    """
    return py >= (3, 9)


def _normalize_platform(s: "str") -> "str":
    return s.replace(".", "_").replace("-", "_").replace(" ", "_")


def _nodot(version) -> "str":
    return "".join(str(p) for p in version)


def _cpython_abis(info: "dict", py: "tuple") -> "list":
    """The version-specific CPython ABIs (packaging's ``_cpython_abis``)."""
    version = _nodot(py[:2])
    threading = debug = pymalloc = ucs4 = ""
    with_debug = info.get("Py_DEBUG")
    has_ext = "_d.pyd" in (info.get("extension_suffixes") or ())
    if with_debug or (with_debug is None and (info.get("has_refcount") or has_ext)):
        debug = "d"
    if py >= (3, 13) and info.get("Py_GIL_DISABLED"):
        threading = "t"
    abis = []
    if py < (3, 8):
        with_pymalloc = info.get("WITH_PYMALLOC")
        if with_pymalloc or with_pymalloc is None:
            pymalloc = "m"
        if py < (3, 3):
            size = info.get("Py_UNICODE_SIZE")
            if size == 4 or (size is None and info.get("maxunicode") == 0x10FFFF):
                ucs4 = "u"
    elif debug:
        # Debug builds can also load normal extension modules.
        abis.append("cp%s%s" % (version, threading))
    abis.insert(0, "cp%s%s%s%s%s" % (version, threading, debug, pymalloc, ucs4))
    return abis


def _generic_abis(info: "dict", py: "tuple") -> "list":
    """The ABI of a non-CPython interpreter, read from EXT_SUFFIX (packaging's rules)."""
    ext_suffix = info.get("EXT_SUFFIX")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        raise InterpreterError("invalid sysconfig EXT_SUFFIX %r" % (ext_suffix,))
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return _cpython_abis(info, py)   # CPython 3.7 and older on Windows: ".pyd"
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [_normalize_platform(abi)]


def _glibc_tuple(value):
    if not value:
        return None
    m = _lazy_re(r"([0-9]+)\.([0-9]+)").match(str(value))
    return (int(m.group(1)), int(m.group(2))) if m else (-1, -1)


def _manylinux_platforms(info: "dict", archs: "list") -> "list":
    """PEP 600 tags from the target's glibc down to 2.17 (2.5 on x86), with aliases."""
    if "armv7l" in archs:
        ok = info.get("elf_armhf", False)
    elif "i686" in archs:
        ok = info.get("elf_i686", False)
    else:
        ok = any(a in _MANYLINUX_ARCHS for a in archs)
    glibc = _glibc_tuple(info.get("glibc_version")) or (-1, -1)
    if not ok:
        return []
    too_old = (2, 4) if set(archs) & {"x86_64", "i686"} else \
        (2, 30) if "riscv64" in archs else (2, 35) if "loongarch64" in archs else (2, 16)
    # Across glibc majors packaging assumes the last minor of an old major is 50.
    maxes = [glibc] + [(major, 50) for major in range(glibc[0] - 1, 1, -1)]
    # The optional _manylinux module of the target may veto versions.
    verdicts = info.get("manylinux_compatible") or {}
    out = []
    for arch in archs:
        for major, top in maxes:
            low = too_old[1] if major == too_old[0] else -1
            for minor in range(top, low, -1):
                verdict = verdicts.get("%d_%d_%s" % (major, minor, arch))
                if verdict is False:
                    continue
                out.append("manylinux_%d_%d_%s" % (major, minor, arch))
                legacy = _LEGACY_MANYLINUX.get((major, minor))
                if legacy:
                    out.append("%s_%s" % (legacy, arch))
    return out


def _linux_platforms(info: "dict", py: "tuple") -> "list":
    linux = _normalize_platform(info.get("platform") or "")
    if not linux.startswith("linux_"):
        return [linux]
    if info.get("pointer_bits", 64) == 32:
        # A 32-bit interpreter on a 64-bit kernel: sysconfig reports the kernel's arch.
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    portable = _manylinux_platforms(info, archs)
    musl = info.get("musl_version")
    if musl:
        for a in archs:
            portable.extend("musllinux_%d_%d_%s" % (musl[0], minor, a)
                            for minor in range(musl[1], -1, -1))
    native = ["linux_%s" % a for a in archs]
    # packaging 26.3 put linux_<arch> first; uv (--python-platform) keeps it last
    if _packaging_26_3_rules(py) and not info.get("uv_rules"):
        return native + portable
    return portable + native


def _mac_binary_formats(version: "tuple", arch: "str", fat3: "str" = "fat3") -> "list":
    formats = [arch]
    if arch == "x86_64":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat64", fat3])
    elif arch == "i386":
        if version < (10, 4):
            return []
        formats.extend(["intel", fat3, "fat"])
    elif arch == "ppc64":
        if version > (10, 5) or version < (10, 4):
            return []
        formats.append("fat64")
    elif arch == "ppc":
        if version > (10, 6):
            return []
        formats.extend([fat3, "fat"])
    if arch in ("arm64", "x86_64"):
        formats.append("universal2")
    if arch in ("x86_64", "i386", "ppc64", "ppc", "intel"):
        formats.append("universal")
    return formats


def mac_platforms(version: "tuple", arch: "str", python_version=None, uv_rules: "bool" = False) -> "list":
    """macOS platform tags for ``version`` (major, minor) and ``arch``, best first.

    ``python_version`` (major, minor) of the target picks packaging's rules for
    it: the three-architecture format is ``fat32`` before 3.9, else ``fat3``
    (None: the newest rules). ``uv_rules``: uv's list for --python-platform
    (always ``fat32``; arm64 before macOS 11 only universal2 10.16-10.4).
    """
    version = tuple(version[:2])
    py = tuple(python_version[:2]) if python_version else (3, 99)
    fat3 = "fat3" if _packaging_26_3_rules(py) and not uv_rules else "fat32"
    if uv_rules and arch == "arm64" and version < (11, 0):
        return ["macosx_10_%d_universal2" % minor for minor in range(16, 3, -1)]
    out = []
    if (10, 0) <= version < (11, 0):
        for minor in range(version[1], -1, -1):
            for fmt in _mac_binary_formats((10, minor), arch, fat3):
                out.append("macosx_10_%d_%s" % (minor, fmt))
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            for fmt in _mac_binary_formats((major, 0), arch, fat3):
                out.append("macosx_%d_0_%s" % (major, fmt))
        # 11+ runs x86_64 binaries built for older releases; arm64 only universal2 ones.
        for minor in range(16, 3, -1):
            if arch == "x86_64":
                for fmt in _mac_binary_formats((10, minor), arch, fat3):
                    out.append("macosx_10_%d_%s" % (minor, fmt))
            else:
                out.append("macosx_10_%d_universal2" % minor)
    return out


def _platform_tags(info: "dict", py: "tuple") -> "list":
    system = info.get("system")
    if system == "Darwin":
        arch = info.get("macos_arch") or "arm64"
        if info.get("pointer_bits", 64) == 32:
            arch = "ppc" if arch.startswith("ppc") else "i386"
        return mac_platforms(tuple(info["macos_version"]), arch, py, bool(info.get("uv_rules")))
    if system == "iOS":
        major, minor = info["ios_version"][:2]
        multiarch = info["ios_multiarch"].replace("-", "_")
        if major < 12:
            return []
        out = ["ios_%d_%d_%s" % (major, minor, multiarch)]
        out += ["ios_%d_%d_%s" % (major, m, multiarch) for m in range(minor - 1, -1, -1)]
        for ma in range(major - 1, 11, -1):
            out += ["ios_%d_%d_%s" % (ma, m, multiarch) for m in range(9, -1, -1)]
        return out
    if system == "Android":
        abi = _normalize_platform(info["android_abi"])
        return ["android_%d_%s" % (v, abi) for v in range(info["android_api_level"], 15, -1)]
    if system == "Linux":
        return _linux_platforms(info, py)
    generic = [_normalize_platform(info.get("platform") or "any")]
    if system == "Emscripten" and info.get("PYEMSCRIPTEN_PLATFORM_VERSION"):
        return ["pyemscripten_%s_wasm32" % info["PYEMSCRIPTEN_PLATFORM_VERSION"]] + generic
    if system == "Windows" and info.get("uv_rules"):
        return [_normalize_platform(info["platform"])]
    return generic


def _python_version(info: "dict") -> "tuple":
    return tuple(int(p) for p in info["python_version"][:2])


def _py_interpreter_range(py: "tuple") -> "list":
    out = ["py%s" % _nodot(py[:2]), "py%d" % py[0]]
    out += ["py%d%d" % (py[0], minor) for minor in range(py[1] - 1, -1, -1)]
    return out


def compatible_tags(info: "dict") -> "list":
    """Every tag ``interp-abi-platform`` the described interpreter accepts, best first.

    ``info`` holds tag inputs as the interpreter query reports them:
    ``implementation_name`` (sys.implementation.name), ``python_version`` [major,
    minor], ``py_version_nodot``, ``Py_DEBUG``, ``Py_GIL_DISABLED``,
    ``WITH_PYMALLOC``, ``Py_UNICODE_SIZE`` (config vars, None when unset),
    ``has_refcount``, ``extension_suffixes``, ``maxunicode``, ``EXT_SUFFIX``,
    ``system`` (platform.system()), ``platform`` (sysconfig.get_platform()),
    ``pointer_bits``, ``glibc_version`` ("2.36" or None), ``musl_version``
    ([1, 2] or None), ``elf_armhf``/``elf_i686`` (the executable's ELF header),
    ``manylinux_compatible`` (verdicts of a ``_manylinux`` module, or None),
    ``macos_version`` and ``macos_arch`` on macOS, ``PYEMSCRIPTEN_PLATFORM_VERSION``
    on Emscripten; ``platforms`` and ``abis``, when present, replace the ones
    these would give (pip's ``--platform`` and ``--abi``). The order is exactly packaging.tags.sys_tags() of the newest
    packaging for that Python (see `_packaging_26_3_rules`): cpython_tags (or
    generic_tags), then compatible_tags. Pure: no I/O, so it also serves
    ``--python-platform``.
    """
    py = _python_version(info)
    name = info.get("implementation_name") or "cpython"
    short = _INTERPRETER_SHORT_NAMES.get(name) or name
    platforms = list(info["platforms"]) if info.get("platforms") else _platform_tags(info, py)
    given_abis = info.get("abis")
    tags = []
    if short == "cp":
        interp = "cp" + _nodot(py)
        abis = [a for a in (given_abis or _cpython_abis(info, py)) if a not in ("abi3", "none")]
        for abi in abis:
            tags.extend("%s-%s-%s" % (interp, abi, p) for p in platforms)
        threaded = bool(_lazy_re(r"cp\d+(.*)").match(abis[0]).group(1).count("t")) if abis else False
        # Free-threaded builds take the abi3t stable ABI (PEP 803) where others take abi3.
        stable = "abi3t" if threaded else "abi3"
        use_stable = py >= (3, 2)
        if use_stable:
            tags.extend("%s-%s-%s" % (interp, stable, p) for p in platforms)
        tags.extend("%s-none-%s" % (interp, p) for p in platforms)
        if use_stable:
            for minor in range(py[1] - 1, 1, -1):
                tags.extend("cp%d%d-%s-%s" % (py[0], minor, stable, p) for p in platforms)
        any_interp = interp
    else:
        nodot = info.get("py_version_nodot") or _nodot(py)
        interp = "%s%s" % (short, nodot)
        abis = list(given_abis) if given_abis else _generic_abis(info, py)
        if "none" not in abis:
            abis.append("none")
        for abi in abis:
            tags.extend("%s-%s-%s" % (interp, abi, p) for p in platforms)
        any_interp = "pp3" if short == "pp" else None
    for version in _py_interpreter_range(py):
        tags.extend("%s-none-%s" % (version, p) for p in platforms)
    any_interp = info.get("any_interpreter", any_interp)
    if any_interp:
        tags.append("%s-none-any" % any_interp)
    tags.extend("%s-none-any" % v for v in _py_interpreter_range(py))
    return tags


# uv's --python-platform names (uv 0.13.9 accepts exactly these, see
# vendor_notes/tags.md): linux targets are manylinux_2_28 (as uv's docs say for
# images), musl ones musllinux_1_2, macOS 13.0 unless MACOSX_DEPLOYMENT_TARGET.
_MANYLINUX_TARGETS = ("2014", "2_17", "2_28") + tuple("2_%d" % m for m in range(31, 41))
_PLATFORM_ALIASES = {
    "linux": "x86_64-unknown-linux-gnu",
    "macos": "aarch64-apple-darwin",
    "windows": "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu": "x86_64-manylinux_2_28",
    "aarch64-unknown-linux-gnu": "aarch64-manylinux_2_28",
    "x86_64-manylinux2014": "x86_64-manylinux_2_17",
    "aarch64-manylinux2014": "aarch64-manylinux_2_17",
    "x86_64-unknown-linux-musl": "x86_64-musllinux_1_2",
    "aarch64-unknown-linux-musl": "aarch64-musllinux_1_2",
    "riscv64-unknown-linux": "riscv64-manylinux_2_39",
}
for _arch in ("x86_64", "aarch64"):   # uv's hidden spellings: manylinux_2_28_x86_64
    for _v in _MANYLINUX_TARGETS:
        _PLATFORM_ALIASES["manylinux%s_%s" % (_v if _v == "2014" else "_" + _v, _arch)] = \
            "%s-manylinux%s" % (_arch, _v if _v == "2014" else "_" + _v)
del _arch, _v
_PLATFORM_NAMES = frozenset(list(_PLATFORM_ALIASES) + [
    "%s-manylinux_%s" % (a, v) for a in ("x86_64", "aarch64") for v in _MANYLINUX_TARGETS[1:]] + [
    "x86_64-pc-windows-msvc", "aarch64-pc-windows-msvc", "i686-pc-windows-msvc",
    "aarch64-apple-darwin", "x86_64-apple-darwin", "aarch64-linux-android", "x86_64-linux-android",
    "wasm32-pyodide2024", "wasm32-pyodide2025", "arm64-apple-ios", "arm64-apple-ios-simulator",
    "x86_64-apple-ios-simulator"])
# Pyodide's Emscripten: (platform_release) per ABI year, as uv sets the markers
_PYODIDE = {"2024": "3.1.58", "2025": "4.0.9"}


def _deployment_target(env, name: "str", default: "tuple") -> "tuple":
    """``MAJOR[.MINOR]`` from ``env[name]``; anything else gives ``default`` (as uv)."""
    m = _lazy_re(r"^(\d+)(?:\.(\d+))?$").match((env or {}).get(name, "").strip())
    return (int(m.group(1)), int(m.group(2) or 0)) if m else default


def platform_tag_inputs(platform_name: "str", python_version, env=None) -> "dict":
    """Tag inputs for a CPython of ``python_version`` on a uv ``--python-platform``
    (``uv_rules``: the platform order uv gives, ``linux_<arch>`` last, ``fat32``).

    Raises UsageError for a name uv does not know."""
    if platform_name not in _PLATFORM_NAMES:
        raise UsageError("invalid value %r for --python-platform" % platform_name,
                         hint="use linux, macos, windows, or a target such as "
                              "x86_64-unknown-linux-gnu, aarch64-manylinux_2_28, "
                              "x86_64-unknown-linux-musl, aarch64-apple-darwin or x86_64-pc-windows-msvc")
    name = _PLATFORM_ALIASES.get(platform_name, platform_name)
    name = _PLATFORM_ALIASES.get(name, name)
    py = [int(p) for p in str(python_version).split(".")[:2]] \
        if not isinstance(python_version, (tuple, list)) else list(python_version[:2])
    info = {"implementation_name": "cpython", "python_version": py, "Py_DEBUG": 0,
            "Py_GIL_DISABLED": 0, "pointer_bits": 64, "glibc_version": None,
            "musl_version": None, "uv_rules": True, "sys_platform": "linux"}
    arch, _, rest = name.partition("-")
    m = _lazy_re(r"^(manylinux|musllinux)_(\d+)_(\d+)$").match(rest)
    if m:
        info.update(system="Linux", platform="linux-" + arch, platform_machine=arch)
        if m.group(1) == "manylinux":
            info["glibc_version"] = "%s.%s" % (m.group(2), m.group(3))
        else:
            info["musl_version"] = [int(m.group(2)), int(m.group(3))]
    elif rest == "apple-darwin":
        mac = _deployment_target(env, "MACOSX_DEPLOYMENT_TARGET", (13, 0))
        arch = "arm64" if arch == "aarch64" else arch
        if mac[0] < 10:
            raise UsageError("MACOSX_DEPLOYMENT_TARGET=%s is not a macOS version uv or puffin.py "
                             "can target" % (env or {}).get("MACOSX_DEPLOYMENT_TARGET"))
        info.update(system="Darwin", platform="macosx-%d.%d-%s" % (mac + (arch,)), sys_platform="darwin",
                    macos_version=list(mac), macos_arch=arch, platform_machine=arch)
    elif rest == "pc-windows-msvc":
        plat, machine = {"x86_64": ("win-amd64", "AMD64"), "aarch64": ("win-arm64", "ARM64"),
                         "i686": ("win32", "x86")}[arch]
        info.update(system="Windows", platform=plat, platform_machine=machine, sys_platform="win32",
                    pointer_bits=32 if arch == "i686" else 64)
    elif rest == "linux-android":
        api = _deployment_target(env, "ANDROID_API_LEVEL", (24, 0))[0]
        info.update(system="Android", platform_machine=arch, sys_platform="android",
                    android_abi="arm64_v8a" if arch == "aarch64" else arch, android_api_level=api)
    elif rest.startswith("apple-ios"):
        ios = _deployment_target(env, "IPHONEOS_DEPLOYMENT_TARGET", (13, 0))
        sdk = "iphonesimulator" if rest.endswith("-simulator") else "iphoneos"
        info.update(system="iOS", platform_machine=arch, sys_platform="ios", ios_version=list(ios),
                    ios_multiarch="%s_%s" % (arch, sdk))
    else:   # wasm32-pyodideYYYY
        year = rest[len("pyodide"):]
        info.update(system="Emscripten", platform="pyodide_%s_0_wasm32" % year, platform_machine=arch,
                    PYEMSCRIPTEN_PLATFORM_VERSION="%s_0" % year, sys_platform="emscripten",
                    platform_release=_PYODIDE[year], platform_version="#1")
    return info


def tags_for_platform(python_version, platform_name: "str", env=None) -> "list":
    """Compatible tags of a CPython ``python_version`` ("3.12") on a uv platform name."""
    return compatible_tags(platform_tag_inputs(platform_name, python_version, env))


def platform_markers(platform_name: "str", base: "dict", env=None) -> "dict":
    """``base`` marker environment with the platform markers of a --python-platform."""
    info = platform_tag_inputs(platform_name, base.get("python_version", "3.12"), env)
    system = info["system"]
    out = dict(base)
    out.update(
        os_name="nt" if system == "Windows" else "posix", sys_platform=info["sys_platform"],
        platform_system=system, platform_machine=info["platform_machine"],
        platform_release=info.get("platform_release", ""),
        platform_version=info.get("platform_version", ""))
    return out


def pip_platforms(platforms, python_version=None) -> "list":
    """pip's ``--platform`` values, expanded as pip does: manylinux2014 also
    takes manylinux2010 and manylinux1 (x86_64, i686), manylinux2010 takes
    manylinux1, ``macosx_X_Y_ARCH`` takes every older macOS and the arches
    that run there; anything else is one tag as given."""
    out = []
    for given in platforms:
        prefix, _, arch = given.partition("_")
        m = _lazy_re(r"^(macosx)_(\d+)_(\d+)_(.+)$").match(given)
        if m:
            expanded = mac_platforms((int(m.group(2)), int(m.group(3))), m.group(4), python_version)
        elif prefix == "manylinux2014" and arch in ("i686", "x86_64"):
            expanded = [given, "manylinux2010_" + arch, "manylinux1_" + arch]
        elif prefix == "manylinux2010":
            expanded = [given, "manylinux1_" + arch]
        else:
            expanded = [given]
        out.extend(p for p in expanded if p not in out)
    return out


_PIP_IMPLEMENTATIONS = {"cp": ("cpython", "CPython"), "pp": ("pypy", "PyPy"),
                        "ip": ("ironpython", "IronPython"), "jy": ("jython", "Jython")}


def pip_target(info: "dict", markers: "dict", platforms, implementation, abis):
    """Tag inputs and markers for pip's ``--platform`` (repeatable: one target
    taking any of them), ``--implementation`` (cp, pp, ip, jy, py) and ``--abi``.
    pip keeps this machine's markers; the markers here follow the first
    platform tag where it names a system (manylinux, musllinux, linux, macosx,
    win), so the dependencies resolved are the target's."""
    info, markers = dict(info), dict(markers)
    py = tuple(info.get("python_version") or sys.version_info[:2])
    if platforms:
        info["platforms"] = pip_platforms(platforms, py)
        first = platforms[0]
        m = _lazy_re(r"^(?:many|musl)?linux(?:\d+|_\d+_\d+)?_(.+)$").match(first)
        system = machine = None
        if m:
            system, sys_platform, machine = "Linux", "linux", m.group(1)
        elif first.startswith("macosx_"):
            system, sys_platform, machine = "Darwin", "darwin", first.rsplit("_", 1)[-1]
            machine = {"universal2": "arm64", "intel": "x86_64"}.get(machine, machine)
        elif first.startswith("win"):
            system, sys_platform = "Windows", "win32"
            machine = {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64"}.get(first, "AMD64")
        if system:
            markers.update(os_name="nt" if system == "Windows" else "posix", sys_platform=sys_platform,
                           platform_system=system, platform_machine=machine,
                           platform_release="", platform_version="")
    if implementation:
        if implementation not in _PIP_IMPLEMENTATIONS and implementation != "py":
            raise UsageError("invalid --implementation %r" % implementation,
                             hint="use cp, pp, ip, jy or py, as pip does")
        full, pretty = _PIP_IMPLEMENTATIONS.get(implementation, ("python", ""))
        info["implementation_name"] = full
        # pip's compatible tags end with IMPL+VERSION-none-any (pp39, not pp3)
        info["any_interpreter"] = "%s%s" % (implementation, _nodot(py[:2]))
        if pretty:
            markers.update(implementation_name=full, platform_python_implementation=pretty)
    if abis:
        info["abis"] = [a for v in abis for a in v.split(",") if a]
    return info, markers


def wheel_fits_pythons(tags, low: "tuple", high) -> "bool":
    """Whether a wheel (its expanded ``py-abi-plat`` tags) can serve some
    Python from ``low`` to ``high`` ((major, minor), both included; ``high``
    None when unbounded), as uv's ``RequiresPython::matches_wheel_tag``
    reads it for a universal lock: the stable ABI and unknown tags always
    can, Python 2 never; ``cp311``-like tags name one Python; a ``py310``
    tag with no ABI is a lower bound, so only the upper end is checked."""
    pys, abis = set(), set()
    for tag in tags:
        bits = tag.split("-")
        if len(bits) == 3:
            pys.add(bits[0])
            abis.add(bits[1])

    def within(mm, lower=True):
        return (not lower or mm >= low) and (high is None or mm <= high)

    for abi in abis:
        if abi == "abi3":
            return True
        if abi == "none":
            for py in pys:
                m = _lazy_re(r"^(py|cp|pp|graalpy|pt)(\d)(\d*)$").match(py)
                if m is None:
                    return True
                if m.group(2) == "2":
                    continue
                if not m.group(3) or within((int(m.group(2)), int(m.group(3))), m.group(1) != "py"):
                    return True
            continue
        m = _lazy_re(r"^(?:cp|pypy|graalpy)(\d)(\d+)").match(abi)
        if m is None:
            if abi.startswith(("cp2", "pypy_", "pypy2")):
                continue
            return True
        if m.group(1) != "2" and within((int(m.group(1)), int(m.group(2)))):
            return True
    return False


class TagPriority:
    """Tag string -> priority (higher is better) for fast wheel selection.

    ``best(wheel_tags)`` is the priority of the best tag a wheel carries, or None
    when the wheel fits none of them (incompatible).
    """

    __slots__ = ("tags", "_rank")

    def __init__(self, tags):
        self.tags = list(tags)
        rank = {}
        n = len(self.tags)
        for i, tag in enumerate(self.tags):
            rank.setdefault(tag, n - i)   # a repeated tag keeps its first, best place
        self._rank = rank

    def __contains__(self, tag) -> "bool":
        return tag in self._rank

    def __len__(self) -> "int":
        return len(self._rank)

    def get(self, tag: "str"):
        return self._rank.get(tag)

    def best(self, wheel_tags):
        rank = self._rank
        best = None
        for tag in wheel_tags:
            r = rank.get(tag)
            if r is not None and (best is None or r > best):
                best = r
        return best


# ---- TOML --------------------------------------------------------------------

def toml_loads(text: "str", *, filename: "str | None" = None) -> "dict":
    """Parse TOML ``text`` into dicts and lists; InputError (with line) when invalid.

    Uses ``tomllib`` when the running Python has it (3.11+); otherwise a small
    TOML 1.0 reader that returns dates and times as their source strings.
    """
    try:
        import tomllib
    except ImportError:
        return _toml_fallback_loads(text, filename=filename)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        msg = getattr(e, "msg", None) or str(e)
        if line is None:
            m = re.search(r"\(at line (\d+)", str(e))
            line = int(m.group(1)) if m else None
            msg = re.sub(r"\s*\(at line.*\)$", "", msg)
        raise InputError("invalid TOML: %s" % msg, file=filename, line=line) from None


def _toml_fallback_loads(text: "str", *, filename: "str | None" = None) -> "dict":
    if not isinstance(text, str):
        raise TypeError("toml_loads() expects str, got %s" % type(text).__name__)
    return _TomlParser(text, filename).parse()


_TOML_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_TOML_BARE_KEY = r"[A-Za-z0-9_-]+"
_TOML_DATETIME = (r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
                  r"(?:[Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?")
_TOML_NUMBER = (r"[+-]?(?:inf|nan)|0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|0o[0-7](?:_?[0-7])*"
                r"|0b[01](?:_?[01])*|[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?")


class _TomlParser:
    """Recursive-descent TOML 1.0 reader over one string (the fallback for 3.9/3.10)."""

    def __init__(self, text: "str", filename):
        # As tomllib does: CRLF is a newline everywhere, multi-line strings included.
        self.s = text.replace("\r\n", "\n")
        self.i = 0
        self.filename = filename
        self.root = {}
        # Tables defined by a [header] or by a key/value (dotted) and arrays of tables;
        # tomllib refuses to redefine them, and so do we.
        self.explicit = set()    # ids of tables opened by [header]
        self.frozen = set()      # ids of inline tables / static arrays (immutable)
        self.dotted = set()      # ids of tables created by dotted keys in some table
        self.aot = set()         # ids of lists made by [[header]]

    # -- errors and low-level scanning
    def error(self, msg: "str", at: "int | None" = None):
        pos = self.i if at is None else at
        line = self.s.count("\n", 0, pos) + 1
        start = self.s.rfind("\n", 0, pos) + 1
        end = self.s.find("\n", pos)
        snippet = self.s[start:end if end != -1 else len(self.s)]
        raise InputError("invalid TOML: %s" % msg, file=self.filename, line=line,
                         text=snippet.rstrip("\r"))

    def peek(self, n: "int" = 1) -> "str":
        return self.s[self.i:self.i + n]

    def skip_ws(self):
        s, i = self.s, self.i
        while i < len(s) and s[i] in " \t":
            i += 1
        self.i = i

    def skip_comment(self):
        if self.peek() == "#":
            end = self.s.find("\n", self.i)
            end = len(self.s) if end == -1 else end
            comment = self.s[self.i:end]
            for ch in comment:
                if (ch < " " and ch != "\t") or ch == "\x7f":
                    self.error("control character in comment")
            self.i = end

    def skip_ws_comments_newlines(self):
        while True:
            self.skip_ws()
            self.skip_comment()
            if self.peek() == "\n":
                self.i += 1
            else:
                return

    def expect_line_end(self):
        self.skip_ws()
        self.skip_comment()
        if self.i >= len(self.s):
            return
        if self.peek() == "\n":
            self.i += 1
        else:
            self.error("expected the end of the line, found %r" % self.peek())

    # -- document
    def parse(self) -> "dict":
        current = self.root
        while True:
            self.skip_ws_comments_newlines()
            if self.i >= len(self.s):
                return self.root
            if self.peek(2) == "[[":
                current = self.parse_aot_header()
            elif self.peek() == "[":
                current = self.parse_table_header()
            else:
                self.parse_keyval(current)
            self.expect_line_end()

    def parse_key(self) -> "list":
        parts = []
        while True:
            self.skip_ws()
            ch = self.peek()
            if ch == '"':
                parts.append(self.parse_basic_string())
            elif ch == "'":
                parts.append(self.parse_literal_string())
            else:
                m = _lazy_re(_TOML_BARE_KEY).match(self.s, self.i)
                if not m:
                    self.error("expected a key, found %r" % (ch or "end of file"))
                parts.append(m.group(0))
                self.i = m.end()
            self.skip_ws()
            if self.peek() != ".":
                return parts
            self.i += 1

    def parse_table_header(self) -> "dict":
        start = self.i
        self.i += 1
        keys = self.parse_key()
        if self.peek() != "]":
            self.error("expected ']' after the table name")
        self.i += 1
        table = self.descend(keys[:-1], start, for_header=True)
        last = keys[-1]
        if last in table:
            node = table[last]
            if not isinstance(node, dict) or id(node) in self.explicit or \
                    id(node) in self.frozen or id(node) in self.dotted:
                self.error("table [%s] defined twice" % ".".join(keys), start)
        else:
            node = table[last] = {}
        self.explicit.add(id(node))
        return node

    def parse_aot_header(self) -> "dict":
        start = self.i
        self.i += 2
        keys = self.parse_key()
        if self.peek(2) != "]]":
            self.error("expected ']]' after the array of tables name")
        self.i += 2
        table = self.descend(keys[:-1], start, for_header=True)
        last = keys[-1]
        if last in table:
            arr = table[last]
            if not isinstance(arr, list) or id(arr) not in self.aot:
                self.error("cannot append to %r: it is not an array of tables" % ".".join(keys), start)
        else:
            arr = table[last] = []
            self.aot.add(id(arr))
        node = {}
        arr.append(node)
        return node

    def descend(self, keys, at, for_header=False, dotted_in=None) -> "dict":
        """Walk/create intermediate tables for ``keys`` from the root (headers) or a table."""
        table = self.root if dotted_in is None else dotted_in
        for k in keys:
            if k not in table:
                node = table[k] = {}
                if dotted_in is not None:
                    self.dotted.add(id(node))
                table = node
                continue
            node = table[k]
            if isinstance(node, list):
                if id(node) not in self.aot or not for_header:
                    self.error("key %r is already an array" % k, at)
                node = node[-1]
            elif not isinstance(node, dict):
                self.error("key %r is already a value" % k, at)
            if id(node) in self.frozen:
                self.error("cannot extend inline table %r" % k, at)
            if dotted_in is not None and id(node) in self.explicit:
                self.error("cannot extend table %r with a dotted key" % k, at)
            if dotted_in is not None and id(node) not in self.dotted:
                self.error("key %r defined twice" % k, at)
            table = node
        return table

    def parse_keyval(self, table: "dict"):
        start = self.i
        keys = self.parse_key()
        if self.peek() != "=":
            self.error("expected '=' after a key")
        self.i += 1
        self.skip_ws()
        value = self.parse_value()
        target = self.descend(keys[:-1], start, dotted_in=table) if len(keys) > 1 else table
        if keys[-1] in target:
            self.error("key %r defined twice" % ".".join(keys), start)
        target[keys[-1]] = value

    # -- values
    def parse_value(self):
        ch = self.peek()
        if ch == '"':
            if self.peek(3) == '"""':
                return self.parse_ml_basic_string()
            return self.parse_basic_string()
        if ch == "'":
            if self.peek(3) == "'''":
                return self.parse_ml_literal_string()
            return self.parse_literal_string()
        if ch == "[":
            return self.parse_array()
        if ch == "{":
            return self.parse_inline_table()
        if self.s.startswith("true", self.i):
            self.i += 4
            return True
        if self.s.startswith("false", self.i):
            self.i += 5
            return False
        m = _lazy_re(_TOML_DATETIME).match(self.s, self.i)
        if m:
            self.i = m.end()
            return m.group(0)
        m = _lazy_re(_TOML_NUMBER).match(self.s, self.i)
        if m and m.group(0):
            self.i = m.end()
            return self.number(m.group(0), m.start())
        self.error("invalid value starting with %r" % (ch or "end of file"))

    def number(self, tok: "str", at: "int"):
        # A number must end at a delimiter, or "1.2.3" would parse as 1.2.
        if self.i < len(self.s) and self.s[self.i] not in " \t\r\n,]}#":
            self.i = at
            self.error("invalid number")
        body = tok.lstrip("+-")
        if body in ("inf", "nan"):
            return float(tok)
        clean = tok.replace("_", "")
        if body[:2] in ("0x", "0o", "0b"):
            return int(clean[2:], {"0x": 16, "0o": 8, "0b": 2}[body[:2]])
        if "." in clean or "e" in clean or "E" in clean:
            return float(clean)
        return int(clean)

    def parse_array(self) -> "list":
        self.i += 1
        out = []
        while True:
            self.skip_ws_comments_newlines()
            if self.peek() == "]":
                self.i += 1
                break
            out.append(self.parse_value())
            self.skip_ws_comments_newlines()
            ch = self.peek()
            if ch == ",":
                self.i += 1
            elif ch == "]":
                self.i += 1
                break
            else:
                self.error("expected ',' or ']' in an array")
        self.frozen.add(id(out))
        return out

    def parse_inline_table(self) -> "dict":
        self.i += 1
        out = {}
        self.skip_ws()
        if self.peek() == "}":
            self.i += 1
            self.frozen.add(id(out))
            return out
        while True:
            self.skip_ws()
            self.parse_keyval(out)
            self.skip_ws()
            ch = self.peek()
            if ch == ",":
                self.i += 1
            elif ch == "}":
                self.i += 1
                break
            else:
                self.error("expected ',' or '}' in an inline table")
        self._freeze(out)
        return out

    def _freeze(self, node):
        if isinstance(node, dict):
            self.frozen.add(id(node))
            for v in node.values():
                self._freeze(v)

    def parse_literal_string(self) -> "str":
        self.i += 1
        end = self.s.find("'", self.i)
        nl = self.s.find("\n", self.i)
        if end == -1 or (nl != -1 and nl < end):
            self.error("unterminated string")
        value = self.s[self.i:end]
        self.check_chars(value, self.i, allow_newline=False)
        self.i = end + 1
        return value

    def parse_ml_literal_string(self) -> "str":
        start = self.i
        self.i += 3
        if self.peek() == "\n":
            self.i += 1
        end = self.s.find("'''", self.i)
        if end == -1:
            self.error("unterminated multi-line string", start)
        # Up to two quotes right before the closing ''' belong to the content.
        extra = 0
        while extra < 2 and self.s.startswith("'", end + 3 + extra):
            extra += 1
        end += extra
        value = self.s[self.i:end]
        self.check_chars(value, self.i, allow_newline=True)
        self.i = end + 3
        return value

    def check_chars(self, value: "str", at: "int", allow_newline: "bool"):
        for k, ch in enumerate(value):
            if (ch < " " and ch != "\t" and not (allow_newline and ch == "\n")) or ch == "\x7f":
                self.error("control character %r in a string" % ch, at + k)

    def parse_basic_string(self) -> "str":
        self.i += 1
        out = []
        s = self.s
        while True:
            if self.i >= len(s):
                self.error("unterminated string")
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                return "".join(out)
            if ch == "\n":
                self.error("unterminated string")
            if ch == "\\":
                out.append(self.escape(multiline=False))
                continue
            if (ch < " " and ch != "\t") or ch == "\x7f":
                self.error("control character %r in a string" % ch)
            out.append(ch)
            self.i += 1

    def parse_ml_basic_string(self) -> "str":
        start = self.i
        self.i += 3
        if self.peek() == "\n":
            self.i += 1
        out = []
        s = self.s
        while True:
            if self.i >= len(s):
                self.error("unterminated multi-line string", start)
            if s.startswith('"""', self.i):
                # """"" ends with up to two quotes that belong to the content.
                extra = 0
                while extra < 2 and s.startswith('"', self.i + 3 + extra):
                    extra += 1
                out.append('"' * extra)
                self.i += 3 + extra
                return "".join(out)
            ch = s[self.i]
            if ch == "\\":
                out.append(self.escape(multiline=True))
                continue
            if (ch < " " and ch not in "\t\n") or ch == "\x7f":
                self.error("control character %r in a string" % ch)
            out.append(ch)
            self.i += 1

    def escape(self, multiline: "bool") -> "str":
        s = self.s
        at = self.i
        ch = s[self.i + 1:self.i + 2]
        if multiline and ch in (" ", "\t", "\n"):
            # Line-ending backslash: trim whitespace and newlines up to the next text.
            j = self.i + 1
            while j < len(s) and s[j] in " \t":
                j += 1
            if s[j:j + 1] != "\n":
                self.error("invalid escape: a backslash must end the line", at)
            while j < len(s) and s[j] in " \t\n":
                j += 1
            self.i = j
            return ""
        if ch in _TOML_ESCAPES:
            self.i += 2
            return _TOML_ESCAPES[ch]
        if ch in ("u", "U"):
            n = 4 if ch == "u" else 8
            digits = s[self.i + 2:self.i + 2 + n]
            if len(digits) != n or not all(c in "0123456789abcdefABCDEF" for c in digits):
                self.error("invalid unicode escape", at)
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                self.error("escape is not a unicode scalar value", at)
            self.i += 2 + n
            return chr(code)
        self.error("invalid escape sequence \\%s" % ch, at)


# ---- TOML writer ----------------------------------------------------------------
# The reader takes any TOML; the writer only needs what locks are made of
# (strings, booleans, integers, UTC date-times, arrays, inline tables, one
# level of [tables] and [[arrays of tables]]), laid out as uv lays out
# pylock.toml: top-level keys, then each [[packages]] after a blank line, file
# tables inline, an array of several inline tables one element a line.

_TOML_STRING_ESCAPES = {i: "\\u%04x" % i for i in list(range(0x20)) + [0x7F]}
_TOML_STRING_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f",
                             0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})


def toml_string(text: "str") -> "str":
    """A TOML basic string: quotes, backslashes and control characters escaped
    (TOML has no raw control characters in strings, DEL included)."""
    return '"' + text.translate(_TOML_STRING_ESCAPES) + '"'


def toml_key(key: "str") -> "str":
    """A key bare when TOML allows it (``[A-Za-z0-9_-]+``), else quoted."""
    if key and _lazy_re(r"[A-Za-z0-9_-]+\Z").match(key):
        return key
    return toml_string(key)


def _toml_datetime_text(value) -> "str":
    """A datetime as a TOML offset date-time, UTC written ``Z`` as uv writes
    upload times; a naive one is written as a local date-time."""
    import datetime
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
        text = value.replace(tzinfo=None).isoformat()
        return text + "Z"
    return value.isoformat()


def toml_value(value) -> "str":
    """One value on one line: arrays inline, dicts as inline tables.

    ValueError for what TOML cannot hold (None, other types): a lock that
    silently dropped a field would be worse than no lock."""
    import datetime
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime.datetime):
        return _toml_datetime_text(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join("%s = %s" % (toml_key(str(k)), toml_value(v))
                                for k, v in value.items()) + " }"
    raise ValueError("TOML cannot hold %r" % (value,))


def _toml_is_table_array(value) -> "bool":
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_key_lines(table: "dict") -> "list":
    """``key = value`` lines of a table; an array of two or more inline tables
    takes one line per element (uv's ``wheels = [`` layout)."""
    lines = []
    for k, v in table.items():
        if _toml_is_table_array(v) and len(v) > 1:
            lines.append("%s = [" % toml_key(k))
            lines += ["    %s," % toml_value(item) for item in v]
            lines.append("]")
        else:
            lines.append("%s = %s" % (toml_key(k), toml_value(v)))
    return lines


def toml_dumps(doc: "dict") -> "str":
    """TOML text of ``doc`` that ``toml_loads`` reads back equal (datetimes
    aside, which the 3.9 fallback reader returns as strings).

    Top-level plain values first; then each dict value as a ``[table]`` and
    each list of dicts as ``[[tables]]``, every one after a blank line; values
    below that level are inline. Key order is kept (a lock reads in the order
    its writer chose)."""
    plain = {k: v for k, v in doc.items()
             if not isinstance(v, dict) and not _toml_is_table_array(v)}
    lines = _toml_key_lines(plain)
    for k, v in doc.items():
        if isinstance(v, dict):
            lines += ["", "[%s]" % toml_key(k)] + _toml_key_lines(v)
        elif _toml_is_table_array(v):
            for item in v:
                lines += ["", "[[%s]]" % toml_key(k)] + _toml_key_lines(item)
    return "\n".join(lines) + "\n"


# =============================================================================
# 3. Distributions
# =============================================================================
# Owns: the models every later section passes around: IndexFile (one file an
# index or find-links source lists), Dist (something to resolve and install),
# and the BuildContext contract (implemented in section 12). Uses 1-2.

class IndexFile(Value):
    """One file listed by an index page or a find-links source.

    ``hashes``: dict alg -> hexdigest (may be empty). ``requires_python``: the
    raw string or None. ``yanked``: None, or the reason ("" when none given).
    ``upload_time``: ISO-8601 string or None. ``size``: int or None.
    ``core_metadata``: None when the index offers no PEP 658 file, else a dict
    of its hashes (maybe empty). ``index``: the index URL or find-links
    location it came from.
    """

    __slots__ = ("filename", "url", "hashes", "requires_python", "yanked",
                 "upload_time", "size", "core_metadata", "index", "_parsed")

    def __init__(self, filename: "str", url: "str", hashes=None, requires_python=None,
                 yanked=None, upload_time=None, size=None, core_metadata=None, index=None):
        self.filename = filename
        self.url = url
        self.hashes = hashes or {}
        self.requires_python = requires_python
        self.yanked = yanked
        self.upload_time = upload_time
        self.size = size
        self.core_metadata = core_metadata
        self.index = index
        self._parsed = None

    @property
    def is_wheel(self) -> "bool":
        return self.filename.endswith(".whl")

    def _parse(self):
        """(WheelFilename or SdistFilename) or None when the name is not one we know."""
        if self._parsed is None:
            try:
                if self.is_wheel:
                    self._parsed = WheelFilename.from_filename(self.filename)
                else:
                    self._parsed = SdistFilename.from_filename(self.filename)
            except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
                self._parsed = False
        return self._parsed or None

    @property
    def wheel(self):
        p = self._parse()
        return p if self.is_wheel else None

    @property
    def sdist(self):
        p = self._parse()
        return None if self.is_wheel else p

    @property
    def name(self):
        if self._parsed is None and self.is_wheel and self.filename.count("-") in (4, 5):
            return canonicalize_name(self.filename.split("-", 1)[0])
        p = self._parse()
        return p.name if p else None

    @property
    def version(self):
        """The file's version. For a wheel only the version field is read (a
        resolver looks at the versions of thousands of files and the tags of few)."""
        if self._parsed is None and self.is_wheel:
            parts = self.filename[:-4].split("-")
            if len(parts) in (5, 6):
                try:
                    return Version.parse(parts[1])
                except InvalidVersion:
                    return None
        p = self._parse()
        return p.version if p else None

    @property
    def sha256(self):
        return self.hashes.get("sha256")


DIST_KINDS = ("registry", "url", "path", "directory", "git")


class Dist(Value):
    """Something the resolver can pick and the installer can install.

    ``kind`` says where it comes from: ``registry`` (``file`` is the IndexFile),
    ``url`` (``url`` of a wheel or sdist), ``path`` (``path`` of a local wheel or
    sdist), ``directory`` (a local project, maybe ``editable``), ``git``.
    ``verbatim`` is the URL or path exactly as the user wrote it (for output
    and direct_url.json); ``subdirectory`` comes from ``#subdirectory=``. A
    ``git`` dist has ``url`` (``git+REPO@REV``), the ``commit`` the revision
    resolved to, and ``path``, the project folder in a checkout of it.
    """

    __slots__ = ("name", "version", "kind", "file", "url", "path", "editable",
                 "verbatim", "subdirectory", "commit")

    def __init__(self, name: "str", version=None, kind: "str" = "registry", file=None, url=None,
                 path=None, editable: "bool" = False, verbatim=None, subdirectory=None, commit=None):
        if kind not in DIST_KINDS:
            raise ValueError("unknown dist kind %r" % kind)
        self.name = name
        self.version = version
        self.kind = kind
        self.file = file
        self.url = url
        self.path = path
        self.editable = editable
        self.verbatim = verbatim
        self.subdirectory = subdirectory
        self.commit = commit

    @property
    def filename(self) -> "str | None":
        if self.file is not None:
            return self.file.filename
        loc = self.path or self.url
        if not loc:
            return None
        loc = loc.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        import posixpath
        from urllib.parse import unquote
        return unquote(posixpath.basename(loc))

    @property
    def is_wheel(self) -> "bool":
        if self.kind in ("directory", "git"):
            return False
        f = self.filename
        return bool(f) and f.endswith(".whl")

    def __str__(self) -> "str":
        if self.kind == "registry":
            return "%s==%s" % (self.name, self.version)
        return "%s @ %s" % (self.name, self.verbatim or self.url or self.path)


class BuildContext:
    """What lower sections need from higher ones to deal with source trees.

    Implemented by ``BuildDispatch`` in section 12 (it can resolve, install and
    build); the distribution database and the resolver receive it as an object
    so that they never call upward by name.
    """

    def build_wheel(self, source_path: "str", output_dir: "str | None" = None, *,
                    editable: "bool" = False) -> "str":
        """Build a wheel from an sdist archive or a source tree (PEP 517; an
        editable one, PEP 660, of a tree) into ``output_dir`` (None: the
        built-wheel cache); return the wheel's path. Raises BuildError.
        Costly: creates an isolated environment and runs the backend."""
        raise NotImplementedError

    def source_metadata(self, source_path: "str", editable: "bool" = False):
        """Core ``Metadata`` of a source tree or sdist, by the cheapest correct
        means (static PKG-INFO/pyproject, else PEP 517
        ``prepare_metadata_for_build_wheel``). Raises BuildError."""
        raise NotImplementedError

    def built_wheel_for(self, filename: "str", sha256: "str"):
        """The wheel built earlier from the sdist ``filename`` with that
        sha256, or None: no download needed for it."""
        return None


# =============================================================================
# 4. Cache
# =============================================================================
# Owns: the cache folder and its layout (nothing else knows it): Cache, the
# CacheBucket table (each bucket documents its paths), cache keys, JSON entries
# that are atomic, locked and corruption-checked, clean and prune. Uses 1-3.


class CacheBucket:
    """The versioned buckets of the cache. Bump a bucket's version when its
    layout or entry format changes: old buckets are then ignored, and removed by
    ``puffin.py cache prune``. Under a bucket, every package-specific entry lives
    below a folder or file named after the canonical package name, at the depth
    given in ``NAME_DEPTH``, so ``cache clean NAME`` finds it in every bucket and
    for every index.
    """

    #: Simple-index pages with their HTTP cache policy, one file per index and
    #: package (a JSON page as sent, an HTML page as parsed rows: see
    #: ``_CachedPage``; v1 since JSON pages are kept as sent, which v0 readers
    #: would take for corrupt entries). ``pypi`` is the default index; other indexes and
    #: find-links pages are keyed by host and a digest of their URL::
    #:
    #:     simple-v1/pypi/numpy.json
    #:     simple-v1/files.example.com-1a2b3c4d5e6f/flask.json
    SIMPLE = "simple-v1"

    #: Wheels downloaded whole, named after their sha256 (content-addressed),
    #: when they are kept as files (a wheel over 64 MB or of unknown size, or
    #: one read whole for its metadata; smaller ones go from memory straight
    #: to archive-v0), plus pointers from a URL (for files whose hash was not
    #: known upfront)::
    #:
    #:     wheels-v0/six/9e1c...b254/six-1.16.0-py2.py3-none-any.whl
    #:     wheels-v0/six/url-4f3a2b1c0d9e8f7a.json   ({"sha256": "9e1c...b254"})
    #:
    #: and, per index, a registry of the wheels fetched from it, so that a pin
    #: ``six==1.16.0`` finds its cached wheel with one listdir and no index page
    #: (see ``Cache.wheel_registry``)::
    #:
    #:     wheels-v0/six/index-pypi/six-1.16.0-py2.py3-none-any.whl.json
    #:         ({"filename", "url", "index", "sha256", "digests", "requires_python"})
    WHEELS = "wheels-v0"

    #: Source archives downloaded whole (for builds and static metadata)::
    #:
    #:     sdists-v0/pyyaml/5f2b...0a1c/PyYAML-6.0.1.tar.gz
    SDISTS = "sdists-v0"

    #: Unzipped wheels, ready to be linked into environments, by sha256::
    #:
    #:     archive-v0/six/9e1c...b254/six.py
    #:     archive-v0/six/9e1c...b254/six-1.16.0.dist-info/METADATA
    ARCHIVE = "archive-v0"

    #: Core metadata of index files, by the file's sha256 (or a digest of
    #: its URL when the index gives no hash)::
    #:
    #:     metadata-v0/flask/3a1f...c9d2.json   ({"filename": ..., "metadata": "Metadata-Version: ..."})
    METADATA = "metadata-v0"

    #: Wheels built from source by section 11, by the kind and digest of the
    #: source they came from::
    #:
    #:     built-wheels-v0/pypi/pyyaml/5f2b...0a1c/PyYAML-6.0.1-cp311-cp311-linux_x86_64.whl
    #:     built-wheels-v0/url/pyyaml/8c7d6e5f4a3b2c1d/PyYAML-6.0.1-cp311-cp311-linux_x86_64.whl
    #:     built-wheels-v0/path/mypkg/0a9b8c7d6e5f4a3b/mypkg-0.1-py3-none-any.whl
    BUILT_WHEELS = "built-wheels-v0"

    #: Git repositories (bare, fetched into) and checkouts of one commit each,
    #: by a digest of the repository URL without credentials (section 9)::
    #:
    #:     git-v0/db/7c6b5a4f3e2d1c0b/                   (bare repository)
    #:     git-v0/checkouts/7c6b5a4f3e2d1c0b/1f2e3d4c5b6a7980/   (first 16 of the commit)
    #:     git-v0/archives/7c6b5a4f3e2d1c0b/1f2e3d4c5b6a7980/_/gpkg-1.0.zip   (pip-download's file)
    GIT = "git-v0"

    #: Answers of ``interpreter query`` scripts, by a key that section 5 makes
    #: from the executable's resolved path and mtime::
    #:
    #:     interpreter-v0/3f2e1d0c9b8a7f6e.json
    INTERPRETER = "interpreter-v0"

    ALL = (SIMPLE, WHEELS, SDISTS, ARCHIVE, METADATA, BUILT_WHEELS, GIT, INTERPRETER)

    #: Depth of the package-name component under each bucket (1: the first
    #: component; 2: the second, after an index or kind key). None: no packages.
    NAME_DEPTH = {SIMPLE: 2, WHEELS: 1, SDISTS: 1, ARCHIVE: 1, METADATA: 1,
                  BUILT_WHEELS: 2, GIT: None, INTERPRETER: None}


_CACHEDIR_TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
                 b"# This file is a cache directory tag created by puffin.py.\n"
                 b"# For information about cache directory tags see https://bford.info/cachedir/\n")


def cache_digest(text) -> "str":
    """A short, stable, filename-safe key for any string (a URL, a path):
    the first 16 hex digits of its sha256 (64 bits: collisions are not a concern
    at the size of a cache)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return sha256_of(text).hexdigest()[:16]


def index_cache_key(url: "str") -> "str":
    """The folder name for one index or find-links location: ``pypi`` for the
    default index, else ``host-digest`` (credentials never take part)."""
    u = url.rstrip("/")
    if u == DEFAULT_INDEX_URL.rstrip("/"):
        return "pypi"
    from urllib.parse import urlsplit
    parts = urlsplit(u)
    host = (parts.hostname or "local").replace(":", "_")
    netloc = parts.netloc.rpartition("@")[2]
    clean = parts._replace(netloc=netloc).geturl()
    return "%s-%s" % (host, cache_digest(clean)[:12])


def _check_part(part: "str") -> "str":
    """Refuse cache key parts that would leave their bucket (``..``, slashes)."""
    if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
        raise CacheError("invalid cache key part %r" % (part,))
    return part


def default_cache_dir(env=None) -> "str":
    """``PUFFIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/puffin``, else ``~/.cache/puffin``
    (``%LOCALAPPDATA%\\puffin\\cache`` on Windows)."""
    env = os.environ if env is None else env
    if env.get("PUFFIN_CACHE_DIR"):
        return os.path.abspath(os.path.expanduser(env["PUFFIN_CACHE_DIR"]))
    if env.get("XDG_CACHE_HOME"):
        return os.path.join(os.path.abspath(env["XDG_CACHE_HOME"]), "puffin")
    if os.name == "nt" and env.get("LOCALAPPDATA"):  # pragma: no cover
        return os.path.join(env["LOCALAPPDATA"], "puffin", "cache")
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".cache", "puffin")


class Cache:
    """The one cache folder. ``Cache(root)`` uses ``root``; ``Cache()`` the
    default location; ``Cache(temporary=True)`` a fresh folder removed when the
    process exits (``--no-cache``). The folder is created on first use, with a
    ``CACHEDIR.TAG`` so that backup tools skip it.

    Several processes may share one cache: every write is atomic (temp file then
    rename), writers of one entry hold its file lock, and readers detect corrupt
    entries, warn, remove them and report them as missing. Every process that
    uses the cache holds a shared lock on ``.lock`` at its root until it ends
    (``release_all``); ``clean`` and ``prune`` take it exclusively, so they
    wait for running installs and no install starts while they run (as uv).
    """

    def __init__(self, root: "str | None" = None, *, temporary: "bool" = False, chosen: "bool" = True):
        self.temporary = temporary
        self.chosen = chosen   # False: the default folder, replaced by a temporary one if unusable
        if temporary:
            import tempfile
            import atexit
            root = tempfile.mkdtemp(prefix="puffin-cache-")
            atexit.register(remove_tree, root)
        elif root is None:
            root = default_cache_dir()
        self.root = os.path.abspath(os.path.expanduser(root))
        self._ready = False
        self._ready_lock = _thread.allocate_lock()
        self._lock_fd = None
        self._exclusive = False
        self._folders: "set" = set()   # made by this Cache: emptied by clean and remove

    @classmethod
    def from_settings(cls, cache_dir: "str | None" = None, no_cache: "bool" = False,
                      env=None) -> "Cache":
        """The cache the command line asks for: ``--no-cache`` wins, then
        ``--cache-dir``, then ``PUFFIN_CACHE_DIR``/XDG/home (see default_cache_dir)."""
        if no_cache:
            return cls(temporary=True)
        if cache_dir:
            return cls(cache_dir)
        env = os.environ if env is None else env
        return cls(default_cache_dir(env), chosen=bool(env.get("PUFFIN_CACHE_DIR")))

    @property
    def dir(self) -> "str":
        """The cache root, created (with CACHEDIR.TAG) if needed."""
        self._init()
        return self.root

    def _init(self) -> "None":
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self._make_root()
            except OSError as e:
                if self.chosen or self.temporary:
                    raise CacheError("cannot use the cache folder %s: %s" % (self.root, e),
                                     hint="pass --cache-dir DIR or --no-cache")
                # The default folder under a read-only or foreign HOME (a container's
                # non-root user): this run works from a temporary cache instead.
                import tempfile
                import atexit
                warn_user("cannot use the cache folder %s (%s): this run uses a temporary cache; "
                          "set PUFFIN_CACHE_DIR or --cache-dir to keep one"
                          % (self.root, e.strerror or e))
                self.root, self.temporary = tempfile.mkdtemp(prefix="puffin-cache-"), True
                atexit.register(remove_tree, self.root)
                self._make_root()
            self._ready = True

    def _make_root(self) -> "None":
        os.makedirs(self.root, exist_ok=True)
        tag = os.path.join(self.root, "CACHEDIR.TAG")
        if not os.path.exists(tag):
            atomic_write(tag, _CACHEDIR_TAG)
        ignore = os.path.join(self.root, ".gitignore")
        if not os.path.exists(ignore):
            atomic_write(ignore, b"*\n")
        if not self.temporary:
            self._hold(shared=True)

    def _hold(self, shared: "bool", on_wait=None) -> "None":
        """Take the cache-wide lock, shared (a user) or exclusive (a cleaner);
        ``on_wait()`` is called once if another process makes us wait."""
        if self._lock_fd is None:
            self._lock_fd = os.open(os.path.join(self.root, ".lock"),
                                    os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            _CACHE_LOCKS.append(self)
        if os.name == "nt":  # pragma: no cover - flock is POSIX; Windows goes unlocked
            return
        import fcntl
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(self._lock_fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(self._lock_fd, mode)

    def release(self) -> "None":
        """Drop the cache-wide lock (the command is over)."""
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            os.close(fd)
            self._ready = False

    def exclusive(self, on_wait=None):
        """A ``with`` block during which no other process uses the cache."""
        import contextlib

        @contextlib.contextmanager
        def held():
            self._init()
            self._hold(shared=False, on_wait=on_wait)
            self._exclusive = True
            try:
                yield self
            finally:
                self._exclusive = False
                if self._lock_fd is not None:
                    self._hold(shared=True)
        return held()

    def __repr__(self) -> "str":
        return "Cache(%r)" % self.root

    # ---- paths ----------------------------------------------------------------

    def bucket(self, name: "str") -> "str":
        """The folder of one bucket (one of ``CacheBucket.ALL``), created."""
        if name not in CacheBucket.ALL:
            raise CacheError("unknown cache bucket %r" % (name,))
        path = os.path.join(self.dir, name)
        ensure_folder(path, self._folders)
        return path

    def entry(self, bucket: "str", *parts: "str") -> "str":
        """The path of an entry (file or folder) under a bucket; its parent
        folder exists afterwards, the entry itself may not."""
        path = os.path.join(self.bucket(bucket), *[_check_part(p) for p in parts])
        ensure_folder(os.path.dirname(path), self._folders)
        return path

    def wheel_registry(self, name: "str", index: "str") -> "str":
        """The folder (maybe missing, not created) that lists the wheels of
        package ``name`` fetched from ``index``: ``wheels-v0/NAME/index-KEY``,
        one ``FILENAME.json`` record per wheel."""
        return os.path.join(self.root, CacheBucket.WHEELS, _check_part(canonicalize_name(name)),
                            "index-" + index_cache_key(index))

    def path(self, bucket: "str", *parts: "str") -> "str":
        """The path of an entry under a bucket, for a lookup: nothing is
        created (``entry`` makes the parent folder, for a write)."""
        return os.path.join(self.root, bucket, *[_check_part(p) for p in parts])

    def git_repository(self, repo_key: "str") -> "str":
        """The bare repository that fetches of one git repository go into."""
        return self.entry(CacheBucket.GIT, "db", repo_key)

    def git_checkout(self, repo_key: "str", commit: "str") -> "str":
        """The folder (maybe missing) holding the checkout of ``commit``."""
        return self.entry(CacheBucket.GIT, "checkouts", repo_key, commit[:16])

    def git_archive(self, repo_key: "str", commit: "str", subdirectory, filename: "str") -> "str":
        """The path (maybe missing) of a zip of one commit's project."""
        sub = cache_digest(subdirectory) if subdirectory else "_"
        return self.entry(CacheBucket.GIT, "archives", repo_key, commit[:16], sub, filename)

    def git_checkout_key(self, path: "str"):
        """``(repo key, commit prefix, subdirectory)`` when ``path`` lies in a
        checkout of git-v0 (which never changes: builds of it are keyed by
        commit), else None."""
        root = os.path.join(self.root, CacheBucket.GIT, "checkouts")
        rel = os.path.relpath(os.path.abspath(path), root)
        parts = rel.split(os.sep)
        if rel.startswith("..") or len(parts) < 2 or os.path.isabs(rel):
            return None
        return parts[0], parts[1], "/".join(parts[2:])

    def lock(self, path: "str") -> "FileLock":
        """The file lock that writers of the entry at ``path`` hold
        (``path + ".lock"``); blocks other threads and processes."""
        return FileLock(path + ".lock")

    def temp_dir(self, bucket: "str", *parts: "str") -> "str":
        """A new empty folder inside ``bucket`` (same filesystem as its entries,
        so a finished result is moved into place with one rename)."""
        import tempfile
        parent = self.entry(bucket, *parts, "x")
        return tempfile.mkdtemp(prefix=".tmp-", dir=os.path.dirname(parent))

    # ---- entries --------------------------------------------------------------

    def read_entry(self, path: "str", parse):
        """``parse(bytes)`` of the file at ``path``; None when it is missing.
        An entry that fails to parse is corrupt (a crash mid-write by an old
        tool, a full disk, a hand edit): warn, remove it, and report it missing
        so the caller fetches it again."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            warn_user("cannot read the cache entry %s: %s" % (path, e))
            return None
        try:
            return parse(data)
        except Exception as e:  # any parse failure means "corrupt": refetch
            warn_user("removed the corrupt cache entry %s (%s)" % (path, type(e).__name__))
            try:
                os.unlink(path)
            except OSError:
                pass
            return None

    def write_entry(self, path: "str", data: "bytes") -> "None":
        """Write a whole entry atomically (temporary file, then rename): two
        writers of the same entry each put a complete file there and the last
        one wins, so no lock is taken (a lock file costs a file creation, the
        most expensive call on slow filesystems). Multi-step updates take
        ``lock()`` themselves."""
        atomic_write(path, data, regular=True)

    def read_json(self, bucket: "str", *parts: "str"):
        """The JSON value stored at ``entry(bucket, *parts)`` or None when it is
        missing or corrupt (see read_entry)."""
        return self.read_entry(self.entry(bucket, *parts), _parse_json_entry)

    def write_json(self, bucket: "str", *args) -> "str":
        """``write_json(bucket, *parts, data)``: store a JSON value atomically
        (compact encoding); returns the entry's path."""
        if len(args) < 2:
            raise TypeError("write_json(bucket, *parts, data) needs a key and data")
        parts, data = args[:-1], args[-1]
        path = self.entry(bucket, *parts)
        self.write_entry(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))
        return path

    def remove(self, bucket: "str", *parts: "str") -> "bool":
        """Remove one entry (file or folder); True if something was there."""
        path = self.entry(bucket, *parts)
        existed = os.path.lexists(path)
        remove_tree(path)
        self._folders.clear()
        return existed

    # ---- clean and prune ------------------------------------------------------

    def clean(self, packages=None) -> "dict":
        """Remove everything (``packages`` None) or every entry of the given
        packages in every bucket and for every index. Returns
        ``{"entries": n, "files": n, "bytes": n}`` (entries: top-level
        things removed; files: files inside them)."""
        stats = {"entries": 0, "files": 0, "bytes": 0}
        self._folders.clear()
        if not os.path.isdir(self.root):
            return stats
        if packages is None:
            for name in os.listdir(self.root):
                path = os.path.join(self.root, name)
                if name in ("CACHEDIR.TAG", ".gitignore", ".lock"):
                    continue
                _count_and_remove(path, stats)
            return stats
        wanted = {canonicalize_name(p) for p in packages}
        for bucket in CacheBucket.ALL:
            depth = CacheBucket.NAME_DEPTH.get(bucket)
            broot = os.path.join(self.root, bucket)
            if depth is None or not os.path.isdir(broot):
                continue
            for path in _paths_at_depth(broot, depth):
                if _entry_package(os.path.basename(path)) in wanted:
                    _count_and_remove(path, stats)
        return stats

    def prune(self, ci: "bool" = False) -> "dict":
        """Remove what no current puffin.py reads: buckets of other versions or
        unknown names, temporary files left by crashed writers, stale lock files
        and empty folders. ``ci`` (as ``uv cache prune --ci``): also what the
        index gives again at network speed (downloaded wheels and sdists,
        unzipped wheels), keeping the wheels built from source, which are slow
        to make again, and the small pages and metadata.
        Returns ``{"entries": n, "files": n, "bytes": n}``."""
        stats = {"entries": 0, "files": 0, "bytes": 0}
        self._folders.clear()
        if not os.path.isdir(self.root):
            return stats
        keep = set(CacheBucket.ALL) | {"CACHEDIR.TAG", ".gitignore", ".lock"}
        if ci:
            keep -= {CacheBucket.WHEELS, CacheBucket.SDISTS, CacheBucket.ARCHIVE}
        for name in os.listdir(self.root):
            if name not in keep:
                _count_and_remove(os.path.join(self.root, name), stats)
        # Under the exclusive lock no puffin.py process is running: every temp
        # file is a dead writer's. Older versions took no lock: theirs get an hour.
        old = time.time() - (-60 if self._exclusive else 3600)
        for bucket in CacheBucket.ALL:
            broot = os.path.join(self.root, bucket)
            for dirpath, dirnames, filenames in os.walk(broot, topdown=False):
                for n in list(dirnames) + filenames:
                    p = os.path.join(dirpath, n)
                    if n.startswith(".tmp-") or (n.endswith(".lock") and n in filenames):
                        try:
                            if os.lstat(p).st_mtime < old:
                                _count_and_remove(p, stats)
                        except OSError:
                            pass
                if dirpath != broot:
                    try:
                        os.rmdir(dirpath)  # only succeeds when empty
                    except OSError:
                        pass
        return stats

    def size(self) -> "int":
        """Bytes used by the cache (for ``cache dir``/``clean`` summaries)."""
        return _tree_size(self.root)


_CACHE_LOCKS: "list" = []   # caches whose lock this process holds


def release_cache_locks() -> "None":
    """Drop every cache-wide lock this process holds (the end of a command)."""
    while _CACHE_LOCKS:
        _CACHE_LOCKS.pop().release()


def _parse_json_entry(data: "bytes"):
    if not data:
        raise ValueError("empty entry")
    return json.loads(data)


def _paths_at_depth(root: "str", depth: "int"):
    level = [root]
    for _ in range(depth):
        nxt = []
        for d in level:
            try:
                names = os.listdir(d)
            except (NotADirectoryError, FileNotFoundError):
                continue
            nxt.extend(os.path.join(d, n) for n in names if not n.startswith("."))
        level = nxt
    return level


def _entry_package(basename: "str") -> "str":
    """The canonical package name of an entry named ``NAME`` or ``NAME.json``."""
    for ext in (".json", ".lock"):
        if basename.endswith(ext):
            basename = basename[:-len(ext)]
    return canonicalize_name(basename)


def _tree_usage(path: "str"):
    """(files, bytes) under ``path`` (a file counts as one)."""
    if os.path.isfile(path) or os.path.islink(path):
        try:
            return 1, os.lstat(path).st_size
        except OSError:
            return 0, 0
    count = total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
                count += 1
            except OSError:
                pass
    return count, total


def _tree_size(path: "str") -> "int":
    return _tree_usage(path)[1]


def _count_and_remove(path: "str", stats: "dict") -> "None":
    files, size = _tree_usage(path)
    stats["files"] += files
    stats["bytes"] += size
    stats["entries"] += 1
    remove_tree(path)


# =============================================================================
# 5. Interpreters
# =============================================================================
# Owns: asking a target Python about itself (`Interpreter.query`, cached in the
# `interpreter-v0` bucket), `interpreter_tags`, finding the target environment
# (`find_target`) and creating virtual environments (`create_venv`).
# Uses sections 1-4 (the cache only through the object passed in).

# Run inside the target interpreter as `python -I -c _QUERY_SCRIPT`: stdlib only,
# valid on CPython 3.6+ (so that too-old Pythons still answer with their version),
# prints one JSON object. Private APIs are touched only inside try blocks.
_QUERY_SCRIPT = r'''
import os, struct, sys, sysconfig


# What `platform` and `json` would give, without importing them where the
# answer is plain (CPython on Linux): both import `re`, which with `platform`
# and `json` themselves is half of this script's time.

def uname():
    """platform.uname()'s (system, release, version, machine)."""
    if sys.platform.startswith("linux") and hasattr(os, "uname"):
        u = os.uname()
        return ["" if v == "unknown" else v for v in (u.sysname, u.release, u.version, u.machine)]
    import platform
    return [platform.system(), platform.release(), platform.version(), platform.machine()]


def python_impl_version():
    """(platform.python_implementation(), platform.python_version())."""
    v = sys.version
    if sys.implementation.name == "cpython" and not sys.platform.startswith("java") \
            and not any(w in v for w in ("IronPython", "PyPy", "Brython")):
        n = 0
        while n < len(v) and (v[n].isalnum() or v[n] in "_.+"):
            n += 1
        if n and v[n:n + 1] in (" ", "(", "|", "\t", "\n"):
            parts = v[:n].split(".")
            if len(parts) == 2:
                parts.append("0")
            return "CPython", ".".join(parts)
    import platform
    return platform.python_implementation(), platform.python_version()


def dump(obj):
    """JSON text of dicts, lists, strings, numbers, booleans and None (ASCII,
    as json.dumps writes it)."""
    out = []
    _dump(obj, out.append)
    return "".join(out)


def _dump(obj, put):
    if obj is None:
        put("null")
    elif obj is True or obj is False:
        put("true" if obj else "false")
    elif isinstance(obj, int):
        put(str(int(obj)))
    elif isinstance(obj, float):
        put(repr(obj))
    elif isinstance(obj, str):
        if obj.isascii() and obj.isprintable() and '"' not in obj and "\\" not in obj:
            put('"' + obj + '"')
            return
        put('"')
        for ch in obj:
            c = ord(ch)
            if 0x20 <= c < 0x7f:
                put("\\" + ch if ch in '"\\' else ch)
            elif c > 0xFFFF:
                c -= 0x10000
                put("\\u%04x\\u%04x" % (0xD800 | (c >> 10), 0xDC00 | (c & 0x3FF)))
            else:
                put("\\u%04x" % c)
        put('"')
    elif isinstance(obj, (list, tuple)):
        put("[")
        for i, item in enumerate(obj):
            if i:
                put(",")
            _dump(item, put)
        put("]")
    elif isinstance(obj, dict):
        put("{")
        for i, (k, item) in enumerate(obj.items()):
            if i:
                put(",")
            _dump(str(k), put)
            put(":")
            _dump(item, put)
        put("}")
    else:
        raise TypeError("cannot write %r as JSON" % (obj,))


def full_version(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v


def is_venv():
    return sys.prefix != getattr(sys, "base_prefix", sys.prefix) or hasattr(sys, "real_prefix")


def elf_info(path):
    """Class, machine, flags and program interpreter of an ELF file, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF":
                return None
            cls, data = head[4], head[5]
            end = "<" if data == 1 else ">"
            machine = struct.unpack(end + "H", head[18:20])[0]
            if cls == 1:
                phoff, flags = struct.unpack(end + "I", head[28:32])[0], struct.unpack(end + "I", head[36:40])[0]
                phentsize, phnum = struct.unpack(end + "HH", head[42:46])
                ph = end + "IIIIIIII"
            else:
                phoff, flags = struct.unpack(end + "Q", head[32:40])[0], struct.unpack(end + "I", head[48:52])[0]
                phentsize, phnum = struct.unpack(end + "HH", head[54:58])
                ph = end + "IIQQQQQQ"
            interp = None
            for i in range(phnum):
                f.seek(phoff + phentsize * i)
                fields = struct.unpack(ph, f.read(struct.calcsize(ph)))
                if fields[0] != 3:  # PT_INTERP
                    continue
                offset, size = (fields[1], fields[4]) if cls == 1 else (fields[2], fields[5])
                f.seek(offset)
                interp = f.read(size).split(b"\0", 1)[0].decode("ascii", "replace")
            return {"class": cls, "data": data, "machine": machine, "flags": flags, "interpreter": interp}
    except (OSError, ValueError, struct.error, IndexError):
        return None


def glibc_version():
    try:
        s = os.confstr("CS_GNU_LIBC_VERSION")
        if s:
            return s.rsplit()[1]
    except (AttributeError, OSError, ValueError, IndexError):
        pass
    try:
        import ctypes
        fn = ctypes.CDLL(None).gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        v = fn()
        return v.decode("ascii") if isinstance(v, bytes) else v
    except Exception:
        return None


def musl_version(elf):
    ld = elf and elf["interpreter"]
    if not ld or "musl" not in ld:
        return None
    import re, subprocess
    try:
        err = subprocess.run([ld], stderr=subprocess.PIPE, universal_newlines=True).stderr
    except OSError:
        return None
    lines = [n for n in (n.strip() for n in err.splitlines()) if n]
    if len(lines) < 2 or lines[0][:4] != "musl":
        return None
    m = re.match(r"Version (\d+)\.(\d+)", lines[1])
    return [int(m.group(1)), int(m.group(2))] if m else None


def manylinux_verdicts(glibc, archs):
    """What an optional `_manylinux` module says about each glibc version, or None."""
    try:
        mod = __import__("_manylinux")
    except ImportError:
        return None
    import re
    m = re.match(r"([0-9]+)\.([0-9]+)", glibc or "")
    if not m:
        return None
    top = (int(m.group(1)), int(m.group(2)))
    out = {}
    for arch in archs:
        for major in range(top[0], 1, -1):
            for minor in range(top[1] if major == top[0] else 50, -1, -1):
                verdict = None
                if hasattr(mod, "manylinux_compatible"):
                    verdict = mod.manylinux_compatible(major, minor, arch)
                else:
                    legacy = {(2, 5): "manylinux1_compatible", (2, 12): "manylinux2010_compatible",
                              (2, 17): "manylinux2014_compatible"}.get((major, minor))
                    if legacy and hasattr(mod, legacy):
                        verdict = getattr(mod, legacy)
                if verdict is not None:
                    out["%d_%d_%s" % (major, minor, arch)] = bool(verdict)
    return out


def tag_inputs():
    try:
        from importlib.machinery import EXTENSION_SUFFIXES
    except ImportError:
        EXTENSION_SUFFIXES = []
    cv = sysconfig.get_config_var
    bits = struct.calcsize("P") * 8
    d = {
        "implementation_name": sys.implementation.name,
        "python_version": list(sys.version_info[:2]),
        "py_version_nodot": cv("py_version_nodot"),
        "Py_DEBUG": cv("Py_DEBUG"), "Py_GIL_DISABLED": cv("Py_GIL_DISABLED"),
        "WITH_PYMALLOC": cv("WITH_PYMALLOC"), "Py_UNICODE_SIZE": cv("Py_UNICODE_SIZE"),
        "has_refcount": hasattr(sys, "gettotalrefcount"),
        "extension_suffixes": list(EXTENSION_SUFFIXES), "maxunicode": sys.maxunicode,
        "EXT_SUFFIX": cv("EXT_SUFFIX"), "system": uname()[0],
        "platform": sysconfig.get_platform(), "pointer_bits": bits,
        "glibc_version": None, "musl_version": None, "elf_armhf": False, "elf_i686": False,
        "manylinux_compatible": None,
    }
    if d["system"] == "Linux":
        elf = elf_info(sys.executable)
        d["glibc_version"] = glibc_version()
        d["musl_version"] = musl_version(elf)
        if elf:
            d["elf_armhf"] = (elf["class"] == 1 and elf["data"] == 1 and elf["machine"] == 40
                              and elf["flags"] & 0xFF000000 == 0x05000000
                              and elf["flags"] & 0x400 == 0x400)
            d["elf_i686"] = elf["class"] == 1 and elf["data"] == 1 and elf["machine"] == 3
        plat = d["platform"].replace(".", "_").replace("-", "_").replace(" ", "_")
        if bits == 32:
            plat = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(plat, plat)
        arch = plat.split("_", 1)[-1]
        archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
        d["manylinux_compatible"] = manylinux_verdicts(d["glibc_version"], archs)
    elif d["system"] == "Darwin":
        import platform
        release, _, machine = platform.mac_ver()
        if release.split(".")[:2] == ["10", "16"]:
            import subprocess
            release = subprocess.run(
                [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
                env={"SYSTEM_VERSION_COMPAT": "0"}, stdout=subprocess.PIPE,
                universal_newlines=True).stdout.strip()
        d["macos_version"] = [int(p) for p in release.split(".")[:2]]
        d["macos_arch"] = machine
    elif d["system"] == "iOS":
        import platform
        d["ios_version"] = [int(p) for p in platform.ios_ver()[1].split(".")[:2]]
        d["ios_multiarch"] = sys.implementation._multiarch
    elif d["system"] == "Android":
        import platform
        d["android_api_level"] = platform.android_ver().api_level
        d["android_abi"] = d["platform"].split("-")[-1]
    return d


def markers():
    impl = sys.implementation
    system, release, version, machine = uname()
    implementation, full = python_impl_version()
    return {
        "implementation_name": impl.name,
        "implementation_version": full_version(impl.version),
        "os_name": os.name,
        "platform_machine": machine,
        "platform_python_implementation": implementation,
        "platform_release": release,
        "platform_system": system,
        "platform_version": version,
        "python_full_version": full,
        "python_version": ".".join(full.split(".")[:2]),
        "sys_platform": sys.platform,
    }


SENTINEL = "/@@PUFFIN-PREFIX@@"


def schemes():
    """The install scheme pip would use, its --prefix/--user forms and the venv layout."""
    names = set(sysconfig.get_scheme_names())
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    framework = bool(sysconfig.get_config_var("PYTHONFRAMEWORK"))
    if preferred:
        prefix_scheme = preferred("prefix")
    elif "osx_framework_library" in names and not is_venv() and framework:
        prefix_scheme = "osx_framework_library"
    elif "posix_local" in names and not is_venv():
        prefix_scheme = "posix_local"      # Debian's system Python without get_preferred_scheme
    else:
        prefix_scheme = next((n for n in ("%s_%s" % (sys.implementation.name, os.name),
                                          sys.implementation.name, os.name + "_prefix", os.name)
                              if n in names), "posix_prefix")
    if preferred:
        user_scheme = preferred("user")
    elif framework and not is_venv() and "osx_framework_user" in names:
        user_scheme = "osx_framework_user"
    else:
        user_scheme = os.name + "_user" if os.name + "_user" in names else "posix_user"
    xy = "python%d.%d" % sys.version_info[:2]
    paths = sysconfig.get_paths(scheme=prefix_scheme)
    if is_venv():
        # pip's historical header location inside virtual environments.
        paths["include"] = os.path.join(sys.prefix, "include", "site", xy)
    keys = ("purelib", "platlib", "scripts", "data", "include")
    user = None
    if user_scheme in names:
        try:
            user = dict((k, v) for k, v in sysconfig.get_paths(scheme=user_scheme).items() if k in keys)
        except KeyError:
            user = None
    # The venv layout relative to its root: the `venv` scheme (3.11+), else
    # posix_prefix (Debian 3.10's default scheme would say local/...).
    layout_scheme = "venv" if "venv" in names else ("nt" if os.name == "nt" else "posix_prefix")
    home = dict((k, SENTINEL) for k in ("base", "platbase", "installed_base", "installed_platbase"))
    raw = sysconfig.get_paths(scheme=layout_scheme, vars=home)
    layout = {}
    for k in ("purelib", "platlib", "scripts", "data"):
        v = raw[k]
        layout[k] = v[len(SENTINEL):].lstrip("/\\") if v.startswith(SENTINEL) else v
    layout["include"] = os.path.join("include", "site", xy)
    return {
        "scheme_name": prefix_scheme,
        "paths": dict((k, v) for k, v in paths.items() if k in keys),
        "user_scheme_name": user_scheme, "user_paths": user,
        "venv_layout": layout,
    }


def externally_managed():
    if is_venv():
        return None
    try:
        scheme = sysconfig.get_default_scheme() if hasattr(sysconfig, "get_default_scheme") else None
        stdlib = sysconfig.get_path("stdlib", scheme) if scheme else sysconfig.get_path("stdlib")
    except KeyError:
        stdlib = sysconfig.get_path("stdlib")
    path = os.path.join(stdlib, "EXTERNALLY-MANAGED")
    if not os.path.isfile(path):
        return None
    message = None
    try:
        import configparser
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(path, encoding="utf-8")
        message = cp.get("externally-managed", "Error", fallback=None)
    except Exception:
        message = None
    return {"path": path, "error": message}


def pyvenv_cfg():
    path = os.path.join(sys.prefix, "pyvenv.cfg")
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.partition("=")
                if sep:
                    out[key.strip()] = value.strip()
    except (OSError, UnicodeDecodeError):
        return None
    return out


def main():
    import site
    version = python_impl_version()[1]
    if version.endswith("+"):
        version = version[:-1]
    try:
        site_packages = site.getsitepackages()
    except AttributeError:
        site_packages = []
    try:
        user_base, user_site = site.getuserbase(), site.getusersitepackages()
    except AttributeError:
        user_base = user_site = None
    return {
        "query_version": 1,
        "version_info": list(sys.version_info[:3]) + [sys.version_info[3], sys.version_info[4]],
        "python_full_version": version,
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "sys_executable": sys.executable,
        "base_executable": getattr(sys, "_base_executable", None) or sys.executable,
        "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "exec_prefix": sys.exec_prefix,
        "base_exec_prefix": getattr(sys, "base_exec_prefix", sys.exec_prefix),
        "is_venv": is_venv(),
        "pyvenv_cfg": pyvenv_cfg() if is_venv() else None,
        "stdlib": sysconfig.get_path("stdlib"),
        "sys_path": list(sys.path),
        "site_packages": site_packages,
        "user_base": user_base, "user_site": user_site,
        "markers": markers(),
        "tag_inputs": tag_inputs(),
        "schemes": schemes(),
        "pointer_bits": struct.calcsize("P") * 8,
        "externally_managed": externally_managed(),
        "os_name": os.name,
    }


if __name__ == "__main__":
    sys.stdout.write(dump(main()))
'''

# Bump when the script's output changes shape, so cached answers are ignored.
_QUERY_VERSION = 1
_QUERY_TIMEOUT = 30.0
_SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "include")


def _data_field(key: "str", convert=None):
    """A read-only property of an Interpreter: one key of its query answer."""
    if convert is None:
        return property(lambda self: self.data[key])
    return property(lambda self: convert(self.data[key]))


class Interpreter:
    """What a target Python told us about itself (the query script's JSON).

    Built by ``Interpreter.query(executable)``; ``to_json()``/``from_json()``
    round-trip through the cache. ``executable`` is the path we were asked
    about (absolute, not resolved: a venv's ``bin/python`` symlink resolves to
    its base Python, which is a different environment).
    """

    __slots__ = ("executable", "data", "_tags", "_priority", "_version")

    def __init__(self, executable: "str", data: "dict"):
        self.executable = executable
        self.data = data
        self._tags = None
        self._priority = None
        self._version = None

    def __repr__(self):
        return "Interpreter(%r, %s %s, prefix=%r)" % (
            self.executable, self.implementation_name, self.python_full_version, self.prefix)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.executable, self.data) == (other.executable, other.data)

    def __hash__(self):
        return hash((self.executable, self.sys_executable, self.prefix))

    # -- construction
    @classmethod
    def from_json(cls, obj: "dict") -> "Interpreter":
        return cls(obj["executable"], obj["data"])

    def to_json(self) -> "dict":
        return {"executable": self.executable, "data": self.data}

    @classmethod
    def query(cls, executable: "str", cache=None, timeout: "float" = _QUERY_TIMEOUT) -> "Interpreter":
        """Ask the Python at ``executable`` about itself, through ``cache`` when given.

        The answer is cached under ``interpreter-v0`` keyed by the absolute path,
        the resolved path and its mtime (and the venv's pyvenv.cfg mtime), so a
        reinstalled or upgraded Python is asked again. Raises InterpreterError
        when the path is missing, is not a Python, crashes or times out.
        """
        path = os.path.abspath(os.path.expanduser(executable))
        key, stamp = _interpreter_cache_key(path)
        if cache is not None:
            cached = cache.read_json("interpreter-v0", key)
            if isinstance(cached, dict) and cached.get("stamp") == stamp:
                return cls(path, cached["data"])
        if path == os.path.abspath(sys.executable) and not sys.flags.ignore_environment:
            data = _query_here()  # the Python running us: no second process needed
        else:
            data = _run_query(path, timeout)
        if cache is not None:
            try:
                cache.write_json("interpreter-v0", key, {"stamp": stamp, "data": data})
            except (OSError, PuffinError):
                pass  # a cache we cannot write only costs the next run a query
        return cls(path, data)

    # -- facts (what the query script answered; see _data_field)
    sys_executable = _data_field("sys_executable")

    @property
    def base_executable(self) -> "str":
        return self.data.get("base_executable") or self.sys_executable

    prefix = _data_field("prefix")
    base_prefix = _data_field("base_prefix")
    is_venv = _data_field("is_venv", bool)
    implementation_name = _data_field("implementation_name")
    version_info = _data_field("version_info", tuple)
    python_full_version = _data_field("python_full_version")

    @property
    def python_version(self):
        """The full version as a Version (``3.12.1``); markers hold ``3.12`` as text."""
        if self._version is None:
            self._version = Version(self.python_full_version)
        return self._version

    @property
    def python_minor(self) -> "str":
        return "%d.%d" % self.version_info[:2]

    @property
    def markers(self) -> "dict":
        """The PEP 508 marker environment of the target (a fresh copy)."""
        return dict(self.data["markers"])

    tag_inputs = _data_field("tag_inputs")
    pointer_bits = _data_field("pointer_bits")

    @property
    def libc(self):
        """("glibc", "2.36"), ("musl", "1.2") or None."""
        ti = self.tag_inputs
        if ti.get("musl_version"):
            return ("musl", "%d.%d" % tuple(ti["musl_version"]))
        if ti.get("glibc_version"):
            return ("glibc", ti["glibc_version"])
        return None

    @property
    def paths(self) -> "dict":
        """Install paths pip would use for a plain install into this environment."""
        return dict(self.data["schemes"]["paths"])

    @property
    def site_packages(self) -> "list":
        """purelib and platlib (once each), then any other site dir the Python reports."""
        out = []
        for p in [self.paths["purelib"], self.paths["platlib"]] + list(self.data.get("site_packages") or ()):
            if p not in out:
                out.append(p)
        return out

    @property
    def user_site(self):
        return self.data.get("user_site")

    stdlib = _data_field("stdlib")

    @property
    def externally_managed(self):
        """None, or the PEP 668 error text (a default when the file gives none)."""
        em = self.data.get("externally_managed")
        if not em:
            return None
        return em.get("error") or ("The interpreter at %s is externally managed "
                                   "(%s)" % (self.base_prefix, em.get("path")))

    @property
    def pyvenv_cfg(self) -> "dict":
        return dict(self.data.get("pyvenv_cfg") or {})

    @property
    def created_by_puffin(self) -> "bool":
        return "puffin" in self.pyvenv_cfg

    def tags(self) -> "list":
        """Compatible tags, best first, as packaging.tags.sys_tags() there (cached)."""
        if self._tags is None:
            self._tags = compatible_tags(self.tag_inputs)
        return self._tags

    def tag_priority(self) -> "TagPriority":
        if self._priority is None:
            self._priority = TagPriority(self.tags())
        return self._priority

    def scheme(self, kind: "str" = "default", prefix: "str | None" = None) -> "dict":
        """Install paths (purelib, platlib, scripts, data, include) for a kind of install.

        ``default``: this environment, as pip would install into it. ``target``:
        ``--target DIR`` (everything in DIR, scripts in DIR/bin, as uv does).
        ``prefix``: ``--prefix DIR`` laid out like a venv under DIR (uv's
        choice; it avoids Debian's ``local/.../dist-packages`` quirk). ``user``:
        ``--user`` (refused inside a venv, as pip does). ``include`` is the
        headers directory without the distribution name.
        """
        if kind == "default":
            return self.paths
        if kind in ("prefix", "target", "venv") and not prefix:
            raise UsageError("the %r scheme needs a directory" % kind)
        if kind == "target":
            root = os.path.abspath(prefix)
            scripts = os.path.join(root, "Scripts" if self.data.get("os_name") == "nt" else "bin")
            return {"purelib": root, "platlib": root, "scripts": scripts, "data": root,
                    "include": os.path.join(root, "include")}
        if kind in ("prefix", "venv"):
            root = os.path.abspath(prefix)
            layout = self.data["schemes"]["venv_layout"]
            return {k: os.path.normpath(os.path.join(root, layout[k])) for k in _SCHEME_KEYS}
        if kind == "user":
            if self.is_venv:
                raise UsageError("cannot install with --user: user site-packages are not "
                                 "visible in this virtual environment")
            user = self.data["schemes"].get("user_paths")
            if not user:
                raise UsageError("this Python has no user install scheme")
            return dict(user)
        raise UsageError("unknown install scheme %r" % kind)


def _interpreter_cache_key(path: "str"):
    """(cache key, freshness stamp) for an executable path."""
    import zlib
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        raise InterpreterError("no Python at %s: the file does not exist" % path) from None
    cfg_mtime = None
    for cfg in (os.path.join(os.path.dirname(path), "pyvenv.cfg"),
                os.path.join(os.path.dirname(os.path.dirname(path)), "pyvenv.cfg")):
        try:
            cfg_mtime = os.stat(cfg).st_mtime_ns
            break
        except OSError:
            continue
    # zlib's checksums, not hashlib: importing hashlib loads OpenSSL (3 ms of a
    # no-op sync). A collision costs nothing: the stamp (real path, mtime,
    # size) must match too before a cached answer is used.
    script = "%08x" % zlib.crc32(_QUERY_SCRIPT.encode("utf-8"))
    raw = ("%s\0%s" % (path, real)).encode("utf-8", "surrogateescape")
    key = "%08x%08x.json" % (zlib.crc32(raw), zlib.adler32(raw))
    # The user scheme (--user) follows HOME and PYTHONUSERBASE: an answer found
    # under another user's HOME (a container run with another user) is asked again.
    user = "%s:%s:%s" % tuple(os.environ.get(n, "") for n in ("HOME", "PYTHONUSERBASE", "APPDATA"))
    stamp = "%s:%d:%d:%s:%s:%d:%s" % (real, st.st_mtime_ns, st.st_size, cfg_mtime, script,
                                      _QUERY_VERSION, user)
    return key, stamp


def _query_here() -> "dict":
    """The query script's answer for the running interpreter, computed in this
    process (as ``-I`` would see it: no working folder on ``sys.path``)."""
    with span("interpreter.query", executable=sys.executable, here=True):
        namespace = {"__name__": "puffin_interpreter_query"}
        exec(compile(_QUERY_SCRIPT, "<interpreter query>", "exec"), namespace)
        data = json.loads(namespace["dump"](namespace["main"]()))  # as from a subprocess
    if not (sys.flags.isolated or getattr(sys.flags, "safe_path", False)):
        data["sys_path"] = data["sys_path"][1:]  # the script's folder, which -I leaves out
    return data


def _run_query(path: "str", timeout: "float") -> "dict":
    import subprocess
    if os.path.isdir(path):
        raise InterpreterError("%s is a directory, not a Python executable" % path,
                               hint="pass the environment's bin/python, or the venv directory to --python")
    if not os.access(path, os.X_OK):
        raise InterpreterError("%s is not executable, so it is not a Python interpreter" % path)
    with span("interpreter.query", executable=path):
        try:
            proc = subprocess.run([path, "-I", "-c", _QUERY_SCRIPT], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise InterpreterError("querying the Python at %s timed out after %gs" % (path, timeout)) from None
        except OSError as e:
            raise InterpreterError("could not run %s: %s; is it a Python interpreter?"
                                   % (path, e.strerror or e)) from None
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode == 0:
        try:
            data = json.loads(out)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("query_version") == _QUERY_VERSION:
            return data
    err = [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if err:
        # A traceback ends with the exception; other failures (python2's
        # "Unknown option: -I") say it first.
        detail = err[-1] if any(line.startswith("Traceback") for line in err) else err[0]
    else:
        detail = (out.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
    raise InterpreterError("%s is not a working Python interpreter (querying it failed: %s)"
                           % (path, detail[:300]))


def interpreter_tags(python_executable: "str") -> "list":
    """Tags ``interp-abi-platform`` the given Python accepts, best first.

    Equal, order included, to ``packaging.tags.sys_tags()`` run inside it
    (packaging as pip vendors it).
    """
    return Interpreter.query(python_executable).tags()


# ---- finding the target -------------------------------------------------------

def _venv_python(root: "str") -> "str | None":
    """The interpreter of the environment at ``root`` (a venv or conda prefix), or None.

    ``bin/python`` first, as uv picks it: it is the name pip and the scripts it
    installs see (``VENV/bin/python -m pip``), so shebangs come out the same."""
    for rel in ("bin/python", "bin/python3", "Scripts/python.exe", "python.exe"):
        exe = os.path.join(root, *rel.split("/"))
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    return None


def _is_venv_executable(executable: "str") -> "bool":
    """Whether a Python runs as a venv: a pyvenv.cfg next to it or one level up (PEP 405)."""
    exe_dir = os.path.dirname(os.path.abspath(executable))
    return any(os.path.isfile(os.path.join(d, "pyvenv.cfg"))
               for d in (exe_dir, os.path.dirname(exe_dir)))


def _which(name: "str", env) -> "str | None":
    import shutil
    return shutil.which(name, path=(env or {}).get("PATH", os.defpath))


def _python_request(request: "str", env, cache) -> "Interpreter":
    """--python: an executable, a venv directory, or a version like 3.12 on PATH."""
    expanded = os.path.expanduser(request)
    if os.path.isdir(expanded):
        exe = _venv_python(expanded)
        if exe is None:
            raise InterpreterError("no Python found in the directory %s" % expanded,
                                   hint="pass a Python executable or a virtual environment")
        return Interpreter.query(exe, cache)
    if os.sep in request or (os.altsep and os.altsep in request) or os.path.isfile(expanded):
        return Interpreter.query(expanded, cache)
    m = _lazy_re(r"^(?:python)?(\d+)(?:\.(\d+))?(?:\.(\d+))?$").match(request)
    if m:
        major, minor, micro = m.groups()
        name = "python%s%s" % (major, "." + minor if minor else "")
        exe = _which(name, env)
        if exe is None:
            raise InterpreterError("no interpreter found for Python %s on PATH (looked for %s)"
                                   % (request.replace("python", ""), name))
        interp = Interpreter.query(exe, cache)
        if micro is not None and interp.version_info[:3] != (int(major), int(minor), int(micro)):
            raise InterpreterError("%s is Python %s, not the requested %s"
                                   % (exe, interp.python_full_version, request))
        return interp
    exe = _which(request, env)
    if exe is None:
        raise InterpreterError("no interpreter named %r found on PATH" % request)
    return Interpreter.query(exe, cache)


def find_target(python: "str | None" = None, system: "bool" = False, env=None, cwd: "str | None" = None,
                running_executable: "str | None" = None, running_as_script: "bool" = True,
                cache=None) -> "Interpreter":
    """The environment to install into, found as uv finds it.

    In order: ``--python`` (an executable, a venv directory, or a version such as
    ``3.12`` looked up on PATH as ``python3.12``); with ``--system`` the Python
    running puffin.py when it is a system one (not a venv's), else the first
    ``python3`` on PATH; else the venv whose Python runs puffin.py as a script;
    else ``VIRTUAL_ENV``; else ``CONDA_PREFIX``; else a ``.venv`` in ``cwd`` or a
    parent. InterpreterError with a hint when none is found.
    """
    env = os.environ if env is None else env
    running_executable = sys.executable if running_executable is None else running_executable
    if python:
        return _python_request(python, env, cache)
    if system:
        if running_as_script and running_executable and os.path.isfile(running_executable) \
                and not _is_venv_executable(running_executable):
            return Interpreter.query(running_executable, cache)
        exe = _which("python3", env) or _which("python", env)
        if exe is None:
            raise InterpreterError("no system Python found: python3 is not on PATH",
                                   hint="pass --python with the interpreter to use")
        return Interpreter.query(exe, cache)
    if running_as_script and running_executable and _is_venv_executable(running_executable):
        return Interpreter.query(running_executable, cache)
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        root = env.get(var)
        if root:
            exe = _venv_python(root)
            if exe is None:
                raise InterpreterError("%s is set to %s, but there is no Python in it" % (var, root),
                                       hint="unset %s or recreate the environment" % var)
            return Interpreter.query(exe, cache)
    directory = os.path.abspath(cwd or os.getcwd())
    while True:
        candidate = os.path.join(directory, ".venv")
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            exe = _venv_python(candidate)
            if exe is not None:
                return Interpreter.query(exe, cache)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    raise InterpreterError("no virtual environment found",
                           hint="create one with `puffin.py venv`, or pass --python or --system")


# ---- creating virtual environments ----------------------------------------------

def create_venv(path: "str", interpreter: "Interpreter", *, seed: "bool" = False,
                prompt: "str | None" = None, system_site_packages: "bool" = False,
                existing: "str" = "refuse") -> "Interpreter":
    """Create a virtual environment at ``path`` for ``interpreter``; return it queried.

    Written directly, as uv does (no ``python -m venv`` subprocess): pyvenv.cfg
    (home, include-system-site-packages, version, executable and ``puffin = <version>``
    marking it as ours), ``bin/python*`` symlinks to the base interpreter, the
    activate scripts from the interpreter's own venv templates, site-packages.
    An existing venv at ``path`` is refused (``existing="refuse"``), emptied
    first (``"clear"``) or kept with its packages (``"allow"``: its interpreter
    links, pyvenv.cfg and activate scripts are written anew); any other
    non-empty directory is refused. ``seed`` marks it as seeded (the venv
    command then installs the seed packages through puffin.py itself);
    ``seed="ensurepip"`` installs pip with the target's ``ensurepip`` as well.
    """
    root = os.path.abspath(path)
    with span("venv.create", path=root):
        _prepare_venv_dir(root, existing)
        base_exe = _base_executable(interpreter)
        layout = interpreter.data["schemes"]["venv_layout"]
        posix = interpreter.data.get("os_name", os.name) != "nt"
        bin_dir = os.path.join(root, layout["scripts"] if layout.get("scripts") else "bin")
        for key in ("purelib", "platlib", "scripts"):
            os.makedirs(os.path.join(root, layout[key]), exist_ok=True)
        os.makedirs(os.path.join(root, "include"), exist_ok=True)
        if posix and interpreter.pointer_bits == 64 and \
                interpreter.markers.get("sys_platform") != "darwin" and \
                layout["purelib"].startswith("lib" + os.sep) and \
                not os.path.lexists(os.path.join(root, "lib64")):
            os.symlink("lib", os.path.join(root, "lib64"))   # as CPython's venv does
        _link_pythons(bin_dir, base_exe, interpreter)
        _write_pyvenv_cfg(root, base_exe, interpreter, prompt, system_site_packages, seed=bool(seed))
        name = os.path.basename(root)
        _write_activate_scripts(root, bin_dir, interpreter, prompt if prompt is not None else name)
        atomic_write_text(os.path.join(root, ".gitignore"), "# Created by puffin.py\n*\n")
        venv_python = os.path.join(bin_dir, "python")
        if seed == "ensurepip":
            _seed_pip(venv_python)
    return Interpreter.query(venv_python)


def _prepare_venv_dir(root: "str", existing: "str" = "refuse") -> "None":
    if os.path.lexists(root):
        if not os.path.isdir(root):
            raise InterpreterError("cannot create a virtual environment at %s: it is a file" % root)
        entries = os.listdir(root)
        if entries:
            if not os.path.isfile(os.path.join(root, "pyvenv.cfg")):
                raise InterpreterError(
                    "cannot create a virtual environment at %s: the directory is not empty "
                    "and is not a virtual environment" % root)
            if existing == "refuse":
                raise InterpreterError(
                    "a virtual environment already exists at %s (%s)" % (root, _venv_contents(root)),
                    hint="pass --clear to delete it and start afresh, or --allow-existing to "
                         "keep what it has")
            if existing == "allow":
                return _unlink_venv_links(root)
            for entry in entries:
                full = os.path.join(root, entry)
                if os.path.isdir(full) and not os.path.islink(full):
                    remove_tree(full)
                else:
                    os.unlink(full)
    os.makedirs(root, exist_ok=True)


def _venv_contents(root: "str") -> "str":
    """What deleting a venv would delete, in words: its packages."""
    names = set()
    for folder, dirs, _files in os.walk(root):
        for d in dirs:
            if d.endswith(".dist-info"):
                names.add(d.split("-", 1)[0])
        if os.path.basename(folder) == "site-packages":
            dirs[:] = []
    return plural(len(names), "package") + (": " + ", ".join(sorted(names)[:5]) +
                                            (", ..." if len(names) > 5 else "") if names else "")


def _unlink_venv_links(root: "str") -> "None":
    """Kept venv (--allow-existing): its interpreter links go, to be made anew."""
    for bin_name in ("bin", "Scripts"):
        folder = os.path.join(root, bin_name)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if _lazy_re(r"^(python|pypy)[\d.]*t?(\.exe)?$").match(name):
                    os.unlink(os.path.join(folder, name))


def _base_executable(interpreter: "Interpreter") -> "str":
    """The real interpreter binary behind ``interpreter`` (not a venv link, not a shim)."""
    exe = interpreter.base_executable
    if interpreter.is_venv:
        # Inside a venv, _base_executable can still name the venv's link on 3.8-3.10.
        home = interpreter.pyvenv_cfg.get("home")
        if home and os.path.dirname(os.path.abspath(exe)) != os.path.abspath(home):
            candidate = os.path.join(home, os.path.basename(exe))
            if os.path.exists(candidate):
                exe = candidate
    return exe


def _link_pythons(bin_dir: "str", base_exe: "str", interpreter: "Interpreter") -> "None":
    major, minor = interpreter.version_info[:2]
    python = os.path.join(bin_dir, "python")
    os.symlink(base_exe, python)
    for name in ("python%d" % major, "python%d.%d" % (major, minor)):
        link = os.path.join(bin_dir, name)
        if not os.path.lexists(link):
            os.symlink("python", link)
    if interpreter.implementation_name == "pypy":
        for name in ("pypy", "pypy%d" % major):
            link = os.path.join(bin_dir, name)
            if not os.path.lexists(link):
                os.symlink("python", link)


def _write_pyvenv_cfg(root, base_exe, interpreter, prompt, system_site_packages, seed=False) -> "None":
    lines = [
        "home = %s" % os.path.dirname(base_exe),
        "implementation = %s" % {"cpython": "CPython", "pypy": "PyPy"}.get(
            interpreter.implementation_name, interpreter.implementation_name),
        "include-system-site-packages = %s" % ("true" if system_site_packages else "false"),
        "version = %s" % interpreter.python_full_version,
        "executable = %s" % os.path.realpath(base_exe),
        "puffin = %s" % __version__,
    ]
    if seed:   # pip-sync keeps the seed packages of an environment seeded on purpose
        lines.append("seed = true")
    if prompt is not None:
        lines.append("prompt = %s" % prompt)
    atomic_write_text(os.path.join(root, "pyvenv.cfg"), "\n".join(lines) + "\n")


_FALLBACK_ACTIVATE = '''# This file must be used with "source bin/activate" *from bash*
deactivate () {
    if [ -n "${_OLD_VIRTUAL_PATH:-}" ] ; then
        PATH="${_OLD_VIRTUAL_PATH:-}"; export PATH; unset _OLD_VIRTUAL_PATH
    fi
    if [ -n "${_OLD_VIRTUAL_PS1:-}" ] ; then
        PS1="${_OLD_VIRTUAL_PS1:-}"; export PS1; unset _OLD_VIRTUAL_PS1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    hash -r 2> /dev/null
    if [ ! "${1:-}" = "nondestructive" ] ; then unset -f deactivate; fi
}
deactivate nondestructive
VIRTUAL_ENV="__VENV_DIR__"
export VIRTUAL_ENV
_OLD_VIRTUAL_PATH="$PATH"
PATH="$VIRTUAL_ENV/__VENV_BIN_NAME__:$PATH"
export PATH
VIRTUAL_ENV_PROMPT="__VENV_NAME__"
export VIRTUAL_ENV_PROMPT
if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT:-}" ] ; then
    _OLD_VIRTUAL_PS1="${PS1:-}"
    PS1="(__VENV_NAME__) ${PS1:-}"
    export PS1
fi
hash -r 2> /dev/null
'''


def _write_activate_scripts(root, bin_dir, interpreter, prompt) -> "None":
    """Copy the target's own venv activate templates with CPython's substitutions."""
    templates = os.path.join(interpreter.stdlib, "venv", "scripts")
    posix = interpreter.data.get("os_name", os.name) != "nt"
    wanted = ["common"] + (["posix"] if posix else ["nt"])
    found = False
    for sub in wanted:
        folder = os.path.join(templates, sub)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            src = os.path.join(folder, name)
            if not os.path.isfile(src) or (posix and name.endswith((".bat", ".exe"))):
                continue
            with open(src, "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            found = found or name == "activate"
            _write_text(os.path.join(bin_dir, name),
                        _venv_substitute(text, root, bin_dir, prompt))
    if not found and posix:
        _write_text(os.path.join(bin_dir, "activate"),
                    _venv_substitute(_FALLBACK_ACTIVATE, root, bin_dir, prompt))


def _venv_substitute(text: "str", root: "str", bin_dir: "str", prompt: "str") -> "str":
    # 3.12 and older templates expect "(prompt) " in __VENV_PROMPT__; 3.13 adds the
    # parentheses itself. Tell them apart by the template text.
    shown = prompt if "(__VENV_PROMPT__)" in text else "(%s) " % prompt
    text = text.replace("__VENV_DIR__", root)
    text = text.replace("__VENV_NAME__", os.path.basename(root) if "__VENV_PROMPT__" in text else prompt)
    text = text.replace("__VENV_PROMPT__", shown)
    text = text.replace("__VENV_BIN_NAME__", os.path.basename(bin_dir))
    text = text.replace("__VENV_PYTHON__", os.path.join(bin_dir, "python"))
    return text


def _write_text(path: "str", text: "str") -> "None":
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _seed_pip(venv_python: "str") -> "None":
    import subprocess
    with span("venv.seed", python=venv_python):
        proc = run_child([venv_python, "-m", "ensurepip", "--default-pip"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InterpreterError("seeding pip into the environment failed: %s"
                               % (err[-1] if err else "exit status %d" % proc.returncode))


# =============================================================================
# 6. Requirement sources
# =============================================================================
# Owns: requirements files (nested -r/-c, -e, option lines, --hash, ${VAR},
# continuations, URLs and paths), pyproject.toml dependencies, extras and
# dependency groups, requirement strings from the command line; read_sources()
# merges them into one Sources. Exports RequirementEntry, UnnamedRequirement,
# Sources, SourceNeedsBuildError and the parse_* functions. Uses sections 1-3.

# Archive suffixes pip treats as installable files (pip's utils/filetypes.py).
_ARCHIVE_EXTENSIONS = (".whl", ".zip", ".tar.bz2", ".tbz", ".tar.gz", ".tgz", ".tar",
                       ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma")
_VCS_NAMES = ("git", "hg", "svn", "bzr")
_URL_SCHEMES = ("http", "https", "file", "ftp")
_HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}  # pip's STRONG_HASHES

# The option lines pip accepts in a requirements file (pip's req_file.py
# SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ): (spellings, dest, takes a value).
_REQ_FILE_OPTIONS = (
    (("-r", "--requirement"), "requirement", True),
    (("-c", "--constraint"), "constraint", True),
    (("-e", "--editable"), "editable", True),
    (("-i", "--index-url", "--pypi-url"), "index_url", True),
    (("--extra-index-url",), "extra_index_url", True),
    (("--no-index",), "no_index", False),
    (("-f", "--find-links"), "find_links", True),
    (("--no-binary",), "no_binary", True),
    (("--only-binary",), "only_binary", True),
    (("--prefer-binary",), "prefer_binary", False),
    (("--require-hashes",), "require_hashes", False),
    (("--pre",), "pre", False),
    (("--trusted-host",), "trusted_host", True),
    (("--use-feature",), "use_feature", True),
    # Per-requirement options: only valid after a requirement on the same line.
    (("--hash",), "hash", True),
    (("--global-option",), "global_option", True),
    (("-C", "--config-settings"), "config_settings", True),
)
_PER_REQUIREMENT_OPTIONS = ("hash", "global_option", "config_settings")


class SourceNeedsBuildError(InputError):
    """The requirements of a source are only known after building it (setup.py,
    setup.cfg, a pyproject.toml with dynamic or missing [project] dependencies).
    ``path`` is the source; callers that can build may catch this and build."""

    def __init__(self, message: "str", *, file: "str", path: "str", hint: "str | None" = None):
        super().__init__(message, file=file, hint=hint)
        self.path = path


class UnnamedRequirement(Value):
    """A URL or local path whose project name is not known until it is built
    (an sdist, a project directory, a VCS URL without ``#egg=``).

    ``url``: absolute URL (``file://`` for local paths, fragment kept);
    ``extras``: frozenset of str; ``marker``: Marker or None.
    """

    __slots__ = ("url", "extras", "marker")

    def __init__(self, url: "str", extras=(), marker=None):
        self.url = url
        self.extras = frozenset(extras)
        self.marker = marker

    name = None  # the project name: unknown, by definition

    @property
    def specifier(self):
        """Always empty: like a Requirement with a URL, it pins by location."""
        return SpecifierSet("")

    def __str__(self) -> "str":
        s = self.url
        if self.extras:
            s += "[%s]" % ",".join(sorted(self.extras))
        if self.marker is not None:
            s += " ; %s" % self.marker
        return s


class RequirementEntry(Value):
    """One requirement as a source listed it.

    ``requirement``: a section-2 ``Requirement`` (its ``url`` made absolute) or an
    ``UnnamedRequirement``; ``editable``: bool; ``hashes``: dict alg -> frozenset
    of hex digests (from ``--hash``); ``file``/``line``: where it was written
    (display path as the user named it, None for the command line); ``text``: the
    line as written (comments removed, ``${VAR}`` not expanded); ``verbatim``: the
    URL or path exactly as written, or None; ``source``: the label for ``# via``
    annotations (``-r requirements.in``, ``-c c.txt``, ``name (pyproject.toml)``);
    ``options``: tuple of (option, value) per-requirement options other than
    ``--hash`` (``--config-settings``, ``--global-option``).
    """

    __slots__ = ("requirement", "editable", "hashes", "file", "line", "text",
                 "verbatim", "source", "options")

    def __init__(self, requirement, *, editable=False, hashes=None, file=None, line=None,
                 text=None, verbatim=None, source=None, options=()):
        self.requirement = requirement
        self.editable = editable
        self.hashes = dict(hashes or {})
        self.file = file
        self.line = line
        self.text = text
        self.verbatim = verbatim
        self.source = source
        self.options = tuple(options)

    @property
    def name(self):
        """Canonical project name, or None for an unnamed requirement."""
        n = self.requirement.name
        return canonicalize_name(n) if n else None

    @property
    def url(self):
        """The absolute URL of a direct requirement, or None for a registry one."""
        return self.requirement.url

    @property
    def marker(self):
        return self.requirement.marker

    @property
    def extras(self):
        return self.requirement.extras

    def __str__(self) -> "str":
        return ("-e " if self.editable else "") + str(self.requirement)


class Sources(Value):
    """Everything read from requirement sources, merged in the order given.

    ``requirements``/``constraints``/``overrides``: lists of RequirementEntry.
    Index options as pip reads them from files: ``index_url`` (last one wins;
    None = not given), ``extra_index_urls``, ``find_links`` (local paths made
    absolute), ``no_index``, ``only_binary``/``no_binary`` (sets of canonical
    names or ``:all:``, with pip's mutual exclusion), ``prefer_binary``,
    ``require_hashes``, ``pre``, ``trusted_hosts``. ``files``: display names of
    every file read, in order. ``extras``/``groups``: what each pyproject.toml
    read offers (display name -> sorted list), for messages.
    ``requires_python``: the requires-python of the first pyproject.toml that
    gives one (the Pythons a universal resolution is for), or None.
    """

    __slots__ = ("requirements", "constraints", "overrides", "index_url",
                 "extra_index_urls", "find_links", "no_index", "only_binary",
                 "no_binary", "prefer_binary", "require_hashes", "pre",
                 "trusted_hosts", "files", "extras", "groups", "requires_python")

    def __init__(self):
        self.requirements = []
        self.constraints = []
        self.overrides = []
        self.index_url = None
        self.extra_index_urls = []
        self.find_links = []
        self.no_index = False
        self.only_binary = set()
        self.no_binary = set()
        self.prefer_binary = False
        self.require_hashes = False
        self.pre = False
        self.requires_python = None
        self.trusted_hosts = []
        self.files = []
        self.extras = {}
        self.groups = {}

    __hash__ = None  # mutable: lists and sets filled while reading

    @property
    def editables(self) -> "list":
        """The editable entries of ``requirements``, in order."""
        return [e for e in self.requirements if e.editable]

    def _add_unique(self, attr: "str", value) -> "None":
        items = getattr(self, attr)
        if value not in items:
            items.append(value)


# ---- where a line came from --------------------------------------------------

class _ReqLoc:
    """A logical line of a source, to attach to errors: file, line and text."""

    __slots__ = ("file", "line", "text")

    def __init__(self, file, line, text):
        self.file = file
        self.line = line
        self.text = text

    def error(self, message: "str", hint: "str | None" = None, cause=None) -> "InputError":
        """An InputError at this place; ``cause``: a parse error whose span
        puts a caret under the bad spot of the line."""
        caret = None
        span, source = getattr(cause, "span", None), getattr(cause, "source", None)
        if span and source and self.text and source in self.text:
            start = self.text.index(source) + span[0]
            caret = " " * start + "~" * (span[1] - span[0]) + "^"
        return InputError(message, file=self.file, line=self.line, text=self.text, hint=hint, caret=caret)


# ---- reading and pre-processing a requirements file --------------------------

def _req_decode(data: "bytes", display: "str") -> "str":
    """Bytes of a requirements file as text, as pip's auto_decode does: a BOM,
    then a ``# -*- coding: x -*-`` line among the first two, then UTF-8."""
    import codecs
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
                     (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, "replace")
    encoding = "utf-8"
    for first in data.split(b"\n", 2)[:2]:
        m = b"coding" in first and _lazy_re(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)").match(first)
        if m:
            encoding = m.group(1).decode("ascii")
            break
    try:
        return data.decode(encoding)
    except LookupError:
        raise InputError("unknown encoding `%s` in coding declaration" % encoding,
                         file=display, line=1) from None
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise InputError("not valid %s (byte 0x%02x)" % (encoding, data[e.start]),
                         file=display, line=line) from None


def _req_logical_lines(content: "str", display: "str"):
    """Yield (line number, text) of the logical lines: ``\\`` continuations
    joined (the number of the first physical line kept), comments removed,
    blank lines skipped. Follows pip's join_lines/ignore_comments, including
    that a comment line never continues and a ``#`` comment only starts at the
    beginning of a line or after whitespace (so ``#sha256=`` in URLs stays)."""
    comment = _lazy_re(r"(^|\s+)#.*$")
    pending = []
    first = None
    for number, physical in enumerate(content.splitlines(), start=1):
        is_comment = comment.match(physical) is not None
        if physical.endswith("\\") and not is_comment:
            if not pending:
                first = number
            pending.append(physical[:-1])
            continue
        if pending:
            pending.append(" " + physical if is_comment else physical)
            yield from _req_strip_comment(first, "".join(pending), comment)
            pending = []
        else:
            yield from _req_strip_comment(number, physical, comment)
    if pending:
        # pip silently accepts this; it is nearly always a line lost in an edit.
        raise InputError("line continuation (`\\`) at the end of the file", file=display,
                         line=first, text="".join(pending).strip())


def _req_strip_comment(number: "int", line: "str", comment):
    line = comment.sub("", line).strip()
    if line:
        yield number, line


def _req_expand_env(text: "str", loc: "_ReqLoc") -> "str":
    """Expand ``${NAME}`` (NAME of A-Z, 0-9, _), the only form pip expands.

    An unset (or empty) variable is left as written, as pip does, with a
    warning. Any other ``${...}`` is an error: pip would pass it on literally,
    and it is nearly always a typo (``${token}``, ``${TOKEN``)."""
    if "${" not in text:
        return text

    def sub(m):
        value = os.environ.get(m.group(1))
        if not value:
            warn_user("%s:%s: environment variable `%s` is not set; `${%s}` is left as written"
                      % (loc.file, loc.line, m.group(1), m.group(1)))
            return m.group(0)
        return value

    for m in _lazy_re(r"\$\{([^}]*)\}?").finditer(text):
        if not m.group(0).endswith("}"):
            raise loc.error("unterminated environment variable reference `%s`" % m.group(0),
                            hint="write environment variables as ${NAME}")
        if not _lazy_re(r"[A-Z0-9_]+\Z").match(m.group(1)):
            raise loc.error("invalid environment variable reference `%s`: names may only "
                            "contain A-Z, 0-9 and _" % m.group(0))
    return _lazy_re(r"\$\{([A-Z0-9_]+)\}").sub(sub, text)


def _req_split_args_options(line: "str"):
    """(requirement part, options part): the options start at the first
    whitespace-separated token that begins with ``-``, as in pip's
    break_args_options (only the options are shlex-split: markers would not
    survive it)."""
    m = _lazy_re(r"(?:^|\s)(-)").search(line)
    if m is None:
        return line, ""
    return line[:m.start(1)].strip(), line[m.start(1):]


def _req_editable_value(options: "str"):
    """The raw text after a leading ``-e``/``--editable`` (unquoted when the
    whole value is quoted), or None when the line does not start with one."""
    m = _lazy_re(r"(?:-e|--editable)(?:=|\s+|(?=[^-\s]))(\S.*)$", re.S).match(options)
    if m is None:
        return None
    value = m.group(1).strip()
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def _req_option_table():
    """spelling -> (canonical long name, dest, takes a value)."""
    table = {}
    for spellings, dest, takes_value in _REQ_FILE_OPTIONS:
        canonical = [s for s in spellings if s.startswith("--")][0]
        for s in spellings:
            table[s] = (canonical, dest, takes_value)
    return table


def _req_option_tokens(options: "str", loc: "_ReqLoc") -> "list":
    """Split and parse the option part of a line like optparse (pip's parser):
    ``--opt=value``, ``--opt value``, ``-rvalue``, ``-r value``, and unique
    prefixes of long options. Returns [(dest, value or True, spelling)]."""
    if not _lazy_re(r"""['"\\]""").search(options):
        tokens = options.split()  # what shlex gives without quotes, ten times faster
    else:
        import shlex
        try:
            tokens = shlex.split(options)
        except ValueError as e:
            raise loc.error("could not split the options: %s" % e) from None
    table = _req_option_table()
    longs = sorted(s for s in table if s.startswith("--"))
    out = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok.startswith("--"):
            name, eq, value = tok.partition("=")
            if name not in table:
                matches = [s for s in longs if s.startswith(name)]
                if not matches:
                    raise loc.error("unknown option `%s`" % name,
                                    hint=_req_options_hint())
                if len({table[s][1] for s in matches}) > 1:
                    raise loc.error("ambiguous option `%s` (%s?)" % (name, ", ".join(matches)))
                name = matches[0]
            _, dest, takes_value = table[name]
            spelled = name
            if not takes_value:
                if eq:
                    raise loc.error("option `%s` does not take a value" % spelled)
                out.append((dest, True, spelled))
                continue
            if not eq:
                if i >= len(tokens):
                    raise loc.error("option `%s` requires a value" % spelled)
                value = tokens[i]
                i += 1
            out.append((dest, value, spelled))
        elif tok.startswith("-") and len(tok) > 1:
            short = tok[:2]
            if short not in table:
                raise loc.error("unknown option `%s`" % short, hint=_req_options_hint())
            _, dest, takes_value = table[short]
            spelled = short
            value = tok[2:]
            if not value:
                if i >= len(tokens):
                    raise loc.error("option `%s` requires a value" % short)
                value = tokens[i]
                i += 1
            out.append((dest, value, spelled))
        else:
            raise loc.error("unexpected argument `%s` after the options" % tok)
    return out


def _req_options_hint() -> "str":
    return "requirements files accept: %s" % ", ".join(
        [s for s in spellings if s.startswith("--")][0] for spellings, _, _ in _REQ_FILE_OPTIONS)


# ---- requirements files ------------------------------------------------------

def parse_requirements_file(path: "str", *, sources: "Sources | None" = None,
                            kind: "str" = "requirement") -> "Sources":
    """Parse the requirements file at ``path`` (as the user named it; relative
    to the working directory) with everything it includes, into ``sources``
    (a new Sources when None). ``kind``: "requirement", "constraint" (every
    entry of the file and its includes is a constraint) or "override".

    Raises InputError (``file:line: message`` with the offending text) for any
    malformed line, a missing file, or a cycle of includes."""
    sources = Sources() if sources is None else sources
    _RequirementsReader(sources).read_file(path, kind)
    return sources


def parse_requirements_text(text: "str", *, file: "str" = "-", base_dir: "str | None" = None,
                            sources: "Sources | None" = None,
                            kind: "str" = "requirement") -> "Sources":
    """Parse requirements-file ``text`` (e.g. from stdin) named ``file`` in
    messages; relative paths in it are resolved against ``base_dir`` (default:
    the working directory)."""
    sources = Sources() if sources is None else sources
    reader = _RequirementsReader(sources)
    reader.read_text(text, file, os.path.abspath(base_dir or os.getcwd()), kind, ())
    return sources


class _RequirementsReader:
    """Reads requirements files into one Sources, following includes."""

    def __init__(self, sources: "Sources"):
        self.sources = sources

    def read_file(self, display: "str", kind: "str", path: "str | None" = None, stack=(),
                  parent: "_ReqLoc | None" = None):
        """Read the file named ``display`` in messages, at ``path`` (default:
        ``display``; a file: URL is fine); ``stack``: absolute paths of the
        including files, for cycle detection. Includes are followed with a
        stack of open files, not recursion: pip and uv read 500 levels."""
        self._follow([self._lines(display, kind, path, stack, parent)])

    def _follow(self, work: "list") -> "None":
        while work:
            item = next(work[-1], None)
            if item is None:
                work.pop()
                continue
            include = self._line(*item)
            if include is not None:
                work.append(self._lines(*include))

    def _lines(self, display: "str", kind: "str", path: "str | None", stack, parent):
        """The (loc, base_dir, kind, stack) of each line of one file."""
        path = display if path is None else path
        if _req_has_scheme(path):
            if not path.lower().startswith("file:"):
                err = "requirements files from URLs are not supported yet: %s" % display
                raise parent.error(err) if parent else InputError(err)
            path = _req_file_url_to_path(path)
        real = os.path.abspath(path)
        if real in stack:
            chain = " -> ".join([os.path.relpath(p) for p in stack] + [os.path.relpath(real)])
            raise parent.error("requirements files include each other in a cycle: %s" % chain)
        with span("read_requirements", file=display):
            try:
                with open(real, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                err = "requirements file not found: `%s`" % display
                raise parent.error(err) if parent else InputError(err) from None
            except IsADirectoryError:
                err = "`%s` is a directory, not a requirements file" % display
                raise parent.error(err) if parent else InputError(err) from None
            except OSError as e:
                err = "cannot read `%s`: %s" % (display, e.strerror or e)
                raise parent.error(err) if parent else InputError(err) from None
        text = _req_decode(data, display)
        return self._text_lines(text, display, os.path.dirname(real), kind, tuple(stack) + (real,))

    def read_text(self, text: "str", display: "str", base_dir: "str", kind: "str", stack: "tuple"):
        self._follow([self._text_lines(text, display, base_dir, kind, stack)])

    def _text_lines(self, text: "str", display: "str", base_dir: "str", kind: "str", stack: "tuple"):
        self.sources.files.append(display)
        for number, line in _req_logical_lines(text, display):
            yield _ReqLoc(display, number, line), base_dir, kind, stack

    def _line(self, loc: "_ReqLoc", base_dir: "str", kind: "str", stack: "tuple"):
        req_text, opt_text = _req_split_args_options(loc.text)
        editable = _req_editable_value(opt_text) if not req_text else None
        if editable is not None:
            # Taken raw, not shlex-split, so that `-e ./pkg ; marker` and
            # `-e name @ ./pkg` survive (uv accepts both; pip drops the rest).
            target, rest = _req_split_args_options(editable)
            if rest:
                spelled = _req_option_tokens(rest, loc)[0][2]
                raise loc.error("`-e` must be alone on its line, without `%s`" % spelled)
            self._editable_line(loc, [("editable", target, "-e")], base_dir, kind)
            return
        options = _req_option_tokens(opt_text, loc) if opt_text else []
        if req_text:
            self._requirement_line(loc, req_text, options, base_dir, kind)
        elif any(dest == "editable" for dest, _, _ in options):
            self._editable_line(loc, options, base_dir, kind)
        else:
            include = None
            for dest, value, spelled in options:
                include = self._option(loc, dest, value, spelled, base_dir, kind, stack) or include
            return include
        return None

    def _requirement_line(self, loc, req_text, options, base_dir, kind):
        hashes = {}
        extra = []
        for dest, value, spelled in options:
            if dest == "hash":
                alg, digest = _req_parse_hash(_req_expand_env(value, loc), loc)
                hashes.setdefault(alg, set()).add(digest)
            elif dest == "config_settings":
                if "=" not in value:
                    raise loc.error("`%s` takes KEY=VALUE, not `%s`" % (spelled, value))
                extra.append((spelled, _req_expand_env(value, loc)))
            elif dest == "global_option":
                extra.append((spelled, _req_expand_env(value, loc)))
            else:
                raise loc.error("option `%s` cannot follow a requirement; put it on a line "
                                "of its own" % spelled)
        requirement, verbatim = _req_from_text(req_text, base_dir, loc)
        entry = RequirementEntry(
            requirement, hashes={a: frozenset(d) for a, d in hashes.items()}, file=loc.file,
            line=loc.line, text=loc.text, verbatim=verbatim, source=_req_source_label(kind, loc.file),
            options=extra)
        self._add(entry, kind, loc)

    def _editable_line(self, loc, options, base_dir, kind):
        if len(options) != 1:
            others = [s for d, _, s in options if d != "editable"] or ["-e"]
            raise loc.error("`-e` must be alone on its line, without `%s`" % others[0])
        requirement, verbatim = _req_parse_editable(options[0][1], base_dir, loc)
        entry = RequirementEntry(requirement, editable=True, file=loc.file, line=loc.line,
                                 text=loc.text, verbatim=verbatim,
                                 source=_req_source_label(kind, loc.file))
        self._add(entry, kind, loc)

    def _add(self, entry, kind, loc):
        if kind == "requirement":
            self.sources.requirements.append(entry)
            return
        what = "constraints" if kind == "constraint" else "overrides"
        if entry.editable:
            raise loc.error("editable requirements are not allowed as %s" % what)
        if entry.name is None:
            raise loc.error("unnamed requirements are not allowed as %s" % what,
                            hint="name it: `name @ %s`" % (entry.verbatim or entry.url))
        (self.sources.constraints if kind == "constraint" else self.sources.overrides).append(entry)

    def _option(self, loc, dest, value, spelled, base_dir, kind, stack):
        s = self.sources
        if dest in ("requirement", "constraint"):
            nested_kind = kind if kind != "requirement" else dest
            value = _req_expand_env(value, loc)
            path = value
            if not _req_has_scheme(value):
                path = os.path.join(base_dir, value)
            elif value.lower().startswith("file:"):
                path = _req_file_url_to_path(value, base_dir)
            return _req_nested_display(loc.file, value), nested_kind, path, stack, loc
        elif dest in _PER_REQUIREMENT_OPTIONS:
            raise loc.error("option `%s` must follow a requirement on the same line" % spelled,
                            hint="is a `\\` missing at the end of the line before?")
        elif dest == "index_url":
            s.index_url = _req_expand_env(value, loc)
        elif dest == "extra_index_url":
            s._add_unique("extra_index_urls", _req_expand_env(value, loc))
        elif dest == "no_index":
            s.no_index = True
        elif dest == "find_links":
            value = _req_expand_env(value, loc)
            if not _req_has_scheme(value):
                value = os.path.normpath(os.path.join(base_dir, value))
            s._add_unique("find_links", value)
        elif dest in ("no_binary", "only_binary"):
            _req_format_control(_req_expand_env(value, loc), dest, s, loc)
        elif dest in ("prefer_binary", "require_hashes", "pre"):
            setattr(s, dest, True)
        elif dest == "trusted_host":
            s._add_unique("trusted_hosts", _req_expand_env(value, loc))
        elif dest == "use_feature":
            warn_user("%s:%s: `--use-feature=%s` is ignored" % (loc.file, loc.line, value))


def _req_source_label(kind: "str", display: "str | None") -> "str | None":
    if display is None:
        return None
    return {"requirement": "-r", "constraint": "-c", "override": "--override"}[kind] + " " + display


def _req_nested_display(parent_display: "str", value: "str") -> "str":
    """How to name an included file: relative to the including file's folder,
    as the user would write it from the working directory."""
    if _req_has_scheme(value) or os.path.isabs(value):
        return value
    if parent_display == "-":
        return os.path.normpath(value)
    if _req_has_scheme(parent_display):
        parent_display = _req_file_url_to_path(parent_display)
    return os.path.normpath(os.path.join(os.path.dirname(parent_display), value))


def _req_parse_hash(value: "str", loc: "_ReqLoc"):
    """``alg:hexdigest`` of ``--hash`` -> (alg, lower-case digest)."""
    alg, sep, digest = value.partition(":")
    if not sep or not digest:
        raise loc.error("`--hash` takes a hash name and a value, like "
                        "--hash=sha256:abcde..., not `%s`" % value)
    alg = alg.lower()
    if alg not in _HASH_LENGTHS:
        raise loc.error("unsupported hash algorithm `%s` in --hash; allowed: sha256, sha384, "
                        "sha512" % alg)
    if len(digest) != _HASH_LENGTHS[alg] or not _lazy_re(r"[0-9a-fA-F]+\Z").match(digest):
        raise loc.error("invalid %s digest `%s`: expected %d hexadecimal characters"
                        % (alg, digest, _HASH_LENGTHS[alg]))
    return alg, digest.lower()


def _req_format_control(value: "str", dest: "str", s: "Sources", loc: "_ReqLoc") -> "None":
    """pip's handle_mutual_excludes: names go into one set and out of the other;
    ``:all:`` empties both and stands alone; ``:none:`` empties the target."""
    target = s.no_binary if dest == "no_binary" else s.only_binary
    other = s.only_binary if dest == "no_binary" else s.no_binary
    new = value.split(",")
    while ":all:" in new:
        other.clear()
        target.clear()
        target.add(":all:")
        del new[:new.index(":all:") + 1]
        if ":none:" not in new:
            return
    for name in new:
        if name == ":none:":
            target.clear()
            continue
        if not _req_is_name(name):
            raise loc.error("invalid project name `%s` in --%s" % (name, dest.replace("_", "-")))
        name = canonicalize_name(name)
        other.discard(name)
        target.add(name)


# ---- one requirement ---------------------------------------------------------

def _req_is_name(name: "str") -> "bool":
    return bool(_lazy_re(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\Z").match(name))


def _req_has_scheme(text: "str") -> "bool":
    """True for ``scheme:...`` with a scheme longer than a Windows drive letter."""
    return bool(_lazy_re(r"[A-Za-z][A-Za-z0-9+.-]+:").match(text))


def _req_is_url(text: "str") -> "bool":
    """True for what pip's is_url accepts: http(s)/file/ftp and VCS URLs."""
    m = _lazy_re(r"([A-Za-z][A-Za-z0-9+.-]+):").match(text)
    if not m:
        return False
    scheme = m.group(1).lower()
    return scheme in _URL_SCHEMES or scheme.split("+", 1)[0] in _VCS_NAMES


def _req_is_archive(path: "str") -> "bool":
    return path.lower().endswith(_ARCHIVE_EXTENSIONS)


def _req_path_to_url(path: "str") -> "str":
    import pathlib
    return pathlib.PurePath(path).as_uri()


def _req_file_url_to_path(url: "str", base_dir: "str | None" = None) -> "str":
    """The local path of a ``file:`` URL (fragment dropped); a relative one
    (``file:./x``, as pip accepts) is taken relative to ``base_dir``."""
    import urllib.parse
    import urllib.request
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise InputError("file URL `%s` names a remote host" % url)
    path = urllib.request.url2pathname(parts.path)
    if base_dir is not None and not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    return os.path.normpath(path) if path else path


def _req_split_marker(text: "str", url_like: "bool"):
    """(text, marker text or None). After a URL the ``;`` must touch whitespace
    (URLs may contain ``;``), as PEP 508 and pip's ``"; "`` separator require."""
    if url_like:
        m = _lazy_re(r"\s;|;\s").search(text)
        if m is None:
            return text.strip(), None
        return text[:m.start()].strip(), text[m.end():].strip() or None
    head, sep, marker = text.partition(";")
    return head.strip(), (marker.strip() or None) if sep else None


def _req_split_extras(text: "str", loc: "_ReqLoc"):
    """(text, extras tuple) for a trailing ``[a,b]`` (pip's _strip_extras)."""
    m = _lazy_re(r"^(.+?)\[([^\[\]]*)\]$").match(text)
    if m is None:
        return text, ()
    extras = tuple(e.strip() for e in m.group(2).split(",") if e.strip())
    for e in extras:
        if not _req_is_name(e):
            raise loc.error("invalid extra name `%s`" % e)
    return m.group(1), extras


def _req_marker(text, loc: "_ReqLoc"):
    if text is None:
        return None
    try:
        return _req_check_marker(Marker(text), loc)
    except InvalidMarker as e:
        raise loc.error("invalid marker `%s`: %s" % (text, _req_reason(e))) from None


def _req_check_marker(marker, loc: "_ReqLoc"):
    """Refuse a comparison of two quoted strings (``"a" in "abc"``): PEP 508
    parses it, but evaluating it looks the right side up as a variable and
    fails far from the line that holds it (packaging raises for it too)."""
    if marker is None:
        return None
    work = list(marker._markers)
    while work:
        item = work.pop()
        if isinstance(item, list):
            work.extend(item)
        elif isinstance(item, tuple) and isinstance(item[0], _MVal) and isinstance(item[2], _MVal):
            raise loc.error("the marker compares two quoted strings (`%s %s %s`): one side must "
                            "be a marker variable such as python_version or sys_platform"
                            % (item[0].serialize(), item[1], item[2].serialize()))
    return marker


def _req_reason(e: "Exception") -> "str":
    """The message of a section-2 error, first line only."""
    return (getattr(e, "message", None) or str(e)).splitlines()[0]


def _req_named(name: "str", extras, url: "str", marker_text, loc: "_ReqLoc"):
    """A Requirement for ``name[extras] @ url ; marker``."""
    text = name + ("[%s]" % ",".join(extras) if extras else "") + " @ " + url
    if marker_text:
        text += " ; " + marker_text
    try:
        req = Requirement(text)
    except InvalidRequirement as e:
        raise loc.error("invalid requirement: %s" % _req_reason(e)) from None
    _req_check_marker(req.marker, loc)
    return req


def _req_url_fragment(url: "str") -> "dict":
    """The ``key=value`` pairs of a URL's fragment (``egg``, ``subdirectory``, hashes)."""
    frag = url.partition("#")[2]
    out = {}
    for part in frag.split("&"):
        k, sep, v = part.partition("=")
        if sep:
            out[k] = v
    return out


def _req_from_text(raw: "str", base_dir: "str", loc: "_ReqLoc"):
    """One requirement as written in a file or on the command line ->
    (Requirement or UnnamedRequirement, verbatim URL/path or None).

    The forms, in pip's order: ``name @ url-or-path``; a URL (http, https,
    file, ftp, VCS); a path or file name of a wheel, sdist or project
    directory; otherwise a PEP 508 string. ``${VAR}`` is expanded in the parts,
    while the verbatim text keeps it (so secrets stay out of outputs)."""
    m = _lazy_re(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@(?!@)\s*(.*)$", re.S).match(raw)
    if m and not _req_is_url(raw):
        return _req_parse_name_at(m, base_dir, loc)
    if _req_is_url(raw):
        return _req_parse_url(raw, base_dir, loc)
    head = raw.partition(";")[0].strip()
    head_no_extras = _lazy_re(r"\[[^\]]*\]$").sub("", head)
    if (os.sep in head or "/" in head or head.startswith(".")
            or _req_is_archive(head_no_extras)):
        return _req_parse_path(raw, base_dir, loc)
    return _req_pep508(_req_expand_env(raw, loc), loc), None


def _req_pep508(text: "str", loc: "_ReqLoc"):
    try:
        req = Requirement(text)
        _req_check_marker(req.marker, loc)
        return req
    except InvalidRequirement as e:
        bad = _req_bad_version(text)
        if bad is not None:
            raise loc.error("invalid requirement: `%s` is not a valid version (PEP 440)"
                            % bad) from None
        hint = None
        if "=" in text and not _lazy_re(r"===|==|!=|~=|<=|>=|<|>").search(text):
            hint = "= is not a valid operator. Did you mean == ?"
        raise loc.error("invalid requirement: %s" % _req_reason(e), hint=hint, cause=e) from None


def _req_bad_version(text: "str"):
    """The first version after a comparison operator that is not PEP 440, if
    any: the parser's own message ("Expected comma...") hides the real problem."""
    head = text.partition(";")[0]
    for m in _lazy_re(r"(===|==|!=|~=|<=|>=|<|>)\s*([^,;\s\)]+)").finditer(head):
        op, version = m.groups()
        if op == "===":
            continue
        if op in ("==", "!=") and version.endswith(".*"):
            version = version[:-2]
        try:
            Version(version)
        except InvalidVersion:
            return version
    return None


def _req_parse_name_at(m, base_dir: "str", loc: "_ReqLoc"):
    """``name[extras] @ url ; marker`` (relative paths allowed, as uv does)."""
    name, extras_text, rest = m.group(1), m.group(2), m.group(3)
    url_raw, marker_text = _req_split_marker(rest, url_like=True)
    if not url_raw:
        raise loc.error("invalid requirement: expected a URL or path after `@`")
    extras = ()
    if extras_text:
        _, extras = _req_split_extras("x" + extras_text, loc)
    url = _req_expand_env(url_raw, loc)
    if not _req_has_scheme(url):
        path = os.path.normpath(os.path.join(base_dir, url))
        if not os.path.exists(path):
            raise loc.error("path does not exist: `%s`" % url_raw)
        url = _req_path_to_url(path)
    elif url.lower().startswith("file:"):
        url = _req_normalize_file_url(url, url_raw, base_dir, loc)
    marker_text = _req_expand_env(marker_text, loc) if marker_text else None
    return _req_named(name, extras, url, marker_text, loc), url_raw


def _req_normalize_file_url(url: "str", url_raw: "str", base_dir: "str", loc: "_ReqLoc") -> "str":
    """A ``file:`` URL made absolute (relative ones are against ``base_dir``);
    the fragment is kept. The file must exist."""
    try:
        path = _req_file_url_to_path(url, base_dir)
    except InputError as e:
        raise loc.error(e.reason) from None
    if not os.path.exists(path):
        raise loc.error("path does not exist: `%s`" % url_raw)
    frag = url.partition("#")[2]
    return _req_path_to_url(path) + ("#" + frag if frag else "")


def _req_parse_url(raw: "str", base_dir: "str", loc: "_ReqLoc"):
    """A bare URL: a wheel names itself; otherwise ``#egg=name`` names it, or it
    stays unnamed until built."""
    import urllib.parse
    text, marker_text = _req_split_marker(raw, url_like=True)
    url_raw, extras = _req_split_extras(text, loc)
    if extras and not urllib.parse.urlsplit(url_raw).path.strip("/"):
        url_raw, extras = text, ()  # `http://[::1]`: brackets of a host, not extras
    url = _req_expand_env(url_raw, loc)
    if url.lower().startswith("file:"):
        url = _req_normalize_file_url(url, url_raw, base_dir, loc)
        path = _req_file_url_to_path(url)
        if os.path.isdir(path):
            _req_check_project_dir(path, url_raw, loc)
    marker_text = _req_expand_env(marker_text, loc) if marker_text else None
    name = _req_name_from_url(url, loc)
    if name is not None:
        return _req_named(name, extras, url, marker_text, loc), url_raw
    return UnnamedRequirement(url, extras, _req_marker(marker_text, loc)), url_raw


def _req_name_from_url(url: "str", loc: "_ReqLoc"):
    """The project name a URL gives: its wheel filename, else ``#egg=``."""
    import urllib.parse
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    filename = path.rstrip("/").rpartition("/")[2]
    if filename.endswith(".whl") and not _req_is_vcs_url(url):
        try:
            return parse_wheel_filename(filename)[0]
        except InvalidWheelFilename as e:
            raise loc.error("invalid wheel filename `%s`: %s" % (filename, _req_reason(e))) from None
    egg = _req_url_fragment(url).get("egg")
    if egg is not None:
        if not _req_is_name(egg):
            raise loc.error("invalid `#egg=` fragment: `%s` is not a project name" % egg)
        return egg
    return None


def _req_is_vcs_url(url: "str") -> "bool":
    return url.partition(":")[0].lower().split("+", 1)[0] in _VCS_NAMES


def _req_check_project_dir(path: "str", shown: "str", loc: "_ReqLoc") -> "None":
    if not (os.path.isfile(os.path.join(path, "pyproject.toml"))
            or os.path.isfile(os.path.join(path, "setup.py"))):
        raise loc.error("directory `%s` is not installable: it has neither "
                        "pyproject.toml nor setup.py" % shown)


def _req_parse_path(raw: "str", base_dir: "str", loc: "_ReqLoc"):
    """A local wheel, sdist or project directory (``./pkg[extra] ; marker``).
    Relative paths are relative to the file's folder (uv's rule; pip uses the
    working directory)."""
    text, marker_text = _req_split_marker(raw, url_like=False)
    path_raw, extras = _req_split_extras(text, loc)
    path = os.path.normpath(os.path.join(base_dir, _req_expand_env(path_raw, loc)))
    marker_text = _req_expand_env(marker_text, loc) if marker_text else None
    if os.path.isdir(path):
        _req_check_project_dir(path, path_raw, loc)
        return UnnamedRequirement(_req_path_to_url(path), extras, _req_marker(marker_text, loc)), path_raw
    if not os.path.exists(path):
        raise loc.error("path does not exist: `%s`" % path_raw)
    if not _req_is_archive(path):
        hint = None
        if path.endswith((".txt", ".in")):
            hint = "to include a requirements file, write `-r %s`" % path_raw
        raise loc.error("`%s` is not a wheel, a source archive or a project directory"
                        % path_raw, hint=hint)
    url = _req_path_to_url(path)
    name = _req_name_from_url(url, loc)
    if name is not None:
        return _req_named(name, extras, url, marker_text, loc), path_raw
    return UnnamedRequirement(url, extras, _req_marker(marker_text, loc)), path_raw


def _req_parse_editable(raw: "str", base_dir: "str", loc: "_ReqLoc"):
    """The value of ``-e``: a local project directory (``./pkg[extra]``, a
    ``file:`` URL, ``name @ ./pkg``) or a VCS URL with ``#egg=name``, as pip
    accepts. -> (Requirement or UnnamedRequirement, verbatim)."""
    name = None
    m = _lazy_re(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*(.*)$", re.S).match(raw)
    if m and not _req_is_url(raw):
        name, raw = m.group(1), m.group(2)
    text, marker_text = _req_split_marker(raw, url_like=True)
    target_raw, extras = _req_split_extras(text, loc)
    target = _req_expand_env(target_raw, loc)
    marker_text = _req_expand_env(marker_text, loc) if marker_text else None
    if _req_is_url(target) and not target.lower().startswith("file:"):
        if not _req_is_vcs_url(target):
            raise loc.error("`%s` is not a valid editable requirement: it should be a path "
                            "to a local project or a VCS URL (git+, hg+, svn+, bzr+)" % target_raw)
        name = name or _req_url_fragment(target).get("egg")
        if not name:
            raise loc.error("cannot tell the project name of `%s`" % target_raw,
                            hint="add `#egg=name` to the URL")
        return _req_named(name, extras, target, marker_text, loc), target_raw
    if target.lower().startswith("file:"):
        try:
            path = _req_file_url_to_path(target, base_dir)
        except InputError as e:
            raise loc.error(e.reason) from None
    else:
        path = os.path.normpath(os.path.join(base_dir, target))
    if not os.path.isdir(path):
        raise loc.error("`%s` is not a valid editable requirement: %s" % (
            target_raw, "it is not a directory" if os.path.exists(path) else "no such directory"))
    _req_check_project_dir(path, target_raw, loc)
    url = _req_path_to_url(path)
    if name:
        return _req_named(name, extras, url, marker_text, loc), target_raw
    return UnnamedRequirement(url, extras, _req_marker(marker_text, loc)), target_raw


def parse_requirement_args(args=(), *, editables=(), cwd: "str | None" = None,
                           file_hint: "bool" = True) -> "list":
    """Requirements given on the command line (``pip-install 'flask>=2' ./dir``
    and ``-e ./dir``) -> list of RequirementEntry (file None). Paths are
    relative to ``cwd`` (default: the working directory). InputError (with the
    argument as text) when one is malformed."""
    base = os.path.abspath(cwd or os.getcwd())
    out = []
    for arg in args:
        loc = _ReqLoc(None, None, arg)
        if file_hint and arg.strip().lower().endswith((".txt", ".in")) and \
                os.path.isfile(os.path.join(base, arg.strip())):
            # uv's hint: a requirements file given as a package name
            raise InputError("`%s` is a requirements file, not a package" % arg.strip(),
                             hint="to install what it lists, pass it with -r: -r %s" % arg.strip())
        req, verbatim = _req_from_text(arg.strip(), base, loc)
        out.append(RequirementEntry(req, text=arg, verbatim=verbatim))
    for arg in editables:
        loc = _ReqLoc(None, None, arg)
        req, verbatim = _req_parse_editable(arg.strip(), base, loc)
        out.append(RequirementEntry(req, editable=True, text=arg, verbatim=verbatim))
    return out


# ---- pyproject.toml ----------------------------------------------------------

class PyProject(Value):
    """The static requirement data of one pyproject.toml.

    ``name``: [project] name or None; ``dependencies``: list of raw strings, or
    None when [project] is absent or lists them as dynamic;
    ``optional``: dict normalized extra -> list of raw strings (None when
    dynamic); ``groups``: dict normalized group -> list of raw strings and
    ``{"include-group": name}`` tables; ``display``: the path as named;
    ``text``: the file's text (for line numbers in messages);
    ``requires_python``: [project] requires-python text or None."""

    __slots__ = ("display", "path", "name", "dependencies", "optional", "groups",
                 "has_project", "text", "requires_python")


def read_pyproject(display: "str", path: "str | None" = None) -> "PyProject":
    """Read the pyproject.toml named ``display`` in messages, at ``path``
    (default: ``display``), into a PyProject; InputError for bad TOML or a
    malformed table (``file:line: message``)."""
    path = os.path.abspath(display if path is None else path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError("file not found: `%s`" % display) from None
    except OSError as e:
        raise InputError("cannot read `%s`: %s" % (display, e.strerror or e)) from None
    text = _req_decode(data, display)
    return _pyproject_from_text(text, display, path)


def _toml_document(text: "str", display: "str") -> "dict":
    """A TOML file's table; InputError showing the line that does not parse."""
    try:
        return toml_loads(text, filename=display)
    except InputError as e:
        lines = text.splitlines()
        shown = lines[e.line - 1] if e.line and 0 < e.line <= len(lines) else None
        raise InputError(e.reason, file=display, line=e.line, text=shown) from None


def _pyproject_from_text(text: "str", display: "str", path: "str") -> "PyProject":
    doc = _toml_document(text, display)
    pp = PyProject.__new__(PyProject)
    pp.display, pp.path, pp.text = display, path, text
    project = doc.get("project")
    pp.has_project = isinstance(project, dict)
    project = project if isinstance(project, dict) else {}
    dynamic = project.get("dynamic") or []
    pp.name = project.get("name")
    rp = project.get("requires-python")
    pp.requires_python = rp if isinstance(rp, str) else None
    if pp.name is not None and not (isinstance(pp.name, str) and _req_is_name(pp.name)):
        raise _req_toml_error(pp, "`project.name` must be a valid project name", "name")
    if not pp.has_project or "dependencies" in dynamic:
        pp.dependencies = None
    else:
        pp.dependencies = _req_string_list(pp, project.get("dependencies", []), "project.dependencies")
    if "optional-dependencies" in dynamic:
        pp.optional = None
    else:
        pp.optional = {}
        table = project.get("optional-dependencies", {})
        if not isinstance(table, dict):
            raise _req_toml_error(pp, "`project.optional-dependencies` must be a table",
                              "optional-dependencies")
        for extra, reqs in table.items():
            if not _req_is_name(extra):
                raise _req_toml_error(pp, "invalid extra name `%s`" % extra, extra)
            pp.optional[canonicalize_name(extra)] = _req_string_list(
                pp, reqs, "project.optional-dependencies.%s" % extra)
    pp.groups = _dependency_groups_table(pp, doc.get("dependency-groups", {}))
    return pp


def _req_toml_line(text: "str", needle: "str"):
    """The number of the first line holding ``needle`` (quoted when it looks like
    a value), for messages about TOML values; None when not found."""
    for quoted in ('"%s"' % needle, "'%s'" % needle, needle):
        for number, line in enumerate(text.splitlines(), start=1):
            if quoted in line:
                return number
    return None


def _req_toml_error(pp: "PyProject", message: "str", needle: "str", hint=None) -> "InputError":
    line = _req_toml_line(pp.text, needle)
    shown = pp.text.splitlines()[line - 1].strip() if line else None
    return InputError(message, file=pp.display, line=line, text=shown, hint=hint)


def _req_string_list(pp: "PyProject", value, where: "str") -> "list":
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _req_toml_error(pp, "`%s` must be a list of strings" % where, where.rpartition(".")[2])
    return list(value)


def _dependency_groups_table(pp: "PyProject", table) -> "dict":
    """[dependency-groups] with PEP 735's checks: names normalized and unique."""
    if not isinstance(table, dict):
        raise _req_toml_error(pp, "`dependency-groups` must be a table", "dependency-groups")
    groups = {}
    for name, items in table.items():
        if not _req_is_name(name):
            raise _req_toml_error(pp, "invalid dependency group name `%s`" % name, name)
        key = canonicalize_name(name)
        if key in groups:
            raise _req_toml_error(pp, "dependency group `%s` is defined twice (names are "
                              "compared normalized)" % name, name)
        if not isinstance(items, list):
            raise _req_toml_error(pp, "dependency group `%s` must be a list" % name, name)
        for item in items:
            if isinstance(item, dict):
                if set(item) != {"include-group"} or not isinstance(item["include-group"], str):
                    raise _req_toml_error(pp, "invalid item in dependency group `%s`: tables may "
                                      "only have an `include-group` string" % name, name)
            elif not isinstance(item, str):
                raise _req_toml_error(pp, "invalid item in dependency group `%s`: %r" % (name, item),
                                  name)
        groups[key] = items
    return groups


def pyproject_requirements(pp: "PyProject", *, extras=(), all_extras: "bool" = False,
                           groups=(), check_extras: "bool" = True) -> "list":
    """The RequirementEntry list a pyproject.toml contributes: [project]
    dependencies, the ``optional-dependencies`` of ``extras`` (all with
    ``all_extras``) and the dependency ``groups``. Self-references
    (``name[extra]`` of the project itself) are expanded here.

    SourceNeedsBuildError when the dependencies are dynamic or [project] is missing
    (unless only groups are asked of a file without [project] and
    [build-system]); InputError for an unknown extra (when ``check_extras``)
    or group, naming the ones there are."""
    if pp.dependencies is None and not (groups and not pp.has_project):
        raise SourceNeedsBuildError(
            "the dependencies of `%s` are %s; reading them needs a build, which is not "
            "supported yet" % (pp.display, "dynamic" if pp.has_project else
                               "not declared in a [project] table"),
            file=pp.display, path=os.path.dirname(pp.path))
    wanted = _selected_extras(pp, extras, all_extras, check_extras)
    label = "%s (%s)" % (pp.name, pp.display) if pp.name else pp.display
    out = []
    for raw in pp.dependencies or []:
        out.extend(_pyproject_entries(pp, raw, label, None, ()))
    for extra in wanted:
        for raw in pp.optional.get(extra, []):
            out.extend(_pyproject_entries(pp, raw, label, None, ()))
    for group in groups:
        for raw in resolve_dependency_group(pp, group):
            glabel = "%s (%s:%s)" % (pp.name, pp.display, canonicalize_name(group)) \
                if pp.name else "%s:%s" % (pp.display, canonicalize_name(group))
            out.extend(_pyproject_entries(pp, raw, glabel, None, ()))
    return out


def _selected_extras(pp: "PyProject", extras, all_extras: "bool", check: "bool") -> "list":
    if not extras and not all_extras:
        return []
    if pp.optional is None:
        raise SourceNeedsBuildError("the optional dependencies of `%s` are dynamic; reading them "
                              "needs a build, which is not supported yet" % pp.display,
                              file=pp.display, path=os.path.dirname(pp.path))
    if all_extras:
        return sorted(pp.optional)
    wanted = []
    for extra in extras:
        key = canonicalize_name(extra)
        if key not in pp.optional:
            if check:
                raise InputError(_req_unknown("extra", extra, pp.optional), file=pp.display)
            continue
        if key not in wanted:
            wanted.append(key)
    return wanted


def _req_unknown(what: "str", name: "str", available) -> "str":
    names = sorted(available)
    return "unknown %s `%s`; %s" % (what, name, "available: %s" % ", ".join(names) if names
                                    else "there are none")


def resolve_dependency_group(pp: "PyProject", group: "str", _stack=()) -> "list":
    """The requirement strings of dependency ``group`` with its
    ``include-group``s expanded (PEP 735); InputError for an unknown group or a
    cycle."""
    key = canonicalize_name(group)
    if key not in pp.groups:
        if _stack:
            raise _req_toml_error(pp, "dependency group `%s` includes unknown group `%s`"
                              % (_stack[-1], group), group)
        raise InputError(_req_unknown("dependency group", group, pp.groups), file=pp.display)
    if key in _stack:
        chain = " -> ".join(list(_stack[_stack.index(key):]) + [key])
        raise _req_toml_error(pp, "dependency groups include each other in a cycle: %s" % chain,
                          group)
    out = []
    for item in pp.groups[key]:
        if isinstance(item, dict):
            out.extend(resolve_dependency_group(pp, item["include-group"], _stack + (key,)))
        else:
            out.append(item)
    return out


def _pyproject_entries(pp: "PyProject", raw: "str", label: "str", marker_text, seen: "tuple") -> "list":
    """Entries for one dependency string; a self-reference ``name[extra]`` is
    replaced by that extra's dependencies (its marker joined to theirs)."""
    line = _req_toml_line(pp.text, raw)
    loc = _ReqLoc(pp.display, line, raw)
    base = os.path.dirname(pp.path)
    req, verbatim = _req_from_text(raw, base, loc)
    if marker_text is not None:
        req = _req_with_marker(req, marker_text, loc)
    if pp.name and req.name and canonicalize_name(req.name) == canonicalize_name(pp.name) \
            and req.url is None and pp.optional is not None:
        # "my-project[a]" inside my-project: uv and pip expand it to extra a.
        out = []
        joined = str(req.marker) if req.marker is not None else None
        for extra in sorted(canonicalize_name(e) for e in req.extras):
            if extra in seen:
                continue
            if extra not in pp.optional:
                raise loc.error(_req_unknown("extra", extra, pp.optional))
            for sub in pp.optional[extra]:
                out.extend(_pyproject_entries(pp, sub, label, joined, seen + (extra,)))
        return out
    return [RequirementEntry(req, file=pp.display, line=line, text=raw, verbatim=verbatim,
                             source=label)]


def _req_with_marker(req, marker_text: "str", loc: "_ReqLoc"):
    """``req`` with ``(its marker) and (marker_text)``."""
    combined = marker_text if req.marker is None else "(%s) and (%s)" % (req.marker, marker_text)
    if isinstance(req, UnnamedRequirement):
        return UnnamedRequirement(req.url, req.extras, _req_marker(combined, loc))
    text = str(req).partition(";")[0].rstrip() if req.marker is not None else str(req)
    try:
        return Requirement("%s ; %s" % (text, combined))
    except InvalidRequirement as e:
        raise loc.error("invalid requirement: %s" % _req_reason(e)) from None


# ---- pylock.toml (PEP 751) ---------------------------------------------------

def read_pylock(display: "str", path: "str | None" = None, *, sources: "Sources | None" = None) -> "Sources":
    """Read a PEP 751 lock into ``sources`` as exact requirements: a registry
    package becomes ``name==version`` with the hashes of all its files (its
    ``index`` joins the extra index URLs, folders of local files join
    find-links); ``archive``, ``vcs`` and ``directory`` packages become
    ``name @ url`` (a directory may be editable). Package markers are kept.

    The file-level ``extras``/``dependency-groups`` selections and
    ``environments`` are not applied; InputError for an unknown major
    ``lock-version`` or a malformed package."""
    s = Sources() if sources is None else sources
    path = os.path.abspath(display if path is None else path)
    try:
        with open(path, "rb") as f:
            text = _req_decode(f.read(), display)
    except FileNotFoundError:
        raise InputError("file not found: `%s`" % display) from None
    doc = _toml_document(text, display)
    pp = PyProject.__new__(PyProject)  # only for _req_toml_error's text lookups
    pp.display, pp.path, pp.text = display, path, text
    version = str(doc.get("lock-version", ""))
    if version.partition(".")[0] != "1":
        raise _req_toml_error(pp, "unsupported lock-version `%s` (this reader knows 1.x)"
                              % version, "lock-version")
    packages = doc.get("packages")
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise _req_toml_error(pp, "`packages` must be an array of tables", "packages")
    s.files.append(display)
    for package in packages:
        s.requirements.append(_req_pylock_entry(pp, package, s))
    if packages and all(_pylock_is_local(p) for p in packages):
        # every file is beside the lock (a wheelhouse's, written by pip-download):
        # nothing here comes from an index, so none is asked, as with `--no-index`
        s.no_index = True
    return s


def _pylock_is_local(package: "dict") -> "bool":
    """A lock entry whose files are all given by ``path``, naming no index."""
    if package.get("index"):
        return False
    tables = list(package.get("wheels") or []) + [package.get(k) for k in ("sdist", "archive", "directory")]
    tables = [t for t in tables if isinstance(t, dict)]
    return bool(tables) and all(t.get("path") and not t.get("url") for t in tables)


def _req_pylock_entry(pp, package: "dict", s: "Sources") -> "RequirementEntry":
    name = package.get("name")
    if not isinstance(name, str) or not _req_is_name(name):
        raise _req_toml_error(pp, "a package needs a valid `name`", "[[packages]]")
    line = _req_toml_line(pp.text, name)
    loc = _ReqLoc(pp.display, line, 'name = "%s"' % name)
    base = os.path.dirname(pp.path)
    marker = package.get("marker")
    hashes = {}
    editable = False

    def add_hashes(table):
        for alg, digest in (table or {}).items():
            if alg in _HASH_LENGTHS and isinstance(digest, str):
                hashes.setdefault(alg, set()).add(digest.lower())

    def location(table):
        if table.get("url"):
            return table["url"]
        if table.get("path"):
            return _req_path_to_url(os.path.normpath(os.path.join(base, table["path"])))
        raise loc.error("package `%s` names no `url` or `path`" % name)

    if isinstance(package.get("vcs"), dict):
        vcs = package["vcs"]
        if not vcs.get("commit-id"):
            raise loc.error("package `%s`: `vcs` needs a `commit-id`" % name)
        url = "%s+%s@%s" % (vcs.get("type", "git"), location(vcs), vcs["commit-id"])
        if vcs.get("subdirectory"):
            url += "#subdirectory=" + vcs["subdirectory"]
        req = _req_named(name, (), url, marker, loc)
    elif isinstance(package.get("directory"), dict):
        directory = package["directory"]
        url = location(directory)
        if directory.get("subdirectory"):
            url += "#subdirectory=" + directory["subdirectory"]
        editable = bool(directory.get("editable"))
        req = _req_named(name, (), url, marker, loc)
    elif isinstance(package.get("archive"), dict):
        archive = package["archive"]
        add_hashes(archive.get("hashes"))
        req = _req_named(name, (), location(archive), marker, loc)
    else:
        version = package.get("version")
        if not isinstance(version, str):
            raise loc.error("package `%s` needs a `version` (or vcs, directory, archive)" % name)
        files = list(package.get("wheels") or []) + ([package["sdist"]] if package.get("sdist") else [])
        for f in files:
            add_hashes(f.get("hashes"))
            if not f.get("url") and f.get("path"):
                folder = os.path.dirname(os.path.normpath(os.path.join(base, f["path"])))
                s._add_unique("find_links", folder)
        if package.get("index") and package["index"].rstrip("/") != DEFAULT_INDEX_URL:
            s._add_unique("extra_index_urls", package["index"])
        req = _req_pep508("%s==%s%s" % (name, version, " ; " + marker if marker else ""), loc)
    return RequirementEntry(req, editable=editable,
                            hashes={a: frozenset(d) for a, d in hashes.items()},
                            file=pp.display, line=line, text=loc.text,
                            source="-r " + pp.display)


# ---- all sources together ----------------------------------------------------

def source_kind(path: "str") -> "str":
    """What a source file is, by name: "pyproject", "pylock", "setup" or
    "requirements" (anything else is read as a requirements file, as pip does)."""
    base = os.path.basename(path)
    if base in ("setup.py", "setup.cfg"):
        return "setup"
    if base == "pylock.toml" or (base.startswith("pylock.") and base.endswith(".toml")):
        return "pylock"
    if base.endswith(".toml"):
        return "pyproject"
    return "requirements"


def read_sources(paths=(), *, constraints=(), overrides=(), extras=(), all_extras=False, file_hint=True,
                 groups=(), stdin: "str | None" = None, requirements=(), editables=(),
                 cwd: "str | None" = None) -> "Sources":
    """Read and merge every requirement source of a command, in order.

    ``paths``: requirements files, pyproject.toml files, setup.py/setup.cfg
    (SourceNeedsBuildError) and ``-`` (the text ``stdin``); ``constraints`` and
    ``overrides``: requirements files (or ``-``) whose entries constrain or
    override; ``extras``/``all_extras``/``groups``: applied to the
    pyproject.toml sources (UsageError without one; an extra must exist in at
    least one of them); ``requirements``/``editables``: command-line
    requirement strings. Paths are relative to ``cwd`` (default: the working
    directory) and named in messages as given."""
    cwd = os.path.abspath(cwd or os.getcwd())
    s = Sources()
    pyprojects = []
    for path in paths:
        if path == "-":
            _req_read_stdin(s, stdin, cwd, "requirement")
            continue
        display = path
        full = os.path.join(cwd, path)
        kind = source_kind(path)
        if kind == "setup":
            raise SourceNeedsBuildError("reading the requirements of `%s` needs a build, which "
                                        "is not supported yet" % display, file=display,
                                        path=os.path.dirname(os.path.abspath(full)))
        if kind == "pylock":
            read_pylock(display, _req_relative_to(display, cwd), sources=s)
            continue
        if kind == "pyproject":
            pp = read_pyproject(display, _req_relative_to(display, cwd))
            pyprojects.append((len(s.requirements), pp))
            if s.requires_python is None:
                s.requires_python = pp.requires_python
            s.files.append(display)
            s.extras[display] = sorted(pp.optional or ())
            s.groups[display] = sorted(pp.groups)
            continue
        _RequirementsReader(s).read_file(display, "requirement", _req_relative_to(display, cwd))
    _apply_pyprojects(s, pyprojects, extras, all_extras, groups)
    for kind, files in (("constraint", constraints), ("override", overrides)):
        for path in files:
            if path == "-":
                _req_read_stdin(s, stdin, cwd, kind)
            else:
                if source_kind(path) != "requirements":
                    raise InputError("%ss must be given in a requirements file, not `%s`"
                                     % (kind, path))
                _RequirementsReader(s).read_file(path, kind, _req_relative_to(path, cwd))
    s.requirements.extend(parse_requirement_args(requirements, editables=editables, cwd=cwd,
                                                 file_hint=file_hint))
    return s


def _req_relative_to(path: "str", cwd: "str") -> "str":
    """``path`` as the reader should open it when the command runs in ``cwd``."""
    if os.path.isabs(path) or _req_has_scheme(path) or cwd == os.path.abspath(os.getcwd()):
        return path
    return os.path.join(cwd, path)


def _req_read_stdin(s: "Sources", stdin, cwd: "str", kind: "str") -> "None":
    if stdin is None:
        raise UsageError("`-` reads requirements from standard input, but none was given")
    _RequirementsReader(s).read_text(stdin, "-", cwd, kind, ())


def _apply_pyprojects(s: "Sources", placed: "list", extras, all_extras, groups) -> "None":
    """Check extras and groups against all pyproject files together, then put
    each file's entries where it stood among the sources: [(index, PyProject)]."""
    pyprojects = [pp for _, pp in placed]
    if (extras or all_extras or groups) and not pyprojects:
        flag = "--extra" if extras else "--all-extras" if all_extras else "--group"
        raise UsageError("`%s` needs a pyproject.toml among the sources" % flag)
    for extra in extras:
        key = canonicalize_name(extra)
        if not any(pp.optional is None or key in pp.optional for pp in pyprojects):
            available = set()
            for pp in pyprojects:
                available.update(pp.optional or ())
            raise InputError(_req_unknown("extra", extra, available),
                             file=pyprojects[0].display if len(pyprojects) == 1 else None)
    for group in groups:
        if not any(canonicalize_name(group) in pp.groups for pp in pyprojects):
            available = set()
            for pp in pyprojects:
                available.update(pp.groups)
            raise InputError(_req_unknown("dependency group", group, available),
                             file=pyprojects[0].display if len(pyprojects) == 1 else None)
    for index, pp in reversed(placed):
        mine = [g for g in groups if canonicalize_name(g) in pp.groups]
        s.requirements[index:index] = pyproject_requirements(
            pp, extras=extras, all_extras=all_extras, groups=mine, check_extras=False)


# =============================================================================
# 7. Wheel install
# =============================================================================
# Owns: one wheel into one environment as pip lays it out (WheelSource/Destination seams,
# RECORD last, rollback and a journal), installed dists, uninstall by RECORD, bytecode.
# Exports: WheelSource, ZipWheelSource, DirWheelSource, extract_wheel, SchemeDestination,
# install_wheel, InstalledDist, read_installed, uninstall, repair_interrupted, compile_installed.

SCHEME_KEYS = ("purelib", "platlib", "headers", "scripts", "data")

# The launcher text pip writes for console_scripts and gui_scripts, kept byte for
# byte: what lands in bin/ must be what pip puts there. It changed with pip's
# releases, so we follow the newest pip that installs into the target Python:
# pip 26 (Python 3.10+), pip 25.3 (3.9, the last for it), pip 25.0 (3.8: distlib's
# template, as in pip 23.x/24.x). See vendor_notes/distlib.md.
_LAUNCHER_TEMPLATES = (   # (pip release, newest pip for Pythons since, template)
    ((26, 0), (3, 10), """import sys
from %(module)s import %(import_name)s
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(%(func)s())
"""),
    ((25, 2), (3, 9), """import sys
from %(module)s import %(import_name)s
if __name__ == '__main__':
    if sys.argv[0].endswith('.exe'):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(%(func)s())
"""),
    ((0, 0), (0, 0), r'''# -*- coding: utf-8 -*-
import re
import sys
from %(module)s import %(import_name)s
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
    sys.exit(%(func)s())
'''),
)


def _launcher_template(python_version=None, pip_version=None) -> "str":
    """The launcher template of pip ``pip_version`` when given, else of the
    newest pip for a target ``(major, minor)`` Python (None: the newest)."""
    for pip_since, python_since, template in _LAUNCHER_TEMPLATES:
        if pip_version is not None:
            if tuple(pip_version[:2]) >= pip_since:
                return template
        elif python_version is None or tuple(python_version[:2]) >= python_since:
            return template
    return _LAUNCHER_TEMPLATES[-1][2]


class WheelMember(Value):
    """One regular file of a wheel: its archive path, whether it is executable
    (the zip's Unix mode, or the unzipped file's mode), and its size in bytes."""

    __slots__ = ("path", "executable", "size")

    def __init__(self, path: "str", executable: "bool", size: "int"):
        self.path = path
        self.executable = executable
        self.size = size


def _make_folder(folder: "str", made: "set") -> "None":
    """mkdir ``folder`` unless ``made`` (folders known to exist) has it. A
    folder whose parent is known is made directly; otherwise a ``stat`` looks
    first: on some filesystems a failing ``mkdir`` costs twenty ``stat``s."""
    if folder in made:
        return
    parent = os.path.dirname(folder)
    if parent not in made:
        if os.path.isdir(folder):
            made.add(folder)
            return
        if parent != folder:
            _make_folder(parent, made)
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise
    made.add(folder)


class _DirMember(WheelMember):
    """A member of an unzipped wheel whose mode and size are read on first use."""

    __slots__ = ("_full", "_stat")

    def __init__(self, path: "str", full: "str"):
        self.path = path
        self._full = full
        self._stat = None

    def _lstat(self):
        if self._stat is None:
            self._stat = os.lstat(self._full)
        return self._stat

    @property
    def executable(self) -> "bool":
        return bool(self._lstat().st_mode & 0o111)

    @property
    def size(self) -> "int":
        return self._lstat().st_size


# ---- sources ------------------------------------------------------------------

class WheelSource:
    """What a wheel contains (the reading seam, as pypa/installer's ``WheelSource``).

    ``filename`` is the wheel's file name (``name-version-tags.whl``), which names
    the project. Implementations are used from one thread at a time.
    """

    filename: "str" = ""

    def members(self) -> "list":
        """Every regular file as a ``WheelMember``, in archive order, directories left
        out. Raises ``UnsafePathError`` for a member that is a symlink pointing out of
        the archive. Cheap to call again (the list is cached)."""
        raise NotImplementedError

    def open(self, path: "str"):
        """A binary stream of the member ``path``'s bytes (the caller closes it).
        Raises ``InstallError`` when the member is missing."""
        raise NotImplementedError

    def read(self, path: "str") -> "bytes":
        """The bytes of member ``path``; ``None`` when there is no such member."""
        raise NotImplementedError

    def local_file(self, path: "str"):
        """A file on disk holding exactly the member's bytes (to hardlink, copy or
        symlink), or ``None`` when the bytes must be read through ``open``."""
        return None

    def close(self) -> "None":
        """Release open files; the source is unusable afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _check_symlink(path: "str", target: "bytes") -> "None":
    """Refuse a symlink member whose target leaves the archive.

    Symlinks are not part of the wheel format; pip writes such a member as a plain
    file holding the link text, and so do we, but a target that points out of the
    archive is the mark of a hostile wheel, so it is refused outright."""
    import posixpath
    text = target.decode("utf-8", "surrogateescape").replace("\\", "/")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), text))
    if text.startswith("/") or _lazy_re(r"^[A-Za-z]:").match(text) or joined == ".." \
            or joined.startswith("../"):
        raise UnsafePathError("refusing the symlink %r -> %r: it points outside the wheel"
                              % (path, text))


# ---- the archive reader ----------------------------------------------------------
# One reader for every zip that puffin.py opens (wheels, zip sdists, a wheel's
# METADATA): the central directory parsed once, each member's local header
# checked against it, overlapping and duplicate entries refused (the marks of a
# zip bomb, CVE-2024-0450, which the zipfile of CPython before 3.12.2 accepts),
# and every member inflated with an output limit of its declared size, so no
# archive makes us hold or write more than it declares. ``zipfile`` is not used:
# it builds a ZipInfo per member (most of the CPU of reading a large wheel's
# directory) and checks none of the layout.

_INFLATE_STEP = 1 << 20             # input and output pieces of a large member
_ONE_SHOT = 32 * 1024 * 1024        # members up to this size are inflated in one call
_RATIO_FLOOR = 256 * 1024 * 1024    # archives that unpack to more than this ...
_MAX_RATIO = 200                    # ... may unpack to at most this many times their size


class ZipEntry(Value):
    """One central-directory entry: the member's name, its general-purpose
    ``flags``, compression ``method``, ``crc``, compressed size ``csize``,
    declared ``size``, the ``offset`` of its local header, and its Unix ``mode``
    (0 when the archive gives none)."""

    __slots__ = ("name", "flags", "method", "crc", "csize", "size", "offset", "mode")

    def __init__(self, name, flags, method, crc, csize, size, offset, mode):
        self.name, self.flags, self.method, self.crc = name, flags, method, crc
        self.csize, self.size, self.offset, self.mode = csize, size, offset, mode

    @property
    def is_dir(self) -> "bool":
        return self.name.endswith("/")


class _FileView:
    """Byte slices of an open binary file (``view[a:b]``), for archives that
    are neither in memory nor mappable (a remote wheel read by ranges)."""

    def __init__(self, f):
        self.f = f
        f.seek(0, 2)
        self.size = f.tell()

    def __len__(self) -> "int":
        return self.size

    def __getitem__(self, s: "slice") -> "bytes":
        start, stop = max(0, s.start or 0), min(self.size, self.size if s.stop is None else s.stop)
        if stop <= start:
            return b""
        self.f.seek(start)
        return self.f.read(stop - start)


class ZipArchive:
    """A zip archive read strictly: ``entries`` (central-directory order),
    ``get(name)``, ``read(entry)``, ``chunks(entry)``; ``check_layout()``
    proves every entry's local header and that no two entries share bytes.

    ``source``: a path (mapped), bytes-like data, or a binary file with seek.
    ``label`` names the archive in errors. Every error is an ``InstallError``
    that names the archive and, where there is one, the member."""

    def __init__(self, source, label: "str" = None):
        self._closers = []
        if isinstance(source, (bytes, bytearray, memoryview)):
            view = source
        elif hasattr(source, "getbuffer"):
            view = source.getbuffer()
            self._closers.append(view.release)
        elif hasattr(source, "read"):
            view = _FileView(source)
        else:
            view = self._map(os.fspath(source))
        self.label = label or (os.path.basename(os.fspath(source))
                               if isinstance(source, (str, os.PathLike)) else "the archive")
        self.view = view
        try:
            self.cd_start, self.entries = _read_central_directory(view, self.label)
        except BaseException:
            self.close()
            raise
        self._by_name = None
        self._starts = {}

    def _map(self, path: "str"):
        import mmap
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return b""
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._closers.append(mm.close)
        return mm

    def close(self) -> "None":
        self.view = b""
        for close in reversed(self._closers):
            try:
                close()
            except (BufferError, ValueError):
                pass
        self._closers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def error(self, what: "str", entry=None) -> "InstallError":
        member = " member %r" % entry.name if entry is not None else ""
        return InstallError("%s is not a valid zip archive: its%s %s" % (self.label, member, what)
                            if member else "%s is not a valid zip archive: %s" % (self.label, what))

    def by_name(self) -> "dict":
        """{name: entry}; a name given twice is refused (which copy a tool
        reads differs between tools: pip takes the last, others the first)."""
        if self._by_name is None:
            found = {}
            for e in self.entries:
                if e.name in found:
                    raise self.error("has a duplicate entry %r" % e.name)
                found[e.name] = e
            self._by_name = found
        return self._by_name

    def get(self, name: "str"):
        return self.by_name().get(name)

    def data_start(self, entry: "ZipEntry") -> "int":
        """Where ``entry``'s data begins, after its local header has been
        checked against the central directory."""
        start = self._starts.get(entry.offset)
        if start is not None:
            return start
        v, off = self.view, entry.offset
        head = bytes(v[off:off + 30])
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise self.error("has no local header where the central directory says", entry)
        nlen = int.from_bytes(head[26:28], "little")
        elen = int.from_bytes(head[28:30], "little")
        raw = bytes(v[off + 30:off + 30 + nlen])
        if _zip_name(raw, int.from_bytes(head[6:8], "little")) != entry.name:
            raise self.error("local header names %r, not %r as the central directory does"
                             % (raw.decode("utf-8", "replace"), entry.name))
        if entry.flags & 0x1:
            raise self.error("is encrypted", entry)
        start = off + 30 + nlen + elen
        if start + entry.csize > self.cd_start:
            raise self.error("runs past the end of the archive's data", entry)
        self._starts[entry.offset] = start
        return start

    def check_layout(self) -> "None":
        """Every entry's local header matches, no two entries overlap, no name
        repeats, and the whole does not unpack to a bomb's size."""
        self.by_name()
        ordered = sorted(self.entries, key=lambda e: e.offset)
        end = 0
        for e in ordered:
            if e.offset < end:
                raise self.error("entries overlap (%r starts inside the entry before it): "
                                 "a zip bomb's layout" % e.name)
            end = self.data_start(e) + e.csize
        unpacked = sum(e.size for e in self.entries)
        packed = max(1, len(self.view))
        if unpacked > _RATIO_FLOOR and unpacked > packed * _MAX_RATIO:
            raise InstallError("%s would unpack to %s from %s (over %d times its size): refusing "
                               "what looks like a zip bomb" % (self.label, format_size(unpacked),
                                                               format_size(packed), _MAX_RATIO))

    def chunks(self, entry: "ZipEntry"):
        """The member's bytes in pieces, never more than its declared size;
        a wrong size or CRC raises (after the last piece)."""
        import zlib
        start = self.data_start(entry)
        end = start + entry.csize
        crc = size = 0
        for piece in self._pieces(entry, start, end):
            size += len(piece)
            if size > entry.size:
                raise self.error("is corrupt (it inflates past its declared size of %d bytes)"
                                 % entry.size, entry)
            crc = zlib.crc32(piece, crc)
            yield piece
        if size != entry.size or crc != entry.crc:
            raise self.error("is corrupt (bad CRC or size)", entry)

    def read(self, entry: "ZipEntry") -> "bytes":
        pieces = list(self.chunks(entry))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _pieces(self, entry: "ZipEntry", start: "int", end: "int"):
        v = self.view
        if entry.method == 0:
            for p in range(start, end, _ONE_SHOT):
                yield bytes(v[p:min(p + _ONE_SHOT, end)])
            return
        decompressor = _decompressor(entry.method)
        if decompressor is None:
            raise self.error("uses compression method %d, which wheels and sdists do not use"
                             % entry.method, entry)
        limit = entry.size + 1   # one byte more than declared shows a lie
        if entry.csize <= _ONE_SHOT and entry.size <= _ONE_SHOT:
            try:
                out = decompressor.decompress(v[start:end], limit)
            except Exception:
                raise self.error("is corrupt (its compressed data does not inflate)", entry)
            yield out
            return
        yield from _inflate_bounded(self, entry, decompressor, start, end)


def _inflate_bounded(archive: "ZipArchive", entry: "ZipEntry", d, start: "int", end: "int"):
    """Inflate a large member in pieces of at most ``_INFLATE_STEP`` bytes out."""
    v, p, given = archive.view, start, 0
    zlib_like = hasattr(d, "unconsumed_tail")
    while not d.eof:
        if zlib_like and d.unconsumed_tail:
            data = d.unconsumed_tail
        elif (zlib_like or d.needs_input) and p < end:
            data = v[p:min(p + _INFLATE_STEP, end)]
            p += len(data)
        else:
            data = b""
        try:
            out = d.decompress(data, _INFLATE_STEP)
        except Exception:
            raise archive.error("is corrupt (its compressed data does not inflate)", entry)
        if not out and not data:
            return   # the stream ends early: the size check reports it
        given += len(out)
        yield out
        if given > entry.size:
            return


def _decompressor(method: "int"):
    if method == 8:
        import zlib
        return zlib.decompressobj(-15)
    if method == 12:
        import bz2
        return bz2.BZ2Decompressor()
    if method == 14:
        return None   # zip's lzma framing needs its own header parsing; never seen in wheels
    return None


def _zip_name(raw: "bytes", flags: "int") -> "str":
    """A member name as ``zipfile`` decodes it: UTF-8 when flag 0x800 says so, else cp437."""
    return raw.decode("utf-8") if flags & 0x800 else raw.decode("cp437")


def _read_central_directory(view, label: "str"):
    """(offset where the central directory starts, [ZipEntry]) of a zip."""
    from struct import unpack_from
    n = len(view)
    tail_start = max(0, n - 22)   # no archive comment: the end record is the last 22 bytes
    tail = bytes(view[tail_start:n])
    if tail[:4] != b"PK\x05\x06":
        tail_start = max(0, n - 65557)
        tail = bytes(view[tail_start:n])
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or i + 22 > len(tail):
        raise InstallError("%s is not a valid zip archive: it has no end of central directory" % label)
    count, cd_size, cd_offset = unpack_from("<HII", tail, i + 10)
    cd_end = tail_start + i
    if count == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        loc = cd_end - 20
        if loc < 56 or bytes(view[loc:loc + 4]) != b"PK\x06\x07":
            raise InstallError("%s is not a valid zip archive: its zip64 locator is missing" % label)
        rec = loc - 56
        record = bytes(view[rec:rec + 56])
        if record[:4] != b"PK\x06\x06":
            raise InstallError("%s is not a valid zip archive: its zip64 end record is missing" % label)
        count, cd_size, cd_offset = unpack_from("<QQQ", record, 32)
        cd_end = rec
    concat = cd_end - cd_size - cd_offset   # bytes prepended to the archive (as zipfile allows)
    if concat < 0:
        raise InstallError("%s is not a valid zip archive: its central directory is cut off" % label)
    cd_start = cd_offset + concat
    directory = bytes(view[cd_start:cd_end])
    entries, p = [], 0
    while p + 46 <= len(directory):
        if directory[p:p + 4] != b"PK\x01\x02":
            raise InstallError("%s is not a valid zip archive: its central directory is corrupt" % label)
        flags, method, _t, _d, crc, csize, size, nlen, elen, clen, _disk, _ia, ext, offset = \
            unpack_from("<HHHHIIIHHHHHII", directory, p + 8)
        raw = directory[p + 46:p + 46 + nlen]
        if 0xFFFFFFFF in (csize, size, offset):
            size, csize, offset = _zip64_extra(directory[p + 46 + nlen:p + 46 + nlen + elen],
                                               size, csize, offset, label)
        try:
            name = _zip_name(raw, flags)
        except UnicodeDecodeError:
            raise InstallError("%s is not a valid zip archive: a member name is not UTF-8" % label)
        entries.append(ZipEntry(name, flags, method, crc, csize, size, offset + concat, ext >> 16))
        p += 46 + nlen + elen + clen
    return cd_start, entries


def _zip64_extra(extra: "bytes", size: "int", csize: "int", offset: "int", label: "str"):
    """The 64-bit sizes and offset a zip64 extra field gives for the 32-bit
    fields that hold 0xFFFFFFFF (in the order size, compressed size, offset)."""
    from struct import unpack_from
    p = 0
    while p + 4 <= len(extra):
        tag, length = unpack_from("<HH", extra, p)
        if tag == 1:
            body, q = extra[p + 4:p + 4 + length], 0
            values = []
            for v in (size, csize, offset):
                if v == 0xFFFFFFFF:
                    if q + 8 > len(body):
                        break
                    values.append(int.from_bytes(body[q:q + 8], "little"))
                    q += 8
                else:
                    values.append(v)
            if len(values) == 3:
                return tuple(values)
        p += 4 + length
    raise InstallError("%s is not a valid zip archive: a zip64 entry lacks its sizes" % label)


class ZipWheelSource(WheelSource):
    """A ``.whl`` file read through ``ZipArchive``: a path, bytes, or an open
    binary file (then ``filename`` names it). ``members()`` checks the whole
    layout first (local headers, overlaps, duplicates, the unpacked size)."""

    def __init__(self, path, filename: "str" = None):
        if isinstance(path, (str, os.PathLike)):
            self.path = os.fspath(path)
            self.filename = filename or os.path.basename(self.path)
        else:
            self.path = path
            self.filename = filename or getattr(path, "name", None) or "the wheel"
        try:
            self.archive = ZipArchive(self.path, self.filename)
        except OSError as e:
            raise InstallError("%s is not a valid wheel: %s" % (self.filename, e.strerror or e))
        self._members = None
        self._entries = {}

    def members(self) -> "list":
        if self._members is None:
            self.archive.check_layout()
            entries = {e.name: e for e in self.archive.entries if not e.is_dir}
            for name, e in entries.items():
                if stat.S_ISLNK(e.mode):
                    _check_symlink(name, self.archive.read(e))
            self._entries = entries
            self._members = [WheelMember(n, bool(stat.S_ISREG(e.mode) and e.mode & 0o111), e.size)
                             for n, e in entries.items()]
        return self._members

    def entry(self, path: "str") -> "ZipEntry":
        self.members()
        try:
            return self._entries[path]
        except KeyError:
            raise InstallError("%s has no member %r" % (self.filename, path))

    def open(self, path: "str"):
        return _ChunkStream(self.archive.chunks(self.entry(path)))

    def read(self, path: "str"):
        self.members()
        entry = self._entries.get(path)
        return None if entry is None else self.archive.read(entry)

    def close(self) -> "None":
        self.archive.close()


class _ChunkStream(io.RawIOBase):
    """A readable binary stream over an iterator of byte pieces."""

    def __init__(self, pieces):
        self._pieces = iter(pieces)
        self._buf = b""

    def readable(self) -> "bool":
        return True

    def readinto(self, b) -> "int":
        while not self._buf:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buf = piece
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class DirWheelSource(WheelSource):
    """A wheel unzipped into a folder (by ``extract_wheel``, in the cache): members are
    linked rather than copied, and the files' x bits say what is executable."""

    def __init__(self, unzipped_dir: "str", filename: "str"):
        self.root = os.fspath(unzipped_dir)
        self.filename = filename
        self._members = None

    def members(self) -> "list":
        if self._members is None:
            found = []
            self._scan(self.root, "", found)
            self._members = found
        return self._members

    def _scan(self, folder: "str", prefix: "str", found: "list") -> "None":
        """Members below ``folder``, sorted, from directory entries alone: the
        mode and size of each file are read only if someone asks (linking needs
        neither), which saves a stat per file on large wheels."""
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            if entry.is_symlink():
                # extract_wheel never makes links; one here was put by someone else
                raise UnsafePathError("refusing %r in the unzipped wheel %s: not a "
                                      "regular file" % (prefix + entry.name, self.filename))
            if entry.is_dir():
                self._scan(entry.path, prefix + entry.name + "/", found)
            elif entry.is_file():
                found.append(_DirMember(prefix + entry.name, entry.path))
            else:
                raise UnsafePathError("refusing %r in the unzipped wheel %s: not a "
                                      "regular file" % (prefix + entry.name, self.filename))

    def open(self, path: "str"):
        try:
            return open(safe_join(self.root, path), "rb")
        except FileNotFoundError:
            raise InstallError("%s has no member %r" % (self.filename, path))

    def read(self, path: "str"):
        try:
            with open(safe_join(self.root, path), "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def local_file(self, path: "str"):
        return safe_join(self.root, path)


def _set_executable(path: "str") -> "None":
    """pip's mode for an executable member, ``0o777 & ~umask | 0o111``, for a file
    just created by ``open`` (so its mode is ``0o666 & ~umask``): the same bits as
    adding 0o111, without pip's ``os.umask`` dance, which is not thread-safe."""
    os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | 0o111)


def extract_wheel(zip_path: "str", target_dir: "str", *, data=None, filename: "str" = None) -> "str":
    """Unzip a wheel into ``target_dir`` (new or empty): the members, their
    safety (the archive's layout, no absolute paths, no ``..``, no symlink out
    of the archive) and their x bits come from ``ZipWheelSource.members()``;
    symlink members become plain files holding the link text. A member whose
    CRC or size is wrong, or whose bytes differ from the size or hash RECORD
    gives for it, raises InstallError; the caller removes ``target_dir``.

    Each file is one ``open``/``write``/``close`` (``open()`` adds fstat,
    ioctl and lseek calls) and folders are made once each: this is most of a
    cold install on a slow filesystem.

    ``data``: the wheel's bytes, already in memory (then ``zip_path`` is not
    read and ``filename`` names the wheel in errors)."""
    root = os.path.abspath(target_dir)
    with span("unzip_wheel", wheel=filename or os.path.basename(zip_path)):
        with ZipWheelSource(data if data is not None else zip_path, filename) as source:
            members = source.members()
            record, rows = _record_expectations(source, members)
            made = {root}
            for member in members:
                target = safe_join(root, member.path)
                _make_folder(os.path.dirname(target), made)
                _write_member(source, member, target, record.get(member.path))
            if rows and set(record) - {m.path for m in members}:
                # Rows for files the wheel does not hold are dropped here, so that
                # the unzipped copy's RECORD names exactly its files: a file
                # missing later means a damaged cache entry, never a wheel's lie.
                path = safe_join(root, rows[0])
                with open(path, "wb") as f:
                    f.write(record_bytes([r for r in rows[1] if r and r[0] in source._entries]))
    return target_dir


_WRITE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
                | getattr(os, "O_BINARY", 0))


def _record_expectations(source, members):
    """({member: (hash algorithm, urlsafe-b64 digest or None, size or None)},
    (RECORD's path, its rows)) from the wheel's RECORD (the one
    ``*.dist-info/RECORD`` at its top); ({}, None) when there is none."""
    records = [m.path for m in members if m.path.endswith(".dist-info/RECORD") and m.path.count("/") == 1]
    if len(records) != 1:
        return {}, None
    try:
        rows = record_rows(source.read(records[0]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InstallError("%s has a RECORD that cannot be read" % source.filename)
    out = {}
    for row in rows:
        if not row or not row[0]:
            continue
        alg, _, digest = (row[1] if len(row) > 1 else "").partition("=")
        size = row[2] if len(row) > 2 else ""
        out[row[0]] = (alg, digest or None, int(size) if size.isdigit() else None)
    return out, (records[0], rows)


def _write_member(source, member, target: "str", expected) -> "None":
    """Write one member's bytes to ``target`` (mode 0o666 & ~umask, plus the x
    bits for an executable member, as pip sets them), checked against RECORD."""
    import base64
    import hashlib
    if expected and expected[2] is not None and expected[2] != member.size:
        raise InstallError("%s: the member %r has %d bytes, but RECORD says %d"
                           % (source.filename, member.path, member.size, expected[2]))
    digest = None
    if expected and expected[1] and expected[0] in hashlib.algorithms_guaranteed:
        digest = hashlib.new(expected[0])
    fd = os.open(target, _WRITE_FLAGS, 0o666)
    try:
        for piece in source.archive.chunks(source.entry(member.path)):
            if digest is not None:
                digest.update(piece)
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
        if member.executable:
            _add_x_bits(fd, target)
    except OSError as e:
        if e.filename is None:   # a full disk names the file that did not fit
            e.filename = target
        raise
    finally:
        os.close(fd)
    if digest is not None and \
            base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode() != expected[1].rstrip("="):
        raise InstallError("%s: the member %r does not match the hash RECORD gives for it"
                           % (source.filename, member.path),
                           hint="the wheel is damaged or was changed after it was built")


def _add_x_bits(fd: "int", path: "str") -> "None":
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) | 0o111)
    else:  # pragma: no cover - Windows before 3.13: x bits mean nothing there
        os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | 0o111)


# ---- destinations -------------------------------------------------------------

def _record_entry(path: "str", hash_: "str", size) -> "RecordEntry":
    return RecordEntry(path, hash_ or None, size)


class Destination:
    """Where a wheel's files go (the writing seam, as pypa/installer's
    ``WheelDestination``). Paths given to the write methods are absolute and were
    already checked to lie inside ``scheme_path(...)`` folders."""

    python_executable: "str" = ""

    def scheme_path(self, key: "str") -> "str":
        """The absolute folder for ``key`` in ``SCHEME_KEYS``."""
        raise NotImplementedError

    def write_file(self, target: "str", record_path: "str", source: "WheelSource", member,
                   *, rewrite_shebang: "bool" = False, need_hash: "bool" = False) -> "RecordEntry":
        """Put ``member`` of ``source`` at ``target`` (parents created, any old file
        replaced, never written through: it may be a hardlink into the cache). With
        ``rewrite_shebang`` a first line ``#!python...`` becomes ``#!<python>``. Returns
        the RecordEntry (``record_path``, sha256, size) of the bytes that landed; the
        hash may be empty when ``need_hash`` is false and the bytes are unchanged."""
        raise NotImplementedError

    def write_bytes(self, target: "str", record_path: "str", data: "bytes",
                    *, executable: "bool" = False) -> "RecordEntry":
        """Write generated ``data`` to ``target`` as a new file (atomically); return
        its RecordEntry."""
        raise NotImplementedError

    def script_bytes(self, entry: "_EntryPoint", gui: "bool") -> "bytes":
        """The launcher for an entry point."""
        raise NotImplementedError

    def remove(self, target: "str") -> "None":
        """Remove a file this destination wrote (rollback); missing is fine."""
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass


class SchemeDestination(Destination):
    """Files into the folders of an install scheme, as pip lays them out on POSIX.

    ``scheme`` maps purelib/platlib/scripts/data/headers to folders;
    ``python_executable`` goes into shebangs; ``python_version`` (e.g. ``(3, 12)``)
    names pip's versioned ``pip3``/``pip3.12`` launchers (left out when None);
    ``link_mode`` is how files of an unzipped wheel are placed."""

    def __init__(self, scheme: "dict", python_executable: "str", *, link_mode: "str" = "hardlink",
                 script_kind: "str" = "posix", python_version=None, pip_version=None):
        missing = [k for k in SCHEME_KEYS if not scheme.get(k)]
        if missing:
            raise InstallError("the install scheme has no %s folder" % ", ".join(missing))
        if link_mode not in ("hardlink", "copy", "symlink"):
            raise UsageError("unknown link mode %r (hardlink, copy, symlink)" % link_mode)
        if script_kind != "posix":
            raise UsageError("only POSIX launchers are supported, not %r" % script_kind)
        self.scheme = {k: os.path.abspath(scheme[k]) for k in SCHEME_KEYS}
        self.python_executable = python_executable
        self.python_version = tuple(python_version) if python_version else None
        self.pip_version = tuple(pip_version) if pip_version else None
        self.link_mode = link_mode
        self.link_modes_used = set()
        self._made_dirs = set()
        self._hardlink_failed = False

    def _make_parent(self, target: "str") -> "None":
        """Create the folder of ``target`` (and its parents) once: a wheel has
        far fewer folders than files, and on some filesystems a ``mkdir``,
        even one that fails because the folder exists, costs a hundred ``link``s."""
        _make_folder(os.path.dirname(target), self._made_dirs)

    def scheme_path(self, key: "str") -> "str":
        return self.scheme[key]

    def write_file(self, target, record_path, source, member, *, rewrite_shebang=False,
                   need_hash=False):
        self._make_parent(target)
        if rewrite_shebang:
            data = source.read(member.path)
            if data is None:
                raise InstallError("%s has no member %r" % (source.filename, member.path))
            if data.startswith(b"#!python"):
                # a new file (the old one may be a hardlink into the cache); the mode
                # pip gives extracted members, which its fix_script then keeps
                data = _fix_shebang(data, self.python_executable)
                atomic_write(target, data)
                if member.executable:
                    _set_executable(target)
                return _record_entry(record_path, record_hash(data), len(data))
        local = source.local_file(member.path)
        if local is not None:
            if self.link_mode == "hardlink" and not self._hardlink_failed:
                try:  # the common case, kept to one system call per file
                    os.link(local, target)
                    self.link_modes_used.add("hardlink")
                    local = None
                except FileExistsError:
                    pass  # link_or_copy replaces the old file
                except OSError:
                    self._hardlink_failed = True  # another device: copy from now on
            if local is not None:
                self.link_modes_used.add(link_or_copy(
                    local, target, "copy" if self._hardlink_failed else self.link_mode))
            if not need_hash:
                return _record_entry(record_path, "", None)  # RECORD keeps the wheel's row
            with open(target, "rb") as f:
                data = f.read()
            return _record_entry(record_path, record_hash(data), len(data))
        return self._write_stream(target, record_path, source, member)

    def _write_stream(self, target, record_path, source, member):
        """Stream a zip member to a new file next to ``target``, then rename over."""
        import hashlib
        import base64
        tmp = "%s.puffin-%d-%d" % (target, os.getpid(), _thread.get_ident())
        h, size = hashlib.sha256(), 0
        try:
            with source.open(member.path) as src, open(tmp, "wb") as dst:
                while True:
                    block = src.read(1 << 20)
                    if not block:
                        break
                    h.update(block)
                    size += len(block)
                    dst.write(block)
            if member.executable:
                _set_executable(tmp)
            os.replace(tmp, target)
        except BaseException:
            _unlink_quietly(tmp, OSError)
            raise
        digest = "sha256=" + base64.urlsafe_b64encode(h.digest()).decode("ascii").rstrip("=")
        return _record_entry(record_path, digest, size)

    def write_bytes(self, target, record_path, data, *, executable=False):
        atomic_write(target, data)
        if executable:
            # distlib's set_executable_mode: (mode | 0o555) & 0o7777
            os.chmod(target, (os.stat(target).st_mode | 0o555) & 0o7777)
        return _record_entry(record_path, record_hash(data), len(data))

    def script_bytes(self, entry, gui):
        return _launcher(entry, self.python_executable, self.python_version, self.pip_version)


def _fix_shebang(data: "bytes", python_executable: "str") -> "bytes":
    """pip's ``fix_script``: a first line starting ``#!python`` becomes
    ``#!<python>`` + os.linesep (the rest of that line, e.g. ``w`` or `` -u``, is
    dropped, exactly as pip drops it)."""
    if not data.startswith(b"#!python"):
        return data
    end = data.find(b"\n")
    rest = b"" if end < 0 else data[end + 1:]
    return b"#!" + os.fsencode(python_executable) + os.linesep.encode("ascii") + rest


def _shebang(python_executable: "str") -> "bytes":
    """distlib's ``_get_shebang`` + ``_build_shebang`` on POSIX, as pip calls them:
    the executable is quoted when it has a space, and a shebang with a space or
    longer than the kernel's limit becomes the ``/bin/sh`` exec trick."""
    exe = python_executable
    if " " in exe:
        if exe.startswith("/usr/bin/env "):
            env, rest = exe.split(" ", 1)
            if " " in rest and not rest.startswith('"'):
                exe = '%s "%s"' % (env, rest)
        elif not exe.startswith('"'):
            exe = '"%s"' % exe
    raw = exe.encode("utf-8")
    limit = 512 if sys.platform == "darwin" else 127
    if b" " not in raw and len(raw) + 3 <= limit:
        return b"#!" + raw + b"\n"
    return b"#!/bin/sh\n'''exec' " + raw + b' "$0" "$@"\n' + b"' '''\n"


class _EntryPoint(Value):
    """A console/gui script as distlib reads ``name = module:attr.sub [extras]``."""

    __slots__ = ("name", "module", "attr", "extras")

    def __init__(self, name, module, attr, extras=()):
        self.name = name
        self.module = module
        self.attr = attr
        self.extras = tuple(extras)


def _parse_script_spec(spec: "str"):
    """distlib's ``get_export_entry`` (regex and ``search`` semantics kept, so odd
    specs name the same script pip would make). None when nothing matches."""
    m = _lazy_re(r"""(?P<name>([^\[]\S*))
                      \s*=\s*(?P<callable>(\w+)([:\.]\w+)*)
                      \s*(\[\s*(?P<flags>[\w-]+(=\w+)?(,\s*\w+(=\w+)?)*)\s*\])?
                      """, re.VERBOSE).search(spec)
    if not m:
        if "[" in spec or "]" in spec:
            raise InstallError("invalid entry point specification %r" % spec)
        return None
    path = m.group("callable")
    if path.count(":") == 0:
        raise InstallError("invalid script entry point: %s - a callable suffix is required "
                           "(module:function)" % spec,
                           hint="see https://packaging.python.org/specifications/entry-points/")
    if path.count(":") != 1:
        raise InstallError("invalid entry point specification %r" % spec)
    flags = m.group("flags")
    if flags is None and ("[" in spec or "]" in spec):
        raise InstallError("invalid entry point specification %r" % spec)
    module, attr = path.split(":")
    extras = [f.strip() for f in flags.split(",")] if flags else []
    return _EntryPoint(m.group("name"), module, attr, extras)


def _launcher(entry: "_EntryPoint", python_executable: "str", python_version=None,
              pip_version=None) -> "bytes":
    text = _launcher_template(python_version, pip_version) % {"module": entry.module,
                                 "import_name": entry.attr.split(".")[0],
                                 "func": entry.attr}
    return _shebang(python_executable) + text.encode("utf-8")


def _parse_entry_points(text: "str") -> "dict":
    """``{group: {name: value}}`` from entry_points.txt, as importlib.metadata reads it
    (blank lines and ``#``/``;`` comments skipped, ``name = value`` split on the
    first ``=``, later names win)."""
    groups, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1].strip(), {})
            continue
        if current is None or "=" not in line:
            continue
        name, value = line.split("=", 1)
        current[name.strip()] = value.strip()
    return groups


def _console_script_specs(console: "dict", python_version) -> "list":
    """pip's ``get_console_script_specs``: ``pip`` and ``easy_install`` get the
    versioned launchers pip makes for them (``pip3``, ``pip3.12``); others as given."""
    console = dict(console)
    specs = []
    env = os.environ.get("ENSUREPIP_OPTIONS")
    pip_script = console.pop("pip", None)
    if pip_script:
        if env is None:
            specs.append("pip = " + pip_script)
        if python_version:
            if (env or "") != "altinstall":
                specs.append("pip%d = %s" % (python_version[0], pip_script))
            specs.append("pip%d.%d = %s" % (python_version[0], python_version[1], pip_script))
        for k in [k for k in console if re.match(r"pip(\d+(\.\d+)?)?$", k)]:
            del console[k]
    easy_install = console.pop("easy_install", None)
    if easy_install:
        if env is None:
            specs.append("easy_install = " + easy_install)
        if python_version:
            specs.append("easy_install-%d.%d = %s" % (python_version[0], python_version[1],
                                                       easy_install))
        for k in [k for k in console if re.match(r"easy_install(-\d+\.\d+)?$", k)]:
            del console[k]
    specs.extend("%s = %s" % item for item in console.items())
    return specs


# ---- install --------------------------------------------------------------------

def _parse_wheel_file(text: "str", filename: "str") -> "dict":
    """The WHEEL file as pip reads it: email headers, the first ``Wheel-Version``
    wins (a repeated one is tolerated), a major version above 1 is refused.
    (Read as core metadata is: importing ``email.parser`` costs more than all
    the rest of a warm install of a small wheel.)"""
    msg = {}
    for key, value in _std_parse_headers(text.replace("\r\n", "\n").replace("\r", "\n"))[0]:
        msg.setdefault(key.lower(), value)
    version_text = msg.get("wheel-version")
    if version_text is None:
        raise InstallError("%s has an invalid wheel: WHEEL is missing Wheel-Version" % filename)
    try:
        version = tuple(int(p) for p in version_text.strip().split("."))
    except ValueError:
        raise InstallError("%s has an invalid wheel: invalid Wheel-Version %r"
                           % (filename, version_text.strip()))
    if version[0] > 1:
        raise InstallError("%s has Wheel-Version %s, which this installer does not support "
                           "(only 1.x)" % (filename, version_text.strip()),
                           hint="upgrade puffin.py, or install an older release of the package")
    if version > (1, 0):
        warn_user("installing %s with a newer Wheel-Version (%s)" % (filename, version_text.strip()))
    return {"version": version,
            "root_is_purelib": (msg.get("root-is-purelib") or "").strip().lower() == "true"}


def _find_dist_info(members: "list", project: "str", filename: "str") -> "str":
    """pip's ``wheel_dist_info_dir``: exactly one top-level ``.dist-info`` folder,
    whose name starts with the project's."""
    tops = {m.path.split("/", 1)[0] for m in members}
    found = sorted(t for t in tops if t.endswith(".dist-info"))
    if not found:
        raise InstallError("%s has an invalid wheel: .dist-info directory not found" % filename)
    if len(found) > 1:
        raise InstallError("%s has an invalid wheel: multiple .dist-info directories found: %s"
                           % (filename, ", ".join(found)))
    if not canonicalize_name(found[0]).startswith(canonicalize_name(project)):
        raise InstallError("%s has an invalid wheel: .dist-info directory %r does not start "
                           "with %r" % (filename, found[0], canonicalize_name(project)))
    return found[0]


def _record_path(target: "str", lib_dir: "str") -> "str":
    """pip's ``_fs_to_record_path``: relative to the lib folder, with '/'."""
    if target.startswith(lib_dir + "/") and "/.." not in target:
        return target[len(lib_dir) + 1:]  # the common case, without relpath's cost
    return os.path.relpath(target, lib_dir).replace(os.sep, "/")


class _Placement(Value):
    """Where one member lands: ``kind`` is "file" or "script" (shebang rewritten)."""

    __slots__ = ("member", "target", "record_path", "kind")

    def __init__(self, member, target, record_path, kind):
        self.member = member
        self.target = target
        self.record_path = record_path
        self.kind = kind


class _WheelPlan:
    """Everything ``install_wheel`` decided before writing a byte."""

    __slots__ = ("filename", "lib_dir", "dist_info", "dist_info_path", "placements",
                 "skipped", "scripts", "old_rows", "extra_files", "roots")


def _plan_wheel(source, destination, installer, requested, direct_url) -> "_WheelPlan":
    """Read WHEEL, RECORD and entry points, and map every member to its target,
    refusing anything that would land outside the scheme folders."""
    name = parse_wheel_filename(source.filename)[0]
    members = source.members()
    plan = _WheelPlan()
    plan.filename = source.filename
    plan.dist_info = _find_dist_info(members, name, source.filename)
    by_path = {m.path: m for m in members}
    if plan.dist_info + "/METADATA" not in by_path:
        raise InstallError("%s has an invalid wheel: %s/METADATA is missing"
                           % (source.filename, plan.dist_info))
    wheel_text = source.read(plan.dist_info + "/WHEEL")
    if wheel_text is None:
        raise InstallError("%s has an invalid wheel: could not read %s/WHEEL"
                           % (source.filename, plan.dist_info))
    wheel = _parse_wheel_file(wheel_text.decode("utf-8", "replace"), source.filename)
    _check_metadata_matches(source, plan.dist_info)
    record = source.read(plan.dist_info + "/RECORD")
    if record is None:
        raise InstallError("%s has an invalid wheel: %s/RECORD is missing"
                           % (source.filename, plan.dist_info))
    plan.old_rows = record_rows(record.decode("utf-8"))
    plan.lib_dir = destination.scheme_path("purelib" if wheel["root_is_purelib"] else "platlib")
    plan.dist_info_path = os.path.join(plan.lib_dir, plan.dist_info)
    ep_bytes = source.read(plan.dist_info + "/entry_points.txt")
    groups = _parse_entry_points(ep_bytes.decode("utf-8")) if ep_bytes else {}
    console, gui = groups.get("console_scripts", {}), groups.get("gui_scripts", {})
    plan.placements, plan.skipped = _place_members(members, destination, plan.lib_dir,
                                                   set(console) | set(gui), source.filename)
    plan.scripts = _plan_scripts(destination, plan.lib_dir, console, gui)
    plan.extra_files = _plan_metadata_files(plan, installer, requested, direct_url)
    plan.roots = sorted({destination.scheme_path(k) for k in SCHEME_KEYS})
    return plan


def _check_metadata_matches(source, dist_info: "str") -> "None":
    """The wheel's METADATA must give the version its file name gives (pip
    and uv refuse the mismatch; installed, it would be reinstalled on every
    sync). Only the Version header is read: parsing every Requires-Dist of
    every wheel would cost a warm install its time."""
    data = source.read(dist_info + "/METADATA") or b""
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            return  # the body starts: no Version header (reported elsewhere)
        if line[:8].lower() == "version:":
            try:
                given = Version(line[8:].strip())
                named = parse_wheel_filename(source.filename)[1]
            except (InvalidVersion, InvalidWheelFilename):
                return  # reported elsewhere, with their own words
            if given != named:
                raise InstallError("%s has METADATA version %s, but its file name says %s"
                                   % (source.filename, given, named),
                                   hint="the wheel is inconsistent: ask its publisher for a fixed one")
            return


def _place_members(members, destination, lib_dir, entry_point_names, filename):
    """Targets of all members (pip's root/.data/scripts rules); the setuptools
    wrappers in .data/scripts for names that are entry points are skipped."""
    placements, skipped = [], []
    for m in members:
        top, _, rest = m.path.partition("/")
        if not top.endswith(".data") or not rest:
            target = safe_join(lib_dir, m.path)
            placements.append(_Placement(m, target, _record_path(target, lib_dir), "file"))
            continue
        key, _, sub = rest.partition("/")
        if not sub:
            raise InstallError("unexpected file in %s: %r. .data directory contents should be "
                               "named like: '<scheme key>/<path>'." % (filename, m.path))
        if key not in SCHEME_KEYS:
            raise InstallError("unknown scheme key used in %s: %s (for file %r). .data directory "
                               "contents should be in subdirectories named with a valid scheme "
                               "key (%s)" % (filename, key, m.path,
                                             ", ".join(sorted(SCHEME_KEYS))))
        target = safe_join(destination.scheme_path(key), sub)
        kind = "file"
        if key == "scripts":
            base = os.path.basename(target)
            low = base.lower()
            match = (base[:-4] if low.endswith((".exe", ".pya")) else
                     base[:-10] if low.endswith("-script.py") else base)
            if match in entry_point_names:
                skipped.append(m)
                continue
            kind = "script"
        placements.append(_Placement(m, target, _record_path(target, lib_dir), kind))
    return placements, skipped


def _plan_scripts(destination, lib_dir, console, gui) -> "list":
    """``[(entry, gui, target, record_path)]`` for every launcher pip would make."""
    version = getattr(destination, "python_version", None)
    specs = [(s, False) for s in _console_script_specs(console, version)]
    specs += [("%s = %s" % item, True) for item in gui.items()]
    out = []
    for spec, is_gui in specs:
        entry = _parse_script_spec(spec)
        if entry is None:
            raise InstallError("invalid entry point specification %r" % spec)
        if "/" in entry.name or "\\" in entry.name or entry.name in (".", ".."):
            raise UnsafePathError("refusing the script name %r: it is not a plain file name"
                                  % entry.name)
        target = safe_join(destination.scheme_path("scripts"), entry.name)
        out.append((entry, is_gui, target, _record_path(target, lib_dir)))
    return out


def _direct_url_bytes(direct_url) -> "bytes":
    """PEP 610 JSON as pip writes it (``json.dumps(..., sort_keys=True)``)."""
    if isinstance(direct_url, bytes):
        return direct_url
    if isinstance(direct_url, str):
        return direct_url.encode("utf-8")
    if isinstance(direct_url, dict):
        return json.dumps(direct_url, sort_keys=True).encode("utf-8")
    return direct_url.to_json().encode("utf-8")


def _plan_metadata_files(plan, installer, requested, direct_url) -> "list":
    """``[(filename, bytes)]`` generated into the dist-info, in pip's order."""
    files = [("INSTALLER", (installer + "\n").encode("utf-8"))]
    if direct_url is not None:
        files.append(("direct_url.json", _direct_url_bytes(direct_url)))
    if requested:
        files.append(("REQUESTED", b""))
    return files


def _journal_path(lib_dir: "str", dist_info: "str", doing: "str" = "installing") -> "str":
    """``.puffin-installing-<dist-info>.json`` beside the dist-info (a digest
    for names too long for one file name: projects may have 200 characters)."""
    if len(dist_info) > 150:
        import hashlib
        dist_info = hashlib.sha256(dist_info.encode("utf-8")).hexdigest()
    return os.path.join(lib_dir, ".puffin-%s-%s.json" % (doing, dist_info))


def install_wheel(source: "WheelSource", destination: "Destination", *, installer: "str" = "puffin",
                  requested: "bool" = False, direct_url=None) -> "str":
    """Install one wheel; return the path of the installed ``.dist-info``.

    Everything is checked before anything is written; a journal beside the
    dist-info lists the files to come, then files, launchers and the generated
    dist-info files are written, RECORD last, and the journal is removed. An error
    (or Ctrl-C) removes what was written; a killed process leaves the journal, and
    ``repair_interrupted`` removes the half install on the next run.
    ``direct_url`` is a PEP 610 dict, JSON text, or an object with ``to_json()``."""
    with span("install_wheel", wheel=source.filename):
        plan = _plan_wheel(source, destination, installer, requested, direct_url)
        journal = _journal_path(plan.lib_dir, plan.dist_info)
        targets = ([p.target for p in plan.placements] + [s[2] for s in plan.scripts]
                   + [os.path.join(plan.dist_info_path, f) for f, _ in plan.extra_files]
                   + [os.path.join(plan.dist_info_path, "RECORD")])
        made_dirs = sorted({d for root in plan.roots for d in _missing_dirs(root)},
                           key=len, reverse=True)
        atomic_write(journal, json.dumps({"dist_info": plan.dist_info_path, "files": targets,
                                          "roots": plan.roots}).encode("utf-8"))
        written = []
        try:
            _remove_stale_record(plan.dist_info_path)
            rows = _write_all(plan, source, destination, written)
            record_target = os.path.join(plan.dist_info_path, "RECORD")
            written.append(record_target)
            destination.write_bytes(record_target, plan.dist_info + "/RECORD", record_bytes(rows))
        except BaseException:
            _rollback(destination, written, plan.roots)
            _unlink_quietly(journal)
            for d in made_dirs:  # deepest first; only the ones this install created
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            raise
        _unlink_quietly(journal)
        return plan.dist_info_path


def _missing_dirs(path: "str") -> "list":
    """``path`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    path = os.path.abspath(path)
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return missing


def _remove_stale_record(dist_info_path: "str") -> "None":
    """A RECORD left from an earlier install at the same path would make a half
    install look complete; it goes first (the journal already names this install)."""
    _unlink_quietly(os.path.join(dist_info_path, "RECORD"))


def _write_all(plan, source, destination, written) -> "list":
    """Write members, launchers and dist-info files; return the RECORD rows as pip
    computes them (``get_csv_rows_for_installed``)."""
    installed, changed, generated = {}, {}, []
    regenerated = {plan.dist_info + "/RECORD"} | {plan.dist_info + "/" + f
                                                   for f, _ in plan.extra_files}
    sizes = None
    if isinstance(source, DirWheelSource):
        sizes = _record_sizes(plan.old_rows)
        by_path = {m.path for m in source.members()}
        for row in plan.old_rows:
            if row and row[0] not in by_path:
                raise DamagedCacheEntry("the cache entry %s is damaged: %s is missing"
                                        % (source.root, row[0]), source.root)
    for p in plan.placements:
        installed[p.member.path] = p.record_path
        if p.member.path in regenerated:
            continue  # written fresh below, never through a link into the cache
        if sizes is not None:
            _check_unzipped(source, p.member, sizes.get(p.member.path))
        written.append(p.target)
        entry = destination.write_file(p.target, p.record_path, source, p.member,
                                       rewrite_shebang=p.kind == "script")
        if p.kind == "script" and entry.hash:
            changed[p.record_path] = entry
    for entry_point, is_gui, target, record_path in plan.scripts:
        written.append(target)
        data = destination.script_bytes(entry_point, is_gui)
        generated.append(destination.write_bytes(target, record_path, data, executable=True))
    for fname, data in plan.extra_files:
        target = os.path.join(plan.dist_info_path, fname)
        written.append(target)
        generated.append(destination.write_bytes(target, plan.dist_info + "/" + fname, data))
    skipped = {m.path for m in plan.skipped}
    return _record_rows(plan.old_rows, installed, changed, generated, skipped)


class DamagedCacheEntry(InstallError):
    """An unzipped wheel in the cache that no longer holds what its RECORD
    says (a file deleted or cut short by hand, a disk error): ``folder`` is
    fetched and unzipped again."""

    def __init__(self, message: "str", folder: "str"):
        super().__init__(message)
        self.folder = folder


def _record_sizes(rows) -> "dict":
    return {row[0]: row[2] for row in rows if len(row) > 2 and row[2]}


def _check_unzipped(source, member, size) -> "None":
    """A member of an unzipped wheel must be there, with RECORD's size (one
    lstat: a hash per file would cost a warm install its speed)."""
    try:
        actual = member.size
    except OSError:
        actual = None
    if actual is None or (size is not None and size.isdigit() and int(size) != actual):
        raise DamagedCacheEntry("the cache entry %s is damaged: %s is %s" % (
            source.root, member.path, "missing" if actual is None else "not the size RECORD gives"),
            source.root)


def _record_rows(old_rows, installed, changed, generated, skipped=frozenset()) -> "list":
    """RECORD as pip computes it, of the wheel's own members and nothing
    else: a row of the wheel's RECORD for a path the wheel does not hold (a
    foreign ``six.py``, ``../../pyvenv.cfg``) is dropped, as uv drops it, so
    that an uninstall can never remove what this install did not create.
    Rows of ``skipped`` members (wrappers replaced by launchers) stay as
    written, as pip keeps them: they name nothing outside ``<name>.data``."""
    rows = []
    for row in old_rows:
        if row[0] not in installed and row[0] not in skipped:
            continue
        new_path = installed.pop(row[0], row[0])
        if new_path in changed:
            e = changed[new_path]
            rows.append((new_path, e.hash or "", "" if e.size is None else str(e.size)))
        else:
            rows.append((new_path, row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else ""))
    for e in generated:
        rows.append((e.path, e.hash or "", "" if e.size is None else str(e.size)))
    for path in installed.values():
        rows.append((path, "", ""))
    return sorted((p, h, str(s)) for p, h, s in rows)


def _rollback(destination, written, roots) -> "None":
    """Undo a failed install: remove the files it wrote and the folders left empty."""
    for target in reversed(written):
        try:
            destination.remove(target)
        except OSError:
            pass
    _prune_empty_parents({os.path.dirname(t) for t in written}, roots)


def _prune_empty_parents(dirs, roots) -> "None":
    """Remove each folder in ``dirs`` and its parents while empty, stopping at the
    ``roots`` (scheme folders) and anything above them."""
    stop = set()
    for r in roots:
        r = os.path.abspath(r)
        while True:
            stop.add(r)
            parent = os.path.dirname(r)
            if parent == r:
                break
            r = parent
    for d in sorted({os.path.abspath(d) for d in dirs}, key=len, reverse=True):
        while d not in stop and os.path.isdir(d) and not os.path.islink(d):
            try:
                os.rmdir(d)
            except OSError:
                break
            d = os.path.dirname(d)


def _site_entries(site_paths):
    """(folder, name) of every entry of the site folders that can be read, names sorted."""
    for site in site_paths:
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        for name in names:
            yield site, name


def repair_interrupted(site_paths) -> "list":
    """Finish what a killed process left half done, under the environment's
    lock: an install whose journal is still there loses the files it wrote
    (unless it had written its RECORD: then it was complete); an uninstall
    whose journal is still there is finished; an upgrade's stash is put back
    or dropped (``_repair_stashes``); temporary files of a killed write go.
    Returns a ``Repair`` for each, for the command to tell the user."""
    repaired = []
    for site, name in _site_entries(site_paths):
        path = os.path.join(site, name)
        if name.startswith(".tmp-") and ".puffin-" in name:
            _unlink_quietly(path)   # a journal being written when the process died
        elif name.startswith(".puffin-installing-") and name.endswith(".json"):
            repaired.extend(_repair_install(site, path))
        elif name.startswith(".puffin-uninstalling-") and name.endswith(".json"):
            repaired.extend(_repair_uninstall(path))
    for site in site_paths:
        repaired.extend(_repair_stashes(site, site_paths))
    return repaired


class Repair(Value):
    """What ``repair_interrupted`` did: ``kind`` (``install``: half-installed
    files removed; ``uninstall``: the removal finished; ``upgrade``: the old
    version put back), ``label`` (``name version``) and ``path`` (the dist-info)."""

    __slots__ = ("kind", "label", "path")

    def __init__(self, kind: "str", label: "str", path: "str"):
        self.kind, self.label, self.path = kind, label, path


def _read_journal(journal: "str"):
    try:
        with open(journal, "rb") as f:
            info = json.loads(f.read().decode("utf-8"))
        return info if isinstance(info, dict) else None
    except (OSError, ValueError):
        return None


def _dist_label(dist_info: "str") -> "str":
    name, version = _split_info_name(os.path.basename(dist_info))
    return "%s %s" % (name, version) if version else name


def _repair_install(site: "str", journal: "str") -> "list":
    info = _read_journal(journal)
    out = []
    if info is not None:
        dist_info = info.get("dist_info", "")
        if dist_info and not os.path.exists(os.path.join(dist_info, "RECORD")):
            files = [f for f in info.get("files", []) if isinstance(f, str)]
            for target in files:
                _unlink_quietly(target)
            _unlink_write_temps(files)
            remove_tree(dist_info)
            _prune_empty_parents({os.path.dirname(t) for t in files}, info.get("roots", [site]))
            out.append(Repair("install", _dist_label(dist_info), dist_info))
    _unlink_quietly(journal)
    return out


def _unlink_write_temps(files) -> "None":
    """The temporary files of a write the kill interrupted (``atomic_write``'s
    ``.tmp-PID-THREAD-NAME`` beside a file of the journal: a launcher script)."""
    by_dir = {}
    for f in files:
        by_dir.setdefault(os.path.dirname(f), set()).add(os.path.basename(f))
    for folder, names in by_dir.items():
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            m = _lazy_re(r"\.tmp-\d+-\d+-(.+)\Z").match(entry)
            if m and m.group(1) in names:
                _unlink_quietly(os.path.join(folder, entry))


def _repair_uninstall(journal: "str") -> "list":
    info = _read_journal(journal)
    out = []
    if info is not None and isinstance(info.get("paths"), list):
        paths = [p for p in info["paths"] if isinstance(p, str)]
        _remove_paths(paths)
        _prune_empty_parents({os.path.dirname(p) for p in paths}, info.get("roots", []))
        dist_info = str(info.get("dist_info", ""))
        out.append(Repair("uninstall", _dist_label(dist_info), dist_info))
    _unlink_quietly(journal)
    return out


def interrupted_work(site_paths) -> "list":
    """What a killed process left for ``repair_interrupted`` (read only), as
    ``install of NAME VERSION``, ``uninstall of NAME VERSION`` or ``upgrade``."""
    found = []
    for site, name in _site_entries(site_paths):
        for kind in ("install", "uninstall"):
            prefix = ".puffin-%sing-" % kind
            if name.startswith(prefix) and name.endswith(".json"):
                info = _read_journal(os.path.join(site, name)) or {}
                found.append("%s of %s" % (kind, _dist_label(str(info.get("dist_info", "?")))))
        if name.startswith(".puffin-stash-"):
            found.append("upgrade")
    return found


def _repair_stashes(site: "str", site_paths=()) -> "list":
    """An upgrade killed between moving the old version aside and finishing
    the new one: with no complete installation of the project left (the half
    new one is gone by now), the old files go back; otherwise the stash goes."""
    try:
        names = os.listdir(site)
    except OSError:
        return []
    out = []
    for name in names:
        if not name.startswith(".puffin-stash-"):
            continue
        manifest = os.path.join(site, name, "manifest.json")
        if not os.path.isfile(manifest):
            # made just before a kill, before anything was moved into it (or
            # a folder in another scheme folder, whose manifest is elsewhere)
            if not _stash_listed_elsewhere(name, set(site_paths) | {site}):
                remove_tree(os.path.join(site, name))
            continue
        try:
            with open(manifest, "rb") as f:
                info = json.loads(f.read().decode("utf-8"))
            project = info["project"]
            moves = [tuple(m) for m in info["moves"]]
            folders = list(info["folders"])
            last = info["last"][1]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            remove_tree(os.path.join(site, name))   # unreadable: nothing can be put back
            continue
        # killed while moving (the old RECORD, moved last, still in place), or
        # before the new version was complete: the old one comes back
        moved_all = os.path.lexists(last)
        complete = moved_all and any(d.name == project and os.path.exists(os.path.join(d.path, "RECORD"))
                                     for d in read_installed([site]))
        if not complete:
            _restore_moves(moves)
            out.append(Repair("upgrade", project, os.path.join(site, name)))
        for folder in folders + [os.path.join(site, name)]:
            if os.path.basename(folder).startswith(".puffin-stash-"):
                remove_tree(folder)
    return out


def _stash_listed_elsewhere(name: "str", sites) -> "bool":
    """A stash folder without a manifest that another stash's manifest names
    (an upgrade moves files out of several scheme folders, one manifest for
    all). Otherwise it is what a kill left of a finished upgrade's clean-up."""
    for site in sites:
        try:
            others = os.listdir(site)
        except OSError:
            continue
        for other in others:
            if other.startswith(".puffin-stash-") and other != name:
                try:
                    with open(os.path.join(site, other, "manifest.json"), "rb") as f:
                        if name.encode("utf-8") in f.read():
                            return True
                except OSError:
                    continue
    return False


# ---- installed distributions ----------------------------------------------------

class InstalledDist(Value):
    """A distribution found in site-packages: a ``.dist-info`` folder, or a legacy
    ``.egg-info`` folder or file. ``name`` is canonical, ``version`` a ``Version``
    (None when unreadable); the rest is read from disk on first use."""

    __slots__ = ("name", "version", "path", "_cache")

    def __init__(self, name: "str", version, path: "str"):
        self.name = name
        self.version = version
        self.path = path
        self._cache = {}

    @property
    def kind(self) -> "str":
        return "dist-info" if self.path.endswith(".dist-info") else "egg-info"

    @property
    def location(self) -> "str":
        """The folder the distribution's RECORD paths are relative to."""
        return os.path.dirname(self.path)

    def read_text(self, name: "str"):
        """The text of a file in the metadata folder, or None."""
        if not os.path.isdir(self.path):
            return None
        try:
            with open(os.path.join(self.path, name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    @property
    def complete(self) -> "bool":
        """False for a ``.dist-info`` without RECORD (a broken or interrupted install)."""
        return self.kind != "dist-info" or os.path.isfile(os.path.join(self.path, "RECORD"))

    @property
    def installer(self):
        text = self.read_text("INSTALLER")
        return text.strip() if text else None

    @property
    def requested(self) -> "bool":
        return os.path.isfile(os.path.join(self.path, "REQUESTED"))

    @property
    def direct_url(self):
        """The ``DirectUrl`` of its ``direct_url.json`` (PEP 610), or None
        (none, or one that is not valid)."""
        text = self.read_text("direct_url.json")
        try:
            return DirectUrl.from_json(text) if text else None
        except InvalidDirectUrl:
            return None

    @property
    def metadata(self) -> "Metadata":
        if "metadata" not in self._cache:
            self._cache["metadata"] = Metadata.from_bytes(self._metadata_bytes())
        return self._cache["metadata"]

    def _metadata_bytes(self) -> "bytes":
        if os.path.isfile(self.path):
            source = self.path
        else:
            source = os.path.join(self.path, "METADATA" if self.kind == "dist-info" else "PKG-INFO")
        try:
            with open(source, "rb") as f:
                return f.read()
        except OSError as e:
            raise InstallError("cannot read the metadata of %s: %s" % (self.path, e))

    def entry_points(self) -> "dict":
        text = self.read_text("entry_points.txt")
        return _parse_entry_points(text) if text else {}

    def record_rows(self):
        """RECORD rows, or None when there is no RECORD."""
        text = self.read_text("RECORD")
        return None if text is None else record_rows(text)


def _split_info_name(filename: "str"):
    """(name, version text or None) from ``name-version.dist-info`` or
    ``name-version[-pyX.Y].egg-info``; None for the version when the name is not
    in that escaped form (then the metadata decides)."""
    stem = filename.rsplit(".", 1)[0]
    parts = stem.split("-")
    most = 2 if filename.endswith(".dist-info") else 3
    if len(parts) < 2 or len(parts) > most:
        return parts[0], None
    return parts[0], parts[1]


def _installed_dist(path: "str"):
    name, version_text = _split_info_name(os.path.basename(path))
    dist = InstalledDist(canonicalize_name(name), None, path)
    version = None
    if version_text is not None:
        try:
            version = Version(version_text)
        except InvalidVersion:
            version = None
    if version is None:
        # odd folder name: trust the metadata, as pip does
        try:
            meta = dist.metadata
            dist.name = canonicalize_name(meta.name)
            version = meta.version
        except PuffinError:
            return None
    dist.version = version
    return dist


def read_installed(site_paths) -> "list":
    """The distributions in ``site_paths`` (``.dist-info`` folders, legacy
    ``.egg-info`` folders and files), sorted by name. Unreadable ones are skipped
    with a warning; a dist-info without RECORD is listed (``complete`` is False)."""
    found, seen = [], set()
    for site, entry in _site_entries(site_paths):
        if not entry.endswith((".dist-info", ".egg-info")):
            continue
        path = os.path.join(site, entry)
        if entry.endswith(".dist-info") and not os.path.isdir(path):
            continue
        dist = _installed_dist(path)
        if dist is None:
            warn_user("ignoring the unreadable distribution %s" % path)
            continue
        if (dist.name, site) in seen:
            continue
        seen.add((dist.name, site))
        found.append(dist)
    return sorted(found, key=lambda d: (d.name, d.path))


# ---- uninstall -------------------------------------------------------------------

def uninstall(dist: "InstalledDist", scheme: "dict", stash=None, others=None,
              replacing: "bool" = False) -> "list":
    """Remove ``dist`` as pip does; return the removed paths (files, and folders
    removed whole), sorted. With a ``Stash``, the paths are moved aside
    instead, so that a failed upgrade can put them back (``Stash.restore``).

    A ``.dist-info`` goes by its RECORD (plus ``.pyc`` files of listed modules
    and the launchers of its entry points); a legacy ``.egg-info`` folder by
    ``installed-files.txt`` or ``top_level.txt``; folders left empty go too.
    A RECORD is not trusted beyond the environment: paths outside the scheme
    folders, the environment's ``pyvenv.cfg`` and interpreters, and files that
    another distribution's RECORD lists (``others``: an ``OwnedPaths``, read
    from the site folders when not given) stay, with a warning. A dist-info
    without RECORD is refused (``InstallError`` with a hint), unless
    ``replacing`` (a reinstall, an upgrade, a sync): then only its folder and
    launchers go (what else it installed cannot be known), with a warning.

    Without a stash, a journal beside the dist-info lists what goes, and the
    dist-info goes last (RECORD last of all), so a killed uninstall is
    finished by ``repair_interrupted``. Raises ``InstallError`` for a
    distutils ``.egg-info`` file."""
    with span("uninstall", dist=dist.name):
        roots = sorted({os.path.abspath(scheme[k]) for k in SCHEME_KEYS if scheme.get(k)}
                       | {os.path.abspath(dist.location)})
        # the headers folder is the project's own (include/site/pythonX.Y/<name>): pip
        # removes it with its last file, so pruning stops at its parent
        keep = [r for r in roots if r != os.path.abspath(scheme.get("headers") or "")]
        if scheme.get("headers"):
            keep.append(os.path.dirname(os.path.abspath(scheme["headers"])))
        going = _uninstall_paths(dist, scheme, roots, others, replacing)
        emptied = {os.path.dirname(p) for p in going}
        if stash is not None:
            emptied |= {os.path.dirname(p) for p in stash.move_all(dist, going, roots)}
        else:
            journal = _journal_path(dist.location, os.path.basename(dist.path), "uninstalling")
            atomic_write(journal, json.dumps({"dist_info": dist.path, "paths": going,
                                              "roots": keep}).encode("utf-8"))
            _remove_paths(going)
            _unlink_quietly(journal)
        _prune_empty_parents(emptied, keep)
        return sorted(set(going))


def _uninstall_paths(dist: "InstalledDist", scheme: "dict", roots, others, replacing) -> "list":
    """What an uninstall removes, in the order it goes: the distribution's
    files, then its metadata folder's files with RECORD last, then the folder."""
    folders = set()  # removed whole: only packages named by an egg-info's top_level.txt
    if dist.kind == "dist-info":
        files = _dist_info_paths(dist, replacing)
    else:
        files = _egg_info_paths(dist, folders)
    files |= _script_paths(dist, scheme)
    guarded = _guarded_paths(scheme)
    going = []
    for path in sorted(files | folders):
        if not _inside_any(path, roots):
            warn_user("not removing %s: it is outside the environment" % path)
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            if path not in folders:
                continue  # a RECORD never owns a folder; empty ones are pruned below
        elif not os.path.lexists(path):
            continue
        if path in guarded or _is_interpreter(path, scheme):
            warn_user("not removing %s: it belongs to the environment itself, not to %s"
                      % (path, dist.name))
            continue
        if not _inside_any(path, [dist.path]):
            if others is None:
                others = OwnedPaths.read(dist)
            owner = others.owner(path, dist.name)
            if owner is not None:
                warn_user("not removing %s: %s lists it too" % (path, owner))
                continue
        going.append(path)
    record = os.path.join(dist.path, "RECORD")
    going.sort(key=lambda p: (_inside_any(p, [dist.path]), p == record))
    if os.path.lexists(dist.path):
        going.append(dist.path)
    return going


def _remove_paths(paths) -> "None":
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            remove_tree(path)
        else:
            _unlink_quietly(path)


def _guarded_paths(scheme: "dict") -> "set":
    """Files of the environment itself that no RECORD may remove."""
    data = scheme.get("data")
    return {os.path.join(os.path.abspath(data), "pyvenv.cfg")} if data else set()


def _is_interpreter(path: "str", scheme: "dict") -> "bool":
    """A venv's interpreter or activation script (``bin/python3.12``, ``activate``)."""
    scripts = scheme.get("scripts")
    if not scripts or os.path.dirname(path) != os.path.abspath(scripts):
        return False
    return bool(_lazy_re(r"(?i)^(?:(?:python|pythonw|pypy)(?:\d+(?:\.\d+)?t?)?(?:\.exe)?"
                         r"|activate(?:\.\w+)?|activate_this\.py|deactivate\.bat)$")
                .match(os.path.basename(path)))


class OwnedPaths:
    """Which distribution's RECORD lists a path, for the other distributions
    of an environment (so an uninstall leaves what another one needs)."""

    def __init__(self, owners: "dict"):
        self.owners = owners   # {absolute path: [distribution names]}
        self.gone = set()      # names uninstalled since (they own nothing now)

    @classmethod
    def read(cls, dist: "InstalledDist" = None, site_paths=None) -> "OwnedPaths":
        """From the dist-infos beside ``dist`` (or in ``site_paths``), leaving
        ``dist`` itself out."""
        owners = {}
        sites = site_paths or [dist.location]
        for other in read_installed(sites):
            if other.kind != "dist-info" or (dist is not None and other.path == dist.path):
                continue
            for row in other.record_rows() or ():
                owners.setdefault(os.path.normpath(os.path.join(other.location, row[0])),
                                  []).append(other.name)
        return cls(owners)

    def owner(self, path: "str", excluding: "str" = None):
        """A distribution other than ``excluding`` whose RECORD lists ``path``, or None."""
        for name in self.owners.get(path, ()):
            if name != excluding and name not in self.gone:
                return name
        return None


class Stash:
    """What an upgrade's uninstall moved aside (pip's StashedUninstallPathSet):
    ``restore()`` puts it back when the new version fails to install,
    ``commit()`` deletes it once the new version is in. Each path is renamed
    into a ``.puffin-stash-*`` folder in its scheme folder (the same
    filesystem), after a manifest listing every move is written there, so a
    killed process leaves enough for ``repair_interrupted`` to undo it."""

    def __init__(self):
        self.moves = []     # (original, stashed)
        self.folders = {}   # scheme folder -> its stash folder
        self.manifest = None

    def _folder(self, root: "str") -> "str":
        import tempfile
        folder = self.folders.get(root)
        if folder is None:
            folder = self.folders[root] = tempfile.mkdtemp(prefix=".puffin-stash-", dir=root)
        return folder

    def move_all(self, dist: "InstalledDist", paths, roots) -> "list":
        """Move ``paths`` (files, or folders file by file) aside; the files moved."""
        # Folders go file by file: on an overlay filesystem (a Docker image) a
        # folder from a lower layer cannot be renamed (EXDEV), its files can.
        files = []
        for path in paths:
            if os.path.isdir(path) and not os.path.islink(path):
                for folder, dirs, names in os.walk(path):
                    files.extend(os.path.join(folder, n) for n in sorted(names))
                    files.extend(os.path.join(folder, n) for n in sorted(dirs)
                                 if os.path.islink(os.path.join(folder, n)))
            else:
                files.append(path)
        # each once (RECORD lists the dist-info's own files), RECORD last:
        # while it is in place, the moves are not finished
        record = os.path.join(dist.path, "RECORD")
        files = sorted(dict.fromkeys(files), key=lambda f: f == record)
        planned = []
        for path in files:
            root = max((r for r in roots if _inside_any(path, [r])), key=len)
            planned.append((path, os.path.join(self._folder(root), str(len(self.moves) + len(planned)))))
        if not planned:
            return []
        home = self._folder(os.path.abspath(dist.location))
        self.manifest = os.path.join(home, "manifest.json")
        atomic_write(self.manifest, json.dumps({
            "project": dist.name, "moves": self.moves + planned, "last": planned[-1],
            "folders": sorted(self.folders.values())}).encode("utf-8"))
        import shutil
        for path, dest in planned:
            try:
                os.replace(path, dest)
            except FileNotFoundError:
                continue  # gone already: a file shared with a package upgraded at the same time
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                shutil.move(path, dest)  # another filesystem below the scheme folder: copy
            self.moves.append((path, dest))
        return [path for path, _dest in planned]

    def restore(self) -> "None":
        _restore_moves(self.moves)
        self.commit()

    def commit(self) -> "None":
        # the folder holding the manifest goes last
        home = os.path.dirname(self.manifest) if self.manifest else None
        for folder in sorted(self.folders.values(), key=lambda f: f == home):
            remove_tree(folder)
        self.moves, self.folders, self.manifest = [], {}, None


def _restore_moves(moves) -> "None":
    for path, dest in reversed(moves):
        if os.path.lexists(dest) and not os.path.lexists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(dest, path)


def _inside_any(path: "str", roots) -> "bool":
    """Strictly below one of ``roots`` (a root itself is never removed)."""
    return any(path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _with_bytecode(path: "str", out: "set") -> "None":
    """``path`` plus, for a ``.py`` file, its ``.pyc``/``.pyo`` and ``__pycache__``
    files for every interpreter (pip removes only its own tag; any is stale now)."""
    out.add(path)
    if not path.endswith(".py"):
        return
    base = path[:-3]
    out.add(base + ".pyc")
    out.add(base + ".pyo")
    cache = os.path.join(os.path.dirname(path), "__pycache__")
    prefix = os.path.basename(base) + "."
    try:
        names = os.listdir(cache)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".pyc") and name.count(".") >= 2:
            out.add(os.path.join(cache, name))


def _dist_info_paths(dist: "InstalledDist", replacing: "bool" = False) -> "set":
    rows = dist.record_rows()
    if rows is None and not replacing:
        msg = "cannot uninstall %s %s: RECORD file not found" % (dist.name, dist.version)
        who = dist.installer
        if who and who not in ("pip", "puffin", "uv"):
            hint = "the package was installed by %s" % who
        else:
            hint = ("`puffin.py pip-install --reinstall %s==%s` replaces it (or `pip-sync` "
                    "without it removes it)" % (dist.name, dist.version))
        raise InstallError(msg, hint=hint)
    if rows is None:
        # an interrupted install or uninstall of another tool: what the
        # distribution installed cannot be known, but its folder can go, so
        # the environment is never stuck with it
        warn_user("%s %s has no RECORD: removing only %s (files it installed, if any, stay)"
                  % (dist.name, dist.version, dist.path))
        return set()
    out = set()
    for row in rows:
        _with_bytecode(os.path.normpath(os.path.join(dist.location, row[0])), out)
    return out


def _egg_info_paths(dist: "InstalledDist", folders: "set") -> "set":
    if os.path.isfile(dist.path):
        raise InstallError("cannot uninstall %s %s: it is a distutils installed project, so "
                           "which files belong to it cannot be known and removing it would be "
                           "partial" % (dist.name, dist.version))
    out = set()
    listed = dist.read_text("installed-files.txt")
    if listed is not None:
        for line in listed.splitlines():
            line = line.strip()
            if line:
                path = line if os.path.isabs(line) else os.path.join(dist.path, line)
                _with_bytecode(os.path.normpath(path), out)
        return out
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        namespaces = (dist.read_text("namespace_packages.txt") or "").splitlines()
        for pkg in top_level.splitlines():
            pkg = pkg.strip()
            if pkg and pkg not in namespaces and "/" not in pkg and pkg not in (".", ".."):
                base = os.path.join(dist.location, pkg)
                folders.add(base)
                _with_bytecode(base + ".py", out)
    return out


def _script_paths(dist: "InstalledDist", scheme: "dict") -> "set":
    """Launchers of the dist's entry points, and distutils scripts of an egg-info."""
    bin_dir = scheme.get("scripts")
    if not bin_dir:
        return set()
    names = set()
    groups = dist.entry_points()
    for group in ("console_scripts", "gui_scripts"):
        names.update(groups.get(group, {}))
    if dist.kind == "egg-info" and os.path.isdir(os.path.join(dist.path, "scripts")):
        names.update(os.listdir(os.path.join(dist.path, "scripts")))
    return {os.path.join(os.path.abspath(bin_dir), n) for n in names
            if n and "/" not in n and n not in (".", "..")}


# ---- bytecode --------------------------------------------------------------------

# Run in the target interpreter: compile the files named on stdin (JSON), print the
# .pyc paths written. pip calls compileall.compile_file(path, force=True, quiet=True).
_COMPILE_SCRIPT = r"""
import compileall, importlib.util, json, sys, warnings
paths = json.loads(sys.stdin.buffer.read().decode("utf-8"))
out = []
with warnings.catch_warnings():
    warnings.filterwarnings("ignore")
    for p in paths:
        try:
            ok = compileall.compile_file(p, force=True, quiet=2)
        except Exception:
            ok = False
        if ok:
            out.append(importlib.util.cache_from_source(p))
sys.stdout.buffer.write(json.dumps(out).encode("utf-8"))
"""


def compile_bytecode(paths, python_executable: "str", workers: "int" = None) -> "list":
    """Compile ``.py`` files with the target interpreter, in ``workers`` processes
    at once (default: the CPU count); return the ``.pyc`` paths written. Files that
    do not compile (Python 2 syntax, say) are skipped as pip skips them."""
    import subprocess
    paths = [p for p in paths if p.endswith(".py")]
    if not paths:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, (len(paths) + 49) // 50))
    chunks = [paths[i::workers] for i in range(workers)]

    def run(chunk):
        proc = run_child([python_executable, "-E", "-s", "-c", _COMPILE_SCRIPT],
                         input=json.dumps(chunk).encode("utf-8"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise InstallError("compiling bytecode with %s failed" % python_executable,
                               causes=[proc.stderr.decode("utf-8", "replace").strip()])
        return json.loads(proc.stdout.decode("utf-8"))

    with span("compile_bytecode", files=len(paths), workers=workers):
        if workers == 1:
            return run(chunks[0])
        results = []
        threads = [threading.Thread(target=lambda c=c: results.append(_capture(run, c)))
                   for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out = []
        for ok, value in results:
            if not ok:
                raise value
            out.extend(value)
        return sorted(out)


def _capture(fn, arg):
    try:
        return True, fn(arg)
    except BaseException as e:  # handed to the calling thread
        return False, e


def compile_installed(dist_info_paths, python_executable: "str", workers: "int" = None) -> "int":
    """``--compile-bytecode``: compile every ``.py`` file the given installs put in
    place (as pip does at install time) and list each ``.pyc`` in its RECORD with an
    empty hash, as pip does. Returns the number of ``.pyc`` files written."""
    per_dist = {}
    for dist_info in dist_info_paths:
        lib_dir = os.path.dirname(dist_info)
        with open(os.path.join(dist_info, "RECORD"), "rb") as f:
            rows = record_rows(f.read().decode("utf-8"))
        sources = sorted({os.path.join(lib_dir, r[0]) for r in rows if r[0].endswith(".py")})
        per_dist[dist_info] = (rows, [p for p in sources if os.path.isfile(p)])
    all_paths = [p for _, paths in per_dist.values() for p in paths]
    written = set(compile_bytecode(all_paths, python_executable, workers))
    count = 0
    for dist_info, (rows, sources) in per_dist.items():
        lib_dir = os.path.dirname(dist_info)
        known = {r[0] for r in rows}
        added = []
        for pyc in sorted(written):
            rel = _record_path(pyc, lib_dir)
            src_dir = os.path.dirname(os.path.dirname(pyc))
            stem = os.path.basename(pyc).split(".", 1)[0]
            if os.path.join(src_dir, stem + ".py") in sources and rel not in known:
                added.append((rel, "", ""))
        if added:
            new_rows = sorted([tuple(r + [""] * (3 - len(r)))[:3] for r in rows] + added)
            atomic_write(os.path.join(dist_info, "RECORD"), record_bytes(new_rows))
            count += len(added)
    return count


# =============================================================================
# 8. Index client
# =============================================================================
# Owns: HttpClient (kept-alive connection pools per host, DNS once per host,
# retries, redirects, gzip, proxies, TLS, auth, redaction), IndexLocations and
# RegistryClient (PEP 691 JSON / PEP 503 HTML pages, find-links, file:// indexes,
# index strategies, pages cached in simple-v1 with their HTTP policy). Uses 1-4.

DEFAULT_HTTP_TIMEOUT = 30.0   # seconds per socket operation, as uv's read timeout
DEFAULT_HTTP_RETRIES = 3      # as uv: three retries after the first attempt

_JSON_ACCEPT = ("application/vnd.pypi.simple.v1+json, "
                "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01")

# ---- redaction ----------------------------------------------------------------


def redact_url(url: "str") -> "str":
    """``url`` with its password replaced by ``****`` (a user name alone,
    often a token, is replaced too), for every message and log line."""
    if not isinstance(url, str) or "@" not in url:
        return url
    m = _lazy_re(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@?#]*)@").match(url)
    if not m:
        return url
    user, sep, _pw = m.group(2).partition(":")
    cred = user + ":****" if sep else "****"
    return m.group(1) + cred + "@" + url[m.end():]


def strip_credentials(url: "str") -> "str":
    """``url`` without its user name and password (for a URL written into a
    lock: ``****`` there would be sent as a password; the reader of the lock
    brings its own credentials, through netrc, a keyring or its own flags)."""
    if not isinstance(url, str) or "@" not in url:
        return url
    m = _lazy_re(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@?#]*)@").match(url)
    return m.group(1) + url[m.end():] if m else url


def redact_text(text: "str") -> "str":
    """Every URL credential in free text (an exception message) redacted."""
    if "@" not in text:
        return text
    return _lazy_re(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@?#]*@").sub(
        lambda m: redact_url(m.group(0)), text)


def _split_userinfo(url: "str"):
    """(url without credentials, user or None, password or None), unquoted."""
    if "@" not in url:   # no login (and no urllib.parse import: 2 ms of a warm sync)
        return url, None, None
    from urllib.parse import urlsplit, unquote
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return (parts._replace(netloc=hostport).geturl(), unquote(user) or None,
            unquote(password) if password else None)


def file_url_to_path(url: "str") -> "str":
    """Local path of a ``file:`` URL."""
    from urllib.parse import urlsplit, unquote
    parts = urlsplit(url)
    if os.name == "nt":  # pragma: no cover - drive letters and backslashes
        from urllib.request import url2pathname
        path = url2pathname(parts.path)
    else:
        path = unquote(parts.path)  # urllib.request would import half the stdlib for this
    if parts.netloc and parts.netloc != "localhost":
        path = "//" + parts.netloc + path  # UNC-style share
    return path


def path_to_file_url(path: "str") -> "str":
    """``file:`` URL of a local path (absolute)."""
    from urllib.parse import quote
    p = os.path.abspath(path).replace(os.sep, "/")
    if not p.startswith("/"):
        p = "/" + p
    return "file://" + quote(p)


# ---- errors -------------------------------------------------------------------

class HttpError(NetworkError):
    """An HTTP answer that is an error for good (after retries): ``.status``,
    ``.url`` (redacted)."""

    def __init__(self, url: "str", status: "int", reason: "str" = "", hint=None):
        self.url = redact_url(url)
        self.status = status
        super().__init__("HTTP status %d %s for %s" % (status, reason, self.url),
                         hint=hint)


class _Retry(Exception):
    """Internal: an attempt that may be retried (``delay`` overrides backoff)."""

    def __init__(self, cause, delay=None, response=None):
        super().__init__(str(cause))
        self.cause = cause
        self.delay = delay
        self.response = response


# ---- DNS ------------------------------------------------------------------------

class DnsCache:
    """Resolve each host once per process, however many threads ask.

    ``getaddrinfo`` has no timeout and a stalled resolver can hang a request
    forever, so each lookup runs in a helper thread: when it has not answered
    within ``timeout`` seconds, another attempt starts beside it (up to
    ``attempts``) and the first answer wins; with no answer after
    ``give_up`` seconds in all, the lookup fails. A dropped query stalls
    glibc's resolver for 5 s; a second query a second later usually answers
    at once. ``lookups`` counts getaddrinfo calls per host (tests assert it).
    """

    def __init__(self, timeout: "float" = 1.0, attempts: "int" = 3, give_up: "float" = 30.0):
        self.timeout = timeout
        self.attempts = attempts
        self.give_up = give_up
        self.lookups: "dict" = {}
        self._answers: "dict" = {}
        self._locks: "dict" = {}
        self._lock = _thread.allocate_lock()

    def resolve(self, host: "str", port: "int") -> "list":
        key = (host, port)
        found = self._answers.get(key)
        if found is not None:
            return found
        with self._lock:
            lock = self._locks.setdefault(key, _thread.allocate_lock())
        with lock:
            found = self._answers.get(key)
            if found is None:
                found = self._answers[key] = self._lookup(host, port)
            return found

    def _lookup(self, host: "str", port: "int") -> "list":
        import socket
        import queue
        answers: "queue.Queue" = queue.Queue()

        def attempt():
            try:
                answers.put((True, socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)))
            except OSError as e:
                answers.put((False, e))

        error = None
        started = 0
        deadline = time.monotonic() + max(self.give_up, self.timeout * self.attempts)
        with span("dns.resolve", host=host):
            while True:
                if started < self.attempts and error is None:
                    with self._lock:
                        self.lookups[host] = self.lookups.get(host, 0) + 1
                    threading.Thread(target=attempt, daemon=True,
                                     name="puffin-dns").start()
                    started += 1
                left = deadline - time.monotonic()
                wait = self.timeout if started < self.attempts else left
                try:
                    ok, value = answers.get(timeout=max(0.0, min(wait, left)))
                except queue.Empty:
                    if time.monotonic() >= deadline:
                        raise OSError("DNS lookup of %s timed out" % host)
                    continue
                if ok:
                    return value
                error = value
                raise error

    def clear(self) -> "None":
        with self._lock:
            self._answers.clear()


_DNS = DnsCache()


# ---- responses -------------------------------------------------------------------

class HttpResponse:
    """A finished response: ``status``, ``reason``, ``headers`` (lower-case
    names), ``url`` (final, after redirects), ``body`` (bytes, decoded from
    gzip; b"" when the body went to a sink), ``streamed`` (True when it did)."""

    __slots__ = ("status", "reason", "headers", "url", "body", "streamed")

    def __init__(self, status, reason, headers, url, body=b"", streamed=False):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.url = url
        self.body = body
        self.streamed = streamed

    def header(self, name: "str", default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "HttpResponse(%d, %s)" % (self.status, redact_url(self.url))


class _HostPool:
    """Idle kept-alive connections of one (scheme, host, port, proxy), and a
    semaphore so that no more than ``size`` are open at once: threads beyond
    that wait for a connection instead of opening (and handshaking) new ones."""

    def __init__(self, size: "int"):
        self.idle: "list" = []
        self.lock = _thread.allocate_lock()
        self.slots = threading.BoundedSemaphore(size)


# The most a response held in memory may be (an index page, a metadata file, a
# range), after gunzipping: the largest pages of the default index are about 2
# MiB (botocore, numpy), so this leaves room thirty times over while no page,
# however hostile, can make us hold more.
MAX_BODY = 64 * 1024 * 1024


class ResponseTooLarge(NetworkError):
    """A response bigger than puffin.py holds in memory (``MAX_BODY``)."""


class LocalWriteError(PuffinError):
    """A download that could not be written to disk (a full disk, a quota):
    the user's to fix, so never retried as a network failure would be."""


class _LocalSink:
    """Where a streamed body goes; its write errors are the disk's, not the network's."""

    def __init__(self, out):
        self.out = out

    def write(self, data):
        try:
            return self.out.write(data)
        except OSError as e:
            where = getattr(self.out, "path", None)
            raise LocalWriteError("cannot write %s: %s" % (where or "a download", e.strerror or e),
                                  hint="free some disk space, or pass --cache-dir DIR on a "
                                       "disk with room") from e


class _HeldBody(io.BytesIO):
    """A body kept in memory, refused once it grows past ``limit`` bytes."""

    def __init__(self, limit: "int", url: "str"):
        super().__init__()
        self.limit, self.url = limit, url

    def write(self, data) -> "int":
        if self.tell() + len(data) > self.limit:
            self.too_large()
        return super().write(data)

    def too_large(self):
        raise ResponseTooLarge("the answer from %s is too large (over %s)"
                               % (redact_url(self.url), format_size(self.limit)),
                               hint="an index page or metadata file is never this big: "
                                    "check the index URL")


class HttpClient:
    """The one HTTP client of a process, on ``http.client``, safe for many threads.

    - connections kept alive and reused, at most ``pool_size`` per host;
    - each host resolved once (``dns``, a DnsCache shared process-wide by default);
    - ``timeout`` seconds per socket operation (``--timeout``, PUFFIN_HTTP_TIMEOUT);
    - ``retries`` retries with exponential backoff (``backoff`` seconds, doubled
      each time, with jitter) for connection errors, timeouts, 429 (honouring
      Retry-After), 5xx and bodies cut off midway;
    - gzip, up to 10 redirects, proxies from HTTP(S)_PROXY/NO_PROXY (CONNECT for
      https), TLS from the system store, SSL_CERT_FILE/SSL_CERT_DIR or ``cert``,
      ``trusted_hosts`` without verification;
    - credentials from ``user:password@`` in URLs and netrc, reused for every URL
      on the same host; never shown (see redact_url);
    - ``offline``: any request raises OfflineError before touching the network.

    ``stats`` counts requests, new connections (also ``connections_by_host``),
    retries and body bytes received.
    """

    def __init__(self, *, timeout: "float | None" = None, retries: "int" = DEFAULT_HTTP_RETRIES,
                 backoff: "float" = 0.5, pool_size: "int | None" = None, cert: "str | None" = None,
                 trusted_hosts=(), offline: "bool" = False, env=None, dns: "DnsCache | None" = None,
                 netrc: "bool" = True, max_retry_after: "float" = 60.0, keyring: "str | None" = None):
        env = os.environ if env is None else env
        self.env = env
        # pip's and uv's --keyring-provider: "subprocess" asks the `keyring`
        # command (pip's "auto" and "import" do the same here: nothing is imported)
        self.keyring = keyring if keyring in ("subprocess", "auto", "import") else None
        self._keyring_done: "dict" = {}
        if timeout is not None and not 0 < timeout < float("inf"):  # also NaN
            raise UsageError("--timeout must be a positive number of seconds, not %s" % _fmt_num(timeout))
        self.timeout = timeout if timeout is not None else _env_timeout(env)
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.pool_size = max(1, pool_size if pool_size is not None else concurrency(env))
        self.cert = cert
        self.trusted_hosts = {h.strip().lower() for h in trusted_hosts if h.strip()}
        self.offline = offline
        self.dns = dns or _DNS
        self.use_netrc = netrc
        self.stats = {"requests": 0, "connections": 0, "retries": 0, "bytes": 0}
        self.connections_by_host: "dict" = {}
        self._stats_lock = _thread.allocate_lock()
        self._pools: "dict" = {}
        self._pools_lock = _thread.allocate_lock()
        self._ssl = {}
        self._ssl_lock = _thread.allocate_lock()
        self._credentials: "dict" = {}
        self._netrc = None
        self._proxies = _proxy_settings(env)

    # ---- credentials ----------------------------------------------------------

    def add_credentials(self, url: "str") -> "str":
        """Remember the credentials of ``url`` (if any) for its host and return
        the URL without them. Index URLs pass through here when the client
        learns them, so files on the same host are fetched with the same login."""
        clean, user, password = _split_userinfo(url)
        if password == "****" or (password is None and user == "****"):
            return clean   # a redacted URL (a lock of an older version): not a login
        if user is not None or password is not None:
            self._credentials[_netloc_key(clean)] = (user or "", password or "")
        return clean

    def _auth_for(self, url: "str"):
        key = _netloc_key(url)
        cred = self._credentials.get(key)
        if cred is None and self.use_netrc:
            cred = self._netrc_lookup(url)
        if cred is not None and cred[0] and not cred[1] and self.keyring:
            # a user name without a password (https://user@host/simple): the keyring has it
            found = self._keyring_lookup(url, cred[0])
            cred = found or cred
        return cred

    def _keyring_lookup(self, url: "str", username: "str | None"):
        """Credentials for ``url`` from the ``keyring`` command, as pip and uv ask
        it: ``keyring get SERVICE USERNAME`` (the password) when the user name is
        known, else ``keyring --mode creds get SERVICE`` (name and password);
        SERVICE is the URL, then each shorter prefix of its path, then the host.
        Asked once per host; the answers are remembered for the host and never
        printed. None when the keyring has nothing."""
        import subprocess
        from urllib.parse import urlsplit
        key = _netloc_key(url)
        with self._stats_lock:
            if key in self._keyring_done:
                return self._keyring_done[key]
            self._keyring_done[key] = None
        clean = _split_userinfo(url)[0].split("#", 1)[0].split("?", 1)[0]
        parts = urlsplit(clean)
        services, path = [], parts.path
        while True:
            services.append("%s://%s%s" % (parts.scheme, parts.netloc, path))
            if not path.strip("/"):
                break
            path = path[:-1] if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
        services.append(parts.hostname or parts.netloc)
        exe = _which("keyring", self.env)
        if exe is None:
            warn_user("--keyring-provider subprocess: no `keyring` command on PATH")
            return None
        env = dict(self.env, PYTHONIOENCODING="utf-8")
        found = None
        for service in dict.fromkeys(services):
            cmd = [exe, "get", service, username] if username else [exe, "--mode", "creds", "get", service]
            try:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, env=env, timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                break
            out = proc.stdout.decode("utf-8", "replace").splitlines()
            if proc.returncode != 0 or not out:
                continue
            if username:
                found = (username, out[0])
            elif len(out) >= 2:
                found = (out[0], out[1])
            if found:
                break
        with self._stats_lock:
            self._keyring_done[key] = found
            if found:
                self._credentials[key] = found
        return found

    def _netrc_lookup(self, url: "str"):
        from urllib.parse import urlsplit
        if self._netrc is None:
            self._netrc = _load_netrc(self.env)
        if not self._netrc:
            return None
        host = urlsplit(url).hostname or ""
        found = self._netrc.authenticators(host)
        if not found:
            return None
        login, _account, password = found
        return (login or "", password or "")

    # ---- public API -------------------------------------------------------------

    def get(self, url: "str", headers=None) -> "HttpResponse":
        """GET the whole body; an error status (>= 400) raises HttpError."""
        resp = self.request(url, headers=headers)
        if resp.status >= 400:
            raise HttpError(resp.url, resp.status, resp.reason, hint=_status_hint(resp.status))
        return resp

    def request(self, url: "str", *, method: "str" = "GET", headers=None, sink=None,
                decode: "bool" = True) -> "HttpResponse":
        """Send a request, following redirects and retrying transient failures.

        Returns the final response whatever its status (callers judge 304, 404,
        206...), except that 5xx/429 still failing after the retries and network
        errors raise NetworkError (HttpError for statuses). ``sink(response)`` is
        called once the status and headers are known, once per attempt: when it
        returns a writable object, the body is streamed into it (``write(bytes)``)
        instead of memory; it must start over on each call (a retry restarts the
        body from byte 0).
        """
        if self.offline:
            raise OfflineError("cannot fetch %s: network access is disabled (--offline)"
                               % redact_url(url))
        url = self.add_credentials(url)
        attempt = 0
        while True:
            try:
                return self._follow_redirects(url, method, dict(headers or {}), sink, decode)
            except _Retry as r:
                if attempt >= self.retries:
                    self._give_up(url, r)
                delay = r.delay if r.delay is not None else self._backoff_delay(attempt)
                attempt += 1
                with self._stats_lock:
                    self.stats["retries"] += 1
                time.sleep(delay)

    def close(self) -> "None":
        """Close every idle connection (the process exiting does this too)."""
        with self._pools_lock:
            pools = list(self._pools.values())
        for pool in pools:
            with pool.lock:
                idle, pool.idle = pool.idle, []
            for conn in idle:
                conn.close()

    # ---- internals ----------------------------------------------------------------

    def _backoff_delay(self, attempt: "int") -> "float":
        import random
        return min(self.backoff * (2 ** attempt), 10.0) * (0.5 + random.random())

    def _give_up(self, url: "str", r: "_Retry"):
        cause = r.cause
        if r.response is not None:
            resp = r.response
            raise HttpError(resp.url, resp.status, resp.reason,
                            hint="the server kept failing after %d retries" % self.retries)
        text = redact_text("%s: %s" % (type(cause).__name__, cause))
        hint = None
        if _is_timeout(cause):
            hint = "the server did not answer in %ss; raise it with --timeout or " \
                   "PUFFIN_HTTP_TIMEOUT" % _fmt_num(self.timeout)
        raise NetworkError("failed to fetch %s after %d retries" % (redact_url(url), self.retries),
                           hint=hint, causes=[text]) from cause

    def _follow_redirects(self, url, method, headers, sink, decode):
        from urllib.parse import urljoin
        for _ in range(10):
            resp = self._attempt(url, method, headers, sink, decode)
            if resp.status == 401 and self.keyring and "Authorization" not in headers \
                    and _netloc_key(url) not in self._keyring_done:
                known = self._credentials.get(_netloc_key(url))
                if self._keyring_lookup(url, known[0] if known and known[0] else None):
                    resp = self._attempt(url, method, headers, sink, decode)
            if resp.status in (301, 302, 303, 307, 308) and resp.header("location"):
                new = urljoin(url, resp.header("location"))
                new = self.add_credentials(new)
                if _netloc_key(new) != _netloc_key(url):
                    headers.pop("Authorization", None)
                if resp.status == 303:
                    method = "GET"
                url = new
                continue
            return resp
        raise NetworkError("too many redirects fetching %s" % redact_url(url))

    def _request_headers(self, url: "str", scheme: "str", proxy, headers: "dict") -> "dict":
        """The headers one request sends: ours, the caller's, and the one place
        credentials go on (Basic auth from the URL, netrc or keyring; the
        proxy's own for a plain-HTTP proxy). A new auth method goes here."""
        send = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
        send.update(headers)
        auth = self._auth_for(url)
        if auth is not None and "Authorization" not in send:
            import base64
            token = base64.b64encode(("%s:%s" % auth).encode("utf-8")).decode("ascii")
            send["Authorization"] = "Basic " + token
        if proxy is not None and scheme == "http" and proxy[3]:
            send["Proxy-Authorization"] = proxy[3]
        return send

    def _attempt(self, url, method, headers, sink, decode) -> "HttpResponse":
        """One request over a pooled connection; transient failures -> _Retry."""
        import http.client
        import socket
        import ssl
        from urllib.parse import urlsplit
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise NetworkError("unsupported URL scheme in %s" % redact_url(url))
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        proxy = self._proxy_for(scheme, host, port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if proxy is not None and scheme == "http":
            target = parts._replace(fragment="").geturl()  # absolute-form for an HTTP proxy
        send = self._request_headers(url, scheme, proxy, headers)
        with self._stats_lock:
            self.stats["requests"] += 1
        pool = self._pool(scheme, host, port, proxy)
        pool.slots.acquire()
        conn = None
        reusable = False
        try:
            for fresh_try in (0, 1):
                conn, reused = self._checkout(pool, scheme, host, port, proxy)
                try:
                    with span("http.request", url=redact_url(url), method=method):
                        conn.request(method, target, headers=send)
                        raw = conn.getresponse()
                    break
                except (http.client.RemoteDisconnected, BrokenPipeError,
                        ConnectionResetError, http.client.BadStatusLine) as e:
                    conn.close()
                    if reused and fresh_try == 0:
                        continue  # the server closed an idle kept-alive connection
                    raise _Retry(e)
            resp = HttpResponse(raw.status, raw.reason,
                                {k.lower(): v for k, v in raw.getheaders()}, url)
            if method == "HEAD" or raw.status in (204, 304) or 100 <= raw.status < 200:
                raw.read()
            elif raw.status == 429 or raw.status >= 500:
                self._read_body(raw, resp, None, decode)
                delay = None
                if raw.status in (429, 503):
                    delay = _retry_after(resp.header("retry-after"), self.max_retry_after)
                reusable = not raw.will_close
                raise _Retry(HttpError(url, raw.status, raw.reason), delay, resp)
            else:
                out = sink(resp) if sink is not None and raw.status < 300 else None
                self._read_body(raw, resp, out, decode)
            reusable = not raw.will_close
            return resp
        except _Retry:
            raise
        except ssl.SSLCertVerificationError as e:
            raise NetworkError(
                "TLS certificate verification failed for %s" % redact_url(url),
                hint="pass --cert FILE (or set SSL_CERT_FILE), or --trusted-host %s" % host,
                causes=[redact_text(str(e))]) from e
        except (OSError, http.client.HTTPException, EOFError, socket.timeout) as e:
            # timeouts, refused/reset connections, bodies cut off midway (IncompleteRead)
            raise _Retry(e)
        finally:
            if conn is not None:
                if reusable and conn.sock is not None:
                    with pool.lock:
                        pool.idle.append(conn)
                else:
                    conn.close()
            pool.slots.release()

    def _read_body(self, raw, resp: "HttpResponse", out, decode: "bool") -> "None":
        """Read the whole body into ``resp.body`` (at most ``MAX_BODY`` bytes,
        after gunzipping: an index page or a metadata file, never a bomb) or
        stream it into ``out``, gunzipping in bounded pieces on the way (a
        cut-off body raises IncompleteRead)."""
        import zlib
        gz = decode and (resp.header("content-encoding") or "").lower() in ("gzip", "x-gzip")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gz else None
        held = None
        if out is None:
            out = held = _HeldBody(MAX_BODY, resp.url)
            if raw.length is not None and raw.length > MAX_BODY:
                held.too_large()
        else:
            resp.streamed = True
            out = _LocalSink(out)
        total = 0
        try:
            while True:
                chunk = raw.read(256 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if inflater is None:
                    out.write(chunk)
                    continue
                while chunk:   # at most 1 MiB out per call: 256 KiB of zeros is 256 MiB
                    out.write(inflater.decompress(chunk, 1 << 20))
                    chunk = inflater.unconsumed_tail
            if raw.length:
                # read(amt) returns b"" at EOF without complaint (unlike read()):
                # a body shorter than its Content-Length was cut off -> retry
                import http.client
                raise http.client.IncompleteRead(b"", raw.length)
            if inflater:
                out.write(inflater.flush())
        finally:
            with self._stats_lock:
                self.stats["bytes"] += total
        if held is not None:
            resp.body = held.getvalue()

    def warm(self, url: "str") -> "None":
        """Start, in the background, what the first request to ``url``'s host
        will need: its DNS answer, the TLS context and one connection, left
        idle in the pool. Costs nothing when offline; failures are ignored (the
        real request will meet them again and report them)."""
        if not self.offline and url.startswith(("http://", "https://")):
            thread_pool().submit(self._warm, url)

    def _warm(self, url: "str") -> "None":
        from urllib.parse import urlsplit
        try:
            parts = urlsplit(self.add_credentials(url))
            scheme = parts.scheme.lower()
            host = parts.hostname or ""
            port = parts.port or (443 if scheme == "https" else 80)
            proxy = self._proxy_for(scheme, host, port)
            pool = self._pool(scheme, host, port, proxy)
            with pool.lock:
                if pool.idle:
                    return
            conn = self._new_connection(scheme, host, port, proxy)
            with span("http.warm", host=host):
                conn.connect()
            with pool.lock:
                pool.idle.append(conn)
        except Exception:  # a head start only
            pass

    def _checkout(self, pool: "_HostPool", scheme, host, port, proxy):
        """An idle connection of the pool, or a new one (connected lazily)."""
        with pool.lock:
            conn = pool.idle.pop() if pool.idle else None
        if conn is not None:
            return conn, True
        return self._new_connection(scheme, host, port, proxy), False

    def _pool(self, scheme, host, port, proxy) -> "_HostPool":
        key = (scheme, host, port, proxy)
        pool = self._pools.get(key)
        if pool is None:
            with self._pools_lock:
                pool = self._pools.setdefault(key, _HostPool(self.pool_size))
        return pool

    def _new_connection(self, scheme, host, port, proxy):
        import http.client
        if proxy is not None:
            phost, pport, pauth = proxy[1], proxy[2], proxy[3]
            if scheme == "https":
                conn = http.client.HTTPSConnection(phost, pport, timeout=self.timeout,
                                                   context=self._ssl_context(host))
                conn.set_tunnel(host, port, headers={"Proxy-Authorization": pauth} if pauth else None)
            else:
                conn = http.client.HTTPConnection(phost, pport, timeout=self.timeout)
        elif scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                               context=self._ssl_context(host))
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        conn._create_connection = self._connect  # DNS through our cache, counted
        return conn

    def _connect(self, address, timeout=None, source_address=None, *args, **kwargs):
        """``socket.create_connection`` over the cached DNS answers."""
        import socket
        host, port = address
        infos = self.dns.resolve(host, port)
        with self._stats_lock:
            self.stats["connections"] += 1
            self.connections_by_host[host] = self.connections_by_host.get(host, 0) + 1
        error = None
        for family, socktype, proto, _canon, sockaddr in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                sock.settimeout(timeout if timeout is not None else self.timeout)
                if source_address:
                    sock.bind(source_address)
                with span("http.connect", host=host):
                    sock.connect(sockaddr)
                return sock
            except OSError as e:
                error = e
                sock.close()
        raise error or OSError("no address for %s" % host)

    def _ssl_context(self, host: "str"):
        """One verifying context per client (a trusted host gets one that does
        not verify); built on first HTTPS use, since it costs milliseconds."""
        import ssl
        trusted = host.lower() in self.trusted_hosts or any(
            t.split(":")[0] == host.lower() for t in self.trusted_hosts)
        with self._ssl_lock:
            ctx = self._ssl.get(trusted)
            if ctx is not None:
                return ctx
            if trusted:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            else:
                cafile = self.cert or self.env.get("SSL_CERT_FILE") or None
                capath = self.env.get("SSL_CERT_DIR") or None
                if capath and not os.path.isdir(capath):
                    capath = None
                if cafile and not os.path.isfile(cafile):
                    raise NetworkError("the certificate file %s does not exist" % cafile)
                ctx = ssl.create_default_context(cafile=cafile, capath=capath)
                if cafile is None and capath is None:
                    pass  # create_default_context loaded the system store
            try:
                ctx.set_alpn_protocols(["http/1.1"])
            except (AttributeError, NotImplementedError):  # pragma: no cover
                pass
            self._ssl[trusted] = ctx
            return ctx

    def _proxy_for(self, scheme: "str", host: "str", port: "int"):
        """(scheme, host, port, Proxy-Authorization or None) or None."""
        proxy = self._proxies.get(scheme)
        if not proxy or _no_proxy_match(host, port, self._proxies.get("no", "")):
            return None
        return proxy


def _netloc_key(url: "str") -> "str":
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        port = default
    return "%s:%d" % (host, port)


_TIMEOUT = Setting("timeout", "float", ("PUFFIN_HTTP_TIMEOUT", "UV_HTTP_TIMEOUT", "PIP_TIMEOUT",
                                        "PIP_DEFAULT_TIMEOUT"))


def _env_timeout(env) -> "float":
    return setting_from_env(env, _TIMEOUT)[0] or DEFAULT_HTTP_TIMEOUT


def _fmt_num(x: "float") -> "str":
    return ("%d" % x) if float(x).is_integer() else ("%g" % x)


def _is_timeout(e) -> "bool":
    import socket
    return isinstance(e, (socket.timeout, TimeoutError)) or "timed out" in str(e)


def _status_hint(status: "int"):
    if status == 401:
        return "the server wants (other) credentials: put them in the index URL " \
               "(https://user:password@host/...), in ~/.netrc, or in a keyring " \
               "(--keyring-provider subprocess)"
    if status == 403:
        return "the server refused these credentials"
    return None


def _retry_after(value, cap: "float"):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, min(float(value), cap))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime
        when = parsedate_to_datetime(value).timestamp()
        return max(0.0, min(when - time.time(), cap))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _load_netrc(env):
    """The parsed netrc file (NETRC, else ~/.netrc), or False when there is none."""
    import netrc
    path = env.get("NETRC") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".netrc")
    if not os.path.isfile(path):
        return False
    try:
        return netrc.netrc(path)
    except (netrc.NetrcParseError, OSError) as e:
        warn_user("ignoring the netrc file %s: %s" % (path, e))
        return False


def _proxy_settings(env) -> "dict":
    """{"http": proxy, "https": proxy, "no": NO_PROXY} from the environment
    (lower-case names win, as in curl and urllib)."""
    out: "dict" = {}
    for scheme in ("http", "https"):
        raw = env.get(scheme + "_proxy") or env.get(scheme.upper() + "_PROXY")
        if not raw:
            continue
        from urllib.parse import urlsplit, unquote
        if "://" not in raw:
            raw = "http://" + raw
        p = urlsplit(raw)
        auth = None
        if p.username is not None:
            import base64
            cred = "%s:%s" % (unquote(p.username), unquote(p.password or ""))
            auth = "Basic " + base64.b64encode(cred.encode("utf-8")).decode("ascii")
        out[scheme] = (p.scheme, p.hostname, p.port or (443 if p.scheme == "https" else 80), auth)
    out["no"] = env.get("no_proxy") or env.get("NO_PROXY") or ""
    return out


def _no_proxy_match(host: "str", port: "int", no_proxy: "str") -> "bool":
    host = host.lower()
    for entry in no_proxy.replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        ehost, _, eport = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
        if eport and eport != str(port):
            continue
        ehost = ehost.lstrip("*")
        if host == ehost.lstrip(".") or (ehost.startswith(".") and host.endswith(ehost)) \
                or host.endswith("." + ehost):
            return True
    return False


# ---- index locations -------------------------------------------------------------

class IndexLocations(Value):
    """Where packages come from: the default index (``index_url``), extra
    indexes, find-links locations (folders, files, HTML pages) and ``no_index``
    (ignore every index; find-links only)."""

    __slots__ = ("index_url", "extra_index_urls", "find_links", "no_index")

    def __init__(self, index_url: "str" = DEFAULT_INDEX_URL, extra_index_urls=(),
                 find_links=(), no_index: "bool" = False):
        self.index_url = index_url or DEFAULT_INDEX_URL
        self.extra_index_urls = tuple(extra_index_urls or ())
        self.find_links = tuple(find_links or ())
        self.no_index = bool(no_index)

    def indexes(self) -> "list":
        """Indexes in the order they are asked: extras first, the default last (as uv)."""
        if self.no_index:
            return []
        seen, out = set(), []
        for url in list(self.extra_index_urls) + [self.index_url]:
            if url not in seen:
                seen.add(url)
                out.append(url)
        return out


# ---- page parsing ------------------------------------------------------------------

def _split_fragment_hashes(url: "str"):
    """(url without fragment, {alg: hex}) from ``...#sha256=abc``."""
    base, _, frag = url.partition("#")
    hashes = {}
    if frag:
        for piece in frag.split("&"):
            alg, eq, value = piece.partition("=")
            alg = alg.lower()
            if eq and alg in ("sha256", "sha384", "sha512", "sha224", "sha1", "md5",
                              "blake2b", "blake2s", "sha3_256"):
                hashes[alg] = value.lower()
    return base, hashes


def _url_filename(url: "str") -> "str":
    from urllib.parse import unquote, urlsplit
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _metadata_flag(value):
    """PEP 658/714 availability: None (absent/false), {} (true), {alg: hex}."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if isinstance(value, dict):
        return {str(k).lower(): str(v).lower() for k, v in value.items()}
    text = str(value).strip()
    if text.lower() in ("", "true"):
        return {}
    if text.lower() == "false":
        return None
    alg, eq, hexd = text.partition("=")
    return {alg.lower(): hexd.lower()} if eq else {}


# The most files one project page may list: the largest pages of the default
# index list about 25,000 (tf-nightly); a page past this is refused before it
# is parsed, since parsing is where a small page of tiny entries costs memory.
MAX_PAGE_FILES = 500_000


def _check_page_files(count: "int", base_url: "str") -> "None":
    if count > MAX_PAGE_FILES:
        raise ResponseTooLarge("the index page %s is too large: it lists over %d files"
                               % (redact_url(base_url), MAX_PAGE_FILES),
                               hint="no project has this many files: check the index URL")


def parse_json_page(data: "bytes", base_url: "str") -> "list":
    """Rows (see _row) of a PEP 691 JSON page; URLs made absolute."""
    from urllib.parse import urljoin
    _check_page_files(data.count(b'"filename"'), base_url)
    doc = json.loads(data)
    rows = []
    append = rows.append
    # This loop runs once per file of every page (100,000 for a large lock):
    # the common shapes (an absolute URL without a fragment, one lowercase
    # sha256, no metadata keys) take the short paths.
    for f in doc.get("files", ()):
        url = f.get("url")
        filename = f.get("filename") or (url and _url_filename(url))
        if not url or not filename:
            continue
        frag_hashes = None
        if "#" in url or "://" not in url:
            if "://" not in url:
                url = urljoin(base_url, url)
            url, frag_hashes = _split_fragment_hashes(url)
        hashes = f.get("hashes")
        if hashes.__class__ is not dict or len(hashes) != 1 \
                or not (hashes.get("sha256") or "").islower():
            hashes = {str(k).lower(): str(v).lower() for k, v in (hashes or {}).items()}
        hashes = hashes or frag_hashes or {}
        yanked = f.get("yanked", False)
        if yanked is not False and yanked is not None:
            yanked = "" if yanked is True else str(yanked)
        else:
            yanked = None
        meta = None
        for key in _METADATA_KEYS:
            if key in f:
                meta = _metadata_flag(f[key])
                break
        size = f.get("size")
        append([filename, url, hashes, f.get("requires-python") or None, yanked,
                f.get("upload-time"), size if size.__class__ is int else None, meta])
    return rows


# PEP 714's name first, then the older ones it replaced
_METADATA_KEYS = ("core-metadata", "data-dist-info-metadata", "dist-info-metadata")


def parse_html_page(data: "bytes", base_url: "str") -> "list":
    """Rows (see _row) of a PEP 503 HTML page (or any page of links), via
    ``html.parser``; ``<base href>`` honoured, attribute entities unescaped."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin
    _check_page_files(data.count(b"<a ") + data.count(b"<A "), base_url)
    anchors = []
    base = [base_url]

    class _Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a":
                anchors.append(dict(attrs))
            elif tag == "base":
                href = dict(attrs).get("href")
                if href:
                    base[0] = urljoin(base[0], href)

    text = data.decode("utf-8", "replace")
    parser = _Parser(convert_charrefs=True)
    parser.feed(text)
    parser.close()
    rows = []
    for a in anchors:
        href = a.get("href")
        if not href:
            continue
        url, hashes = _split_fragment_hashes(urljoin(base[0], href.strip()))
        filename = _url_filename(url)
        if not filename:
            continue
        yanked = a.get("data-yanked", False)
        yanked = None if yanked is False else (yanked or "")
        meta = a["data-core-metadata"] if "data-core-metadata" in a \
            else a.get("data-dist-info-metadata")
        rows.append([filename, url, hashes, a.get("data-requires-python") or None, yanked,
                     None, None, _metadata_flag(meta)])
    return rows


def _row_files(rows, index: "str") -> "list":
    return [IndexFile(*r, index) for r in rows]  # a row: the first 8 fields, in order


_ARCHIVE_EXTS = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")


def _is_dist_filename(filename: "str") -> "bool":
    return filename.lower().endswith(_ARCHIVE_EXTS)


# ---- cached pages --------------------------------------------------------------------

class _CachedPage:
    """One simple-v1 entry: a policy line (JSON) then the rows: JSON (``null``
    for "no such package"), or with policy ``"body": "marshal"`` the rows in
    ``marshal``'s format (lists, dicts, strings and numbers only, a format
    every Python 3 reads), which loads several times faster than the page
    parses: a warm run reads thousands of files of each page. The rows stay
    as bytes until needed, so a 304 rewrites the entry without parsing or
    re-encoding them. Entries of older runs (``"body": "pep691"``, the page as
    the index sent it) are still read."""

    __slots__ = ("policy", "rows_raw", "_rows")

    def __init__(self, policy: "dict", rows_raw: "bytes", rows=None):
        self.policy = policy
        self.rows_raw = rows_raw
        self._rows = rows

    @classmethod
    def parse(cls, data: "bytes") -> "_CachedPage":
        head, nl, rows_raw = data.partition(b"\n")
        policy = json.loads(head)
        if not nl or not isinstance(policy, dict) or policy.get("v") != 1:
            raise ValueError("not a page entry")
        body = policy.get("body")
        if body == "marshal":
            import marshal
            rows = marshal.loads(rows_raw)   # a truncated one fails here (ValueError, EOFError)
        elif body == "pep691":
            rows = parse_json_page(rows_raw, policy.get("url") or "")
        else:
            rows = json.loads(rows_raw)
        if rows is not None and not isinstance(rows, list):
            raise ValueError("bad rows")
        return cls(policy, rows_raw, rows)

    def rows(self):
        if self._rows is None and self.rows_raw.strip() != b"null":
            self._rows = self.parse(self.encode())._rows
        return self._rows

    def encode(self) -> "bytes":
        return json.dumps(self.policy, separators=(",", ":")).encode("utf-8") + b"\n" + self.rows_raw

    def is_fresh(self, now: "float") -> "bool":
        expires = self.policy.get("expires")
        return expires is not None and now < expires


def _is_json_page(resp: "HttpResponse") -> "bool":
    return "json" in (resp.header("content-type") or "").lower()


def _cache_policy(resp: "HttpResponse", now: "float") -> "dict":
    """Freshness and validators from response headers. Without max-age or
    Expires the entry is stale at once: revalidated (or refetched) next time,
    but still good for --offline."""
    cc = (resp.header("cache-control") or "").lower()
    directives = {}
    for d in cc.split(","):
        k, _, v = d.strip().partition("=")
        if k:
            directives[k] = v.strip('"')
    expires = None
    if "no-store" not in directives and "no-cache" not in directives:
        if "max-age" in directives:
            try:
                age = float(resp.header("age") or 0)
                expires = now + float(directives["max-age"]) - age
            except ValueError:
                expires = None
        elif resp.header("expires"):
            try:
                from email.utils import parsedate_to_datetime
                expires = parsedate_to_datetime(resp.header("expires")).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                expires = None
    return {"v": 1, "url": resp.url, "etag": resp.header("etag"),
            "last_modified": resp.header("last-modified"), "expires": expires,
            "fetched": now}


class RegistryClient:
    """Files of a package across indexes and find-links, cached.

    ``files(name)`` asks the indexes in order (extras first, the default last):
    with ``index_strategy="first-index"`` the first index that knows the package
    gives all its versions; with ``"unsafe-best-match"`` every index's files are
    merged. Find-links files are always added. Pages are cached in simple-v1:
    fresh ones are used without a request, stale ones revalidated with one
    conditional request, and with ``offline`` any cached page is used and a
    missing one raises OfflineError. ``refresh`` (or the names in
    ``refresh_packages``) treats cached pages as stale.
    """

    def __init__(self, locations: "IndexLocations", cache: "Cache", http: "HttpClient", *,
                 offline: "bool" = False, index_strategy: "str" = "first-index",
                 refresh: "bool" = False, refresh_packages=()):
        if index_strategy not in ("first-index", "unsafe-best-match"):
            raise UsageError("unknown index strategy %r (first-index or unsafe-best-match)"
                             % index_strategy)
        self.locations = locations
        self.cache = cache
        self.http = http
        self.offline = offline or http.offline
        self.index_strategy = index_strategy
        self.refresh = refresh
        self.refresh_packages = {canonicalize_name(n) for n in refresh_packages or ()}
        # index URLs as given may carry credentials: teach them to the client,
        # keep clean ones for display, cache keys and URL joining
        self._indexes = [http.add_credentials(u) for u in locations.indexes()]
        self._files = OnceMap()
        self._flat = OnceMap()

    @property
    def indexes(self) -> "list":
        return list(self._indexes)

    def files(self, name: "str") -> "list":
        """Every file of package ``name`` (any spelling) that the sources list,
        in index order; [] when no source knows it."""
        key = canonicalize_name(name)
        return self._files.get(key, lambda: self._collect(key))

    def _collect(self, name: "str") -> "list":
        with span("index.files", package=name), _NoCollection():
            out: "list" = []
            if self.index_strategy == "first-index":
                for index in self._indexes:
                    found = self.index_page(index, name)
                    if found is not None:
                        out = list(found)
                        break
            else:
                seen = set()
                for index in self._indexes:
                    for f in self.index_page(index, name) or ():
                        if f.filename not in seen:
                            seen.add(f.filename)
                            out.append(f)
            for location in self.locations.find_links:
                out.extend(self.flat_files(location).get(name, ()))
            return out

    # ---- one index -------------------------------------------------------------

    def index_page(self, index: "str", name: "str"):
        """The files of ``name`` on one index, or None when the index does not
        know it (404). Uses and updates the page cache."""
        url = index.rstrip("/") + "/" + name + "/"
        if url.startswith("file:"):
            return self._file_index_page(url, index, name)
        path = self.cache.entry(CacheBucket.SIMPLE, index_cache_key(index), name + ".json")
        cached = self.cache.read_entry(path, _CachedPage.parse)
        now = time.time()
        if cached is not None and (self.offline or (
                cached.is_fresh(now) and not self.refresh and name not in self.refresh_packages)):
            return self._page_files(cached, index)
        if self.offline:
            raise OfflineError(
                "package `%s` is not in the cache for index %s, and --offline forbids "
                "fetching %s" % (name, redact_url(index), redact_url(url)),
                hint="run once without --offline to fill the cache")
        headers = {"Accept": _JSON_ACCEPT}
        if cached is not None:
            if cached.policy.get("etag"):
                headers["If-None-Match"] = cached.policy["etag"]
            if cached.policy.get("last_modified"):
                headers["If-Modified-Since"] = cached.policy["last_modified"]
        with span("index.page", url=redact_url(url)):
            resp = self.http.request(url, headers=headers)
        return self._handle_page(resp, cached, path, index, now)

    def _handle_page(self, resp: "HttpResponse", cached, path: "str", index: "str", now: "float"):
        import hashlib
        if resp.status == 304 and cached is not None:
            policy = _cache_policy(resp, now)
            policy["url"] = cached.policy.get("url")
            policy["digest"] = cached.policy.get("digest")
            policy["etag"] = policy["etag"] or cached.policy.get("etag")
            policy["last_modified"] = policy["last_modified"] or cached.policy.get("last_modified")
            if cached.policy.get("body"):
                policy["body"] = cached.policy["body"]
            cached.policy = policy
            self._store(path, cached)
            return self._page_files(cached, index)
        if resp.status in (404, 410):
            self._store(path, _CachedPage(_cache_policy(resp, now), b"null"))
            return None
        if resp.status != 200:
            raise HttpError(resp.url, resp.status, resp.reason, hint=_status_hint(resp.status))
        policy = _cache_policy(resp, now)
        digest = hashlib.sha256(resp.body).hexdigest()
        policy["digest"] = digest
        import marshal
        policy["body"] = "marshal"
        if cached is not None and cached.policy.get("digest") == digest \
                and cached.policy.get("url") == resp.url:
            if cached.policy.get("body") == "marshal":   # same bytes: no parsing
                page = _CachedPage(policy, cached.rows_raw, cached.rows())
                if all(policy.get(k) == cached.policy.get(k) for k in ("etag", "last_modified", "expires")):
                    return self._page_files(page, index)   # nothing new to write
            else:   # an older run's entry: its rows, kept the new way
                page = _CachedPage(policy, marshal.dumps(cached.rows()), cached.rows())
        else:
            with span("index.parse", url=redact_url(resp.url), bytes=len(resp.body)):
                rows = self._parse_page(resp)
            page = _CachedPage(policy, marshal.dumps(rows), rows)
        self._store(path, page)
        return self._page_files(page, index)

    def _parse_page(self, resp: "HttpResponse") -> "list":
        try:
            if _is_json_page(resp):
                return parse_json_page(resp.body, resp.url)
            return parse_html_page(resp.body, resp.url)
        except (ValueError, TypeError, AttributeError) as e:
            raise NetworkError("the index page %s is malformed" % redact_url(resp.url),
                               causes=[str(e)]) from e

    def _store(self, path: "str", page: "_CachedPage") -> "None":
        try:
            self.cache.write_entry(path, page.encode())
        except OSError as e:  # a read-only or full cache must not stop the work
            warn_user("cannot write the cache entry %s: %s" % (path, e))

    @staticmethod
    def _page_files(page: "_CachedPage", index: "str"):
        rows = page.rows()
        return None if rows is None else _row_files(rows, index)

    def _file_index_page(self, url: "str", index: "str", name: "str"):
        """A static index on disk: ``NAME/index.html`` (or a JSON twin)."""
        folder = file_url_to_path(url)
        for fname, parse in (("index.json", parse_json_page), ("index.html", parse_html_page)):
            p = os.path.join(folder, fname)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    data = f.read()
                try:
                    rows = parse(data, path_to_file_url(folder) + "/")
                except (ValueError, TypeError, AttributeError) as e:
                    raise NetworkError("the index page %s is malformed" % p, causes=[str(e)])
                return _row_files(rows, index)
        return None

    # ---- find-links ---------------------------------------------------------------

    def flat_files(self, location: "str") -> "dict":
        """{canonical name: [IndexFile]} of one find-links location: a folder,
        a single archive, or an HTML page of links (cached like index pages)."""
        return self._flat.get(location, lambda: self._flat_listing(location))

    def _flat_listing(self, location: "str") -> "dict":
        if location.startswith("file:"):
            location = file_url_to_path(location)
        if "://" in location:
            rows = self._flat_page(location)
            display = redact_url(location)
        elif os.path.isdir(location):
            rows = [[n, path_to_file_url(os.path.join(location, n)), {}, None, None, None, None, None]
                    for n in sorted(os.listdir(location)) if _is_dist_filename(n)]
            display = location
        elif os.path.isfile(location):
            if location.lower().endswith((".html", ".htm")):
                with open(location, "rb") as f:
                    rows = parse_html_page(f.read(), path_to_file_url(location))
            else:
                rows = [[os.path.basename(location), path_to_file_url(location), {},
                         None, None, None, None, None]]
            display = location
        else:
            raise UsageError("the find-links location %s does not exist" % location,
                             hint="check the path given to --find-links (or PIP_FIND_LINKS, "
                                  "UV_FIND_LINKS, a configuration file)")
        out: "dict" = {}
        for f in _row_files(rows, display):
            if _is_dist_filename(f.filename) and f.name:
                out.setdefault(f.name, []).append(f)
        return out

    def _flat_page(self, url: "str") -> "list":
        url = self.http.add_credentials(url)
        path = self.cache.entry(CacheBucket.SIMPLE, index_cache_key(url), "_find-links.json")
        cached = self.cache.read_entry(path, _CachedPage.parse)
        now = time.time()
        if cached is not None and (self.offline or (cached.is_fresh(now) and not self.refresh)):
            return cached.rows() or []
        if self.offline:
            raise OfflineError("the find-links page %s is not in the cache, and --offline "
                               "forbids fetching it" % redact_url(url))
        headers = {"Accept": "text/html"}
        if cached is not None and cached.policy.get("etag"):
            headers["If-None-Match"] = cached.policy["etag"]
        resp = self.http.request(url, headers=headers)
        if resp.status == 304 and cached is not None:
            return cached.rows() or []
        if resp.status != 200:
            raise HttpError(resp.url, resp.status, resp.reason, hint=_status_hint(resp.status))
        rows = parse_html_page(resp.body, resp.url)
        policy = _cache_policy(resp, now)
        self._store(path, _CachedPage(policy, json.dumps(rows, separators=(",", ":")).encode(), rows))
        return rows


# =============================================================================
# 9. Distribution database
# =============================================================================
# Owns: the distribution database in its three jobs: DistributionDatabase, a
# dist's core metadata by the cheapest means (the metadata cache, PEP 658
# files, HTTP range reads of a remote wheel's zip directory, local archives in
# place, static sdists); WheelStore (its base), wheels and sdists fetched,
# hash-checked and unzipped into the cache once (extract_wheel); WheelRegistry,
# pins answered from the cache alone (the wheels fetched from indexes); hash_file (digests of a
# local file); git sources (GitUrl, GitSource: the `git` command fetching into
# the cache's git-v0, a revision resolved to a commit once per run, one
# checkout per commit). Uses 1-8.

_RANGE_TAIL = 48 * 1024      # least first suffix read of a remote wheel: EOCD, the
                             # central directory of most wheels, and often METADATA itself
_RANGE_TAIL_MAX = 384 * 1024
_RANGE_MIN_FETCH = 16 * 1024


def _range_tail(size) -> "int":
    """Bytes of the first suffix read of a remote wheel of ``size`` bytes.

    Modern wheels end with ``.dist-info`` (METADATA, then RECORD) and the
    central directory, whose size grows with the file count, which grows with
    the wheel: reading 1/48 of a big wheel's tail gets all of it in one request
    for most wheels measured on the default index (botocore, pandas: ~250 KiB),
    where a fixed 32 KiB took three. A request costs a round trip; 300 KiB
    costs about as much at CDN speeds, so bigger tails are capped there."""
    if not size:
        return _RANGE_TAIL
    return max(_RANGE_TAIL, min(size // 48, _RANGE_TAIL_MAX))


def _ranged_metadata(rf, cd, src):
    """METADATA read straight from the central directory ``cd`` (offset, size)
    of a remote wheel, without building a ZipInfo for each of its thousands of
    members (most of the CPU of a metadata read); None for anything unusual
    (zip64, encryption, another compression), which ``zipfile`` then reads."""
    import zlib
    rf.seek(cd[0])
    directory = rf.read(cd[1])
    entries = _metadata_entries(directory)
    if not entries:
        return None
    name = _wheel_metadata_member(list(entries), src.name)
    flags, method, crc, csize, size, offset = entries[name]
    if flags & 0x1 or method not in (0, 8) or 0xFFFFFFFF in (csize, size, offset):
        return None
    rf.ensure(offset, offset + 30 + len(name.encode("utf-8")) + 256 + csize)
    rf.seek(offset)
    head = rf.read(30)
    if head[:4] != b"PK\x03\x04":
        return None
    rf.seek(offset + 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little"))
    raw = rf.read(csize)
    try:  # never more than one byte past the declared size: a bomb stops there
        data = zlib.decompressobj(-15).decompress(raw, size + 1) if method == 8 else raw
    except zlib.error:
        data = None
    if data is None or len(data) != size or zlib.crc32(data) != crc:
        raise InstallError("%s is not a valid wheel: its METADATA is corrupt" % src.filename)
    return data


def _metadata_entries(directory: "bytes") -> "dict":
    """{name: (flags, method, crc, compressed size, size, local header offset)}
    of the ``*.dist-info/METADATA`` entries of a zip central directory; {}
    when the directory does not parse."""
    from struct import unpack_from
    found = {}
    p, n = 0, len(directory)
    while p + 46 <= n:
        if directory[p:p + 4] != b"PK\x01\x02":
            return {}
        flags, method = unpack_from("<HH", directory, p + 8)
        crc, csize, size, nlen, elen, clen = unpack_from("<IIIHHH", directory, p + 16)
        raw = directory[p + 46:p + 46 + nlen]
        if raw.endswith(b".dist-info/METADATA") and raw.count(b"/") == 1:
            name = raw.decode("utf-8" if flags & 0x800 else "cp437")
            found[name] = (flags, method, crc, csize, size,
                           unpack_from("<I", directory, p + 42)[0])
        p += 46 + nlen + elen + clen
    return found


def _central_directory(tail: "bytes"):
    """(offset, size) of the zip central directory from the end record in
    ``tail`` (the file's last bytes), or None (not found, or zip64: zipfile
    finds those itself)."""
    at = tail.rfind(b"PK\x05\x06", max(0, len(tail) - 22 - 65535))
    if at < 0 or len(tail) - at < 22:
        return None
    cd_size = int.from_bytes(tail[at + 12:at + 16], "little")
    cd_offset = int.from_bytes(tail[at + 16:at + 20], "little")
    if 0xFFFFFFFF in (cd_size, cd_offset):
        return None
    return cd_offset, cd_size


class NeedsBuildError(BuildError):
    """A source distribution whose metadata is not static: it needs a build
    (through the BuildContext). ``.path`` is the local archive (downloaded into
    the cache) when there is one, so the caller can build it without a refetch."""

    def __init__(self, message: "str", path: "str | None" = None, hint=None):
        super().__init__(message, hint=hint)
        self.path = path


class MetadataMismatchError(PuffinError):
    """Core metadata that names another package than the file it came from."""


class _Source(IndexFile):
    """An IndexFile as the database sees any dist, registry or not: ``name``
    is the dist's canonical name as given (not parsed from the filename),
    ``path`` a local file (``url`` is None then). ``index`` and
    ``requires_python`` are set for index files (kept in the registry of
    cached wheels)."""

    # a slot named ``name`` shadows IndexFile's derived, read-only ``name``
    __slots__ = ("name", "path")

    def __init__(self, name, filename, url, path, hashes, core_metadata=None, size=None,
                 index=None, requires_python=None):
        super().__init__(filename, url, hashes, requires_python=requires_python, size=size,
                         core_metadata=core_metadata, index=index)
        self.name = name
        self.path = path

    @property
    def is_wheel(self) -> "bool":
        # local files are named by users, who may write FOO.WHL
        return self.filename.lower().endswith(".whl")

    def key(self) -> "str":
        """Cache key: the sha256 when known, else a digest of the location."""
        return self.sha256 or "url-" + cache_digest(self.url or os.path.abspath(self.path))


def _source_of(obj) -> "_Source":
    """A _Source from an IndexFile or a Dist (registry, url or path)."""
    if isinstance(obj, IndexFile):
        src = _source_from_url(obj.name or "", obj.filename, obj.url, obj.hashes,
                               obj.core_metadata, obj.size)
        src.index = obj.index
        src.requires_python = obj.requires_python
        return src
    if isinstance(obj, Dist):
        if obj.kind == "registry" and obj.file is not None:
            src = _source_of(obj.file)
            src.name = obj.name or src.name
            return src
        if obj.kind == "path" and obj.path:
            return _Source(canonicalize_name(obj.name), os.path.basename(obj.path), None,
                           os.path.abspath(obj.path), {})
        if obj.kind == "url" and obj.url:
            url, hashes = _split_fragment_hashes(obj.url)
            return _source_from_url(canonicalize_name(obj.name), _url_filename(url), url, hashes)
        raise NeedsBuildError("`%s` is a %s source: its metadata needs a build" % (obj, obj.kind))
    raise TypeError("expected an IndexFile or a Dist, got %r" % (obj,))


def _source_from_url(name, filename, url, hashes, core_metadata=None, size=None) -> "_Source":
    if url.startswith("file:"):
        return _Source(name, filename, None, file_url_to_path(url), hashes, None, size)
    return _Source(name, filename, url, None, hashes, core_metadata, size)


def _normalize_hashes(*sources) -> "dict":
    """{alg: set(hex)} from dicts (alg -> hex, or alg -> iterable of hex) and
    lists of ``alg:hex`` / ``alg=hex`` strings (as --hash gives them).

    Several sources (the index's hashes, then the user's) must all hold: for
    an algorithm both give, the file must match a digest in both sets. When the
    sets share nothing, the later source (the user's --hash) decides, as pip
    does in hash-checking mode: the file must match what the user pinned."""
    out: "dict" = {}
    for src in sources:
        if not src:
            continue
        mine: "dict" = {}
        if isinstance(src, dict):
            items = [(alg, d) for alg, v in src.items() for d in ([v] if isinstance(v, str) else v)]
        else:
            items = [text.replace("=", ":", 1).partition(":")[::2] for text in src]
        for alg, d in items:
            mine.setdefault(alg.lower().strip(), set()).add(d.lower().strip())
        for alg, digests in mine.items():
            both = out.get(alg, digests) & digests
            out[alg] = both or digests
    return out


class _HashingWriter:
    """A file writer that hashes what passes through (sha256 plus any other
    algorithm asked for), so a download is verified without a second read."""

    def __init__(self, f, algs, path: "str" = None):
        import hashlib
        self.f = f
        self.path = path   # the file's path, for errors
        self.hashers = {"sha256": hashlib.sha256()}
        for alg in algs:
            if alg not in self.hashers:
                try:
                    self.hashers[alg] = hashlib.new(alg)
                except ValueError:
                    pass
        self.size = 0

    progress = None   # called with the bytes written so far (a terminal's progress)

    def write(self, chunk: "bytes") -> "None":
        self.f.write(chunk)
        for h in self.hashers.values():
            h.update(chunk)
        self.size += len(chunk)
        if self.progress is not None:
            self.progress(self.size)

    def digests(self) -> "dict":
        return {alg: h.hexdigest() for alg, h in self.hashers.items()}


def hash_file(path: "str", algs=()) -> "dict":
    """{alg: hexdigest} of the file at ``path``: sha256 always, plus each
    algorithm of ``algs`` that hashlib knows (others are skipped)."""
    w = _HashingWriter(_NullWriter(), algs)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            w.write(chunk)
    return w.digests()


class _NullWriter:
    def write(self, chunk):
        pass


def _check_hashes(filename: "str", expected: "dict", actual: "dict") -> "None":
    """Raise HashMismatchError unless, for every algorithm we could compute,
    the actual digest is one of the expected ones (the index's hash and the
    user's --hash must all agree with the file)."""
    checked = False
    for alg, allowed in expected.items():
        if alg in actual:
            checked = True
            if actual[alg] not in allowed:
                raise HashMismatchError(filename, expected, actual[alg], alg)
    if expected and not checked:
        alg = sorted(expected)[0]
        raise HashMismatchError(filename, expected, "(cannot compute %s)" % alg, alg)


class _RangedFile:
    """A read-only, seekable view of a remote file of known ``size`` that holds
    the byte ranges read so far and fetches missing ones with ``fetch(start,
    end)`` (HTTP range requests). ``zipfile`` reads the end record, the central
    directory and one member through it, so only those bytes cross the network."""

    def __init__(self, size: "int", fetch):
        self.size = size
        self.fetch = fetch
        self.chunks: "list" = []  # sorted [(start, bytes)]
        self.pos = 0
        self.requests = 0

    def add(self, start: "int", data: "bytes") -> "None":
        import bisect
        bisect.insort(self.chunks, (start, data))

    def ensure(self, start: "int", end: "int") -> "None":
        """Make [start, end) available, fetching the missing parts."""
        end = min(end, self.size)
        p = start
        while p < end:
            hit = self._chunk_at(p)
            if hit is not None:
                p = hit[0] + len(hit[1])
                continue
            nxt = min([s for s, _ in self.chunks if s > p] + [self.size])
            stop = min(nxt, max(end, p + _RANGE_MIN_FETCH))
            self.requests += 1
            self.add(p, self.fetch(p, stop))
            p = stop

    def _chunk_at(self, p: "int"):
        for s, d in self.chunks:
            if s <= p < s + len(d):
                return s, d
        return None

    def read(self, n: "int" = -1) -> "bytes":
        if n is None or n < 0:
            n = self.size - self.pos
        end = min(self.pos + n, self.size)
        out = []
        self.ensure(self.pos, end)
        p = self.pos
        while p < end:
            s, d = self._chunk_at(p)
            take = d[p - s:min(end - s, len(d))]
            out.append(take)
            p += len(take)
        self.pos = end
        return b"".join(out)

    def seek(self, offset: "int", whence: "int" = 0) -> "int":
        if whence == 1:
            offset += self.pos
        elif whence == 2:
            offset += self.size
        self.pos = max(0, offset)
        return self.pos

    def tell(self) -> "int":
        return self.pos

    def seekable(self) -> "bool":
        return True

    def readable(self) -> "bool":
        return True

    def close(self) -> "None":
        pass


def _wheel_metadata_member(names, project: "str") -> "str":
    """The ``NAME-VERSION.dist-info/METADATA`` member of a wheel."""
    cands = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
    if len(cands) > 1 and project:
        named = [n for n in cands
                 if canonicalize_name(n.split("/")[0][:-10].rpartition("-")[0]) == project]
        cands = named or cands
    if not cands:
        raise InstallError("the wheel has no .dist-info/METADATA")
    return cands[0]


def _read_zip_metadata(source, project: "str", label: "str" = None) -> "bytes":
    """The METADATA of a wheel (a path, bytes or a binary file) through the
    checked archive reader; only that member's bytes are read."""
    with ZipArchive(source, label) as archive:
        entry = archive.get(_wheel_metadata_member([e.name for e in archive.entries], project))
        if isinstance(source, _RangedFile):  # its local header and data in one request
            source.ensure(entry.offset, entry.offset + 30 + 1024 + entry.csize)
        return archive.read(entry)


def _read_sdist_pkg_info(path: "str"):
    """The top-level PKG-INFO of an sdist archive (bytes) or None."""
    return _read_sdist_member(path, "PKG-INFO")


def _read_sdist_member(path: "str", name: "str"):
    """The bytes of ``<top folder>/name`` in an sdist archive, or None."""
    import tarfile
    if path.lower().endswith(".zip"):
        with ZipArchive(path) as archive:
            for e in archive.entries:
                if e.name.count("/") == 1 and e.name.endswith("/" + name):
                    return archive.read(e)
        return None
    with tarfile.open(path) as tf:
        for m in tf:
            if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/" + name):
                f = tf.extractfile(m)
                return f.read() if f else None
    return None


def _is_static(md) -> "bool":
    """PKG-INFO can be trusted without a build: Metadata-Version 2.2+ and
    neither Requires-Dist nor Requires-Python marked Dynamic (PEP 643)."""
    try:
        ver = tuple(int(x) for x in str(md.metadata_version or "1.0").split(".")[:2])
    except ValueError:
        return False
    dynamic = {d.lower() for d in (md.dynamic or ())}
    return ver >= (2, 2) and not dynamic & {"requires-dist", "requires-python"}


class WheelStore:
    """Wheels and sdists of dists in the cache, each fetched once: the
    downloads job of the distribution database.

    ``fetch_wheel(dist, expected_hashes)`` returns the folder of the unzipped
    wheel in archive-v0: downloaded streaming with hashes computed on the way,
    verified before it enters the cache, unzipped once. ``cached_wheel(dist)``
    answers from the cache alone (no network); ``fetch_file`` gives an
    archive's path. Every wheel fetched from an index is recorded in the
    ``registry`` (WheelRegistry), so a pin is later answered from the cache.
    """

    def __init__(self, client: "RegistryClient | HttpClient", cache: "Cache", *, reporter=None):
        self.http = client.http if isinstance(client, RegistryClient) else client
        self.client = client
        self.cache = cache
        self.reporter = reporter or Reporter()
        self.offline = self.http.offline or getattr(client, "offline", False)
        self._wheel_once = OnceMap()
        self._file_once = OnceMap()
        self.stats = {"pep658": 0, "range": 0, "full": 0, "cached": 0, "local": 0}
        self._stats_lock = _thread.allocate_lock()
        self.git = GitSource(cache, offline=self.offline, env=getattr(self.http, "env", None))
        self.registry = WheelRegistry(cache)

    def _count(self, what: "str") -> "None":
        with self._stats_lock:
            self.stats[what] += 1

    # ---- wheels ------------------------------------------------------------------

    def cached_wheel(self, dist, expected_hashes=None):
        """The unzipped wheel's folder when the cache has it, else None; never
        touches the network (a local wheel is hashed in place)."""
        if isinstance(dist, Dist) and dist.kind == "registry" and dist.file is None:
            # a pin from a lock file with --hash: found by its digests alone, no page needed
            src = _Source(canonicalize_name(dist.name), "", None, None, {})
        else:
            src = _source_of(dist)
        expected = _normalize_hashes(src.hashes, expected_hashes)
        found = self._archive_lookup(src, expected)
        if found is not None:
            self.registry.ensure(src, os.path.basename(found))
        return found

    def fetch_wheel(self, dist, expected_hashes=None) -> "str":
        """The folder of the unzipped wheel in archive-v0, fetching, verifying
        and unzipping it if needed. ``expected_hashes``: the user's hashes
        (dict alg -> hex or list of hex, or ``["sha256:..."]``); the index's
        hashes are checked too. Raises HashMismatchError (nothing is cached),
        NetworkError, OfflineError."""
        src = _source_of(dist)
        if not src.is_wheel:
            raise InstallError("%s is not a wheel" % src.filename)
        expected = _normalize_hashes(src.hashes, expected_hashes)
        key = ("wheel", src.url or src.path,
               tuple(sorted((a, tuple(sorted(d))) for a, d in expected.items())))
        return self._wheel_once.get(key, lambda: self._fetch_wheel(src, expected))

    def _fetch_wheel(self, src: "_Source", expected: "dict") -> "str":
        with span("fetch_wheel", file=src.filename):
            found = self._archive_lookup(src, expected)
            if found is not None:
                self.registry.ensure(src, os.path.basename(found))
                return found
            if src.path is not None:
                if not os.path.isfile(src.path):
                    raise NotFoundError("the file %s does not exist" % src.path)
                digests = hash_file(src.path, expected)
                _check_hashes(src.filename, expected, digests)
                return self._unzip(src, digests["sha256"], src.path)
            zip_path = self._file_lookup(src, expected, CacheBucket.WHEELS)
            if zip_path is None and not self.offline and src.size is not None \
                    and src.size <= _MEMORY_WHEEL and _WHEELS_IN_MEMORY.take(src.size):
                try:
                    return self._download_unzip(src, expected)
                except _OverSize:
                    pass  # more bytes than the index listed: through a file, below
                finally:
                    _WHEELS_IN_MEMORY.give(src.size)
            zip_path = zip_path or self._fetch_file(src, expected, CacheBucket.WHEELS)
            sha = os.path.basename(os.path.dirname(zip_path))
            return self._unzip(src, sha, zip_path)

    def fetch_file(self, dist, expected_hashes=None) -> "str":
        """A local path of the dist's archive (wheel or sdist): the file itself
        for local dists, else downloaded (verified) into the cache; for a git
        dist, a zip of its commit (``git_archive_name``), as pip downloads one."""
        if isinstance(dist, Dist) and dist.kind == "git" and dist.commit:
            return self.git.archive(GitUrl.parse(dist.url), dist.commit, git_archive_name(dist))
        src = _source_of(dist)
        if src.path is not None:
            return src.path
        expected = _normalize_hashes(src.hashes, expected_hashes)
        bucket = CacheBucket.WHEELS if src.is_wheel else CacheBucket.SDISTS
        return self._fetch_file(src, expected, bucket)

    def _archive_lookup(self, src: "_Source", expected: "dict"):
        for sha in self._candidate_shas(src, expected):
            folder = self.cache.path(CacheBucket.ARCHIVE, src.name, sha)
            if os.path.isdir(folder):
                return folder
        return None

    def _file_lookup(self, src: "_Source", expected: "dict", bucket: "str"):
        """The file's path in ``bucket``/NAME/SHA/FILENAME when the cache has it, else None."""
        for sha in self._candidate_shas(src, expected):
            path = self.cache.path(bucket, src.name, sha, src.filename)
            if os.path.isfile(path):
                return path
        return None

    def _candidate_shas(self, src: "_Source", expected: "dict") -> "list":
        """sha256 digests the file may have: the expected ones, else (no
        sha256 known) the one recorded for its URL, or its local file's."""
        shas = sorted(expected.get("sha256", ()))
        if shas or (src.url is None and src.path is None):
            return shas
        if src.path is not None:
            if not os.path.isfile(src.path):
                return []
            digests = hash_file(src.path, expected)
            try:
                _check_hashes(src.filename, expected, digests)
            except HashMismatchError:
                return []
            return [digests["sha256"]]
        if expected:  # only non-sha256 hashes: the cache cannot vouch for them
            return []
        pointer = self.cache.read_json(CacheBucket.WHEELS if src.is_wheel else CacheBucket.SDISTS,
                                       src.name, "url-%s.json" % cache_digest(src.url))
        if isinstance(pointer, dict) and isinstance(pointer.get("sha256"), str):
            return [pointer["sha256"]]
        return []

    def _unzip(self, src: "_Source", sha: "str", zip_path: "str", data=None) -> "str":
        """Unzip once into archive-v0/NAME/SHA (temp folder, then one rename;
        the entry lock keeps two processes from doing it twice). ``data``: the
        wheel's bytes, when it was downloaded into memory (``zip_path`` unused)."""
        final = self.cache.entry(CacheBucket.ARCHIVE, src.name, sha)
        if os.path.isdir(final):
            return final
        with self.cache.lock(final):
            if os.path.isdir(final):
                return final
            tmp = self.cache.temp_dir(CacheBucket.ARCHIVE, src.name)
            try:
                with _unzip_slots(), span("unzip", file=src.filename):
                    extract_wheel(zip_path, tmp, data=data, filename=src.filename)
                os.rename(tmp, final)
            except BaseException:
                remove_tree(tmp)
                raise
        return final

    def _keep_small_wheel(self, src: "_Source", expected: "dict", data: "bytes") -> "None":
        """A tail read that returned the whole (small) wheel: when its hash is
        the expected one, keep it in the wheel cache for the install."""
        import hashlib
        sha = hashlib.sha256(data).hexdigest()
        if expected.get("sha256") and sha in expected["sha256"]:
            path = self.cache.entry(CacheBucket.WHEELS, src.name, sha, src.filename)
            if not os.path.exists(path):
                self.cache.write_entry(path, data)
            self.registry.remember(src, {"sha256": sha})

    # ---- the registry of cached wheels (see WheelRegistry) -------------------------

    def cached_registry_wheel(self, name: "str", version, tags, indexes, *, hashes=None,
                              python_version=None):
        """See WheelRegistry.find: a pin answered from the cache alone."""
        return self.registry.find(name, version, tags, indexes, hashes=hashes, python_version=python_version)

    # ---- downloads ---------------------------------------------------------------

    def _fetch_file(self, src: "_Source", expected: "dict", bucket: "str") -> "str":
        """Path of the file in ``bucket``/NAME/SHA/FILENAME, downloading it once."""
        return self._file_once.get(self._file_key(src, expected, bucket),
                                   lambda: self._download(src, expected, bucket))

    @staticmethod
    def _file_key(src: "_Source", expected: "dict", bucket: "str") -> "tuple":
        return (bucket, src.url, tuple(sorted((a, tuple(sorted(d))) for a, d in expected.items())))

    def _download(self, src: "_Source", expected: "dict", bucket: "str") -> "str":
        path = self._file_lookup(src, expected, bucket)
        if path is not None:
            return path
        if self.offline:
            raise OfflineError("%s is not in the cache, and --offline forbids fetching %s"
                               % (src.filename, redact_url(src.url)),
                               hint="run once without --offline to fill the cache")
        state = {}

        def sink(resp):
            state["w"] = self._start_download(src, bucket, state.get("w"), expected)
            return state["w"][2]

        try:
            resp, _writer = self._get_whole(src, sink)
        except BaseException:
            if "w" in state:
                _discard(state["w"])
            raise
        return self._finish_download(src, expected, bucket, state["w"], resp)

    def _get_whole(self, src: "_Source", sink):
        """GET ``src`` whole into the writer ``sink(response)`` makes (a new one
        on each retry), between the download events: (response, that writer)."""
        made = []

        def each_attempt(resp):
            made.append(sink(resp))
            if getattr(self.reporter, "wants_bytes", False) and isinstance(made[-1], _HashingWriter):
                made[-1].progress = lambda done: self.reporter.event(
                    "download.progress", name=src.name, filename=src.filename, done=done, size=src.size)
            return made[-1]

        self.reporter.event("download.start", name=src.name, filename=src.filename, size=src.size)
        with span("download", file=src.filename, size=src.size):
            resp = self.http.request(src.url, headers={"Accept-Encoding": "identity"},
                                     sink=each_attempt)
        if resp.status != 200 or not made:
            raise HttpError(resp.url, resp.status, resp.reason, hint=_status_hint(resp.status))
        self._count("full")
        self.reporter.event("download.done", name=src.name, filename=src.filename,
                            size=made[-1].size)
        return resp, made[-1]

    def _download_unzip(self, src: "_Source", expected: "dict") -> "str":
        """A wheel small enough to hold: downloaded into memory, verified, and
        unzipped into archive-v0 straight from there. The wheel file itself is
        not kept (as in uv): writing it to disk, then reading it back, cost a
        cold install a tenth of its system time."""
        _resp, writer = self._get_whole(src, lambda resp: _HashingWriter(
            _BoundedBuffer(src.size), self._download_algs(src, expected)))
        digests = self._verify_download(src, expected, writer)
        final = self._unzip(src, digests["sha256"], None, data=writer.f.getvalue())
        self._remember_download(src, expected, CacheBucket.WHEELS, digests)
        return final

    @staticmethod
    def _download_algs(src: "_Source", expected: "dict") -> "set":
        return set(expected) | set(_normalize_hashes(src.hashes)) | {"sha256"}

    def _verify_download(self, src: "_Source", expected: "dict", writer) -> "dict":
        """The digests of a finished download, checked against the expected
        hashes (or, with none, against the size the index gave)."""
        digests = writer.digests()
        _check_hashes(src.filename, expected, digests)
        if src.size is not None and writer.size != src.size and not expected:
            raise NetworkError("%s: expected %d bytes, got %d" % (
                src.filename, src.size, writer.size))
        return digests

    def _remember_download(self, src: "_Source", expected: "dict", bucket: "str", digests: "dict") -> "None":
        """Remember a verified download's digest: in the index's registry of
        wheels, and by URL when no sha256 was known beforehand."""
        if bucket == CacheBucket.WHEELS:
            self.registry.remember(src, digests)
        if not expected.get("sha256"):
            self.cache.write_json(bucket, src.name, "url-%s.json" % cache_digest(src.url),
                                  {"sha256": digests["sha256"], "url": redact_url(src.url)})

    def _start_download(self, src: "_Source", bucket: "str", previous, algs=()):
        """(temp path, open file, hashing writer) inside the bucket, fresh on
        every attempt (a retry restarts the body)."""
        import tempfile
        if previous is not None:
            _discard(previous)
        folder = os.path.dirname(self.cache.entry(bucket, src.name, "x"))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
        f = os.fdopen(fd, "wb")
        return (tmp, f, _HashingWriter(f, self._download_algs(src, algs), tmp))

    def _finish_download(self, src: "_Source", expected: "dict", bucket: "str", state, resp) -> "str":
        tmp, f, writer = state
        f.close()
        try:
            digests = self._verify_download(src, expected, writer)
        except BaseException:
            _discard(state)
            raise
        final = self.cache.entry(bucket, src.name, digests["sha256"], src.filename)
        os.replace(tmp, final)
        self._remember_download(src, expected, bucket, digests)
        return final


class DistributionDatabase(WheelStore):
    """Metadata and wheels of dists, through the cache, each done once: the
    metadata job here, downloads and unzips in WheelStore, exact pins in its
    WheelRegistry.

    ``metadata(x)`` (x an IndexFile or a Dist) returns core Metadata by the
    cheapest means: the metadata cache; a wheel already in the cache; the PEP
    658 file (hash-checked); HTTP range requests that read only the zip's end
    and its METADATA member; a local archive in place; an sdist's static
    PKG-INFO. An sdist with dynamic metadata raises NeedsBuildError. A server
    that refuses ranges sends the whole wheel once, and it is kept in the cache.
    """

    def __init__(self, client: "RegistryClient | HttpClient", cache: "Cache", *, reporter=None):
        super().__init__(client, cache, reporter=reporter)
        self._metadata_once = OnceMap()
        self._whole: "set" = set()   # keys of files this run will fetch whole (see want_whole)

    # ---- metadata ------------------------------------------------------------------

    def metadata(self, dist_or_file):
        """Core Metadata of an IndexFile or a Dist (see the class docstring)."""
        src = _source_of(dist_or_file)
        return self._metadata_once.get(("meta", src.key(), src.filename),
                                       lambda: self._metadata(src))

    def _metadata(self, src: "_Source"):
        with span("metadata", file=src.filename):
            if src.path is not None:
                self._count("local")
                return self._check_name(src, Metadata.from_bytes(self._local_metadata(src)))
            entry = self.cache.entry(CacheBucket.METADATA, src.name or "_", src.key() + ".json")
            stored = self.cache.read_entry(entry, _parse_metadata_entry)
            if stored is not None:
                self._count("cached")
                return Metadata.from_bytes(stored)
            data = self._fetch_metadata(src)
            md = self._check_name(src, Metadata.from_bytes(data))
            doc = {"filename": src.filename, "metadata": data.decode("utf-8", "surrogateescape")}
            try:
                self.cache.write_entry(entry, json.dumps(doc, separators=(",", ":")).encode("utf-8"))
            except OSError as e:
                warn_user("cannot write the cache entry %s: %s" % (entry, e))
            return md

    def want_whole(self, dist) -> "None":
        """This run will fetch ``dist``'s file whole (pip-download): its metadata,
        when asked for, comes from that file, fetched then if not yet."""
        src = _source_of(dist)
        if src.path is None and src.is_wheel:
            self._whole.add(self._file_key(src, _normalize_hashes(src.hashes), CacheBucket.WHEELS))

    def _check_name(self, src: "_Source", md):
        if src.name and md.name and canonicalize_name(md.name) != src.name:
            raise MetadataMismatchError(
                "the metadata of %s names the package `%s`, not `%s`"
                % (src.filename, md.name, src.name))
        return md

    def _fetch_metadata(self, src: "_Source") -> "bytes":
        """METADATA bytes of a remote file, not from the metadata cache."""
        if src.is_wheel:
            folder = self._archive_lookup(src, _normalize_hashes(src.hashes))
            if folder is not None:
                self._count("cached")
                member = _wheel_metadata_member(_dist_info_members(folder), src.name)
                with open(os.path.join(folder, member), "rb") as f:
                    return f.read()
            zip_path = self._file_lookup(src, _normalize_hashes(src.hashes), CacheBucket.WHEELS)
            if zip_path is not None:
                self._count("cached")
                return _read_zip_metadata(zip_path, src.name, src.filename)
        if self.offline:
            raise OfflineError("the metadata of %s is not in the cache, and --offline forbids "
                               "fetching %s" % (src.filename, redact_url(src.url)),
                               hint="run once without --offline to fill the cache")
        if not src.is_wheel:
            path = self._fetch_file(src, _normalize_hashes(src.hashes), CacheBucket.SDISTS)
            return self._sdist_metadata(src, path)
        if src.core_metadata is not None:
            return self._pep658_metadata(src)
        expected = _normalize_hashes(src.hashes)
        whole = self._file_key(src, expected, CacheBucket.WHEELS)
        if whole in self._whole or whole in self._file_once:
            # this run fetches the whole wheel anyway (pip-download's head start):
            # its METADATA then, not range requests for the same bytes
            path = self._fetch_file(src, expected, CacheBucket.WHEELS)
            return _read_zip_metadata(path, src.name, src.filename)
        return self._range_metadata(src)

    def _local_metadata(self, src: "_Source") -> "bytes":
        if not os.path.isfile(src.path):
            raise NotFoundError("the file %s does not exist" % src.path)
        if src.is_wheel:
            return _read_zip_metadata(src.path, src.name, src.path)
        return self._sdist_metadata(src, src.path)

    def _sdist_metadata(self, src: "_Source", path: "str") -> "bytes":
        try:
            data = _read_sdist_pkg_info(path)
        except Exception as e:  # tarfile/zipfile raise many kinds on bad archives
            raise BuildError("cannot read the source archive %s: %s" % (src.filename, e))
        if data is not None and _is_static(Metadata.from_bytes(data)):
            return data
        raise NeedsBuildError("%s has no static metadata: it needs a build" % src.filename,
                              path=path)

    def _pep658_metadata(self, src: "_Source") -> "bytes":
        """The ``URL.metadata`` file of PEP 658/714, checked against its hash."""
        self._count("pep658")
        with span("metadata.pep658", file=src.filename):
            resp = self.http.request(src.url + ".metadata")
        if resp.status != 200:
            # an index that advertises a file it does not serve: read the wheel instead
            return self._range_metadata(src)
        expected = _normalize_hashes(src.core_metadata)
        if expected:
            import hashlib
            actual = {alg: hashlib.new(alg, resp.body).hexdigest()
                      for alg in expected if alg in hashlib.algorithms_available}
            _check_hashes(src.filename + ".metadata", expected, actual)
        return resp.body

    def _range_metadata(self, src: "_Source") -> "bytes":
        """METADATA of a remote wheel through range requests: one suffix read
        of the tail, maybe one for the central directory's start or the member.
        A server that answers the first one with the whole file (no ranges)
        has its answer streamed into the wheel cache, so it is read once."""
        expected = _normalize_hashes(src.hashes)
        state = {}

        def sink(resp):
            if resp.status == 200:  # ranges refused: keep the whole wheel
                state["w"] = self._start_download(src, CacheBucket.WHEELS, state.get("w"), expected)
                return state["w"][2]
            return None

        headers = {"Range": "bytes=-%d" % _range_tail(src.size), "Accept-Encoding": "identity"}
        with span("metadata.range", file=src.filename):
            try:
                resp = self.http.request(src.url, headers=headers, sink=sink, decode=False)
            except BaseException:
                if "w" in state:
                    _discard(state["w"])
                raise
            if resp.status == 200 and "w" in state:
                self._count("full")
                path = self._finish_download(src, expected, CacheBucket.WHEELS, state["w"], resp)
                return _read_zip_metadata(path, src.name, src.filename)
            if resp.status == 416 or resp.status == 200:
                self._count("full")
                path = self._fetch_file(src, expected, CacheBucket.WHEELS)
                return _read_zip_metadata(path, src.name, src.filename)
            if resp.status != 206:
                raise HttpError(resp.url, resp.status, resp.reason, hint=_status_hint(resp.status))
            self._count("range")
            start, total = _content_range(resp.header("content-range"), len(resp.body))
            if start == 0 and len(resp.body) >= total:
                self._keep_small_wheel(src, expected, resp.body)
            rf = _RangedFile(total, lambda a, b: self._fetch_range(resp.url, a, b))
            rf.add(start, resp.body)
            cd = _central_directory(resp.body) if start > 0 else None
            if cd is not None and cd[0] < start:
                # The directory starts before the tail: fetch the rest of it in one
                # request, with 3/4 of its size again in front, where a modern
                # wheel's METADATA sits before RECORD (RECORD, full of hashes that
                # do not compress, takes 0.4-0.6 times the directory's size):
                # one request, not two.
                rf.ensure(max(0, cd[0] - cd[1] * 3 // 4 - _RANGE_MIN_FETCH), start)
            if cd is not None:
                data = _ranged_metadata(rf, cd, src)
                if data is not None:
                    return data
            return _read_zip_metadata(rf, src.name, src.filename)

    def _fetch_range(self, url: "str", start: "int", end: "int") -> "bytes":
        resp = self.http.request(url, headers={"Range": "bytes=%d-%d" % (start, end - 1),
                                               "Accept-Encoding": "identity"}, decode=False)
        if resp.status == 206:
            got, _total = _content_range(resp.header("content-range"), len(resp.body))
            if got != start:
                raise NetworkError("the server answered a range request for %s with "
                                   "other bytes" % redact_url(url))
            return resp.body
        if resp.status == 200:
            return resp.body[start:end]
        raise HttpError(resp.url, resp.status, resp.reason)


class WheelRegistry:
    """The registry of wheels fetched from indexes (``Cache.wheel_registry``):
    one record per wheel and index, written when a download enters the cache,
    so that an exact pin is answered from the cache alone, with no index page.
    The third job of the distribution database, beside metadata and downloads."""

    def __init__(self, cache: "Cache"):
        self.cache = cache

    def find(self, name: "str", version, tags, indexes, *, hashes=None, python_version=None):
        """A registry Dist for the pin ``name==version`` answered from the cache
        alone (no index page, no network), or None.

        ``tags``: a TagPriority (``best(wheel_tags)`` -> int or None, higher is
        better); ``indexes``: the index URLs in the order they are asked. The
        first index in that order that has a fitting wheel of exactly this
        version in the cache gives its best-tagged one (ties: the higher build
        tag). ``hashes`` (the user's ``--hash`` values, any form fetch_wheel
        takes) must all match the wheel; ``python_version`` must satisfy the
        file's Requires-Python when the index gave one. The wheel must still be
        in the cache (unzipped, or its archive), so ``fetch_wheel`` and
        ``cached_wheel`` find it without a request. Costs one listdir per index
        asked and one small read per matching wheel.

        Registry wheels are immutable (the index hashes them), so ``--refresh``
        does not apply; a wheel fetched from another index than the ones given
        is never returned. Wheels are recorded when a download from an index
        enters the cache (see ``Cache.wheel_registry``)."""
        name = canonicalize_name(name)
        if not isinstance(version, Version):
            version = Version(str(version))
        expected = _normalize_hashes(hashes)
        for index in indexes:
            folder = self.cache.wheel_registry(name, index)
            try:
                entries = sorted(os.listdir(folder))
            except OSError:  # nothing fetched from this index yet
                continue
            best = None
            for entry in entries:
                found = self._registry_candidate(folder, entry, name, version, tags)
                if found is None or (best is not None and found[0] <= best[0]):
                    continue
                record = self.cache.read_entry(os.path.join(folder, entry), _parse_registry_record)
                if record is not None and self._record_usable(name, found[1], record, expected,
                                                              python_version):
                    best = (found[0], found[1], record)
            if best is not None:
                return _registry_dist(name, best[1], best[2], index)
        return None

    @staticmethod
    def _registry_candidate(folder: "str", entry: "str", name: "str", version, tags):
        """((rank, build tag), WheelFilename) of a record that fits the pin and the tags."""
        if not entry.endswith(".whl.json"):
            return None
        try:
            w = WheelFilename.from_filename(entry[:-5])
        except (InvalidWheelFilename, InvalidVersion):
            return None
        if w.name != name or w.version != version:
            return None
        rank = tags.best(w.tags)
        return None if rank is None else ((rank, w.build), w)

    def _record_usable(self, name: "str", wheel, record: "dict", expected: "dict", python_version) -> "bool":
        digests = record["digests"]
        for alg, allowed in expected.items():
            if digests.get(alg) not in allowed:
                return False  # the user pinned other bytes (or an algorithm we lack)
        rp = record.get("requires_python")
        if rp and python_version is not None:
            try:
                if not SpecifierSet(rp).contains(python_version, prereleases=True):
                    return False
            except InvalidSpecifier:
                pass  # the resolver ignores a malformed Requires-Python too
        sha = record["sha256"]
        return (os.path.isdir(self.cache.path(CacheBucket.ARCHIVE, name, sha))
                or os.path.isfile(self.cache.path(CacheBucket.WHEELS, name, sha, wheel.filename)))

    def remember(self, src: "_Source", digests: "dict") -> "None":
        """Record a wheel downloaded from an index in that index's registry
        (local files and direct URLs are not recorded: only index pins are
        looked up this way)."""
        if not (src.is_wheel and src.index and src.url and src.name):
            return
        path = os.path.join(self.cache.wheel_registry(src.name, src.index), src.filename + ".json")
        record = {"filename": src.filename, "url": _split_userinfo(src.url)[0],
                  "index": redact_url(src.index), "sha256": digests["sha256"],
                  "digests": digests, "requires_python": src.requires_python}
        try:
            # no entry lock: writers of one record write the same facts, and
            # atomic_write's rename keeps readers from seeing half of one
            atomic_write(path, json.dumps(record, separators=(",", ":")).encode("utf-8"))
        except OSError as e:  # a read-only or full cache must not stop the install
            warn_user("cannot write the cache entry %s: %s" % (path, e))

    def ensure(self, src: "_Source", sha: "str") -> "None":
        """A wheel found in the cache (fetched before its index was recorded, or
        from another index with the same bytes): record it if needed."""
        if not (src.is_wheel and src.index and src.url and src.name) or len(sha) != 64:
            return
        path = os.path.join(self.cache.wheel_registry(src.name, src.index), src.filename + ".json")
        if not os.path.exists(path):
            self.remember(src, {"sha256": sha})


# ---- unzipping ------------------------------------------------------------------

class _OverSize(Exception):
    """A download growing past the size the index listed for it."""


class _BoundedBuffer(io.BytesIO):
    """Memory for a download of a known size: the memory budget was taken for
    that size, so more bytes than it (an index that lists a wrong size) stop
    the download, which is then made again through a file."""

    def __init__(self, limit: "int"):
        super().__init__()
        self.limit = limit

    def write(self, data) -> "int":
        if self.tell() + len(data) > self.limit:
            raise _OverSize()
        return super().write(data)


class _ByteBudget:
    """Bytes that may be held at once; ``take`` answers at once (no waiting)."""

    def __init__(self, total: "int"):
        self.free = total
        self.lock = _thread.allocate_lock()

    def take(self, n: "int") -> "bool":
        with self.lock:
            if n > self.free:
                return False
            self.free -= n
            return True

    def give(self, n: "int") -> "None":
        with self.lock:
            self.free += n


_MEMORY_WHEEL = 64 * 1024 * 1024    # wheels up to this size are downloaded into memory,
_WHEELS_IN_MEMORY = _ByteBudget(256 * 1024 * 1024)   # up to this much of them at once


# Unzips at once: one per core. Unzipping is file creation in the kernel; many
# at once on a 2-core machine fought over the filesystem's locks (measured on a
# 110-wheel sync: 4 concurrent unzips took half the wall time of 16, and a
# third of the system time), while downloads still want many connections.
_UNZIP_SLOTS: "list" = []


def _unzip_slots():
    """The semaphore of those slots (made on first use: start-up imports no threading)."""
    if not _UNZIP_SLOTS:
        with _POOL_LOCK:
            if not _UNZIP_SLOTS:
                _UNZIP_SLOTS.append(threading.BoundedSemaphore(max(2, os.cpu_count() or 2)))
    return _UNZIP_SLOTS[0]


def _discard(state) -> "None":
    tmp, f, _w = state
    try:
        f.close()
    except OSError:
        pass
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _content_range(value, length: "int"):
    """(start, total) from ``Content-Range: bytes a-b/total``."""
    m = _lazy_re(r"bytes\s+(\d+)-(\d+)/(\d+|\*)").match(value or "")
    if not m:
        raise NetworkError("a range answer without a valid Content-Range (%r)" % (value,))
    start = int(m.group(1))
    total = int(m.group(3)) if m.group(3) != "*" else start + length
    return start, total


def _parse_registry_record(data: "bytes") -> "dict":
    record = json.loads(data)
    sha = record["sha256"]
    if not (isinstance(sha, str) and len(sha) == 64 and isinstance(record["url"], str)
            and isinstance(record["filename"], str)):
        raise ValueError("bad wheel record")
    digests = record.get("digests")
    record["digests"] = dict(digests) if isinstance(digests, dict) else {}
    record["digests"]["sha256"] = sha
    return record


def _registry_dist(name: "str", wheel, record: "dict", index: "str"):
    """The registry Dist of a recorded wheel, as the resolver would have made it."""
    f = IndexFile(wheel.filename, record["url"], {"sha256": record["sha256"]},
                  requires_python=record.get("requires_python"), index=index)
    return Dist(name, wheel.version, "registry", file=f, url=f.url)


def _parse_metadata_entry(data: "bytes") -> "bytes":
    doc = json.loads(data)
    text = doc["metadata"]
    if not isinstance(text, str) or not text:
        raise ValueError("empty metadata")
    return text.encode("utf-8", "surrogateescape")


def _dist_info_members(folder: "str") -> "list":
    out = []
    for n in os.listdir(folder):
        if n.endswith(".dist-info") and os.path.isfile(os.path.join(folder, n, "METADATA")):
            out.append(n + "/METADATA")
    return out


# ---- git sources -----------------------------------------------------------------------

#: The ``git+`` URLs pip and uv take.
_GIT_URL_SCHEMES = ("git+https", "git+http", "git+ssh", "git+file", "git+git")
_FULL_COMMIT = r"^[0-9a-fA-F]{40}$"


class GitUrl(Value):
    """A ``git+REPO[@REV][#subdirectory=DIR&egg=NAME]`` URL taken apart:
    ``repo`` (what git fetches: the URL without ``git+``, credentials kept),
    ``rev`` (a branch, tag or commit; None for the default branch) and
    ``subdirectory`` (where the project lives in the repository)."""

    __slots__ = ("repo", "rev", "subdirectory", "fragment")

    def __init__(self, repo: "str", rev=None, subdirectory=None, fragment=""):
        self.repo = repo
        self.rev = rev
        self.subdirectory = subdirectory
        self.fragment = fragment

    @classmethod
    def parse(cls, url: "str") -> "GitUrl":
        from urllib.parse import unquote, urlsplit, urlunsplit
        scheme = url.partition(":")[0].lower()
        if scheme not in _GIT_URL_SCHEMES:
            raise InputError("`%s` is not a git URL that puffin.py can fetch" % redact_url(url),
                             hint="write it as git+https://, git+ssh://, git+http:// or git+file://"
                                  if not scheme.startswith(("hg+", "svn+", "bzr+"))
                                  else "only git repositories are supported; use an archive URL "
                                       "of the revision instead")
        base, _, fragment = url.partition("#")
        parts = urlsplit(base[len("git+"):])
        path, rev = parts.path, None
        if "@" in path:
            path, _, rev = path.rpartition("@")
            rev = unquote(rev)
        if rev is not None and (not rev or rev.startswith("-") or any(c.isspace() or ord(c) < 32 for c in rev)):
            raise InputError("`%s` names no valid revision after `@`" % redact_url(url))
        fields = {}
        for item in fragment.split("&"):
            k, _, v = item.partition("=")
            if k:
                fields[k] = unquote(v)
        sub = (fields.get("subdirectory") or "").strip("/") or None
        if sub and (os.path.isabs(sub) or ".." in sub.split("/")):
            raise InputError("`%s`: the subdirectory must be a relative path inside the "
                             "repository" % redact_url(url))
        return cls(urlunsplit(parts._replace(path=path)), rev, sub, fragment)

    def key(self) -> "str":
        """The repository's cache key: its URL without credentials, a final
        ``/`` or ``.git`` (so the spellings of one repository share a clone)."""
        url = strip_credentials(self.repo).rstrip("/")
        return cache_digest(url[:-4] if url.endswith(".git") else url)

    def pinned(self, commit: "str") -> "str":
        """The URL with the revision replaced by ``commit``, as a lock writes it
        (the fragment kept, as uv keeps it)."""
        return "git+%s@%s" % (self.repo, commit) + ("#" + self.fragment if self.fragment else "")

    @property
    def is_commit(self) -> "bool":
        return bool(self.rev) and bool(_lazy_re(_FULL_COMMIT).match(self.rev))

    def project_path(self, root: "str") -> "str":
        """Where the project is in a checkout at ``root``: its subdirectory, or the top."""
        return os.path.join(root, *self.subdirectory.split("/")) if self.subdirectory else root


def git_archive_name(dist) -> "str":
    """The file a git dist is downloaded as: ``NAME-VERSION.zip``, as pip names it."""
    return "%s-%s.zip" % (canonicalize_name(dist.name).replace("-", "_"), dist.version)


def is_git_url(url) -> "bool":
    return bool(url) and url.partition(":")[0].lower() in _GIT_URL_SCHEMES


class GitCheckout(Value):
    """One commit of a repository on disk: ``root`` (the checkout), ``path``
    (the project: ``root`` or its subdirectory) and ``commit``."""

    __slots__ = ("root", "path", "commit")

    def __init__(self, root: "str", path: "str", commit: "str"):
        self.root = root
        self.path = path
        self.commit = commit


class GitSource:
    """Git repositories through the ``git`` command line, kept in the cache.

    Each repository is fetched into one bare repository (``Cache.git_repository``)
    under its lock, so runs share it; a revision is resolved to a commit once
    per run (a full commit already fetched needs no network, and ``--offline``
    resolves from what was fetched before); each commit is checked out once
    into a folder that never changes afterwards (``Cache.git_checkout``), so
    its builds are cached by commit.
    Credentials in URLs reach git and never a message or the cache's paths."""

    def __init__(self, cache, *, offline: "bool" = False, env=None):
        self.cache = cache
        self.offline = offline
        self.env = dict(os.environ if env is None else env)
        self._commits = OnceMap()     # (repo key, rev) -> commit
        self._checkouts = OnceMap()   # (repo key, commit) -> root folder

    # -- the git command

    def _run(self, args, cwd=None):
        """(returncode, stdout, stderr) of one git command."""
        import shutil
        import subprocess
        exe = shutil.which("git", path=self.env.get("PATH", os.defpath))
        if exe is None:
            raise BuildError("git sources need the `git` command, and none is on PATH",
                             hint="install git (for example `apt-get install git`), or use an "
                                  "archive of the revision instead (https://HOST/OWNER/REPO/archive/REV.tar.gz)")
        env = dict(self.env)
        env.setdefault("GIT_TERMINAL_PROMPT", "0")   # a password prompt would hang an unattended run
        for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            env.pop(k, None)
        with span("git", command=args[0]):
            proc = run_child([exe] + list(args), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return (proc.returncode, proc.stdout.decode("utf-8", "replace").strip(),
                proc.stderr.decode("utf-8", "replace").strip())

    def _git(self, args, cwd=None, *, doing: "str", repo: "str") -> "str":
        code, out, err = self._run(args, cwd)
        if code != 0:
            lines = [redact_url(line.strip()) for line in err.splitlines() if line.strip()]
            first = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines[-1:]
            detail = ": " + first[0] if first else " (git exited with %d)" % code
            raise NetworkError("cannot %s %s%s" % (doing, redact_url(repo), detail),
                               hint="check that the repository exists and that you may read it "
                                    "(for a private one, a credential helper or an ssh key)")
        return out

    # -- revisions

    def resolve(self, gu: "GitUrl") -> "str":
        """The full commit ``gu.rev`` names (the default branch's head without one)."""
        key = gu.key()
        return self._commits.get((key, gu.rev), lambda: self._resolve(gu, key))

    def _resolve(self, gu: "GitUrl", key: "str") -> "str":
        db = self.cache.git_repository(key)
        with self.cache.lock(db):
            if not os.path.isdir(os.path.join(db, "objects")):
                self._git(["init", "--quiet", "--bare", db], doing="set up a clone of", repo=gu.repo)
            if gu.is_commit and self._lookup(db, gu.rev) == gu.rev.lower():
                return gu.rev.lower()
            if self.offline and not gu.repo.lower().startswith("file:"):   # a local one is no network
                found = None if gu.is_commit else self._lookup(db, gu.rev)
                if found:
                    return found
                raise OfflineError("%s of %s is not in the cache, and --offline forbids fetching it"
                                   % ("`%s`" % gu.rev if gu.rev else "the default branch",
                                      redact_url(gu.repo)),
                                   hint="run once without --offline to fetch it")
            self._fetch(db, gu.repo, ["+refs/heads/*:refs/remotes/origin/*", "+HEAD:refs/remotes/origin/HEAD"])
            found = self._lookup(db, gu.rev)
            if found is None and gu.is_commit:   # a commit no branch or tag reaches
                code, _, _ = self._run(["fetch", "--quiet", gu.repo, gu.rev], cwd=db)
                found = self._lookup(db, gu.rev) if code == 0 else None
            if found is None:
                raise NotFoundError("`%s` is not a branch, tag or commit of %s" % (gu.rev, redact_url(gu.repo)),
                                    hint="check the revision after `@` in the URL")
            return found

    def _fetch(self, db: "str", repo: "str", refspecs) -> "None":
        with span("git.fetch", repo=redact_url(repo)):
            self._git(["fetch", "--quiet", "--force", "--tags", "--", repo] + list(refspecs), cwd=db,
                      doing="fetch", repo=repo)

    def _lookup(self, db: "str", rev):
        """The commit ``rev`` (branch, tag, commit or its prefix) names in ``db``, or None."""
        if rev is None:
            names = ["refs/remotes/origin/HEAD"]
        else:
            names = ["refs/remotes/origin/" + rev, "refs/tags/" + rev]
            if _lazy_re(r"^[0-9a-fA-F]{4,40}$").match(rev):
                names.append(rev.lower())
        for name in names:
            code, out, _ = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options",
                                      name + "^{commit}"], cwd=db)
            if code == 0 and _lazy_re(_FULL_COMMIT).match(out):
                return out.lower()
        return None

    # -- checkouts

    def checkout(self, gu: "GitUrl") -> "GitCheckout":
        """The commit ``gu`` names, checked out in the cache (once)."""
        commit = self.resolve(gu)
        key = gu.key()
        root = self._checkouts.get((key, commit), lambda: self._checkout(gu, key, commit))
        path = gu.project_path(root)
        if not (os.path.isfile(os.path.join(path, "pyproject.toml"))
                or os.path.isfile(os.path.join(path, "setup.py"))):
            where = "its subdirectory `%s`" % gu.subdirectory if gu.subdirectory else "its top folder"
            raise InputError("%s at %s has no pyproject.toml or setup.py in %s"
                             % (redact_url(gu.repo), commit[:12], where),
                             hint="name the project's folder with `#subdirectory=PATH`")
        return GitCheckout(root, path, commit)

    def archive(self, gu: "GitUrl", commit: "str", filename: "str") -> "str":
        """A zip of the project at ``commit`` (its subdirectory, when named),
        under a top folder named as the file, in the cache: made once."""
        key = gu.key()
        path = self.cache.git_archive(key, commit, gu.subdirectory, filename)
        if os.path.isfile(path):
            return path
        self.resolve(GitUrl(gu.repo, commit))   # the commit is in the cache's repository
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp-%d" % os.getpid()
        tree = commit + (":" + gu.subdirectory if gu.subdirectory else "")
        try:
            self._git(["archive", "--format=zip", "--prefix=%s/" % filename[:-len(".zip")], "-o", tmp, tree],
                      cwd=self.cache.git_repository(key), doing="make an archive of", repo=gu.repo)
            os.replace(tmp, path)
        except BaseException:   # a failed or interrupted archive leaves no part behind
            _unlink_quietly(tmp)
            raise
        return path

    def _checkout(self, gu: "GitUrl", key: "str", commit: "str") -> "str":
        folder = self.cache.git_checkout(key, commit)
        if os.path.isdir(folder):
            return folder
        with self.cache.lock(folder):
            if os.path.isdir(folder):
                return folder
            tmp = self.cache.temp_dir(CacheBucket.GIT, "checkouts", key)
            try:
                self._clone_at(gu, commit, tmp)
                os.replace(tmp, folder)
            finally:
                if os.path.isdir(tmp):
                    remove_tree(tmp)
        return folder

    def _clone_at(self, gu: "GitUrl", commit: "str", dest: "str") -> "None":
        """A working copy of ``commit`` in the empty folder ``dest``, cloned from
        the cache's repository, its ``origin`` the repository (without credentials)."""
        db = self.cache.git_repository(gu.key())
        repo = gu.repo
        self._git(["clone", "--quiet", "--no-checkout", "--", db, dest], doing="check out", repo=repo)
        self._git(["remote", "set-url", "origin", strip_credentials(repo)], cwd=dest,
                  doing="check out", repo=repo)
        self._switch_to(dest, commit, repo)
        if os.path.isfile(os.path.join(dest, ".gitmodules")):
            if self.offline:
                raise OfflineError("%s uses git submodules, which --offline cannot fetch"
                                   % redact_url(repo))
            self._git(["submodule", "update", "--init", "--recursive", "--quiet"], cwd=dest,
                      doing="fetch the submodules of", repo=repo)

    def _switch_to(self, dest: "str", commit: "str", repo: "str") -> "None":
        """The working copy ``dest`` at ``commit``, detached."""
        self._git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit],
                  cwd=dest, doing="check out %s of" % commit[:12], repo=repo)

    def describe(self, folder: "str"):
        """``(origin URL, HEAD commit)`` of the git working copy ``folder``, or
        None (not one, or no git): what pip-freeze prints for an editable."""
        if not os.path.exists(os.path.join(folder, ".git")):
            return None
        try:
            code, origin, _ = self._run(["remote", "get-url", "origin"], cwd=folder)
            code2, commit, _ = self._run(["rev-parse", "HEAD"], cwd=folder)
        except BuildError:   # no git command
            return None
        if code or code2 or not _lazy_re(_FULL_COMMIT).match(commit):
            return None
        return origin, commit

    def working_copy(self, gu: "GitUrl", dest: "str") -> "GitCheckout":
        """An editable checkout, as pip makes under ``src``: a clone of the
        repository at the resolved commit in ``dest`` (made, or moved to the
        commit when it is already a clone of the same repository)."""
        commit = self.resolve(gu)
        if os.path.isdir(os.path.join(dest, ".git")):
            code, origin, _ = self._run(["remote", "get-url", "origin"], cwd=dest)
            if code != 0 or GitUrl(origin).key() != gu.key():
                raise InstallError("%s already holds a different checkout (its origin is %s)"
                                   % (dest, redact_url(origin) if code == 0 else "unknown"),
                                   hint="remove it, or choose another folder with --src")
            self._git(["fetch", "--quiet", "--force", "--tags", "--",
                       self.cache.git_repository(gu.key()), "+refs/remotes/origin/*:refs/remotes/origin/*"],
                      cwd=dest, doing="update the checkout of", repo=gu.repo)
            self._switch_to(dest, commit, gu.repo)
        else:
            if os.path.exists(dest) and os.listdir(dest):
                raise InstallError("cannot check out %s into %s: the folder is not empty"
                                   % (redact_url(gu.repo), dest),
                                   hint="remove it, or choose another folder with --src")
            os.makedirs(dest, exist_ok=True)
            try:
                self._clone_at(gu, commit, dest)
            except BaseException:   # a failed clone leaves no half checkout to trip the next run
                remove_tree(dest)
                raise
        return GitCheckout(dest, gu.project_path(dest), commit)

# =============================================================================
# 10. Resolver
# =============================================================================
# Owns: version ranges over Version, the PubGrub solver (incompatibilities,
# partial solution, unit propagation, conflict resolution, explanations), the
# Provider seam and RegistryProvider, Resolution.  Exports resolve(), Provider,
# RegistryProvider, Candidate, Unavailable, RootRequirement, Resolution, ResolvedPackage.
# Uses sections 1-3 only; the distribution database arrives as an object.

# ---- version ranges ----------------------------------------------------------
#
# A range is a tuple of disjoint, sorted, non-touching intervals (lo, hi) of
# "cuts".  A cut is (key, side): side 0 sits just below every version whose sort
# key is ``key``, side 2 just above it; a version with key k is inside (lo, hi)
# when lo < (k, 1) < hi.  Keys are tuples that order like PEP 440 versions, plus
# sentinel keys PEP 440 needs but no real version has: "below every pre-release
# of 1.0" (for ``<1.0``), "above every local of 1.0" (for ``==1.0`` and ``<=1.0``)
# and "above every post-release of 1.0" (for ``>1.0``), as uv's with_min/with_max.

_INF = float("inf")
_CUT_LOW = ((), 0)
_CUT_HIGH = ((_INF,), 0)
_FULL = ((_CUT_LOW, _CUT_HIGH),)
_EMPTY = ()
_LOCAL_MAX = ((9,),)
_KEY_TEXT: "dict" = {}        # key -> version text, for explanations


_VKEYS: "dict" = {}


def _files_by_version(files, name: "str") -> "dict":
    """{version key: (Version, [IndexFile])} of the files of project ``name``;
    files of another project, or whose version cannot be read, are left out.
    A wheel's name and version are read once per distinct name-version prefix,
    not once per file: a page lists thousands of files, a version dozens of wheels."""
    groups = {}
    for f in files:
        fn = f.filename
        key = fn
        if fn.endswith(".whl") and fn.count("-") in (4, 5):
            head = fn.split("-", 2)
            key = (head[0], head[1])
        group = groups.get(key)
        if group is None:
            groups[key] = [f]
        else:
            group.append(f)
    out = {}
    for key, group in groups.items():
        if key.__class__ is tuple:
            own = canonicalize_name(key[0])
            try:
                v = Version.parse(key[1])
            except InvalidVersion:
                continue
        else:
            v, own = group[0].version, group[0].name
        if v is None or (own and own != name):
            continue
        slot = out.get(_vkey(v))
        if slot is None:
            out[_vkey(v)] = (v, group)
        else:
            slot[1].extend(group)
    return out


def _vkey(v) -> "tuple":
    """Sort key of a Version, ordering like PEP 440 (and packaging's _cmpkey)."""
    key = _VKEYS.get(v)
    if key is None:
        key = _VKEYS[v] = _make_vkey(v)
    return key


def _make_vkey(v) -> "tuple":
    rel = tuple(v.release)
    while len(rel) > 1 and rel[-1] == 0:
        rel = rel[:-1]
    pre, post, dev = v.pre, v.post, v.dev
    if pre is None and post is None and dev is not None:
        pre_k = (-1,)
    elif pre is None:
        pre_k = (3,)
    else:
        pre_k = ({"a": 0, "b": 1, "rc": 2, "c": 2}.get(pre[0], 2), pre[1])
    post_k = (-1,) if post is None else (0, post)
    dev_k = (1,) if dev is None else (0, dev)
    local = v.local
    if local:
        local_k = tuple((1, int(p)) if p.isdigit() else (0, p.lower())
                        for p in re.split(r"[._-]", str(local)))
    else:
        local_k = ()
    key = (v.epoch, rel, pre_k, post_k, dev_k, local_k)
    if key not in _KEY_TEXT:
        _KEY_TEXT[key] = str(v)
    return key


def _key_min(v) -> "tuple":
    """Key below every pre-release and dev release of ``v``'s release."""
    k = _vkey(v)
    m = k[:2] + ((-2,),)
    _KEY_TEXT.setdefault(m, v.base_version if hasattr(v, "base_version") else str(v))
    return m


def _key_release_min(epoch: "int", release: "tuple", text: "str") -> "tuple":
    rel = tuple(release)
    while len(rel) > 1 and rel[-1] == 0:
        rel = rel[:-1]
    m = (epoch, rel, (-2,))
    _KEY_TEXT.setdefault(m, text)
    return m


def _key_max_local(v) -> "tuple":
    """Key above every local version of ``v`` (1.0+anything) but below the next one."""
    k = _vkey(v)
    m = k[:5] + (_LOCAL_MAX,)
    _KEY_TEXT.setdefault(m, str(v))
    return m


def _key_max_post(v) -> "tuple":
    """Key above every post-release (and local) of ``v`` but below the next release."""
    k = _vkey(v)
    m = k[:3] + ((1,),)
    _KEY_TEXT.setdefault(m, str(v))
    return m


def _r_union(a: "tuple", b: "tuple") -> "tuple":
    if not a:
        return b
    if not b:
        return a
    out = []
    for lo, hi in sorted(a + b):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _r_intersect(a: "tuple", b: "tuple") -> "tuple":
    if len(a) > len(b):
        a, b = b, a
    if len(a) * 4 < len(b):
        return _r_intersect_sparse(a, b)
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _r_intersect_sparse(a: "tuple", b: "tuple") -> "tuple":
    """``_r_intersect`` for a few intervals against many (a package with a
    thousand versions has ranges of hundreds of intervals): find the overlaps
    by bisection instead of walking all of ``b``."""
    from bisect import bisect_left
    out = []
    n = len(b)
    for lo_a, hi_a in a:
        j = bisect_left(b, (lo_a,)) - 1   # intervals are disjoint and sorted
        if j < 0:
            j = 0
        while j < n:
            lo_b, hi_b = b[j]
            if lo_b >= hi_a:
                break
            lo = lo_a if lo_a > lo_b else lo_b
            hi = hi_a if hi_a < hi_b else hi_b
            if lo < hi:
                out.append((lo, hi))
            j += 1
    return tuple(out)


def _r_complement(a: "tuple") -> "tuple":
    out = []
    prev = _CUT_LOW
    for lo, hi in a:
        if prev < lo:
            out.append((prev, lo))
        prev = hi
    if prev < _CUT_HIGH:
        out.append((prev, _CUT_HIGH))
    return tuple(out)


def _r_contains(a: "tuple", key: "tuple") -> "bool":
    p = (key, 1)
    for lo, hi in a:
        if lo < p < hi:
            return True
        if p < lo:
            return False
    return False


def _r_point(v) -> "tuple":
    """The range holding exactly ``v`` (no locals of it)."""
    k = _vkey(v)
    return (((k, 0), (k, 2)),)


def _r_from_specifier(op: "str", text: "str") -> "tuple":
    """One PEP 440 specifier clause as a range; prereleases are always inside
    (the prerelease mode is applied when choosing, as uv does)."""
    if op in ("==", "!=") and text.endswith(".*"):
        base = Version(text[:-2])
        rel = tuple(base.release)
        upper = rel[:-1] + (rel[-1] + 1,)
        r = (((_key_release_min(base.epoch, rel, text[:-2]), 0),
              (_key_release_min(base.epoch, upper, ".".join(map(str, upper))), 0)),)
        return r if op == "==" else _r_complement(r)
    if op == "===":
        try:
            v = Version(text)
        except InvalidVersion:
            return _EMPTY
        return _r_point(v)
    v = Version(text)
    k = _vkey(v)
    if op in ("==", "!="):
        hi = (k, 2) if v.local else (_key_max_local(v), 0)
        r = (((k, 0), hi),)
        return r if op == "==" else _r_complement(r)
    if op == ">=":
        return (((k, 0), _CUT_HIGH),)
    if op == "<=":
        return ((_CUT_LOW, (_key_max_local(v), 0)),)
    if op == ">":
        # ">1.0" excludes 1.0.post1 (and 1.0+local); ">1.0.post1" allows 1.0.post2
        exact = v.post is not None or v.dev is not None
        hi_key = _key_max_local(v) if exact else _key_max_post(v)
        return (((hi_key, 2), _CUT_HIGH),)
    if op == "<":
        # "<1.0" excludes 1.0a1 and 1.0.dev1 (PEP 440) unless V is itself a
        # pre-release; "<1.0.post1" excludes only 1.0.post1's dev releases (uv, packaging)
        if v.pre is not None or v.dev is not None:
            return ((_CUT_LOW, (k, 0)),)
        if v.post is not None:
            floor = k[:4] + ((-1,),)
            _KEY_TEXT.setdefault(floor, str(v))
            return ((_CUT_LOW, (floor, 0)),)
        return ((_CUT_LOW, (_key_min(v), 0)),)
    if op == "~=":
        rel = tuple(v.release)
        prefix = rel[:-1]
        upper = prefix[:-1] + (prefix[-1] + 1,)
        r = (((k, 0), (_key_release_min(v.epoch, upper, ".".join(map(str, upper))), 0)),)
        return r
    raise InvalidSpecifier("unsupported operator %r" % op)


def _spec_clauses(specifier) -> "list":
    """(operator, version text) pairs of a SpecifierSet."""
    out = []
    for s in specifier:
        out.append((s.operator, s.version))
    return out


def ranges_from_specifier(specifier) -> "tuple":
    """A SpecifierSet (or None) as a range: the intersection of its clauses."""
    r = _FULL
    if specifier is None:
        return r
    for op, text in _spec_clauses(specifier):
        r = _r_intersect(r, _r_from_specifier(op, text))
    return r


def _spec_texts(specifier) -> "dict":
    """{key: text} for the versions a specifier names, so explanations repeat
    them as written ("b>=2", not "b>=2.0")."""
    out = {}
    for op, text in _spec_clauses(specifier or ()):
        try:
            v = Version(text[:-2] if text.endswith(".*") else text)
        except InvalidVersion:
            continue
        for k in (_vkey(v), _key_min(v), _key_max_local(v), _key_max_post(v),
                  _vkey(v)[:4] + ((-1,),)):
            out[k] = text[:-2] if text.endswith(".*") else text
    return out


def _spec_is_explicit_prerelease(specifier) -> "bool":
    """True when a specifier names a pre-release (``>=1.0b1``, ``==2.0a1``)."""
    if specifier is None:
        return False
    for op, text in _spec_clauses(specifier):
        if text.endswith(".*"):
            continue
        try:
            v = Version(text)
        except InvalidVersion:
            continue
        if v.pre is not None or v.dev is not None:
            return True
    return False


def _key_text(key, texts) -> "str":
    text = texts.get(key)
    if text is None and len(key) == 3:     # a release's floor: spell the release
        text = ("%d!" % key[0] if key[0] else "") + ".".join(map(str, key[1]))
    return text or _KEY_TEXT.get(key, "?")


def _cut_text(cut: "tuple", lower: "bool", texts) -> "str":
    key, side = cut
    text = _key_text(key, texts)
    if len(key) in (3, 5):                    # below all pre-releases of a release
        return (">=" if lower else "<") + text
    if len(key) == 4 or key[-1] == _LOCAL_MAX:   # above all posts / locals
        return (">" if lower else "<=") + text
    if lower:
        return (">=" if side == 0 else ">") + text
    return ("<" if side == 0 else "<=") + text


def _interval_text(lo: "tuple", hi: "tuple", texts) -> "str":
    if lo == _CUT_LOW and hi == _CUT_HIGH:
        return ""
    if lo[1] == 0 and len(lo[0]) == 6 and lo[0][-1] != _LOCAL_MAX and (
            hi == (lo[0], 2) or hi[0] == lo[0][:5] + (_LOCAL_MAX,)):
        return "==" + _key_text(lo[0], texts)
    if lo == _CUT_LOW:
        return _cut_text(hi, False, texts)
    if hi == _CUT_HIGH:
        return _cut_text(lo, True, texts)
    return _cut_text(lo, True, texts) + "," + _cut_text(hi, False, texts)


def _range_text(r: "tuple", known=(), texts=None, simplify=False) -> "str":
    """A range as specifier text ("" for every version). With ``simplify``,
    as pubgrub's ``simplify``: intervals without known versions are left out,
    an interval with one known version reads "==v", and bounds with no known
    version beyond them are dropped ("b>=2,<4" with nothing above 3 is "b>=2")."""
    texts = texts or {}
    if not r:
        return "<none>"
    if not simplify or not known:
        return " | ".join(_interval_text(lo, hi, texts) for lo, hi in r)
    parts = []
    for lo, hi in r:
        inside = [k for k in known if lo < (k, 1) < hi]
        if not inside:
            continue
        if len(inside) == 1 and lo == (inside[0], 0) and hi != _CUT_HIGH:
            parts.append("==" + _key_text(inside[0], texts))
            continue
        if not any((k, 1) < lo for k in known):
            lo = _CUT_LOW
        if not any((k, 1) > hi for k in known):
            hi = _CUT_HIGH
        parts.append(_interval_text(lo, hi, texts))
    if not parts:
        return " | ".join(_interval_text(lo, hi, texts) for lo, hi in r)
    return " | ".join(parts)


# ---- terms -------------------------------------------------------------------
# A term is (positive, range).  (True, r): "the package is selected at a version
# in r"; (False, r): "the package is not selected at a version in r" (which it
# also satisfies by not being selected at all), exactly as in PubGrub.

_T_ANY = (False, _EMPTY)
_T_NONE = (True, _EMPTY)


def _t_neg(t):
    return (not t[0], t[1])


def _t_inter(a, b):
    if a[0] and b[0]:
        return (True, _r_intersect(a[1], b[1]))
    if a[0]:
        return (True, _r_intersect(a[1], _r_complement(b[1])))
    if b[0]:
        return (True, _r_intersect(b[1], _r_complement(a[1])))
    return (False, _r_union(a[1], b[1]))


def _t_union(a, b):
    return _t_neg(_t_inter(_t_neg(a), _t_neg(b)))


def _t_subset(a, b) -> "bool":
    return _t_inter(a, b) == a


_SAT, _CONTRA, _INCONCL = 1, 2, 3


def _t_relation(t, acc) -> "int":
    """How the accumulated assignment ``acc`` relates to term ``t``."""
    i = _t_inter(t, acc)
    if i == acc:
        return _SAT
    if i == _T_NONE:
        return _CONTRA
    return _INCONCL


# ---- the provider seam -------------------------------------------------------

PRERELEASE_MODES = ("disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit")
RESOLUTION_MODES = ("highest", "lowest", "lowest-direct")


class Candidate(Value):
    """One version of a package as the provider offers it.

    ``dist`` is the Dist the installer will use (a registry file, a URL or a
    path). ``requires_python``: SpecifierSet or None. ``yanked``: None or the
    reason ("" when none given); the resolver only picks a yanked candidate for
    an exact ``==`` pin. ``unavailable``: None, or a phrase completing
    "b==2.0 ..." (e.g. "has no wheels with a matching platform tag") with
    ``unavailable_kind`` a code for hints: ``no-wheel``, ``no-binary``,
    ``only-sdist``, ``invalid``. ``wheel_tags`` (a universal resolution only):
    the tags of each of the version's wheels when it has no sdist, for the
    Pythons of each fork.
    """

    __slots__ = ("name", "version", "dist", "requires_python", "yanked",
                 "unavailable", "unavailable_kind", "wheel_tags")

    def __init__(self, name, version, dist=None, requires_python=None, yanked=None,
                 unavailable=None, unavailable_kind=None, wheel_tags=None):
        self.name = name
        self.version = version
        self.dist = dist
        self.requires_python = requires_python
        self.yanked = yanked
        self.unavailable = unavailable
        self.unavailable_kind = unavailable_kind
        self.wheel_tags = wheel_tags


class _LazyCandidate(Candidate):
    """A Candidate whose file is chosen on first use: a package with thousands
    of files has most of its versions looked at only by number, and choosing a
    file means parsing every wheel's tags."""

    __slots__ = ("_make", "_real")

    def __init__(self, name, version, make):
        self.name = name
        self.version = version
        self._make = make
        self._real = None

    def _get(self):
        real = self._real
        if real is None:
            real = self._real = self._make()
        return real

    dist = property(lambda self: self._get().dist)
    requires_python = property(lambda self: self._get().requires_python)
    yanked = property(lambda self: self._get().yanked)
    unavailable = property(lambda self: self._get().unavailable)
    unavailable_kind = property(lambda self: self._get().unavailable_kind)
    wheel_tags = property(lambda self: self._get().wheel_tags)


class Unavailable(Value):
    """What ``Provider.dependencies`` returns for a candidate that cannot be
    used after all: ``reason`` completes "b==2.0 ..." ("requires Python>=3.12",
    "has invalid metadata"); ``kind`` is a hint code (``requires-python`` with
    ``requires_python`` the specifier text, ``invalid``, ...)."""

    __slots__ = ("reason", "kind", "requires_python")

    def __init__(self, reason, kind="unavailable", requires_python=None):
        self.reason = reason
        self.kind = kind
        self.requires_python = requires_python


class RootRequirement(Value):
    """A requirement of the user with where it came from (``-r requirements.in``),
    shown in the ``# via`` annotations of pip-compile."""

    __slots__ = ("requirement", "source")

    def __init__(self, requirement, source=None):
        self.requirement = requirement
        self.source = source


class Provider:
    """Everything the resolver may know about the world; it knows nothing else.

    Attributes the resolver reads: ``python_version`` (Version of the target
    Python), ``markers`` (marker environment dict of the target),
    ``resolution`` (highest | lowest | lowest-direct), ``prerelease`` (see
    PRERELEASE_MODES), ``no_deps`` (skip the dependencies of everything but
    the root requirements).
    """

    python_version = None
    markers: "dict" = {}
    resolution = "highest"
    prerelease = "if-necessary-or-explicit"
    no_deps = False

    def versions(self, name: "str"):
        """All versions of canonical ``name`` as Candidates, any order; None when
        the package does not exist. Unusable versions are included with
        ``unavailable`` set so explanations can name them. May block on I/O
        (the result is memoised by the caller); raises PuffinError on failure."""
        raise NotImplementedError

    def dependencies(self, candidate: "Candidate"):
        """The Requires-Dist list (Requirement objects, markers unevaluated, all
        extras) of ``candidate``, or an ``Unavailable``. May block on I/O."""
        raise NotImplementedError

    def url_candidate(self, requirement) -> "Candidate":
        """The Candidate for a direct URL/path requirement (``name @ url``)."""
        raise NotImplementedError

    def prefetch(self, names) -> "None":
        """Hint: these canonical names will likely be needed; start fetching.
        Must not change any answer. The default does nothing."""

    def prefetch_ranges(self, ranges) -> "None":
        """Hint, before the first ``prefetch``: {name: version range} that the
        root requirements set (a lock's pins), so that the candidate a
        prefetch guesses for those names is one in them. Optional."""

    def prefetch_candidate(self, candidate: "Candidate") -> "None":
        """Hint: the dependencies of ``candidate`` will likely be asked for."""

    def known_names(self):
        """All package names the provider could offer (for "did you mean"), or None."""
        return None

    def provided_extras(self, candidate: "Candidate"):
        """Canonical names of the extras ``candidate`` defines (after its
        dependencies were asked for), or None when unknown. The default: None."""
        return None


# ---- the solver --------------------------------------------------------------

_ROOT = "<root>"        # not a valid package name, so never clashes


class _Incompat:
    """A set of terms that must not all hold. ``kind`` and ``data`` say where
    it came from (for explanations); derived ones have two causes."""

    __slots__ = ("id", "terms", "kind", "data", "cause1", "cause2")

    def __init__(self, iid, terms, kind, data=None, cause1=None, cause2=None):
        self.id = iid
        self.terms = terms
        self.kind = kind
        self.data = data
        self.cause1 = cause1
        self.cause2 = cause2


class _PkgState:
    """One package in the partial solution: its assignments, their
    intersection, and the decided candidate (None until decided)."""

    __slots__ = ("history", "acc", "decided", "decided_key")

    def __init__(self):
        self.history = []     # (global index, decision level, cause or None, term)
        self.acc = _T_ANY
        self.decided = None   # Candidate when decided
        self.decided_key = None


def _split_extra(pkg: "str"):
    """"a[x]" -> ("a", "x"); "a" -> ("a", None)."""
    if pkg.endswith("]") and "[" in pkg:
        base, extra = pkg[:-1].split("[", 1)
        return base, extra
    return pkg, None


class _Solver:
    """PubGrub (Natalie Weizenbaum's algorithm, as in pubgrub-rs and uv) over a Provider."""

    def __init__(self, provider, roots, constraints, overrides, preferences, reporter, fork=None):
        self.p = provider
        self.reporter = reporter or Reporter()
        self.env = dict(provider.markers or {})
        # universal resolution: ``fork`` is the MarkerSet of the environments
        # this solve is for (a requirement applies when its marker meets it)
        self.fork = fork
        self.fork_low = None if fork is None else fork.python_lower()
        self.fork_minors = None if fork is None else fork.python_minors()
        self.edge_markers = {}   # universal: (dep, range) of a marked requirement -> its marker text
        # Requires-Python is checked against the release (3.13.0rc1 counts as
        # 3.13.0), as pip does with sys.version_info[:3]
        pv = provider.python_version
        self.pyver = None if pv is None else Version(".".join(map(str, tuple(pv.release)[:3])))
        self.incompats = []
        self.by_pkg = {}
        self.states = {}
        self.level = 0
        self.gidx = 0
        self.decision_pkgs = []
        self.discovery = {}
        self.cands = {}        # pkg base name -> sorted ascending list of Candidate
        self.cand_keys = {}
        self.deps_cache = {}   # pkg (with extra) + version key -> list of (dep pkg, range)
        self.merge_index = {}
        self.tries = {}        # pkg -> versions tried so far (prefetch when backtracking)
        # uv's conflict tracking: the package being decided when conflicts keep
        # arising ("affected") is decided early; a package that keeps causing
        # them ("culprit") late, and undecided at once (see _record_conflict)
        self.affected = {}
        self.culprits = {}
        # name -> rank in the order of decisions (a package's extras share it), as
        # uv's PubGrubPriorities: 0 required at one version (a pin), 1 conflicts
        # early, 2 conflicts late, 3 (or absent) the others
        self.rank = {}
        self.next = _ROOT             # the package being decided (uv's `next`)
        # a conflict's backjump keeps the decisions it does not involve (see
        # _resolve_conflict) in a _KeptRound, until _check_kept finds the kept
        # ones in uv's order
        self.chrono = None
        self.sem_level = {}           # gidx -> the level an assignment of a round stands for
        self.reprioritize = ([], [])  # (to decide early, to decide late) since the last propagation
        self.conflicts = 0     # versions rejected because of other packages' decisions
        self.decisions = 0
        self.backjumps = 0
        self.added = {}        # (pkg, version key) -> its dependency incompatibilities
        self.spec_texts = {}   # (pkg, range) -> {key: version text as the user wrote it}
        self.roots = roots
        self.urls = {}
        self.constraints = {}
        self.overrides = {}
        self.preferences = preferences or {}
        self.exact_pins = set()
        self.explicit_pre = set()
        self.direct = set()
        self._prepare(constraints, overrides)

    # -- setup -------------------------------------------------------------

    def _applies(self, req, extra="") -> "bool":
        if req.marker is None:
            return True
        if self.fork is not None:
            return not self.fork.disjoint(self._marker_set(req.marker, extra))
        env = dict(self.env)
        env["extra"] = extra or ""
        return bool(req.marker.evaluate(env))

    def _marker_set(self, marker, extra="") -> "MarkerSet":
        return _marker_set(marker, extra)

    def _forks_of(self, reqs, extra="") -> "list":
        """uv's forks at one list of requirements (a package's, or the root's):
        for a name required more than once under different markers, or once
        under a marker that raises the lowest Python, each marker splits every
        fork in two (where it holds, where it does not). [] when it does not
        split this solve's environments."""
        by_name = {}
        for req in reqs:
            if req.marker is None or self._applies(req, extra):
                by_name.setdefault(canonicalize_name(req.name), []).append(req)
        forks = [self.fork]
        for name, group in sorted(by_name.items()):   # uv goes by name
            sets = [self._marker_set(r.marker, extra) if r.marker is not None else MarkerSet.TRUE
                    for r in group]
            raises = False
            if all(m.equivalent(sets[0]) for m in sets):
                low = (sets[0] & self.fork).python_lower()
                raises = low is not None and self.fork_low is not None and low > self.fork_low
                if not raises:
                    continue
            for m in sets:
                if m.is_true():
                    continue
                new = []
                for f in forks:
                    inside, outside = f & m, f & ~m
                    if inside.is_empty() or outside.is_empty():
                        new.append(f)
                    else:
                        new += [outside, inside]
                forks = new
        if len(forks) < 2:
            return []
        # uv's order (solved last first): the fork with the highest lowest
        # Python, then the one with the most upper-bounded requirements here,
        # goes first, since its answer is likelier to suit the others
        def bounded(env):
            return sum(1 for r in reqs if _has_upper_bound(r.specifier) and (
                r.marker is None or not env.disjoint(self._marker_set(r.marker, extra))))
        return sorted(forks, key=lambda env: (env.python_lower() or (), bounded(env)))

    def _python_fork(self, rp):
        """uv's Requires-Python fork: ``rp`` (of the version about to be chosen)
        starts above the lowest Python of this solve; None when it does not."""
        low = _rp_lower(rp)
        if low is None or self.fork_low is None or low <= self.fork_low:
            return None
        text = ".".join(map(str, low))
        below, above = self.fork & MarkerSet.python("<", text), self.fork & MarkerSet.python(">=", text)
        if below.is_empty() or above.is_empty():
            return None
        return [below, above]

    def _note_pins(self, req):
        name = canonicalize_name(req.name)
        for op, text in _spec_clauses(req.specifier):
            if op in ("==", "===") and not text.endswith(".*"):
                try:
                    self.exact_pins.add((name, _vkey(Version(text))))
                except InvalidVersion:
                    pass
        if _spec_is_explicit_prerelease(req.specifier):
            self.explicit_pre.add(name)

    def _register_url(self, req):
        name = canonicalize_name(req.name)
        old = self.urls.get(name)
        if old is not None:
            if old[0] != req.url:
                raise NoSolutionError(
                    "Requirements contain conflicting URLs for package `%s`:\n- %s\n- %s"
                    % (name, old[0], req.url))
            return
        with span("resolve.url", package=name):
            cand = self.p.url_candidate(req)
        self.urls[name] = (req.url, cand)

    def _prepare(self, constraints, overrides):
        for rr in self.roots:
            req = rr.requirement
            if not self._applies(req):
                continue
            self._note_pins(req)
            self.direct.add(canonicalize_name(req.name))
        for req in constraints:
            if self._applies(req):
                self._note_pins(req)
                self.constraints.setdefault(canonicalize_name(req.name), []).append(req)
        for req in overrides:
            if self._applies(req):
                self._note_pins(req)
                self.overrides.setdefault(canonicalize_name(req.name), []).append(req)
        for req in list(overrides) + list(constraints) + [rr.requirement for rr in self.roots]:
            if req.url and self._applies(req):
                self._register_url(req)

    # -- candidates --------------------------------------------------------

    def candidates(self, name: "str") -> "list":
        """All candidates of base package ``name``, ascending by version."""
        c = self.cands.get(name)
        if c is None:
            if name in self.urls:
                c = [self.urls[name][1]]
            else:
                with span("resolve.versions", package=name):
                    found = self.p.versions(name)
                c = None if found is None else sorted(found, key=lambda x: _vkey(x.version))
            self.cands[name] = c
            self.cand_keys[name] = [_vkey(x.version) for x in (c or ())]
        return c

    def _known(self, pkg: "str") -> "list":
        base = _split_extra(pkg)[0]
        if base == _ROOT:
            return []
        self.candidates(base)
        return self.cand_keys.get(base) or []

    def _with_prereleases(self, name: "str", ordered: "list", preferred=None) -> "list":
        """The candidates of ``ordered`` (all in the range) that the
        prerelease mode lets us try, in the order to try them, as uv (0.13)
        does: ``allow`` takes them as they come, ``disallow`` only final
        releases; the other modes try every final release in the range first,
        then the pre-releases when a first-party requirement names one
        (``explicit``) or when no final release is left in the range
        (``if-necessary``, relative to the range, so ``c>=2.0b1`` from a
        dependency opens them when only pre-releases satisfy it). A preferred
        pre-release (pinned in the ``-o`` file, or installed) in the range is
        kept first, as uv keeps a locked one, unless pre-releases are off
        (``disallow``, or ``explicit`` without a first-party marker)."""
        mode = self.p.prerelease
        if mode == "allow":
            return ordered
        stable = [c for c in ordered if not _is_pre(c.version)]
        if mode == "disallow" or len(stable) == len(ordered):
            return stable
        if preferred is not None and _is_pre(preferred) and ordered \
                and _vkey(ordered[0].version) == _vkey(preferred) \
                and (mode != "explicit" or name in self.explicit_pre):
            return ordered[:1] + self._with_prereleases(name, ordered[1:])
        explicit = mode in ("explicit", "if-necessary-or-explicit") and name in self.explicit_pre
        necessary = mode in ("if-necessary", "if-necessary-or-explicit") and not stable
        if explicit or necessary:
            return stable + [c for c in ordered if _is_pre(c.version)]
        return stable

    def _order(self, name: "str", cands: "list") -> "list":
        """Candidates in the order we try them: preference, then the strategy."""
        mode = self.p.resolution
        lowest = mode == "lowest" or (mode == "lowest-direct" and name in self.direct)
        ordered = list(cands) if lowest else list(reversed(cands))
        if getattr(self.p, "prefer_binary", False):   # pip's --prefer-binary: a wheel before a newer sdist
            wheels = [c for c in ordered if c.unavailable is None and c.dist.is_wheel]
            if wheels:
                taken = {id(c) for c in wheels}
                ordered = wheels + [c for c in ordered if id(c) not in taken]
        pref = self.preferences.get(name)
        if pref is not None:   # a Version, or (universal) a tuple of them, the first one first
            keys = [_vkey(v) for v in (pref if isinstance(pref, tuple) else (pref,))]
            rank = {k: i for i, k in reversed(list(enumerate(keys)))}
            first = sorted((c for c in ordered if _vkey(c.version) in rank), key=lambda c: rank[_vkey(c.version)])
            ordered = first + [c for c in ordered if _vkey(c.version) not in rank]
        return ordered

    def _usable(self, name, cand):
        """None if usable, else (kind, phrase, data) why not."""
        if cand.unavailable:
            return (cand.unavailable_kind or "unavailable", cand.unavailable, None)
        rp = cand.requires_python
        if rp is not None and self.fork is not None:
            # universal: the lowest Python of the fork must be allowed (upper bounds
            # are not read, as uv reads them)
            low = _rp_lower(rp)
            if low is not None and self.fork_low is not None and low > self.fork_low:
                return ("requires-python", "requires Python%s" % rp, str(rp))
        if self.fork is not None and cand.wheel_tags and self.fork_minors is not None:
            low, high = self.fork_minors
            if not any(wheel_fits_pythons(t, low, high) for t in cand.wheel_tags):
                # uv: a wheel whose tags name other Pythons is no use to this fork
                shown = "%d.%d" % low + ("+" if high is None else "" if high == low else "-%d.%d" % high)
                return ("python-tag", "has no wheels for Python %s" % shown, shown)
        if self.fork is None and rp is not None and self.pyver is not None and not _contains(rp, self.pyver):
            return ("requires-python", "requires Python%s" % rp, str(rp))
        if cand.yanked is not None and (name, _vkey(cand.version)) not in self.exact_pins:
            reason = "was yanked" + (" (reason: %s)" % cand.yanked if cand.yanked else "")
            return ("yanked", reason, cand.yanked)
        return None

    # -- incompatibilities -------------------------------------------------

    def _add(self, terms, kind, data=None, c1=None, c2=None):
        inc = _Incompat(len(self.incompats), terms, kind, data, c1, c2)
        self.incompats.append(inc)
        for pkg in terms:
            self.by_pkg.setdefault(pkg, []).append(inc)
        return inc

    def _run_range(self, name, idx, usable_key):
        """The range of the run of consecutive versions around ``idx`` that share
        the same reason for being unusable (one incompatibility for all)."""
        cands = self.cands[name]
        lo = hi = idx
        while lo > 0 and self._usable(name, cands[lo - 1]) == usable_key:
            lo -= 1
        while hi + 1 < len(cands) and self._usable(name, cands[hi + 1]) == usable_key:
            hi += 1
        return self._widen(name, lo, hi)

    def _widen(self, name, lo, hi):
        """A range holding the known versions ``lo..hi`` (indexes) of ``name`` and
        the empty space up to the next known version, so that it reads well
        ("b>=2", "a==1.0") and leaves no version-less slivers behind to explain.
        Valid because no other version of the package exists in that space."""
        keys = self.cand_keys[name]
        lo_cut = (keys[lo], 0)
        nxt = (keys[hi + 1], 0) if hi + 1 < len(keys) else _CUT_HIGH
        if lo == hi:
            cands = self.cands[name]
            hi_cut = min(nxt, (_key_max_local(cands[hi].version), 0))
        else:
            hi_cut = nxt
        return ((lo_cut, hi_cut),)

    def _add_dependency(self, pkg, version, dep, dep_range):
        """{pkg==version, not dep in dep_range}, merged with the same dependency of
        neighbouring versions so explanations read "a>=2 depends on b>=2"."""
        if pkg == _ROOT:
            return self._add({pkg: (True, _FULL), dep: (False, dep_range)}, "dependency", (pkg,))
        base = _split_extra(pkg)[0]
        idx = self.cand_keys[base].index(_vkey(version))
        mkey = (pkg, dep, dep_range)
        lo = hi = idx
        old = self.merge_index.get(mkey)
        if old is not None and old.data[1] - 1 <= idx <= old.data[2] + 1:
            lo, hi = min(old.data[1], idx), max(old.data[2], idx)
            for p in old.terms:
                if old in self.by_pkg[p]:
                    self.by_pkg[p].remove(old)
        inc = self._add({pkg: (True, self._widen(base, lo, hi)), dep: (False, dep_range)},
                        "dependency", (pkg, lo, hi))
        self.merge_index[mkey] = inc
        return inc

    def _dep_ranges(self, pkg, cand):
        """The dependencies of ``pkg`` at ``cand`` as [(dep pkg, range)] or an Unavailable."""
        key = (pkg, _vkey(cand.version))
        if key in self.deps_cache:
            return self.deps_cache[key]
        base, extra = _split_extra(pkg)
        out = []
        if extra is not None:
            out.append((base, _r_point(cand.version)))
        if not self.p.no_deps:
            with span("resolve.dependencies", package=base, version=str(cand.version)):
                reqs = self.p.dependencies(cand)
            if isinstance(reqs, Unavailable):
                self.deps_cache[key] = reqs
                return reqs
            if self.fork is not None:
                forks = self._forks_of(reqs, extra or "")
                if forks:
                    raise _Fork(forks, self)
            out.extend(self._requirements_to_deps(reqs, extra or ""))
        self.deps_cache[key] = out
        return out

    def _requirements_to_deps(self, reqs, extra, skip_constraints=False):
        out = []
        seen = set()
        for req in reqs:
            if not self._applies(req, extra):
                continue
            name = canonicalize_name(req.name)
            extras = set(req.extras or ())
            spec = req.specifier
            if name in self.overrides:
                ov = self.overrides[name]
                extras |= set().union(*(set(o.extras or ()) for o in ov))
                r = _FULL
                for o in ov:
                    r = _r_intersect(r, ranges_from_specifier(o.specifier))
            else:
                r = ranges_from_specifier(spec)
            if req.url and self.urls.get(name, (None,))[0] != req.url:
                if name not in self.urls:
                    # as uv: URLs must come from the user, so that an index
                    # package cannot pull arbitrary code from anywhere
                    raise NoSolutionError(
                        "Package `%s` attempted to resolve via URL: %s. URL dependencies must "
                        "be expressed as direct requirements or constraints." % (name, req.url))
                self._register_url(req)
            for dep in [name] + ["%s[%s]" % (name, canonicalize_name(e)) for e in sorted(extras)]:
                if (dep, r) not in seen:
                    seen.add((dep, r))
                    out.append((dep, r))
                    if self.fork is not None and req.marker is not None:
                        # explanations say where a marked requirement applies
                        self.edge_markers.setdefault((dep, r), str(self._marker_set(req.marker, extra)))
                    self.spec_texts.setdefault((dep, r), _spec_texts(
                        self.overrides[name][0].specifier if name in self.overrides else spec))
        return out

    # -- partial solution --------------------------------------------------

    def _state(self, pkg) -> "_PkgState":
        s = self.states.get(pkg)
        if s is None:
            s = self.states[pkg] = _PkgState()
            self.discovery.setdefault(pkg, len(self.discovery))
        return s

    def _assign(self, pkg, term, cause, cand=None):
        s = self._state(pkg)
        if self.chrono is not None:
            self.sem_level[self.gidx] = self.chrono.prev
        s.history.append((self.gidx, self.level, cause, term))
        self.gidx += 1
        s.acc = _t_inter(s.acc, term)
        if cand is not None:
            s.decided = cand
            s.decided_key = _vkey(cand.version)

    def _decide(self, pkg, cand):
        self.level += 1
        self.decision_pkgs.append(pkg)
        self._assign(pkg, (True, _r_point(cand.version)), None, cand)

    def _backtrack(self, level):
        self.level = level
        del self.decision_pkgs[level:]
        for s in self.states.values():
            if s.history and s.history[-1][1] > level:
                s.history = [h for h in s.history if h[1] <= level]
                acc = _T_ANY
                for h in s.history:
                    acc = _t_inter(acc, h[3])
                s.acc = acc
                if not any(h[2] is None for h in s.history):
                    s.decided = None

    def _relation(self, inc):
        """(_SAT, None) | (_CONTRA, pkg) | (_INCONCL, None) | (_INCONCL, almost pkg)."""
        almost = None
        for pkg, term in inc.terms.items():
            s = self.states.get(pkg)
            if s is not None and s.decided is not None:
                # fast path: a decided package is one point, inside the term or not
                rel = _SAT if _r_contains(term[1], s.decided_key) == term[0] else _CONTRA
            elif s is None or not s.history:
                rel = _CONTRA if term == _T_NONE else _SAT if term == _T_ANY else _INCONCL
            else:
                rel = _t_relation(term, s.acc)
            if rel == _CONTRA:
                return _CONTRA, pkg
            if rel == _INCONCL:
                if almost is not None:
                    return _INCONCL, None
                almost = pkg
        if almost is None:
            return _SAT, None
        return _INCONCL, almost

    def _propagate(self, pkg):
        buf = [pkg]
        while buf:
            cur = buf.pop()
            conflict = None
            for inc in reversed(self.by_pkg.get(cur, ())):
                rel, almost = self._relation(inc)
                if rel == _SAT:
                    conflict = inc
                    break
                if rel == _INCONCL and almost is not None:
                    self._assign(almost, _t_neg(inc.terms[almost]), inc)
                    if almost not in buf:
                        buf.append(almost)
            if conflict is not None:
                almost, root_cause = self._resolve_conflict(conflict)
                buf = [almost]
                self._assign(almost, _t_neg(root_cause.terms[almost]), root_cause)

    def _satisfier(self, pkg, inc_term, start=_T_ANY):
        acc = start
        for gidx, level, cause, term in self.states[pkg].history:
            acc = _t_inter(acc, term)
            if _t_subset(acc, inc_term):
                return gidx, level, cause
        raise AssertionError("no satisfier for %s" % pkg)

    def _is_terminal(self, inc) -> "bool":
        if not inc.terms:
            return True
        if len(inc.terms) == 1 and _ROOT in inc.terms:
            return inc.terms[_ROOT][0]
        return False

    def _resolve_conflict(self, inc):
        """Learn from a conflict: derive the root cause, backjump, return
        (package to derive, root-cause incompatibility)."""
        changed = False
        while True:
            if self._is_terminal(inc):
                raise _Failed(inc)
            sats = {pkg: self._satisfier(pkg, t) for pkg, t in inc.terms.items()}
            pkg = max(sats, key=lambda p: sats[p][0])
            gidx, level, cause = sats[pkg]
            if cause is None:
                start = self.states[pkg].history[-1][3]
            else:
                start = _t_neg(cause.terms[pkg])
            sats[pkg] = self._satisfier(pkg, inc.terms[pkg], start)
            prev = max(1, max(v[1] for v in sats.values()))
            if level > prev:
                self._record_conflict(pkg, inc)   # (before the undoing: see the brought rule)
                # PubGrub (and uv) backjump to ``prev``, where the learned fact
                # first applies, and make the decisions above it again; here only
                # the decision the conflict came from is undone and the fact is
                # derived just below it, so the decisions in between stay made --
                # as long as uv would make them again in the same order, which
                # _check_kept verifies once propagation is over (else it goes on
                # down towards ``prev``). As uv when the satisfier was derived in
                # such a round (it stands below its own level), or when a kept
                # decision is of a name the conflict is about (extras depend on it).
                kept = self.decision_pkgs[prev:level - 1]
                to = level - 1
                if gidx in self.sem_level or kept and (
                        {_split_extra(p)[0] for p in kept} & {_split_extra(p)[0] for p in inc.terms}):
                    to = prev
                self._backtrack(to)
                if to > prev:
                    if self.chrono is None:
                        self.chrono = _KeptRound(prev, self.gidx)
                    self.chrono.add(prev, pkg, to)
                if changed:
                    for p in inc.terms:
                        self.by_pkg.setdefault(p, []).append(inc)
                self.backjumps += 1
                self.reporter.event("resolve.backjump", level=to)
                return pkg, inc
            terms = {p: t for p, t in inc.terms.items() if p != pkg}
            for p, t in cause.terms.items():
                if p != pkg:
                    terms[p] = _t_inter(terms[p], t) if p in terms else t
            t = _t_union(inc.terms[pkg], cause.terms[pkg])
            if t != _T_ANY:
                terms[pkg] = t
            inc = _Incompat(len(self.incompats), terms, "derived", None, inc, cause)
            self.incompats.append(inc)
            self._record_conflict(pkg, inc)
            changed = True

    # -- decisions ---------------------------------------------------------

    def _next_package(self):
        """The undecided package with a positive term to decide next, in uv's
        order (its PubGrubPriorities): URLs and names ever required at one
        version (a pin, an extra's own package), then names that keep being
        rejected, then those that keep causing conflicts, then the discovery
        order of the name (a package's extras right after it), then of the
        package itself -- deterministic, independent of fetch timing."""
        best = None
        for pkg, s in self.states.items():
            if s.decided is not None or not s.acc[0]:
                continue
            prio = self._priority(pkg)
            if best is None or prio < best[0]:
                best = (prio, pkg)
        return None if best is None else best[1]

    def _priority(self, pkg) -> "tuple":
        base = _split_extra(pkg)[0]
        rank = 0 if base in self.urls else self.rank.get(base, 3)
        return (rank, self.discovery.get(base, self.discovery[pkg]), self.discovery[pkg])

    def _check_kept(self) -> "bool":
        """After a conflict kept the decisions above uv's backjump level: are
        they the ones uv would make again, in its order, with what is known now?
        A package waiting to be decided since level L (an assignment of this
        round counts as made at the backjump level) that now goes before the
        decision at a level above L means no: back to just below that decision,
        the round's facts derived again. True when it went back."""
        c = self.chrono
        if c is None:
            return False
        prev, start = c.prev, c.start
        bad = None
        ranked = [self._priority(p) for p in self.decision_pkgs]   # level L's at [L - 1]
        for pkg, s in self.states.items():
            if s.decided is not None or not s.acc[0]:
                continue
            since = None
            for gidx, level, cause, term in s.history:
                if term[0]:
                    since = prev if gidx >= start else max(prev, self.sem_level.get(gidx, level))
                    break
            if since is None:
                continue
            prio = self._priority(pkg)
            for level in range(since + 1, self.level + 1 if bad is None else bad):
                if ranked[level - 1] > prio:
                    bad = level
                    break
        if bad is not None:
            self._backtrack(bad - 1)
            self.backjumps += 1
            self.reporter.event("resolve.backjump", level=bad - 1)
        elif self.level >= c.lowest:
            self.chrono = None
            return False
        # (or a culprit's undoing went below where the round's facts were derived)
        c.lowest = self.level
        for pkg in list(c.derived):
            if pkg in self.states:
                self._propagate(pkg)
        return True

    def _choose(self, pkg):
        """Decide a version for ``pkg`` or add an incompatibility explaining why
        none of the next ones can be used."""
        s = self.states[pkg]
        base, extra = _split_extra(pkg)
        r = s.acc[1]
        cands = self.candidates(base)
        if cands is None:
            self._add({pkg: (True, _FULL)}, "not-found", base)
            return
        if extra is not None:
            bs = self.states.get(base)
            if bs is not None and bs.decided is not None:
                if _r_contains(r, _vkey(bs.decided.version)):
                    return self._try(pkg, bs.decided)
                # no other version of pkg[extra] can go with the decided pkg (each
                # depends on pkg at its own version): one fact for all of them,
                # not a metadata fetch (or an old sdist's build) per version
                if any(_r_contains(r, k) for k in self.cand_keys.get(base) or ()):
                    other = _r_complement(_r_point(bs.decided.version))
                    self._add({pkg: (True, other), base: (False, other)}, "dependency", (pkg,))
                    return
        in_range = [c for c, k in zip(cands, self.cand_keys[base]) if _r_contains(r, k)]
        pref = self.preferences.get(base)
        ordered = self._with_prereleases(base, self._order(base, in_range),
                                         pref[0] if isinstance(pref, tuple) else pref)
        if not ordered:
            self._add({pkg: (True, r)}, "no-versions", base)
            return
        tries = self.tries[pkg] = self.tries.get(pkg, 0) + 1
        if tries > 1 and extra is None:
            # backtracking on this package: warm the metadata of the next few
            # candidates while we work through the current one
            for c in ordered[1:4]:
                if c.unavailable is None:
                    self.p.prefetch_candidate(c)
        return self._try(pkg, ordered[0])

    def _try(self, pkg, cand):
        base, extra = _split_extra(pkg)
        why = self._usable(base, cand)
        idx = self.cand_keys[base].index(_vkey(cand.version))
        if why is not None and why[0] == "requires-python" and self.fork is not None:
            forks = self._python_fork(cand.requires_python)
            if forks:
                raise _Fork(forks, self)
        if why is not None:
            self._add({pkg: (True, self._run_range(base, idx, why))}, why[0], why)
            return
        deps = self._dep_ranges(pkg, cand)
        if isinstance(deps, Unavailable):
            self._add({pkg: (True, self._widen(base, idx, idx))}, deps.kind,
                      (deps.kind, deps.reason, deps.requires_python))
            return
        added_key = (pkg, _vkey(cand.version))
        incs = self.added.get(added_key)
        if incs is None:
            incs = self.added[added_key] = []
            for dep, rng in deps:
                self._state(dep)
                incs.append(self._add_dependency(pkg, cand.version, dep, rng))
                if _is_pin(rng):
                    self.rank[_split_extra(dep)[0]] = 0
                if dep in self.constraints:
                    self._add_constraint(dep)
        self.p.prefetch(sorted({_split_extra(d)[0] for d, _ in deps} - set(self.cands)))
        # Deciding would immediately satisfy one of these: let propagation find
        # the conflict instead (as pubgrub-rs's add_version does).
        point = (True, _r_point(cand.version))
        for inc in incs:
            if all(_t_relation(t, point if p == pkg else self._acc(p)) == _SAT
                   for p, t in inc.terms.items()):
                self._record_conflict(pkg, inc)
                return
        self._decide(pkg, cand)
        self.decisions += 1
        self.reporter.event("resolve.pin", name=pkg, version=str(cand.version))

    def _acc(self, pkg):
        s = self.states.get(pkg)
        return s.acc if s is not None else _T_ANY

    def report_done(self) -> "None":
        """The search's numbers, for -v: decisions, backjumps, conflicts, and
        the package tried in most versions (the one the search fought over)."""
        most = max(self.tries.items(), key=lambda kv: kv[1], default=(None, 0))
        self.reporter.event("resolve.done", decisions=self.decisions, backjumps=self.backjumps,
                            conflicts=self.conflicts, most=_split_extra(most[0])[0] if most[0] else None,
                            most_tries=most[1])

    def _record_conflict(self, affected, inc) -> "None":
        """uv's conflict tracking, for a version of ``affected`` rejected by the
        other packages of ``inc`` when its dependencies were added, and for
        each step of a conflict's resolution: each other package (not a form
        of the same name, not the root) is a culprit once more, and the
        package being decided (``self.next``) affected once more; at the fifth
        time a culprit is decided late (and undone, see _reprioritize), an
        affected package early."""
        base = _split_extra(affected)[0]
        real = False
        for p in inc.terms:
            if p == affected or p == _ROOT or _split_extra(p)[0] == base:
                continue
            real = True
            self.culprits[p] = self.culprits.get(p, 0) + 1
            if self.culprits[p] == _CONFLICT_THRESHOLD:
                self.reprioritize[1].append(p)
        if real:
            self.conflicts += 1
            self.affected[self.next] = self.affected.get(self.next, 0) + 1
            if self.affected[self.next] == _CONFLICT_THRESHOLD:
                self.reprioritize[0].append(self.next)
                # beyond uv: when the package is required only since one decision
                # (boto3 brings its botocore in), that decision goes early too, so
                # that undoing the culprit does not replay the same walk down
                # boto3's versions (uv makes it, ~2,000 times, fast enough in Rust)
                s = self.states.get(self.next)
                levels = {h[1] for h in s.history} if s is not None else ()
                if len(levels) == 1:
                    level = next(iter(levels))
                    if 1 <= level <= len(self.decision_pkgs):
                        brought = self.decision_pkgs[level - 1]
                        if brought != _ROOT and _split_extra(brought)[0] != _split_extra(self.next)[0]:
                            self.reprioritize[0].append(brought)

    def _reprioritize(self) -> "None":
        """After a propagation (as uv's reprioritize_conflicts): the affected
        names go early, the culprits late, each culprit's decision undone so
        that what it fought with is decided first."""
        early, late = self.reprioritize
        for pkg in early:
            self.rank[_split_extra(pkg)[0]] = 1
        for pkg in late:
            name = _split_extra(pkg)[0]
            if self.rank.get(name) in (1, 2) or name in self.urls:
                continue
            self.rank[name] = 2
            if pkg in self.decision_pkgs:
                level = self.decision_pkgs.index(pkg)
                if 1 <= level < self.level:
                    self._backtrack(level)
                    self.backjumps += 1
                    self.reporter.event("resolve.backjump", level=level)
        del early[:], late[:]

    def _add_constraint(self, name):
        key = ("constraint", name)
        if key in self.merge_index:
            return
        r = _FULL
        texts = {}
        for req in self.constraints[name]:
            r = _r_intersect(r, ranges_from_specifier(req.specifier))
            texts.update(_spec_texts(req.specifier))
        self.spec_texts.setdefault((name, r), texts)
        if _is_pin(r):
            self.rank[name] = 0
        self.merge_index[key] = self._add({_ROOT: (True, _FULL), name: (True, _r_complement(r))},
                                          "constraint", r)

    # -- main loop ---------------------------------------------------------

    def solve(self):
        root_cand = Candidate(_ROOT, Version("0"))
        self._add({_ROOT: (False, _FULL)}, "root")
        self._state(_ROOT)
        self.cands[_ROOT] = [root_cand]
        self.cand_keys[_ROOT] = [_vkey(root_cand.version)]
        if self.fork is not None:
            forks = self._forks_of([rr.requirement for rr in self.roots])
            if forks:
                raise _Fork(forks, self)
        root_deps = []
        for rr in self.roots:
            for dep, rng in self._requirements_to_deps([rr.requirement], ""):
                root_deps.append((dep, rng))
        self.deps_cache[(_ROOT, _vkey(root_cand.version))] = root_deps
        ranges = {}
        for d, rng in root_deps:
            ranges.setdefault(_split_extra(d)[0], rng)
        for name, reqs in self.constraints.items():   # a constraint's pin is what prefetch guesses too
            for d, rng in self._requirements_to_deps(reqs, "", skip_constraints=True):
                base = _split_extra(d)[0]
                ranges[base] = _r_intersect(ranges[base], rng) if base in ranges else rng
        if hasattr(self.p, "prefetch_ranges"):
            self.p.prefetch_ranges(ranges)
        self.p.prefetch(sorted(set(ranges) - set(self.urls)))
        self._propagate(_ROOT)
        pkg = _ROOT
        while True:
            self._propagate(pkg)
            self._reprioritize()
            while self._check_kept():
                self._reprioritize()
            pkg = self.next = self._next_package()
            if pkg is None:
                break
            if pkg == _ROOT:
                self._try(pkg, root_cand)
            else:
                self._choose(pkg)
        return {p: s.decided for p, s in self.states.items() if s.decided is not None}


_CONFLICT_THRESHOLD = 5   # uv's CONFLICT_THRESHOLD


class _KeptRound:
    """Conflicts since decisions above uv's backjump level were last found in
    uv's order (see _Solver._check_kept): ``prev`` the lowest level uv would
    have gone back to, ``start`` the first assignment (gidx) of the round,
    ``derived`` the packages whose facts were derived, ``lowest`` the lowest
    level they were derived at."""

    __slots__ = ("prev", "start", "derived", "lowest")

    def __init__(self, prev, start):
        self.prev, self.start, self.derived, self.lowest = prev, start, [], None

    def add(self, prev, pkg, level) -> "None":
        self.prev = min(self.prev, prev)
        self.derived.append(pkg)
        self.lowest = level if self.lowest is None else min(self.lowest, level)


class _Failed(Exception):
    def __init__(self, inc):
        Exception.__init__(self, "no solution")
        self.incompat = inc


class _Fork(Exception):
    """A universal solve found that its environments must be solved apart:
    ``forks`` (MarkerSets that split the solve's own), with the versions it
    had decided so far (preferred in each fork, as uv's forks go on from
    where the solve was)."""

    def __init__(self, forks, solver):
        Exception.__init__(self, "fork")
        self.forks = forks
        self.decided = {p: s.decided.version for p, s in solver.states.items()
                        if s.decided is not None and p != _ROOT and "[" not in p}


_MARKER_SETS: "dict" = {}


def _marker_set(marker, extra="") -> "MarkerSet":
    key = (str(marker), extra or "")
    m = _MARKER_SETS.get(key)
    if m is None:
        m = _MARKER_SETS[key] = MarkerSet.of(marker, extra)
    return m


def _has_upper_bound(spec) -> "bool":
    return any(op in ("<", "<=", "==", "~=", "===") for op, _ in _spec_clauses(spec))


def _rp_lower(rp):
    """The lowest Python release (3-tuple) a Requires-Python allows, from its
    lower bounds only (as uv reads it); None when it has none. An exclusion
    of that release (``>=3.9,!=3.9.0``) makes the bound exclusive, so the
    next release, once, as uv's lower bound of the first segment is; a
    wildcard one (``!=3.9.*``) moves it past the excluded series."""
    low = None
    clauses = _spec_clauses(rp)
    for op, text in clauses:
        if op in (">=", ">", "==", "~=", "==="):
            try:
                r = _py_range(op, text)
            except (InvalidVersion, ValueError, IndexError):
                continue
            if r and r[0][0] and (low is None or r[0][0] > low):
                low = r[0][0]
    if low is None:
        return None
    bumped = False
    for op, text in clauses:
        if op != "!=":
            continue
        try:
            r = _py_range("==", text)
        except (InvalidVersion, ValueError, IndexError):
            continue
        if not r or not r[0][0] <= low < r[0][1]:
            continue
        if text.endswith(".*"):
            low = r[0][1]
        elif not bumped:
            low, bumped = _py_next(low, 2), True
    return low


def _is_pin(r) -> "bool":
    """True for the range of one version (``==1.0``, with or without its locals)."""
    if len(r) != 1:
        return False
    (lk, ls), (hk, hs) = r[0]
    return ls == 0 and len(lk) == 6 and (hk == lk or hk == lk[:5] + (_LOCAL_MAX,))


def _is_pre(v) -> "bool":
    return v.pre is not None or v.dev is not None


def _contains(spec, version) -> "bool":
    """Does a Python ``version`` (its release: 3.13.0rc1 counts as 3.13.0)
    satisfy Requires-Python ``spec``?  The whole specifier counts, upper
    bounds too, as pip reads it: a file whose Requires-Python excludes the
    target is never chosen. (uv ignores upper bounds -- packse's
    python-less-than-current -- and would install ``<=3.8`` on 3.9.)"""
    if isinstance(spec, str):
        spec = SpecifierSet(spec)
    return _r_contains(ranges_from_specifier(spec), _vkey(version))


# ---- explanations ------------------------------------------------------------

class _Explainer:
    """Turns a derivation tree into numbered plain-language lines, following
    the algorithm of PubGrub's solver.md ("Because ... and ..., ... And because
    ..."), with uv's phrasing."""

    def __init__(self, solver):
        self.s = solver
        self.lines = []
        self.refs = {}
        self.shared = set()
        self._text_cache = {}

    def _trivial(self, inc, other) -> "bool":
        """A "no version in this sliver" fact that only says what the list of
        versions already shows, next to a fact about the other versions of the
        same package (e.g. "no a<1.0 | >1.0" beside "a==1.0 depends on b"):
        true but noise, so explanations skip it."""
        if inc.kind != "no-versions":
            return False
        (pkg, (pos, rng)), = inc.terms.items()
        if not other.terms.get(pkg, (False,))[0]:
            return False
        known = self.s._known(pkg)
        return bool(known) and not any(_r_contains(rng, k) for k in known)

    def _norm(self, inc, memo):
        """The derivation tree with trivial facts folded away."""
        if inc.kind != "derived":
            return inc
        got = memo.get(inc.id)
        if got is None:
            c1, c2 = self._norm(inc.cause1, memo), self._norm(inc.cause2, memo)
            if self._trivial(c1, c2):
                got = c2
            elif self._trivial(c2, c1):
                got = c1
            else:
                got = _Incompat(inc.id, inc.terms, inc.kind, inc.data, c1, c2)
            memo[inc.id] = got
        return got

    def explain(self, root) -> "str":
        if root.kind == "derived":
            memo = {}
            c1, c2 = self._norm(root.cause1, memo), self._norm(root.cause2, memo)
            root = _Incompat(root.id, root.terms, root.kind, root.data, c1, c2)
        counts = {}
        stack = [root]
        while stack:
            inc = stack.pop()
            if inc.kind != "derived":
                continue
            counts[inc.id] = counts.get(inc.id, 0) + 1
            if counts[inc.id] == 1:
                stack.extend([inc.cause1, inc.cause2])
        self.shared = {i for i, n in counts.items() if n > 1}
        if root.kind != "derived":
            return "Because %s, your requirements are unsatisfiable." % self.external(root)
        self._build(root)
        return "\n".join(self.lines)

    def _add(self, line, inc=None):
        if inc is not None and inc.id in self.shared and inc.id not in self.refs:
            self.refs[inc.id] = len(self.refs) + 1
            line += " (%d)" % self.refs[inc.id]
        self.lines.append(line)

    def _build(self, inc):
        c1, c2 = inc.cause1, inc.cause2
        cur = self.incompat_text(inc)
        d1, d2 = c1.kind == "derived", c2.kind == "derived"
        if d1 and d2:
            r1, r2 = self.refs.get(c1.id), self.refs.get(c2.id)
            if r1 and r2:
                self._add("Because %s (%d) and %s (%d), %s." % (
                    self.incompat_text(c1), r1, self.incompat_text(c2), r2, cur), inc)
            elif r1 or r2:
                lined, other = (c1, c2) if r1 else (c2, c1)
                self._build(other)
                self._add("And because %s (%d), %s." % (
                    self.incompat_text(lined), self.refs[lined.id], cur), inc)
            else:
                self.shared.add(c1.id)
                self._build(c1)
                self.lines.append("")
                self._build(c2)
                self._add("And because %s (%d), %s." % (
                    self.incompat_text(c1), self.refs[c1.id], cur), inc)
        elif d1 or d2:
            derived, ext = (c1, c2) if d1 else (c2, c1)
            ref = self.refs.get(derived.id)
            if ref:
                self._add("Because %s and %s (%d), %s." % (
                    self.external(ext), self.incompat_text(derived), ref, cur), inc)
                return
            p1, p2 = derived.cause1, derived.cause2
            pd = p1 if p1.kind == "derived" else p2 if p2.kind == "derived" else None
            pe = p2 if pd is p1 else p1
            if (pd is not None and pe.kind != "derived" and derived.id not in self.shared
                    and pd.id not in self.refs):
                self._build(pd)
                self._add("And because %s and %s, %s." % (
                    self.external(pe), self.external(ext), cur), inc)
            else:
                self._build(derived)
                self._add("And because %s, %s." % (self.external(ext), cur), inc)
        else:
            # read in the order of the story: the fact about the conclusion's
            # package first ("a depends on b" before "b requires Python")
            if set(c2.terms) & set(inc.terms) and not set(c1.terms) & set(inc.terms):
                c1, c2 = c2, c1
            self._add("Because %s and %s, %s." % (
                self.external(c1), self.external(c2), cur), inc)

    # -- phrases -----------------------------------------------------------

    def _texts(self, pkg) -> "dict":
        base = _split_extra(pkg)[0]
        t = self._text_cache.get(base)
        if t is None:
            t = {}
            for (p, _), texts in sorted(self.s.spec_texts.items(), key=lambda kv: str(kv[0][0])):
                if _split_extra(p)[0] == base:
                    t.update(texts)
            t.update({_vkey(c.version): str(c.version) for c in self.s.cands.get(base) or ()})
            self._text_cache[base] = t
        return t

    def term_text(self, pkg, rng, simplify=True) -> "str":
        """"b>=2", "a==1.0", "all versions of c" (a term's range, simplified
        against the known versions unless it is a requirement as written)."""
        if pkg == _ROOT:
            return "your requirements"
        if rng == _FULL:
            return ("all versions of %s" % pkg) if simplify else pkg
        texts = self._texts(pkg)
        if not simplify:
            texts = dict(texts)
            texts.update(self.s.spec_texts.get((pkg, rng)) or {})
        text = _range_text(rng, self.s._known(pkg) if simplify else (), texts, simplify)
        return ("all versions of %s" % pkg) if text == "" else pkg + text

    def _verb(self, subject, singular, plural):
        return plural if subject.startswith("all versions of") else singular

    def external(self, inc) -> "str":
        terms = inc.terms
        kind = inc.kind
        if kind == "root":
            return "you require the root"
        if kind == "dependency":
            pkg = inc.data[0]
            (dep, (pos, rng)), = [(p, t) for p, t in terms.items() if p != pkg]
            dep_text = self.term_text(dep, rng, simplify=False)
            where = self.s.edge_markers.get((dep, rng))
            if where:
                dep_text += " (where %s)" % where
            if pkg == _ROOT:
                return "you require %s" % dep_text
            subj = self.term_text(pkg, terms[pkg][1])
            return "%s %s %s" % (subj, self._verb(subj, "depends on", "depend on"), dep_text)
        if kind == "constraint":
            (name, t), = [(p, t) for p, t in terms.items() if p != _ROOT]
            return "your constraints require %s" % self.term_text(name, inc.data, simplify=False)
        (pkg, (pos, rng)), = terms.items()
        subj = self.term_text(pkg, rng)
        if kind == "not-found":
            words = getattr(self.s.p, "where_words", None) or "the package registry"
            return "%s was not found in %s" % (pkg, words)
        if kind == "no-versions":
            if not self.s._known(pkg):
                return "there are no versions of %s" % pkg
            if rng == _FULL:
                return "there are no usable versions of %s" % pkg
            return "there is no version of %s" % self.term_text(pkg, rng, simplify=False)
        if kind == "requires-python":
            return "%s %s Python%s" % (subj, self._verb(subj, "requires", "require"), inc.data[2])
        phrase = inc.data[1] if isinstance(inc.data, tuple) else str(inc.data)
        if subj.startswith("all versions of"):
            phrase = phrase.replace("has ", "have ", 1).replace("was ", "were ", 1)
        return "%s %s" % (subj, phrase)

    def incompat_text(self, inc) -> "str":
        if inc.kind != "derived":
            return self.external(inc)
        terms = {p: t for p, t in inc.terms.items() if p != _ROOT}
        has_root = _ROOT in inc.terms
        if not terms:
            return "your requirements are unsatisfiable"
        items = sorted(terms.items(), key=lambda pt: (not pt[1][0], pt[0]))
        pos = [(p, t) for p, t in items if t[0]]
        neg = [(p, t) for p, t in items if not t[0]]
        if has_root and not pos and len(neg) == 1:
            return "you require %s" % self.term_text(neg[0][0], neg[0][1][1])
        if len(items) == 1:
            p, (positive, rng) = items[0]
            if positive:
                return "%s cannot be used" % self.term_text(p, rng)
            return "%s is required" % self.term_text(p, rng)
        if len(pos) == 1 and len(neg) == 1:
            subj = self.term_text(pos[0][0], pos[0][1][1])
            return "%s %s %s" % (subj, self._verb(subj, "depends on", "depend on"),
                                 self.term_text(neg[0][0], neg[0][1][1]))
        if not neg:
            return "%s are incompatible" % _join_and(
                [self.term_text(p, t[1]) for p, t in pos])
        return "%s %s %s" % (
            _join_and([self.term_text(p, t[1]) for p, t in pos]), "depend on",
            _join_and([self.term_text(p, t[1]) for p, t in neg], "or"))

    # -- hints -------------------------------------------------------------

    def hints(self, root) -> "list":
        out = []
        seen = set()
        stack = [root]
        visited = set()
        while stack:
            inc = stack.pop()
            if inc.id in visited:
                continue
            visited.add(inc.id)
            if inc.kind == "derived":
                stack.extend([inc.cause2, inc.cause1])
                continue
            h = self._hint(inc)
            if h and h not in seen:
                seen.add(h)
                out.append(h)
        return out

    def _hint(self, inc):
        s = self.s
        kind = inc.kind
        if kind == "not-found":
            import difflib
            name = inc.data
            names = s.p.known_names()
            close = difflib.get_close_matches(name, list(names or ()), n=1, cutoff=0.7)
            if close:
                return "`%s` was not found; did you mean `%s`?" % (name, close[0])
            return getattr(s.p, "not_found_hint", None)
        if kind == "no-versions":
            name = inc.data
            pkg, (pos, rng) = next(iter(inc.terms.items()))
            pres = [c for c in s.cands.get(name) or () if _is_pre(c.version)
                    and _r_contains(rng, _vkey(c.version))]
            if pres and s.p.prerelease != "allow":
                return ("Pre-releases are available for `%s` in the requested range (e.g., %s), "
                        "but pre-releases weren't enabled (try: `--prerelease=allow`)"
                        % (name, pres[-1].version))
            return None
        if kind == "requires-python":
            pkg, (pos, rng) = next(iter(inc.terms.items()))
            # below the range: a newer Python would do; else (an upper bound) an older one
            lows = ranges_from_specifier(SpecifierSet(inc.data[2])) if _spec_ok(inc.data[2]) else ()
            if s.pyver is None:   # a universal solve: its Pythons start at the fork's lowest
                low = _rp_lower(SpecifierSet(inc.data[2])) if lows else None
                return ("%s requires Python%s, but the lock is for Python %s and later (raise the "
                        "lowest Python with `--python-version` or `requires-python`%s)"
                        % (self.term_text(pkg, rng), inc.data[2],
                           ".".join(map(str, s.fork_low[:2] if s.fork_low else ())) or "every version",
                           ", e.g. to %s" % ".".join(map(str, low[:2])) if low else ""))
            newer = bool(lows) and not (lows[0][0] < (_vkey(s.pyver), 1))
            return ("%s requires Python%s, but the target Python version is %s "
                    "(try %s Python or `--python-version`)"
                    % (self.term_text(pkg, rng), inc.data[2], s.pyver, "a newer" if newer else "an older"))
        if kind == "yanked":
            pkg, (pos, rng) = next(iter(inc.terms.items()))
            return ("%s was yanked; a yanked version is only used when pinned with `==`"
                    % self.term_text(pkg, rng))
        if kind in _UNAVAILABLE_HINTS:
            pkg, (pos, rng) = next(iter(inc.terms.items()))
            hints = getattr(s.p, "unavailable_hints", None) or {}
            platforms = sorted((getattr(s.p, "wheel_platforms", None) or {}).get(_split_extra(pkg)[0], ()))
            if kind == "no-wheel" and platforms and "any" not in platforms and "no-wheel" not in hints:
                shown = ", ".join("`%s`" % p for p in platforms[:8]) + (", ..." if len(platforms) > 8 else "")
                return ("Wheels of %s are available only for %s: resolve for one of them "
                        "(`--python-platform`), or allow a source distribution"
                        % (self.term_text(pkg, rng), shown))
            return (hints.get(kind) or _UNAVAILABLE_HINTS[kind]) % self.term_text(pkg, rng)
        return None


_UNAVAILABLE_HINTS = {
    "no-wheel": "Wheels of %s exist only for other platforms or Pythons than the target "
                "(resolve for another with `--python-platform` or `--python-version`)",
    "only-sdist": "%s has only a source distribution, and building from source is disabled "
                  "(`--no-build` or `--only-binary`)",
    "no-binary": "%s has only wheels, and `--no-binary` asks for a source distribution",
}


def _join_and(items, word="and") -> "str":
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " %s " % word + items[-1]


# ---- results -----------------------------------------------------------------

class ResolvedPackage(Value):
    """One pin of a resolution: canonical ``name``, ``version``, the ``dist`` to
    install, ``extras`` activated (sorted tuple), ``via`` (sorted tuple of the
    parents' names and the sources of root requirements, e.g. "-r requirements.in");
    ``marker``: in a universal resolution, the MarkerSet of the environments
    that install this pin (None: all)."""

    __slots__ = ("name", "version", "dist", "extras", "via", "marker")

    def __init__(self, name, version, dist, extras=(), via=(), marker=None):
        self.name = name
        self.version = version
        self.dist = dist
        self.extras = tuple(extras)
        self.via = tuple(via)
        self.marker = marker


class Resolution:
    """The answer: canonical name -> ResolvedPackage, iterated in name order."""

    def __init__(self, packages):
        self._by_name = {p.name: p for p in sorted(packages, key=lambda p: p.name)}

    def __getitem__(self, name):
        return self._by_name[canonicalize_name(name)]

    def __contains__(self, name) -> "bool":
        return canonicalize_name(name) in self._by_name

    def __iter__(self):
        return iter(self._by_name.values())

    def __len__(self) -> "int":
        return len(self._by_name)

    def get(self, name, default=None):
        return self._by_name.get(canonicalize_name(name), default)

    def names(self) -> "list":
        return list(self._by_name)

    def pins(self) -> "dict":
        """{name: version string}: handy for tests and comparisons."""
        return {n: str(p.version) for n, p in self._by_name.items()}

    def __repr__(self):
        return "Resolution(%s)" % ", ".join("%s==%s" % kv for kv in self.pins().items())


def _as_root(item):
    if isinstance(item, RootRequirement):
        return item
    if isinstance(item, tuple):
        req, source = item
        return RootRequirement(Requirement(req) if isinstance(req, str) else req, source)
    if isinstance(item, str):
        return RootRequirement(Requirement(item), None)
    return RootRequirement(item, None)


def _as_req(item):
    return Requirement(item) if isinstance(item, str) else item


def resolve(requirements, provider: "Provider", *, constraints=(), overrides=(),
            preferences=None, reporter=None) -> "Resolution":
    """Pick one version of every package needed by ``requirements`` (Requirement,
    requirement strings, RootRequirement or (requirement, source) pairs).

    ``constraints`` limit versions without adding packages; ``overrides`` replace
    every requirement on their package; ``preferences`` {name: Version} are tried
    first when they still fit (an existing lock, installed packages).
    Raises NoSolutionError (exit code 1) with the explanation as ``message`` and
    ``hints`` (list of str; ``hint`` joins them).
    """
    roots = [_as_root(r) for r in requirements]
    prefs = {canonicalize_name(k): (Version(v) if isinstance(v, str) else v)
             for k, v in (preferences or {}).items()}
    solver = _Solver(provider, roots, [_as_req(c) for c in constraints],
                     [_as_req(o) for o in overrides], prefs, reporter)
    with span("resolve", requirements=len(roots)):
        try:
            decided = solver.solve()
        except _Failed as failed:
            ex = _Explainer(solver)
            message = ex.explain(failed.incompat)
            hints = ex.hints(failed.incompat)
            err = NoSolutionError(message, hint="\n".join(hints) or None)
            err.hints = hints
            raise err from None
        finally:
            solver.report_done()   # the search's numbers, however it ended
    return _build_resolution(solver, roots, decided)


class UniversalResolution:
    """The answer of a universal resolution: ResolvedPackages with markers,
    one name possibly at several versions (for disjoint environments),
    iterated by name then version; ``forks`` lists the MarkerSets solved apart."""

    def __init__(self, packages, forks=()):
        self.packages = sorted(packages, key=lambda p: (p.name, _vkey(p.version) if p.version else ()))
        self.forks = list(forks)

    def __iter__(self):
        return iter(self.packages)

    def __len__(self) -> "int":   # as uv counts them: one per name and version
        return len(self.packages)

    def names(self) -> "list":
        return sorted({p.name for p in self.packages})

    def __repr__(self):
        return "UniversalResolution(%s)" % ", ".join(
            "%s==%s%s" % (p.name, p.version, " ; %s" % p.marker if p.marker is not None else "")
            for p in self.packages)


_MAX_FORKS = 2000


def resolve_universal(requirements, provider: "Provider", *, universe: "MarkerSet", constraints=(),
                      overrides=(), preferences=None, reporter=None) -> "UniversalResolution":
    """One resolution for every environment of ``universe`` (a MarkerSet: the
    Pythons of ``requires-python``, every platform), as uv's ``--universal``:
    the solve forks where requirements of one package differ by marker or a
    chosen version needs a newer Python, each fork is solved for its own
    environments (the versions already chosen preferred), and the answers are
    merged: each pin carries the marker of the environments that reach it."""
    roots = [_as_root(r) for r in requirements]
    prefs = {canonicalize_name(k): (Version(v) if isinstance(v, str) else v)
             for k, v in (preferences or {}).items()}
    cons, ovs = [_as_req(c) for c in constraints], [_as_req(o) for o in overrides]
    stack = [(universe, dict(prefs))]
    solved = []
    done_prefs = {}    # name -> versions the solved forks chose
    count = 0
    with span("resolve", requirements=len(roots), universal=True):
        while stack:
            env, fork_prefs = stack.pop()
            count += 1
            if count > _MAX_FORKS:
                raise NoSolutionError("the universal resolution split into more than %d forks" % _MAX_FORKS,
                                      hint="narrow it with --python-version or markers on the requirements")
            solver = _Solver(provider, roots, cons, ovs, _fork_preferences(fork_prefs, done_prefs),
                             reporter, fork=env)
            try:
                decided = solver.solve()
            except _Fork as fork:
                if reporter is not None:
                    reporter.event("resolve.fork", marker=str(env.within(universe)) or "all environments",
                                   into=[str(f.within(universe)) for f in fork.forks])
                child = dict(fork_prefs, **fork.decided)
                stack.extend((f, child) for f in fork.forks)
                continue
            except _Failed as failed:
                ex = _Explainer(solver)
                where = str(env.within(universe))
                message = ex.explain(failed.incompat)
                if where:
                    message = "In the split of the universal resolution where `%s`:\n%s" % (where, message)
                hints = ex.hints(failed.incompat)
                err = NoSolutionError(message, hint="\n".join(hints) or None)
                err.hints = hints
                raise err from None
            finally:
                solver.report_done()
            solved.append((env, solver, decided))
            for pkg, cand in decided.items():
                if pkg != _ROOT and "[" not in pkg:
                    done_prefs.setdefault(pkg, set()).add(cand.version)
    return _merge_forks(solved, roots, universe)


def _fork_preferences(own: "dict", done: "dict") -> "dict":
    """The versions a fork tries first, as uv orders them: its own (what the
    solve it came from had decided, and the user's), then those the forks
    solved before chose, the highest first."""
    out = {}
    for name in set(own) | set(done):
        first = [own[name]] if name in own else []
        rest = sorted((v for v in done.get(name, ()) if not first or _vkey(v) != _vkey(first[0])),
                      key=_vkey, reverse=True)
        out[name] = tuple(first + rest)
    return out


def _reach(solver, decided, env) -> "dict":
    """{package node: MarkerSet of the environments (inside ``env``) where the
    requirements lead to it}, following each edge's marker from the root."""
    reach = {_ROOT: env}
    edges = {}

    def out_edges(pkg):
        got = edges.get(pkg)
        if got is not None:
            return got
        got = []
        base, extra = _split_extra(pkg)
        if pkg == _ROOT:
            reqs = [rr.requirement for rr in solver.roots]
        else:
            if extra is not None:
                got.append((base, MarkerSet.TRUE))
            cand = decided[pkg]
            reqs = [] if solver.p.no_deps else solver.p.dependencies(cand)
            if isinstance(reqs, Unavailable):
                reqs = []
        for req in reqs:
            m = solver._marker_set(req.marker, extra or "") if req.marker is not None else MarkerSet.TRUE
            name = canonicalize_name(req.name)
            for dep in [name] + ["%s[%s]" % (name, canonicalize_name(e)) for e in sorted(req.extras or ())]:
                if dep in decided:
                    got.append((dep, m))
        edges[pkg] = got
        return got

    todo = [_ROOT]
    while todo:
        pkg = todo.pop()
        here = reach[pkg]
        for dep, m in out_edges(pkg):
            add = here & m
            if add.is_empty():
                continue
            old = reach.get(dep)
            if old is None:
                reach[dep] = add
                todo.append(dep)
            elif not add.implies(old):
                reach[dep] = old | add
                todo.append(dep)
    return reach


def _merge_forks(solved, roots, universe) -> "UniversalResolution":
    merged = {}
    forks = []
    for env, solver, decided in solved:
        forks.append(env)
        reach = _reach(solver, decided, env)
        for pin in _build_resolution(solver, roots, decided):
            marker = reach.get(pin.name)
            if marker is None:
                continue
            key = (pin.name, _vkey(pin.version), pin.dist.url if pin.dist is not None else None)
            have = merged.get(key)
            if have is None:
                merged[key] = ResolvedPackage(pin.name, pin.version, pin.dist, pin.extras, pin.via, marker)
            else:
                have.marker = have.marker | marker
                have.extras = tuple(sorted(set(have.extras) | set(pin.extras)))
                have.via = tuple(sorted(set(have.via) | set(pin.via)))
    out = []
    for pin in merged.values():
        m = pin.marker.within(universe)
        pin.marker = None if m.is_true() else m
        out.append(pin)
    return UniversalResolution(out, forks)


def _build_resolution(solver, roots, decided) -> "Resolution":
    via = {}
    extras = {}
    for rr in roots:
        req = rr.requirement
        if rr.source and solver._applies(req):
            via.setdefault(canonicalize_name(req.name), set()).add(rr.source)
    for pkg, cand in decided.items():
        base, extra = _split_extra(pkg)
        if extra is not None:
            extras.setdefault(base, set()).add(extra)
        if base == _ROOT:
            continue
        deps = solver.deps_cache.get((pkg, _vkey(cand.version)))
        if isinstance(deps, list):
            for dep, _ in deps:
                dbase = _split_extra(dep)[0]
                if dbase != base:
                    via.setdefault(dbase, set()).add(base)
    out = []
    for pkg, cand in decided.items():
        base, extra = _split_extra(pkg)
        if extra is not None or base == _ROOT:
            continue
        if cand.yanked is not None:
            warn_user("`%s==%s` is yanked%s" % (base, cand.version,
                      " (reason: %s)" % cand.yanked if cand.yanked else ""))
        _warn_missing_extras(solver.p, base, cand, extras.get(base, ()))
        out.append(ResolvedPackage(base, cand.version, cand.dist,
                                   sorted(extras.get(base, ())), sorted(via.get(base, ()))))
    return Resolution(out)


def _warn_missing_extras(provider, name, cand, extras) -> "None":
    """Requesting an extra a package does not define is no error (the
    resolver does not backtrack to find a version that has it, as uv and pip
    do), but the user hears about it."""
    if not extras:
        return
    known = provider.provided_extras(cand)
    if known is None:
        return
    for extra in sorted(extras):
        if extra not in known:
            warn_user("The package `%s==%s` does not have an extra named `%s`"
                      % (name, cand.version, extra))


# ---- the registry provider ---------------------------------------------------

class RegistryProvider(Provider):
    """Candidates from an index through a distribution database.

    ``database`` answers ``metadata(dist_or_file) -> Metadata`` and
    ``files(name) -> list[IndexFile]`` ([] or NotFoundError when the package
    does not exist), itself or through its ``client`` (a RegistryClient), and
    optionally ``known_names()`` for "did you mean" hints.  ``tags``: a
    TagPriority (or tag list) of the target; ``python_version``: Version (or
    str) of the target; ``markers``: its marker environment.  Options:
    ``no_binary`` / ``only_binary`` (names, ":all:" for all; a name beats the
    other option's ":all:"), ``no_build`` (no sdists at all), ``exclude_newer``
    (ISO date or date-time; later uploads, and files without a time, are
    invisible).
    """

    def __init__(self, database, *, tags, python_version, markers, resolution="highest",
                 prerelease="if-necessary-or-explicit", no_binary=(), only_binary=(),
                 no_build=False, exclude_newer=None, no_deps=False):
        if not hasattr(tags, "best"):
            tags = TagPriority(tags)
        self.db = database
        self.tags = tags
        self.python_version = (Version(python_version) if isinstance(python_version, str)
                               else python_version)
        pv = self.python_version
        self._py = None if pv is None else Version(".".join(map(str, tuple(pv.release)[:3])))
        self.markers = dict(markers or {})
        self.resolution = resolution
        self.prerelease = prerelease
        self.no_binary = {canonicalize_name(n) if n != ":all:" else n for n in no_binary}
        self.only_binary = {canonicalize_name(n) if n != ":all:" else n for n in only_binary}
        self.no_build = no_build
        self.exclude_newer = None
        if exclude_newer:
            try:
                self.exclude_newer = _parse_time(exclude_newer)
                import datetime
                self._exclude_newer_text = self.exclude_newer.astimezone(
                    datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            except ValueError:
                raise UsageError("--exclude-newer takes a date or a date and time (like 2024-05-01 "
                                 "or 2024-05-01T12:00:00Z), not `%s`" % exclude_newer) from None
        self.no_deps = no_deps
        self.installing = False  # True for install and sync: direct wheels must fit the target
        self.editable_urls = set()   # URLs of requirements given with -e
        self._python_fits_cache = {}
        self._prefetched = set()     # names whose prefetch was started
        self._versions = OnceMap()
        self._deps = OnceMap()
        self._extras = {}   # (name, version key, url) -> set of extras its metadata defines
        self._tag_parts = None   # (interpreters, ABIs, platforms) of the target's tags
        self._metadata_wheels = {}   # (name, version key) -> a wheel whose metadata stands for the sdist
        self.wheel_platforms = {}   # name -> platform tags of its wheels that did not fit

    @property
    def _locations(self):
        client = getattr(self.db, "client", None)
        return getattr(client, "locations", None)

    @property
    def where_words(self) -> "str":
        """Where packages were looked for, in uv's words for explanations."""
        loc = self._locations
        if loc is not None and loc.no_index:
            return "the provided package locations"
        return "the package registry"

    @property
    def not_found_hint(self):
        """uv's hint when a package was found nowhere with --no-index."""
        loc = self._locations
        if loc is None or not loc.no_index:
            return None
        if not loc.find_links:
            return ("Packages were unavailable because index lookups were disabled and no "
                    "additional package locations were provided (try: `--find-links <uri>`)")
        return "Packages were unavailable because index lookups were disabled"

    def _binary_options(self, name):
        """(no_binary, only_binary) for one package."""
        nb, ob = self.no_binary, self.only_binary
        no_binary = name in nb or (":all:" in nb and name not in ob)
        only_binary = name in ob or (":all:" in ob and name not in nb)
        return no_binary, only_binary or self.no_build

    def versions(self, name):
        return self._versions.get(name, lambda: self._load_versions(name))

    def _files(self, name):
        """Files from the database, or from its RegistryClient (``db.client``)."""
        files = getattr(self.db, "files", None)
        if files is None:
            files = self.db.client.files
        return files(name)

    def _load_versions(self, name):
        try:
            files = self._files(name)
        except NotFoundError:
            return None
        if not files:
            return None
        by_version = _files_by_version(files, name)
        if self.exclude_newer is not None:
            in_time = {}
            for k, (v, fs) in by_version.items():
                kept = [f for f in fs if self._uploaded_in_time(f)]
                if kept:
                    in_time[k] = (v, kept)
            by_version = in_time
        return [_LazyCandidate(name, v, functools.partial(self._candidate, name, v, fs))
                for v, fs in by_version.values()]

    def _uploaded_in_time(self, f) -> "bool":
        """``--exclude-newer``: a file without an upload time is left out, as in uv."""
        text = f.upload_time
        if not text:
            return False
        if len(text) >= 20 and text[-1] == "Z" and text[10] == "T" and text[19] in ".Z" \
                and text[4] == text[7] == "-" and text[13] == text[16] == ":":
            # the index's usual UTC form (PyPI's, to the second or finer): compared
            # as text, to the second as _parse_time compares -- a page has thousands
            return text[:19] <= self._exclude_newer_text
        try:
            t = _parse_time(text)
        except ValueError:  # an index's unreadable upload-time counts as none
            return False
        return t <= self.exclude_newer

    def _python_fits(self, requires_python: "str") -> "bool":
        """Requires-Python of a file against the target, once per distinct text
        (a package repeats the same few texts over thousands of files)."""
        fits = self._python_fits_cache.get(requires_python)
        if fits is None:
            fits = self._python_fits_cache[requires_python] = _contains_safe(requires_python, self._py)
        return fits

    universal = False   # True: every platform and Python (see _universal_candidate)

    def _candidate(self, name, version, files) -> "Candidate":
        """Choose the file of one version: the best wheel by tag, else the sdist."""
        if self.universal:
            return self._universal_candidate(name, version, files)
        py_ok = [f for f in files if not f.requires_python or self._python_fits(f.requires_python)]
        if not py_ok:
            rp = files[0].requires_python
            return Candidate(name, version, self._dist(name, version, files[0]),
                             requires_python=SpecifierSet(rp) if _spec_ok(rp) else None)
        live = [f for f in py_ok if f.yanked is None] or py_ok
        yanked = None if live[0].yanked is None else live[0].yanked
        no_binary, only_binary = self._binary_options(name)
        best, best_rank = None, None
        wheels = [f for f in live if f.is_wheel]
        if not no_binary:
            for f in wheels:
                w = f.wheel
                rank = self.tags.best(w.tags) if w is not None else None
                if rank is not None and (best_rank is None or rank > best_rank):
                    best, best_rank = f, rank
        if best is None and not only_binary:
            sdists = [f for f in live if not f.is_wheel and f.sdist is not None]
            if sdists:
                best = sdists[0]
                other = next((f for f in wheels if f.wheel is not None), None)
                if other is not None:
                    # as uv: the metadata of a wheel for another platform stands for
                    # the sdist's (the sdist is what installs): no build to resolve
                    self._metadata_wheels[(name, _vkey(version))] = other
        if best is not None:
            return Candidate(name, version, self._dist(name, version, best), yanked=yanked)
        if wheels and no_binary and not [f for f in live if not f.is_wheel]:
            why, kind = "has no source distribution and --no-binary is set", "no-binary"
        elif wheels and not [f for f in live if not f.is_wheel] or (wheels and only_binary):
            why, kind = "has no wheels with a matching %s tag" % self._closest_miss(wheels), "no-wheel"
            platforms = self.wheel_platforms.setdefault(name, set())
            for f in wheels:
                if f.wheel is not None:
                    platforms.update(t.split("-")[-1] for t in f.wheel.tags)
        else:
            why, kind = "has no wheels and building from source is disabled", "only-sdist"
        return Candidate(name, version, self._dist(name, version, live[0]), yanked=yanked,
                         unavailable=why, unavailable_kind=kind)

    def _universal_candidate(self, name, version, files) -> "Candidate":
        """For a universal resolution, no file is chosen for one target: the
        metadata comes from a wheel (a pure one first) or else the sdist, and
        the Requires-Python the resolver checks is that file's."""
        live = [f for f in files if f.yanked is None] or list(files)
        yanked = live[0].yanked
        no_binary, only_binary = self._binary_options(name)
        wheels = [] if no_binary else [f for f in live if f.is_wheel and f.wheel is not None]
        sdists = [] if only_binary else [f for f in live if not f.is_wheel and f.sdist is not None]
        pure = [f for f in wheels if any(t.endswith("-none-any") for t in f.wheel.tags)]
        best = (pure or wheels or sdists or [None])[0]
        if best is None:
            why, kind = (("has no source distribution and --no-binary is set", "no-binary") if no_binary
                         else ("has no wheels and building from source is disabled", "only-sdist"))
            return Candidate(name, version, self._dist(name, version, live[0]), yanked=yanked,
                             unavailable=why, unavailable_kind=kind)
        # a file another source listed (a find-links folder) may not say it
        rp = best.requires_python or next((f.requires_python for f in live if f.requires_python), None)
        return Candidate(name, version, self._dist(name, version, best), yanked=yanked,
                         requires_python=SpecifierSet(rp) if rp and _spec_ok(rp) else None,
                         wheel_tags=None if sdists else tuple(tuple(f.wheel.tags) for f in wheels) or None)

    def _closest_miss(self, wheels) -> "str":
        """Which part of the tags kept the nearest wheel out, as uv words it:
        "Python implementation" (cp312 vs graalpy310), "Python ABI", or
        "platform" (also when each part fits but not together)."""
        return self._closest_miss_tags([f.wheel.tags for f in wheels if f.wheel is not None])

    def _closest_miss_tags(self, tag_lists) -> "str":
        parts = self._tag_parts
        if parts is None:
            split = [t.split("-") for t in getattr(self.tags, "tags", ())]
            parts = self._tag_parts = tuple({p[i] for p in split if len(p) == 3} for i in range(3))
        best = 0
        for tags in tag_lists:
            for tag in tags:
                bits = tag.split("-")
                if len(bits) == 3:
                    best = max(best, next((i for i in range(3) if bits[i] not in parts[i]), 2))
        return ("Python implementation", "Python ABI", "platform")[best]

    def _dist(self, name, version, f):
        return Dist(name, version, "registry", file=f, url=f.url)

    def dependencies(self, candidate):
        key = (candidate.name, _vkey(candidate.version), candidate.dist.url)
        return self._deps.get(key, lambda: self._load_deps(candidate))

    def _metadata_source(self, candidate):
        """Where ``candidate``'s metadata is read: its file, or for an sdist
        beside wheels for other platforms, one of those wheels."""
        dist = candidate.dist
        if dist.kind != "registry":
            return dist
        return self._metadata_wheels.get((candidate.name, _vkey(candidate.version)), dist.file)

    def _load_deps(self, candidate):
        dist = candidate.dist
        md = self.db.metadata(self._metadata_source(candidate))
        self._extras[(candidate.name, _vkey(candidate.version), dist.url)] = _extras_of(md)
        rp = md.requires_python
        if rp is not None and self._py is not None and not _contains(rp, self._py):
            return Unavailable("requires Python%s" % rp, "requires-python", str(rp))
        return list(md.requires_dist or ())

    def provided_extras(self, candidate):
        return self._extras.get((candidate.name, _vkey(candidate.version), candidate.dist.url))

    def url_candidate(self, requirement):
        """A direct URL or path requirement as a Candidate (version from the
        file name, else from the metadata)."""
        name = canonicalize_name(requirement.name)
        url = requirement.url
        editable = url in self.editable_urls
        if _req_is_vcs_url(url):
            checkout = self.db.git_checkout(url)
            dist = Dist(name, None, "git", url=url, path=checkout.path, verbatim=url, editable=editable,
                        subdirectory=GitUrl.parse(url).subdirectory, commit=checkout.commit)
            dist.version = self.db.metadata(dist).version
            return Candidate(name, dist.version, dist)
        kind, path = "url", None
        if url.startswith("file:"):
            from urllib.parse import unquote, urlparse
            kind, path = "path", unquote(urlparse(url).path)
        elif "://" not in url:
            kind, path = "path", url
        if path is not None and os.path.isdir(path):
            kind = "directory"  # a project folder: built (or linked, when editable)
        dist = Dist(name, None, kind, url=url, path=path, verbatim=url, editable=editable)
        version = wheel = None
        fn = dist.filename or ""
        try:
            if fn.endswith(".whl"):
                wheel = WheelFilename.from_filename(fn)
                version = wheel.version
            elif fn.endswith((".tar.gz", ".zip")):
                version = SdistFilename.from_filename(fn).version
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            version = None
        if version is None:
            version = self.db.metadata(dist).version
        dist.version = version
        if wheel is not None and self.installing and self.tags.best(wheel.tags) is None:
            # as pip's "is not a supported wheel on this platform" (pip-compile
            # takes it, as uv does: the lock may be for another machine)
            return Candidate(name, version, dist, unavailable="is the wheel %s, which has no matching "
                             "%s tag" % (fn, self._closest_miss_tags([wheel.tags])),
                             unavailable_kind="no-wheel")
        return Candidate(name, version, dist)

    def prefetch_ranges(self, ranges):
        self._root_ranges = dict(ranges)

    def prefetch(self, names):
        names = [n for n in names if n not in self._prefetched]
        self._prefetched.update(names)
        pool = thread_pool()
        if self.no_deps:  # no metadata will be asked for: only the index pages
            for name in names:
                pool.submit(self._quiet_versions, name)
            return
        for name in names:
            pool.submit(self._prefetch_one, name)

    def _prefetch_one(self, name):
        """Fetch the versions and the metadata of the likeliest candidate, then
        go on with its dependencies: the whole likely tree is fetched at the
        network's pace instead of one level per resolver decision."""
        try:
            cands = self.versions(name)
            if not cands:
                return
            ordered = sorted(cands, key=lambda c: _vkey(c.version), reverse=self.resolution != "lowest")
            rng = getattr(self, "_root_ranges", {}).get(name)
            if rng is not None:   # a root requirement's range (a pin): the candidate it picks
                ordered = [c for c in ordered if _r_contains(rng, _vkey(c.version))] or ordered
            pick = next((c for c in ordered if (not _is_pre(c.version) or rng is not None)
                         and c.unavailable is None and (c.yanked is None or rng is not None)), None)
            if pick is None or not self._cheap_metadata(pick):
                return   # an sdist is fetched (and maybe built) only when the resolver considers it
            deps = self.dependencies(pick)
            if isinstance(deps, Unavailable):
                return
            env = dict(self.markers, extra="")
            names = [canonicalize_name(r.name) for r in deps
                     if r.url is None and (r.marker is None or r.marker.evaluate(env))]
            self.prefetch([n for n in names if n not in self._prefetched])
        except Exception:  # a hint only: the resolver will ask again and see the error
            pass

    def prefetch_candidate(self, candidate):
        if not self.no_deps:
            thread_pool().submit(self._quiet_deps, candidate)

    def _quiet_versions(self, name):
        try:
            self.versions(name)
        except Exception:  # see _prefetch_one
            pass

    def _cheap_metadata(self, candidate) -> "bool":
        """Is the metadata a wheel's (no sdist to fetch or build)?"""
        return candidate.dist.is_wheel or (candidate.name, _vkey(candidate.version)) in self._metadata_wheels

    def _quiet_deps(self, candidate):
        if not self._cheap_metadata(candidate):   # see _prefetch_one
            return
        try:
            self.dependencies(candidate)
        except Exception:  # see _prefetch_one
            pass

    def known_names(self):
        for owner in (self.db, getattr(self.db, "client", None)):
            names = getattr(owner, "known_names", None)
            if callable(names):
                return names()
        return None


def _extras_of(md) -> "set":
    """Extras a Metadata defines: its Provides-Extra, and (for metadata older
    than 2.1, which may not list them) those its requirement markers test."""
    out = {canonicalize_name(e) for e in md.provides_extra or ()}
    for req in md.requires_dist or ():
        if req.marker is not None:
            for m in _lazy_re(r"""extra\s*==\s*['"]([^'"]+)['"]""").finditer(str(req.marker)):
                out.add(canonicalize_name(m.group(1)))
    return out


def _spec_ok(text) -> "bool":
    try:
        SpecifierSet(text)
        return True
    except InvalidSpecifier:
        return False


def _contains_safe(text, version) -> "bool":
    """Requires-Python check that ignores a malformed specifier (as pip does)."""
    try:
        return _contains(text, version)
    except InvalidSpecifier:
        return True


def _parse_time(text):
    """ISO-8601 date or date-time -> aware UTC datetime; a bare date is
    midnight UTC of that day. Fractions of seconds are dropped (3.9's
    fromisoformat only reads exactly 3 or 6 digits)."""
    import datetime
    t = text.strip().replace("Z", "+00:00")
    if len(t) == 10:
        t += "T00:00:00+00:00"
    t = re.sub(r"\.\d+", "", t)
    d = datetime.datetime.fromisoformat(t)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


# =============================================================================
# 11. Builds
# =============================================================================
# Owns: PEP 517/518/660 builds of sdists and source trees in isolated build
# environments (their requirements are installed by a callback the caller gives),
# safe sdist extraction, the hook runner, and the built-wheel cache keyed by the
# source. Exports: SourceBuilder, BuildSystem, extract_sdist, source_build_error. Uses 1-9.

def source_build_error(what: "str") -> "BuildError":
    """The error for a source that needs a PEP 517 build where the caller
    cannot run one (no builder wired in, or builds disabled)."""
    return BuildError("%s needs a build from source, which puffin.py does not do yet" % what,
                      hint="use a wheel of it (check --only-binary/--no-binary), or build "
                           "one with `python -m build` and pass its path")


#: pip's choice for a project without ``[build-system]`` (PEP 518): setuptools,
#: through the backend that also runs a plain ``setup.py``.
_LEGACY_REQUIRES = ("setuptools>=40.8.0",)
_LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
#: How many of a failed backend's last output lines an error shows.
_BUILD_OUTPUT_LINES = 25
#: Folders that take no part in a source tree's fingerprint: VCS data, caches,
#: virtual environments and the build outputs backends write into the tree.
_FINGERPRINT_SKIP = frozenset((".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv",
                               "venv", "build", "dist", ".eggs", "node_modules", ".mypy_cache",
                               ".pytest_cache", ".ruff_cache"))
_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")

# The hook runner: runs in the build environment's Python (3.8+, standard library
# only), one process per hook, as pyproject_hooks' _in_process does. It reads
# CONTROL/input.json and writes CONTROL/output.json, so the backend may print
# whatever it likes on stdout and stderr.
_HOOK_RUNNER = r'''"""Run one PEP 517 hook of a build backend (written by puffin.py)."""
import importlib
import json
import os
import sys
import traceback


class _Problem(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _inside(path, folder):
    path = os.path.normcase(os.path.abspath(path))
    folder = os.path.normcase(os.path.abspath(folder))
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _load_backend(spec, backend_path):
    # PEP 517: backend-path entries come first on sys.path, and the backend
    # must then be loaded from one of them.
    for entry in reversed(backend_path):
        sys.path.insert(0, entry)
    module_name, _, attrs = spec.partition(":")
    try:
        obj = importlib.import_module(module_name.strip())
    except ImportError:
        raise _Problem("backend_unavailable", traceback.format_exc())
    if backend_path:
        where = getattr(obj, "__file__", None) or ""
        if not any(_inside(where, entry) for entry in backend_path):
            raise _Problem("backend_invalid", "the backend %r was loaded from %s, outside its "
                           "backend-path %s" % (spec, where, backend_path))
    for attr in filter(None, attrs.strip().split(".")):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise _Problem("backend_unavailable", traceback.format_exc())
    return obj


def _run(request):
    try:
        backend = _load_backend(request["backend"], request["backend_path"])
    except _Problem as e:
        return {"status": e.status, "detail": e.detail}
    hook = getattr(backend, request["hook"], None)
    if hook is None:
        return {"status": "missing"}
    try:
        value = hook(**request["kwargs"])
    except BaseException:
        kind, exc, tb = sys.exc_info()   # the traceback without this runner's frame
        return {"status": "error",
                "detail": "".join(traceback.format_exception(kind, exc, tb.tb_next))}
    if isinstance(value, tuple):
        value = list(value)
    return {"status": "ok", "value": value}


def main():
    control = sys.argv[1]
    with open(os.path.join(control, "input.json"), encoding="utf-8") as f:
        request = json.load(f)
    result = _run(request)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(os.path.join(control, "output.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
'''


# ---- the build system of a source tree -------------------------------------------------

class BuildSystem(Value):
    """The ``[build-system]`` table of a source tree (PEP 518): ``requires``
    (list of requirement strings), ``backend`` (``module:object``) and
    ``backend_path`` (folders relative to the tree). A tree without
    ``pyproject.toml`` or without the table gets pip's legacy setuptools default;
    one without ``build-backend`` gets the legacy backend with its requires."""

    __slots__ = ("requires", "backend", "backend_path")

    def __init__(self, requires, backend: "str", backend_path=()):
        self.requires = list(requires)
        self.backend = backend
        self.backend_path = list(backend_path)

    @classmethod
    def from_tree(cls, tree: "str") -> "BuildSystem":
        path = os.path.join(tree, "pyproject.toml")
        if not os.path.isfile(path):
            if not os.path.isfile(os.path.join(tree, "setup.py")) and \
                    not os.path.isfile(os.path.join(tree, "setup.cfg")):
                raise BuildError("%s is not a Python project: it has neither pyproject.toml "
                                 "nor setup.py" % tree)
            return cls(_LEGACY_REQUIRES, _LEGACY_BACKEND)
        with open(path, "rb") as f:
            text = f.read().decode("utf-8-sig", "replace")
        table = toml_loads(text, filename=path).get("build-system")
        if table is None:
            return cls(_LEGACY_REQUIRES, _LEGACY_BACKEND)
        return cls._from_table(table, path)

    @classmethod
    def _from_table(cls, table, path: "str") -> "BuildSystem":
        def bad(what):
            return BuildError("%s has an invalid [build-system] table: %s" % (path, what))
        if not isinstance(table, dict):
            raise bad("it is not a table")
        requires = table.get("requires")
        if requires is None:
            raise bad("the mandatory `requires` key is missing")
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            raise bad("`requires` must be a list of strings")
        backend = table.get("build-backend")
        if backend is None:
            backend = _LEGACY_BACKEND
        elif not isinstance(backend, str) or not backend.strip():
            raise bad("`build-backend` must be a string such as \"setuptools.build_meta\"")
        backend_path = table.get("backend-path", [])
        if not isinstance(backend_path, list) or not all(isinstance(p, str) for p in backend_path):
            raise bad("`backend-path` must be a list of strings")
        for entry in backend_path:
            try:
                safe_join("/", entry)   # relative, and never leaving the tree (PEP 517)
            except UnsafePathError:
                raise bad("the backend-path entry %r leaves the source tree" % entry)
        return cls(requires, backend, backend_path)

    def requirements(self) -> "list":
        """``requires`` as Requirements (BuildError on an invalid one)."""
        return _parse_build_requirements(self.requires, "[build-system] requires")


def _parse_build_requirements(texts, where: "str") -> "list":
    out = []
    for text in texts:
        try:
            out.append(Requirement(text))
        except InvalidRequirement as e:
            raise BuildError("invalid build requirement %r in %s: %s" % (text, where, e))
    return out


# ---- safe sdist extraction -------------------------------------------------------------

def is_sdist_archive(path: "str") -> "bool":
    """Does ``path`` name a source archive we can extract (by its suffix)?"""
    return path.lower().endswith(_SDIST_SUFFIXES)


def extract_sdist(archive: "str", target: "str") -> "str":
    """Extract a source archive (tar.gz, tar.bz2, tar.xz, tar, zip) into the new
    or empty folder ``target``; return the source tree (the single top-level
    folder when every member lives under one, as sdists do, else ``target``).

    Every member must stay inside ``target``: absolute paths, ``..`` and links
    that point out (or members written through such links) raise
    UnsafePathError; devices and fifos are skipped. Unlike ``tarfile``'s
    ``extractall`` this behaves the same on every Python (no extraction filters
    before 3.12) and never changes owners or sets special bits."""
    os.makedirs(target, exist_ok=True)
    root = os.path.realpath(target)
    with span("build.extract", archive=os.path.basename(archive)):
        try:
            if archive.lower().endswith(".zip"):
                names = _extract_zip(archive, root)
            else:
                names = _extract_tar(archive, root)
        except UnsafePathError:
            raise
        except (OSError, EOFError, ValueError) as e:
            raise BuildError("cannot extract the source archive %s: %s" % (os.path.basename(archive), e))
        except Exception as e:  # tarfile.TarError, zipfile.BadZipFile, zlib/lzma errors
            raise BuildError("cannot extract the source archive %s: %s: %s"
                             % (os.path.basename(archive), type(e).__name__, e))
    tops = {n.split("/", 1)[0] for n in names if n}
    if len(tops) == 1:
        only = os.path.join(root, tops.pop())
        if os.path.isdir(only) and not os.path.islink(only):
            return only
    return root


def _member_target(root: "str", name: "str", archive: "str") -> "str":
    """The path of member ``name`` under ``root``, refusing one that leaves it,
    also through a link extracted earlier (hence realpath on the parent)."""
    try:
        target = safe_join(root, name)
    except UnsafePathError:
        raise UnsafePathError("refusing the source archive %s: its member %r would be written "
                              "outside the extraction folder" % (os.path.basename(archive), name))
    if not _within(os.path.realpath(os.path.dirname(target)), root):
        raise UnsafePathError("refusing the source archive %s: its member %r is written through "
                              "a link that points outside" % (os.path.basename(archive), name))
    return target


def _within(path: "str", root: "str") -> "bool":
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_link(root: "str", target: "str", link: "str", name: "str", archive: "str") -> "None":
    dest = os.path.realpath(os.path.join(os.path.dirname(target), link))
    if os.path.isabs(link) or not _within(dest, root):
        raise UnsafePathError("refusing the source archive %s: its member %r links to %r, outside "
                              "the extraction folder" % (os.path.basename(archive), name, link))


def _extract_tar(archive: "str", root: "str") -> "list":
    import shutil
    import tarfile
    names = []
    budget = max(_RATIO_FLOOR, os.path.getsize(archive) * _MAX_RATIO)
    with tarfile.open(archive) as tf:
        for m in tf:
            budget -= max(0, m.size)
            if budget < 0:  # a tar bomb: refused before it fills the disk
                raise UnsafePathError("refusing the source archive %s: it would unpack to over %s "
                                      "(%d times its size)" % (os.path.basename(archive),
                                                               format_size(_RATIO_FLOOR), _MAX_RATIO))
            name = m.name.rstrip("/")
            while name.startswith("./"):
                name = name[2:]
            if not name or name == ".":
                continue
            names.append(name)
            target = _member_target(root, name, archive)
            if m.isdir():
                os.makedirs(target, exist_ok=True)
            elif m.issym():
                _check_link(root, target, m.linkname, name, archive)
                _make_parent(target)
                _unlink_if_exists(target)
                os.symlink(m.linkname, target)
            elif m.islnk():
                source = _member_target(root, m.linkname, archive)
                if not os.path.isfile(source):
                    raise UnsafePathError("refusing the source archive %s: its member %r is a hard "
                                          "link to %r, which is not a file extracted before"
                                          % (os.path.basename(archive), name, m.linkname))
                _make_parent(target)
                _unlink_if_exists(target)
                shutil.copyfile(source, target)
            elif m.isfile():
                _make_parent(target)
                _unlink_if_exists(target)   # never write through a link planted earlier
                src = tf.extractfile(m)
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                if m.mode & 0o111:
                    os.chmod(target, 0o755)
            # devices, fifos and other special members are skipped, as pip does
    return names


def _extract_zip(archive: "str", root: "str") -> "list":
    names = []
    with ZipArchive(archive) as zf:
        zf.check_layout()
        for entry in zf.entries:
            name = entry.name.rstrip("/")
            if not name:
                continue
            names.append(name)
            target = _member_target(root, name, archive)
            if entry.is_dir:
                os.makedirs(target, exist_ok=True)
            elif stat.S_ISLNK(entry.mode):
                link = zf.read(entry).decode("utf-8")
                _check_link(root, target, link, name, archive)
                _make_parent(target)
                _unlink_if_exists(target)
                os.symlink(link, target)
            else:
                _make_parent(target)
                _unlink_if_exists(target)
                with open(target, "wb") as out:
                    for piece in zf.chunks(entry):
                        out.write(piece)
                if entry.mode & 0o111:
                    os.chmod(target, 0o755)
    return names


def _make_parent(path: "str") -> "None":
    os.makedirs(os.path.dirname(path), exist_ok=True)


def _unlink_if_exists(path: "str") -> "None":
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)


# ---- the source a build starts from ------------------------------------------------------

def source_fingerprint(tree: "str") -> "str":
    """A digest of a source tree's files (relative path, size, mtime), skipping
    VCS folders, caches, virtual environments and build outputs: it changes
    when a file is edited, added or removed, so the built wheel is redone."""
    import hashlib
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in _FINGERPRINT_SKIP and not d.endswith(".egg-info"))
        rel = os.path.relpath(dirpath, tree)
        for name in sorted(filenames):
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            h.update(("%s/%s\0%d\0%d\n" % (rel, name, st.st_size, st.st_mtime_ns)).encode("utf-8",
                                                                                       "surrogateescape"))
    return h.hexdigest()[:16]


def _sdist_project_name(filename: "str") -> "str":
    try:
        return SdistFilename.from_filename(filename).name
    except (InvalidSdistFilename, InvalidVersion):
        for suffix in _SDIST_SUFFIXES:
            if filename.lower().endswith(suffix):
                filename = filename[:-len(suffix)]
                break
        return canonicalize_name(filename.rpartition("-")[0] or filename) or "unknown"


def _project_name_of(source: "str") -> "str":
    """A canonical name for a source, for cache paths and messages only: the
    sdist's filename, ``[project] name``, else the folder's name."""
    base = os.path.basename(source.rstrip(os.sep))
    if os.path.isfile(source):
        return _sdist_project_name(base)
    try:
        with open(os.path.join(source, "pyproject.toml"), "rb") as f:
            name = toml_loads(f.read().decode("utf-8", "replace")).get("project", {}).get("name")
        if isinstance(name, str) and name.strip():
            return canonicalize_name(name)
    except (OSError, PuffinError, AttributeError):
        pass
    return canonicalize_name(base) or "unknown"


def static_pyproject_metadata(tree: "str"):
    """Core metadata (bytes) written from ``pyproject.toml``'s ``[project]`` when
    PEP 621 makes it final: name and version given, and none of version,
    dependencies, optional-dependencies or requires-python ``dynamic`` (a
    backend may not change what is not dynamic). None otherwise; then only a
    build can tell."""
    try:
        with open(os.path.join(tree, "pyproject.toml"), "rb") as f:
            project = toml_loads(f.read().decode("utf-8", "replace")).get("project")
    except (OSError, PuffinError):
        return None
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic") or []
    if not isinstance(dynamic, list) or {str(d).lower() for d in dynamic} & {
            "version", "dependencies", "optional-dependencies", "requires-python"}:
        return None
    name, version = project.get("name"), project.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    lines = ["Metadata-Version: 2.2", "Name: " + name, "Version: " + version]
    try:
        if project.get("requires-python") is not None:
            lines.append("Requires-Python: " + str(SpecifierSet(project["requires-python"])))
        lines += ["Requires-Dist: " + _dep_line(d, None) for d in project.get("dependencies") or []]
        for extra, deps in sorted((project.get("optional-dependencies") or {}).items()):
            extra = canonicalize_name(extra)   # PEP 685
            lines.append("Provides-Extra: " + extra)
            lines += ["Requires-Dist: " + _dep_line(d, extra) for d in deps]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        Metadata.from_bytes(data)
    except (PuffinError, TypeError, AttributeError, ValueError):
        return None   # something odd in the table: let the backend have its say
    return data


def _dep_line(text: "str", extra) -> "str":
    req = Requirement(text)
    marker, req.marker = req.marker, None
    head = str(req) + (" " if req.url else "")
    if extra is None:
        return head + ("; %s" % marker if marker is not None else "")
    cond = "extra == \"%s\"" % extra
    return head + "; " + ("(%s) and %s" % (marker, cond) if marker is not None else cond)


class _CacheSlot(Value):
    """Where the builds of one source live in built-wheels-v0: ``parts`` of the
    entry folder (see ``SourceBuilder`` for the layout); ``stale_parent``: for
    a source tree, the folder whose other entries (older states of the same
    tree) are removed after a build."""

    __slots__ = ("parts", "stale_parent")

    def __init__(self, parts, stale_parent=None):
        self.parts = tuple(parts)
        self.stale_parent = stale_parent


class PreparedBuild:
    """A source ready for its hooks: ``tree`` (the source tree), ``build_system``,
    ``name`` (canonical, from the filename or pyproject) and ``python`` (the
    Interpreter of the isolated build environment, requirements installed)."""

    __slots__ = ("source", "tree", "build_system", "name", "python", "editable")

    def __init__(self, source, tree, build_system, name, python, editable):
        self.source = source
        self.tree = tree
        self.build_system = build_system
        self.name = name
        self.python = python
        self.editable = editable

    def __repr__(self):
        return "PreparedBuild(%r, backend=%r)" % (self.source, self.build_system.backend)


# ---- the builder -----------------------------------------------------------------------

class SourceBuilder:
    """Builds wheels and reads metadata of sdists and source trees (PEP 517/660).

    ``interpreter``: the target Python (build environments are made for it);
    ``install_build_requirements(requirements, target)``: installs a list of
    Requirements into the build environment ``target`` (an Interpreter); the
    caller resolves them with its own index settings. ``env``: the environment
    variables the backends start from (default ``os.environ``), minus
    ``PYTHONPATH``/``PYTHONHOME``; ``config_settings``: passed to every hook
    (built wheels are cached per settings); ``isolation``: False runs every
    backend in the target environment itself (``--no-build-isolation``: its
    packages serve the build, nothing is installed for it), a set of names
    does so for those projects only;
    ``static_metadata``: answer ``metadata()`` from a final pyproject ``[project]``
    table without any build (see static_pyproject_metadata).

    Built wheels are cached in built-wheels-v0, per source::

        built-wheels-v0/sdist/NAME/SHA256-OF-ARCHIVE/NAME-1.0-py3-none-any.whl
        built-wheels-v0/sdist/NAME/SHA256-OF-ARCHIVE/METADATA   (prepare_metadata's answer)
        built-wheels-v0/path/NAME/DIGEST-OF-PATH/FINGERPRINT/...  (source trees)
        built-wheels-v0/git/NAME/REPO-KEY/COMMIT[:16]/[DIGEST-OF-SUBDIRECTORY/]...  (git checkouts)

    so a second build of the same archive, or of an unchanged tree, only
    looks. Editable wheels are not cached (they are cheap and point into the
    tree). Build environments are temporary folders, one per distinct list of
    build requirements, shared by every build of this builder; ``close()``
    removes them (it also runs at exit).
    """

    def __init__(self, cache, interpreter, install_build_requirements, *, env=None,
                 config_settings=None, static_metadata: "bool" = False, reporter=None, isolation=True):
        self.cache = cache
        self.isolation = isolation   # True, False, or the set of names built *without* isolation
        self.static_metadata = static_metadata
        self.interpreter = interpreter
        self.install_build_requirements = install_build_requirements
        self.env = dict(os.environ if env is None else env)
        self.config_settings = dict(config_settings) if config_settings else None
        self.package_settings = {}   # canonical name -> settings of its requirement line (pip's)
        self.reporter = reporter or Reporter()
        self._work = None
        self._work_lock = _thread.allocate_lock()
        self._trees = OnceMap()      # abspath of an archive -> extracted tree
        self._envs = OnceMap()       # tuple of requirement strings -> Interpreter
        self._prepared = OnceMap()   # (source, editable) -> PreparedBuild
        self._wheels = OnceMap()     # cache slot -> wheel path
        self._metadata = OnceMap()   # (cache slot, editable) -> Metadata
        self._slots = OnceMap()      # source -> its _CacheSlot
        self._counter = itertools.count()
        self._runner_file = None
        self._installing: "dict" = {}  # canonical names being installed into new envs -> count
        self.builds = 0              # backend builds run (not cache hits), for reports

    # -- lifetime

    def close(self) -> "None":
        """Remove the extracted trees and build environments."""
        with self._work_lock:
            work, self._work = self._work, None
        if work:
            remove_tree(work)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _work_dir(self, kind: "str") -> "str":
        """A new folder in this builder's scratch space."""
        import tempfile
        with self._work_lock:
            if self._work is None:
                import atexit
                self._work = tempfile.mkdtemp(prefix="puffin-build-")
                atexit.register(remove_tree, self._work)
            work = self._work
        path = os.path.join(work, "%s-%d" % (kind, next(self._counter)))
        os.makedirs(path)
        return path

    # -- public API

    def prepare(self, source: "str", *, editable: "bool" = False) -> "PreparedBuild":
        """Extract ``source`` (an sdist archive; a folder is used in place), read
        its build system, and make its isolated build environment: ``requires``
        installed, then what ``get_requires_for_build_wheel`` (``_editable``)
        adds. Done once per source and kind. Raises BuildError."""
        source = os.path.abspath(source)
        return self._prepared.get((source, editable), lambda: self._prepare(source, editable))

    def metadata(self, source: "str", *, editable: "bool" = False):
        """Core Metadata of ``source``: from the cache, else the backend's
        ``prepare_metadata_for_build_wheel`` (``_editable``), else by building
        the wheel and reading its METADATA. Raises BuildError."""
        source = os.path.abspath(source)
        slot = self._slot(source)
        return self._metadata.get((slot, editable), lambda: self._read_metadata(source, slot, editable))

    def build_wheel(self, source: "str", output_dir: "str | None" = None, *,
                    editable: "bool" = False) -> "str":
        """Build a wheel of ``source`` (sdist archive or source tree); return
        its path: in ``output_dir`` when given, else in the cache (or, for an
        editable wheel, in the builder's scratch space). Raises BuildError."""
        source = os.path.abspath(source)
        if editable:
            if not os.path.isdir(source):
                raise BuildError("cannot install %s as editable: only a project folder can be "
                                 "editable" % os.path.basename(source))
            out = output_dir or self._work_dir("editable")
            os.makedirs(out, exist_ok=True)
            return self._run_build(self.prepare(source, editable=True), out, editable=True)
        slot = self._slot(source)
        wheel = self._wheels.get(slot, lambda: self._cached_build(source, slot))
        if output_dir is None:
            return wheel
        os.makedirs(output_dir, exist_ok=True)
        dest = os.path.join(output_dir, os.path.basename(wheel))
        if os.path.abspath(dest) != os.path.abspath(wheel):
            link_or_copy(wheel, dest)
        return dest

    # -- the cache

    def _slot(self, source: "str") -> "_CacheSlot":
        """The cache entry of a source: an archive by its sha256; a folder by
        its path and the fingerprint of its files. Worked out once per process,
        so metadata() and build_wheel() of one command agree on it even when the
        backend writes into the tree."""
        return self._slots.get(source, lambda: self._make_slot(source))

    def _make_slot(self, source: "str") -> "_CacheSlot":
        name = _project_name_of(source)
        more = self._settings_key(name)
        git = self.cache.git_checkout_key(source)
        if git is not None:   # a commit's checkout never changes: no fingerprint
            return _CacheSlot(("git", name, git[0], git[1] + more)
                              + ((cache_digest(git[2]),) if git[2] else ()))
        if os.path.isfile(source):
            return _CacheSlot(("sdist", name, hash_file(source)["sha256"] + more))
        if not os.path.isdir(source):
            raise BuildError("cannot build %s: no such file or folder" % source)
        parent = ("path", name, cache_digest(source))
        return _CacheSlot(parent + (source_fingerprint(source) + more,), stale_parent=parent)

    def settings_for(self, name: "str"):
        """The config settings of one project's hooks: the command line's,
        then those its requirement line gave (``pkg --config-settings K=V``)."""
        own = self.package_settings.get(name)
        if not own:
            return self.config_settings
        return dict(self.config_settings or {}, **own)

    def _settings_key(self, name: "str" = "") -> "str":
        """What config settings add to a cache slot's name: the same source
        built with other settings is another wheel."""
        settings = self.settings_for(name)
        if not settings:
            return ""
        return "-cs" + cache_digest(json.dumps(settings, sort_keys=True))[:8]

    def _isolated(self, name: "str") -> "bool":
        if isinstance(self.isolation, bool):
            return self.isolation
        return name not in self.isolation

    def _slot_dir(self, slot: "_CacheSlot") -> "str":
        return self.cache.entry(CacheBucket.BUILT_WHEELS, *slot.parts)

    def built_wheel_for(self, filename: "str", sha256: "str"):
        """The wheel built earlier from the sdist ``filename`` whose sha256 the
        index gives, or None: with it the sdist need not be downloaded again
        (after ``cache prune --ci``, say)."""
        name = _sdist_project_name(filename)
        slot = _CacheSlot(("sdist", name, sha256.lower() + self._settings_key(name)))
        return self._cached_wheel(self._slot_dir(slot))

    def _cached_wheel(self, folder: "str"):
        """A wheel in ``folder`` that the target Python can install, or None."""
        try:
            names = sorted(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return None
        priority = self.interpreter.tag_priority()
        best = None
        for n in names:
            if not n.endswith(".whl") or n.startswith("."):
                continue
            try:
                rank = priority.best(WheelFilename.from_filename(n).tags)
            except (InvalidWheelFilename, InvalidVersion):
                continue
            if rank is not None and (best is None or rank > best[0]):
                best = (rank, os.path.join(folder, n))
        return best[1] if best else None

    def _cached_build(self, source: "str", slot: "_CacheSlot") -> "str":
        folder = self._slot_dir(slot)
        found = self._cached_wheel(folder)
        if found:
            return found
        with self.cache.lock(folder):   # another process may be building it too
            found = self._cached_wheel(folder)
            if found:
                return found
            tmp = self.cache.temp_dir(CacheBucket.BUILT_WHEELS, *slot.parts[:-1])
            try:
                built = self._run_build(self.prepare(source), tmp, editable=False)
                os.makedirs(folder, exist_ok=True)
                final = os.path.join(folder, os.path.basename(built))
                os.replace(built, final)
            finally:
                remove_tree(tmp)
        self._drop_stale(slot)
        return final

    def _drop_stale(self, slot: "_CacheSlot") -> "None":
        """Remove the wheels of older states of the same source tree."""
        if slot.stale_parent is None:
            return
        parent = self.cache.path(CacheBucket.BUILT_WHEELS, *slot.stale_parent)
        for n in os.listdir(parent):
            if not n.startswith((slot.parts[-1], ".")):   # keeps this state and its lock
                remove_tree(os.path.join(parent, n))

    def _read_metadata(self, source: "str", slot: "_CacheSlot", editable: "bool"):
        folder = self._slot_dir(slot)
        stored = None if editable else os.path.join(folder, "METADATA")
        if stored and os.path.isfile(stored):
            data = self.cache.read_entry(stored, lambda b: (Metadata.from_bytes(b), b))
            if data is not None:
                return data[0]
        wheel = None if editable else self._cached_wheel(folder)
        data = None
        if wheel is None and self.static_metadata:
            data = static_pyproject_metadata(self._tree(source))
        if wheel is None and data is None:
            data = self._prepare_metadata(source, editable)
            if data is None:   # the backend has no prepare_metadata hook: build
                if editable:
                    wheel = self.build_wheel(source, editable=True)
                else:
                    wheel = self._wheels.get(slot, lambda: self._cached_build(source, slot))
        if wheel is not None:
            data = _wheel_metadata_bytes(wheel)
        md = Metadata.from_bytes(data)
        if stored:
            try:
                self.cache.write_entry(stored, data)
            except OSError as e:
                warn_user("cannot write the cache entry %s: %s" % (stored, e))
        return md

    # -- preparing

    def _prepare(self, source: "str", editable: "bool") -> "PreparedBuild":
        name = _project_name_of(source)
        with self._work_lock:
            cyclic = self._installing.get(name)
        if cyclic:
            # The build environment being made needs this very package, and it
            # has no wheel: building it would wait for that environment forever.
            raise BuildError("cannot build %s: its build environment needs `%s` itself, which "
                             "would have to be built first (a cyclic build dependency)"
                             % (os.path.basename(source), name),
                             hint="make a wheel of `%s` available (--find-links), or allow "
                                  "binary wheels for it" % name)
        with span("build.prepare", source=os.path.basename(source), editable=editable):
            tree = self._tree(source)
            build_system = BuildSystem.from_tree(tree)
            requires = build_system.requirements()
            isolated = self._isolated(name)
            # without isolation the target's own packages serve the build (pip's and uv's
            # --no-build-isolation): nothing is installed, get_requires_* is still asked
            python = self._env_for(requires, os.path.basename(source)) if isolated else self.interpreter
            hook = "get_requires_for_build_editable" if editable else "get_requires_for_build_wheel"
            status, value, _ = self._call_hook(python, tree, build_system, hook,
                                               {"config_settings": self.settings_for(name)},
                                               source, optional=True)
            if status == "ok" and isolated:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise BuildError("the build backend `%s` of %s answered %s with %r, not a list "
                                     "of requirements" % (build_system.backend,
                                                          os.path.basename(source), hook, value))
                extra = [t for t in value if t not in build_system.requires]
                if extra:
                    # a separate environment: a shared one must not change under other builds
                    more = requires + _parse_build_requirements(extra, "%s()" % hook)
                    python = self._env_for(more, os.path.basename(source))
            return PreparedBuild(source, tree, build_system, name, python, editable)

    def _tree(self, source: "str") -> "str":
        if os.path.isdir(source):
            return source
        if not os.path.isfile(source):
            raise BuildError("cannot build %s: no such file or folder" % source)
        if not is_sdist_archive(source):
            raise BuildError("cannot build %s: not a source archive (.tar.gz, .zip) or a "
                             "project folder" % os.path.basename(source))
        return self._trees.get(source, lambda: extract_sdist(source, self._work_dir("src")))

    def _env_for(self, requirements, for_what: "str" = "a build") -> "Interpreter":
        """The build environment holding exactly ``requirements`` (made once);
        ``for_what`` names the source in messages."""
        key = tuple(sorted(str(r) for r in requirements))

        names = [canonicalize_name(r.name) for r in requirements if r.name]

        def make():
            with span("build.env", requires=" ".join(key)):
                path = self._work_dir("env")
                python = create_venv(path, self.interpreter)
                if requirements:
                    self._mark_installing(names, 1)
                    try:
                        self.install_build_requirements(list(requirements), python)
                    except NoSolutionError as e:   # say whose build it was
                        e.message = "the build requirements of %s (%s) cannot be met: %s" % (
                            for_what, ", ".join(key), e.message[:1].lower() + e.message[1:])
                        raise
                    finally:
                        self._mark_installing(names, -1)
                return python
        return self._envs.get(key, make)

    def _mark_installing(self, names, delta: "int") -> "None":
        with self._work_lock:
            for n in names:
                self._installing[n] = self._installing.get(n, 0) + delta

    # -- hooks

    def _run_build(self, prep: "PreparedBuild", out_dir: "str", *, editable: "bool") -> "str":
        hook = "build_editable" if editable else "build_wheel"
        what = os.path.basename(prep.source)
        self.reporter.event("build.start", source=what, editable=editable)
        with span("build.wheel", source=what, editable=editable):
            status, value, output = self._call_hook(
                prep.python, prep.tree, prep.build_system, hook,
                {"wheel_directory": out_dir, "config_settings": self.settings_for(prep.name),
                 "metadata_directory": None}, prep.source, optional=editable)
        if status == "missing":
            raise BuildError("cannot install %s as editable: its build backend `%s` does not "
                             "support editable installs (no `build_editable` hook, PEP 660)"
                             % (what, prep.build_system.backend),
                             hint="install it without -e, or upgrade its build backend "
                                  "(setuptools>=64 supports editable installs)")
        self.builds += 1
        path = os.path.join(out_dir, value) if isinstance(value, str) else ""
        if not isinstance(value, str) or os.path.basename(value) != value \
                or not value.endswith(".whl") or not os.path.isfile(path):
            raise BuildError("the build backend `%s` of %s returned %r from %s, which is not a "
                             "wheel it wrote" % (prep.build_system.backend, what, value, hook))
        try:
            WheelFilename.from_filename(value)
        except (InvalidWheelFilename, InvalidVersion) as e:
            raise BuildError("the build backend `%s` of %s built %s: %s"
                             % (prep.build_system.backend, what, value, e))
        self.reporter.event("build.done", source=what, wheel=value)
        return path

    def _prepare_metadata(self, source: "str", editable: "bool"):
        """METADATA bytes from the ``prepare_metadata_for_build_*`` hook, or
        None when the backend has no such hook."""
        prep = self.prepare(source, editable=editable)
        hook = "prepare_metadata_for_build_editable" if editable else "prepare_metadata_for_build_wheel"
        out = self._work_dir("metadata")
        with span("build.metadata", source=os.path.basename(source)):
            status, value, _ = self._call_hook(prep.python, prep.tree, prep.build_system, hook,
                                               {"metadata_directory": out,
                                                "config_settings": self.settings_for(prep.name)},
                                               source, optional=True)
        if status == "missing":
            return None
        path = os.path.join(out, value, "METADATA") if isinstance(value, str) else ""
        if not isinstance(value, str) or not value.endswith(".dist-info") \
                or os.path.basename(value) != value or not os.path.isfile(path):
            raise BuildError("the build backend `%s` of %s returned %r from %s, which is not a "
                             ".dist-info folder holding METADATA"
                             % (prep.build_system.backend, os.path.basename(source), value, hook))
        with open(path, "rb") as f:
            return f.read()

    def _hook_env(self, python) -> "dict":
        """The backend's environment: ours, minus what would make the build
        see other packages, with the build environment's scripts first on PATH."""
        env = dict(self.env)
        for k in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONEXECUTABLE",
                  "__PYVENV_LAUNCHER__", "CONDA_PREFIX"):
            env.pop(k, None)
        bin_dir = os.path.dirname(python.executable)
        env["PATH"] = bin_dir + (os.pathsep + env["PATH"] if env.get("PATH") else "")
        env["VIRTUAL_ENV"] = python.prefix
        env["PYTHONNOUSERSITE"] = "1"
        return env

    def _runner(self) -> "str":
        path = os.path.join(self._work_dir("runner"), "_puffin_hook_runner.py")
        atomic_write_text(path, _HOOK_RUNNER)
        return path

    def _call_hook(self, python, tree: "str", build_system: "BuildSystem", hook: "str", kwargs: "dict",
                   source: "str", *, optional: "bool" = False):
        """Run one hook in the build environment; return (status, value, output):
        status "ok" or (for ``optional`` hooks) "missing". A failing hook, a
        broken backend or a crash raise BuildError with the output's last lines."""
        import subprocess
        control = self._work_dir("hook")
        backend_path = [os.path.normpath(os.path.join(tree, *p.replace("\\", "/").split("/")))
                        for p in build_system.backend_path]
        request = {"backend": build_system.backend, "backend_path": backend_path,
                   "hook": hook, "kwargs": kwargs}
        atomic_write_text(os.path.join(control, "input.json"), json.dumps(request))
        with span("build.hook", hook=hook, source=os.path.basename(source)):
            proc = run_child([python.executable, self._runner_path(), control], cwd=tree,
                             env=self._hook_env(python), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = proc.stdout.decode("utf-8", "replace")
        try:
            with open(os.path.join(control, "output.json"), encoding="utf-8") as f:
                result = json.load(f)
        except (OSError, ValueError):
            result = {"status": "crashed"}
        status = result.get("status")
        if status == "ok":
            return "ok", result.get("value"), output
        if status == "missing":
            if optional:
                return "missing", None, output
            raise BuildError("the build backend `%s` of %s has no `%s` hook"
                             % (build_system.backend, os.path.basename(source), hook))
        raise _hook_error(status, result.get("detail") or "", output, proc.returncode,
                          build_system, hook, os.path.basename(source))

    def _runner_path(self) -> "str":
        path = self._runner_file
        if path is None or not os.path.isfile(path):
            path = self._runner_file = self._runner()
        return path


def _hook_error(status, detail, output, returncode, build_system, hook, what) -> "BuildError":
    """The error for a hook that did not answer: its name, the backend, and
    the last lines the backend printed (and its traceback)."""
    if status == "backend_unavailable":
        head = "the build backend `%s` of %s cannot be imported" % (build_system.backend, what)
        hint = ("list the package that provides it in [build-system] requires"
                if build_system.backend != _LEGACY_BACKEND else
                "the project has no [build-system] table; setuptools is needed to build it")
    elif status == "backend_invalid":
        head = "the build backend of %s is invalid: %s" % (what, detail.strip())
        hint, detail = None, ""
    elif status == "error":
        head = "failed to build %s: the `%s` hook of the build backend `%s` failed" % (
            what, hook, build_system.backend)
        hint = None
    else:
        head = "failed to build %s: the build backend `%s` exited with status %s in its `%s` hook" % (
            what, build_system.backend, returncode, hook)
        hint = None
    text = output.rstrip("\n")
    if detail:
        text = (text + "\n" if text else "") + detail.rstrip("\n")
    lines = text.split("\n") if text else []
    shown = lines[-_BUILD_OUTPUT_LINES:]
    message = head
    causes = [ln for ln in _build_error_lines(lines) if ln not in shown]
    if causes:   # the cause, printed earlier than the tail shows (a compiler's, a command's)
        message += "\n--- the backend's error lines:\n%s" % "\n".join(causes[-10:])
    if shown:
        message += "\n--- last %s of the backend's output:\n%s" % (
            plural(len(shown), "line"), "\n".join(shown))
    return BuildError(message, hint=hint or _build_hint(lines, what))


#: Lines of a build's output that say what went wrong (outside a Python traceback).
_BUILD_ERROR_LINE = (r"(?i)(\berror\b|command not found|no such file or directory|not found|"
                     r"cannot find|fatal|undefined reference|permission denied)")


def _build_error_lines(lines) -> "list":
    out, seen = [], set()
    in_traceback = False
    for ln in lines:
        if ln.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if in_traceback:
            if ln.startswith((" ", "\t")) or not ln.strip():
                continue
            in_traceback = False   # the exception line ends it; it is in the tail anyway
            continue
        if ln.strip() not in seen and _lazy_re(_BUILD_ERROR_LINE).search(ln):
            seen.add(ln.strip())
            out.append(ln)
    return out


def _build_hint(lines, what: "str"):
    """What to do about the usual causes of a failed build."""
    text = "\n".join(lines)
    m = _lazy_re(r"(?m)\b(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|x86_64-linux-gnu-gcc|cargo|rustc|cmake|"
                 r"make|ninja|pkg-config|gfortran)\b[^\n]*?(command not found|No such file or directory|"
                 r"not found)").search(text)
    if m:
        tool = m.group(1)
        kind = {"cargo": "Rust (rustup.rs)", "rustc": "Rust (rustup.rs)", "cmake": "cmake",
                "make": "make", "ninja": "ninja", "pkg-config": "pkg-config",
                "gfortran": "a Fortran compiler"}.get(tool, "a C/C++ compiler (e.g. apt-get install "
                                                            "build-essential)")
        return ("building %s needs %s, and `%s` is missing; install it, or use a published wheel "
                "(--only-binary :all:)" % (what, kind, tool))
    if _lazy_re(r"Python\.h: No such file").search(text):
        return "building %s needs the Python headers (e.g. apt-get install python3-dev)" % what
    m = _lazy_re(r"No module named '([\w.]+)'").search(text)
    if m:
        return ("the build of %s imports `%s`, which its build environment lacks: it belongs in "
                "[build-system] requires (or build with --no-build-isolation where it is installed)"
                % (what, m.group(1).split(".")[0]))
    return None


def _wheel_metadata_bytes(wheel: "str") -> "bytes":
    """The METADATA of a built wheel (the one ``*.dist-info`` at its top)."""
    try:
        with ZipArchive(wheel) as archive:
            found = [e for e in archive.entries
                     if e.name.count("/") == 1 and e.name.endswith(".dist-info/METADATA")]
            if len(found) != 1:
                raise BuildError("the built wheel %s has %s" % (
                    os.path.basename(wheel), "no .dist-info/METADATA" if not found
                    else "several .dist-info folders"))
            return archive.read(found[0])
    except InstallError as e:
        raise BuildError("the built wheel %s is not a valid zip file: %s" % (os.path.basename(wheel), e))


# =============================================================================
# 12. Install plan and dispatch
# =============================================================================
# Owns: SitePackages (what an environment has), the post-install check,
# InstallPlan (keep / fetch / reinstall / extraneous: it only decides),
# executing a plan (fetch, build and unzip everything first; then each package
# linked in place of the version it replaces; extraneous removals last), and
# BuildDispatch, the concrete BuildContext (every build goes through it). Uses 1-11.

SEED_PACKAGES = ("pip", "setuptools", "wheel")


class SitePackages:
    """The distributions installed in one scheme's site folders, by canonical name."""

    def __init__(self, dists, site_dirs=()):
        self.site_dirs = list(site_dirs)
        self._by_name: "dict" = {}
        for d in dists:
            self._by_name.setdefault(d.name, []).append(d)

    @classmethod
    def from_scheme(cls, scheme: "dict") -> "SitePackages":
        dirs = site_dirs(scheme)
        with span("site_packages.read"):
            return cls(read_installed(dirs), dirs)

    def get(self, name: "str"):
        """The installed distribution named ``name`` (first one found), or None."""
        found = self._by_name.get(canonicalize_name(name))
        return found[0] if found else None

    def get_all(self, name: "str") -> "list":
        return list(self._by_name.get(canonicalize_name(name), ()))

    def __iter__(self):
        for name in sorted(self._by_name):
            yield from self._by_name[name]

    def __len__(self) -> "int":
        return sum(len(v) for v in self._by_name.values())

    def names(self) -> "list":
        return sorted(self._by_name)

    def installed_as(self, name: "str", wanted):
        """The one installed distribution of ``name`` when it is whole and
        ``wanted(dist)`` says it is the right one, else None: the single
        "is it installed right" decision of sync, install and the plan (two
        copies of one project, or a half-installed one, never count)."""
        found = self.get_all(name)
        if len(found) != 1 or not found[0].complete or not wanted(found[0]):
            return None
        return found[0]

    def satisfies(self, requirements, markers: "dict") -> "bool":
        """True when every requirement (RequirementEntry or Requirement) and,
        recursively, every dependency of what satisfies it is installed at an
        acceptable version: then an install has nothing to do."""
        seen = set()
        todo = [(getattr(r, "requirement", r), False) for r in requirements]
        while todo:
            req, _ = todo.pop()
            if getattr(req, "name", None) is None:
                return False  # an unnamed URL: we cannot know without building it
            if req.marker is not None and not req.marker.evaluate(dict(markers, extra="")):
                continue
            dist = self.installed_as(req.name, lambda d: installed_matches(d, req))
            if dist is None:
                return False
            extras = tuple(sorted(canonicalize_name(e) for e in req.extras))
            key = (dist.name, extras)
            if key in seen:
                continue
            seen.add(key)
            try:
                deps = dist.metadata.requires_dist
            except PuffinError:
                return False
            for dep in deps:
                if dep.marker is None or _marker_for_extras(dep.marker, markers, extras):
                    todo.append((dep, True))
        return True

    def check(self, markers: "dict", python_version) -> "list":
        """Problems as uv's ``pip check`` words them: missing dependency, wrong
        version, Requires-Python mismatch. Sorted, one string each."""
        problems = []
        for dist in self:
            try:
                md = dist.metadata
            except PuffinError as e:
                problems.append("The package `%s` has unreadable metadata: %s" % (dist.name, e))
                continue
            if md.requires_python is not None and python_version is not None \
                    and not md.requires_python.contains(python_version, prereleases=True):
                problems.append("The package `%s` requires Python %s, but `%s` is installed"
                                % (dist.name, md.requires_python, python_version))
            for req in md.requires_dist:
                if req.marker is not None and not req.marker.evaluate(dict(markers, extra="")):
                    continue
                dep = self.get(req.name)
                if dep is None:
                    problems.append("The package `%s` requires `%s`, but it's not installed"
                                    % (dist.name, _req_display(req)))
                elif dep.version is not None and not req.specifier.contains(dep.version, prereleases=True):
                    problems.append("The package `%s` requires `%s`, but `%s` is installed"
                                    % (dist.name, _req_display(req), dep.version))
        return problems


def _req_display(req) -> "str":
    """A requirement without its marker: ``name[extras]specifier``."""
    extras = "[%s]" % ",".join(sorted(req.extras)) if req.extras else ""
    return "%s%s%s" % (req.name, extras, req.specifier)


def _marker_for_extras(marker, markers: "dict", extras) -> "bool":
    if not extras:
        return marker.evaluate(dict(markers, extra=""))
    return any(marker.evaluate(dict(markers, extra=e)) for e in extras)


def site_dirs(scheme: "dict") -> "list":
    """purelib then platlib (once when they are the same folder)."""
    out = []
    for key in ("purelib", "platlib"):
        p = scheme.get(key)
        if p and os.path.abspath(p) not in out:
            out.append(os.path.abspath(p))
    return out


def installed_matches(dist, req) -> "bool":
    """Is the installed ``dist`` what ``req`` asks for? A registry requirement
    wants a version its specifier accepts, from a registry; a URL requirement
    wants an install from that very URL (PEP 610 ``direct_url.json``)."""
    if req.url:
        direct = dist.direct_url
        if is_git_url(req.url):   # only a pinned commit is known without fetching
            gu = GitUrl.parse(req.url)
            return bool(direct) and direct.kind == "vcs" and gu.is_commit \
                and direct.commit_id == gu.rev.lower() and _same_git_source(direct, gu)
        return bool(direct) and _same_url(direct.url, req.url)
    if installed_from_url(dist):
        return False  # a registry requirement asks for something else
    if dist.version is None:
        return False
    return req.specifier.contains(dist.version, prereleases=True)


def installed_from_url(dist) -> "bool":
    """Was ``dist`` installed from a URL or path (PEP 610) rather than an index?"""
    direct = dist.direct_url
    return bool(direct and direct.url)


def _same_git_source(direct, gu) -> "bool":
    """Is the installed ``direct`` (a DirectUrl) from the repository and
    subdirectory the GitUrl ``gu`` names?"""
    return GitUrl(direct.url).key() == gu.key() and direct.subdirectory == gu.subdirectory


def _same_url(a: "str", b: "str") -> "bool":
    def norm(u):
        u = u.split("#", 1)[0].rstrip("/")
        return u[len("git+"):] if u.startswith("git+") else u
    return norm(a) == norm(b)


class PlanItem(Value):
    """One package the plan will install: what (``pin``, a ResolvedPackage),
    the installed distributions it replaces (a list), the unzipped wheel when
    the cache already has it (else it is fetched), the user's hashes, and
    whether the user asked for it (REQUESTED)."""

    __slots__ = ("pin", "replaces", "cached", "hashes", "requested")

    def __init__(self, pin, replaces=(), cached=None, hashes=None, requested=False):
        self.pin = pin
        self.replaces = list(replaces)
        self.cached = cached
        self.hashes = hashes or {}
        self.requested = requested


class InstallPlan:
    """What to do to an environment, decided and not yet done.

    ``keep``: installed distributions already right; ``install``: PlanItems
    (``cached`` ones are linked from the cache, the others fetched first);
    ``reinstall``: installed distributions to remove because a different one
    replaces them; ``extraneous``: installed distributions not wanted (pip-sync
    only). Like puffin's ``plan.rs``, it partitions; ``execute_plan`` acts.
    """

    def __init__(self, keep, install, reinstall, extraneous):
        self.keep = keep
        self.install = install
        self.reinstall = reinstall
        self.extraneous = extraneous

    @property
    def empty(self) -> "bool":
        return not (self.install or self.reinstall or self.extraneous)

    @classmethod
    def build(cls, pins, site: "SitePackages", *, database=None, reinstall=False,
              reinstall_packages=(), requested=(), hashes=None, sync=False,
              keep_seed=(), fetching=()) -> "InstallPlan":
        """Partition ``pins`` (ResolvedPackages) against ``site``.

        ``requested``: names the user asked for; ``hashes``: {name: {alg: set}}
        from ``--hash``; ``sync``: anything installed and not pinned is
        extraneous, except names in ``keep_seed``; ``database``: asks the cache
        (never the network) whether a wheel is unzipped already, except for
        the names in ``fetching``, whose fetch this run already started."""
        reinstall_names = {canonicalize_name(n) for n in reinstall_packages}
        hashes = hashes or {}
        keep, install, replace = [], [], []
        wanted = set()
        for pin in pins:
            wanted.add(pin.name)
            current = site.get_all(pin.name)
            ok = site.installed_as(pin.name, lambda d: _pin_matches(d, pin))
            if ok is not None and not reinstall and pin.name not in reinstall_names:
                keep.append(ok)
                continue
            replace.extend(current)
            cached = None
            if database is not None and pin.dist.is_wheel and pin.name not in fetching:
                cached = database.cached_wheel(pin.dist, hashes.get(pin.name) or None)
            install.append(PlanItem(pin, current, cached, hashes.get(pin.name), pin.name in requested))
        extraneous = []
        if sync:
            seeds = {canonicalize_name(n) for n in keep_seed}
            extraneous = [d for d in site if d.name not in wanted and d.name not in seeds]
        return cls(keep, install, replace, extraneous)


def _pin_matches(dist, pin) -> "bool":
    """An installed distribution that is exactly the pinned one."""
    d = pin.dist
    if d.kind == "registry":
        return not installed_from_url(dist) and dist.version == pin.version
    direct = dist.direct_url
    if d.kind == "git" and not d.editable:
        return bool(direct) and direct.kind == "vcs" and direct.commit_id == d.commit \
            and _same_git_source(direct, GitUrl.parse(d.url))
    url = d.url or (path_to_file_url(d.path) if d.path else "")
    if not direct or not _same_url(direct.url, url):
        return False
    return pin.version is None or dist.version == pin.version


def direct_url_for(dist, archive_sha256=None):
    """The PEP 610 ``DirectUrl`` an install of ``dist`` writes (None for
    registry dists); an archive's hash is the sha256 of the file installed."""
    if dist.kind == "registry":
        return None
    return pep610_direct_url(dist, {"sha256": archive_sha256} if archive_sha256 else {}, dist.commit)


def pep610_direct_url(dist, hashes: "dict", commit_id=None) -> "DirectUrl":
    """The one place a dist becomes a PEP 610 ``DirectUrl``, for
    direct_url.json and for the report's download_info: ``dir_info`` for a
    folder, ``vcs_info`` for git (the revision asked for, the commit), else
    ``archive_info`` with ``hashes``; the URL without its fragment and without
    credentials PEP 610 does not allow (as pip writes it)."""
    if dist.kind == "git":
        gu = GitUrl.parse(dist.url)
        if commit_id is None and gu.is_commit:
            commit_id = gu.rev.lower()
        return DirectUrl(pep610_url(gu.repo), "vcs", vcs="git", commit_id=commit_id,
                         requested_revision=gu.rev, subdirectory=dist.subdirectory)
    if dist.kind == "registry" and dist.file is not None:
        url = dist.file.url
    elif dist.url and "://" in dist.url:
        url = dist.url
    else:
        url = path_to_file_url(os.path.abspath(dist.path))
    if dist.kind == "directory":
        return DirectUrl(pep610_url(url), "dir", editable=dist.editable, subdirectory=dist.subdirectory)
    return DirectUrl(pep610_url(url), "archive", hashes=hashes, subdirectory=dist.subdirectory)


# user:password parts PEP 610 lets a URL keep: "git" (ssh URLs) and
# environment-variable references like ${USER}:${TOKEN}.
_PEP610_SAFE_USERINFO = r"^(?:git|\$\{[A-Za-z0-9_-]+\}(?::\$\{[A-Za-z0-9_-]+\})?)$"


def pep610_url(url: "str") -> "str":
    """``url`` without its fragment and without credentials, except those PEP 610
    allows (``git@``, ``${VAR}``), as pip writes download_info: a report is
    shared and stored, a token in it would leak."""
    url = url.split("#", 1)[0]
    if "@" not in url:
        return url
    from urllib.parse import urlsplit
    userinfo = urlsplit(url).netloc.rpartition("@")[0]
    if _lazy_re(_PEP610_SAFE_USERINFO).match(userinfo):
        return url
    return strip_credentials(url)


# pip's _SUPPORTED_HASHES: the algorithms a Link keeps.
_REPORT_HASHES = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")


def _report_hashes(hashes: "dict") -> "dict":
    """The one hash pip puts in archive_info.hashes: sha256 when the index gives
    it (PyPI gives only that), else the first supported one listed. (pip takes
    the first listed; sha256 first is what PEP 610 readers compare.)"""
    hashes = {k.lower(): v for k, v in (hashes or {}).items() if k.lower() in _REPORT_HASHES and v}
    if "sha256" in hashes:
        return {"sha256": hashes["sha256"]}
    for alg, value in hashes.items():
        return {alg: value}
    return {}


def download_info(dist, sha256=None, commit_id=None) -> "dict":
    """PEP 610 ``direct_url`` data of what installs ``dist``, as in pip's report:
    for a registry dist the file's URL and its index hash; for a URL or a
    path the archive (with its sha256: from the URL's fragment, ``sha256``
    when the caller knows it, or read from a local file, as pip computes it);
    ``dir_info`` for a folder; ``vcs_info`` for git. The legacy
    ``archive_info.hash`` is added next to ``hashes``, as pip does."""
    hashes = {}
    if dist.kind not in ("git", "directory"):
        if dist.kind == "registry" and dist.file is not None:
            hashes = _report_hashes(dist.file.hashes)
        elif dist.url and "://" in dist.url:
            hashes = _report_hashes(_split_fragment_hashes(dist.url)[1])
        if not hashes and sha256:
            hashes = {"sha256": sha256}
        if not hashes:
            url = dist.url or ""
            local = dist.path if dist.kind == "path" else (
                file_url_to_path(url.split("#", 1)[0]) if url.startswith("file:") else None)
            if local and os.path.isfile(local):
                hashes = {"sha256": hash_file(local)["sha256"]}
    return pep610_direct_url(dist, hashes, commit_id or dist.commit).to_dict()


class InstallOutcome(Value):
    """What executing a plan did: names+versions installed, removed, and
    reinstalled, and the seconds spent preparing (fetch+unzip) and linking."""

    __slots__ = ("installed", "removed", "prepared", "prepare_seconds", "install_seconds",
                 "uninstall_seconds")

    def __init__(self):
        self.installed = []
        self.removed = []
        self.prepared = 0
        self.prepare_seconds = 0.0
        self.install_seconds = 0.0
        self.uninstall_seconds = 0.0


def dist_scheme(scheme: "dict", name: "str") -> "dict":
    """The scheme for one distribution: pip puts a project's C headers in a
    folder of its own, ``<include>/<name>``."""
    out = dict(scheme)
    out["headers"] = os.path.join(scheme["include"], name)
    return out


class Prepared(Value):
    """A distribution ready to link: ``folder`` (an unzipped wheel in the cache)
    or ``wheel`` (a wheel file, for editables, which are never cached), and
    the sha256 of the archive the user named, for direct_url.json."""

    __slots__ = ("folder", "wheel", "archive_sha256", "filename", "direct_url")

    def __init__(self, folder=None, wheel=None, archive_sha256=None, filename=None, direct_url=None):
        self.folder = folder
        self.wheel = wheel
        self.archive_sha256 = archive_sha256
        self.filename = filename   # the wheel's name when it was built from source
        self.direct_url = direct_url   # when it is not the dist's own (an editable git checkout)


def prepare_dist(dist, database, builder=None, hashes=None, tags=None, src_dir=None) -> "Prepared":
    """Fetch (and build, for sources, through ``builder``, a BuildContext) one
    distribution into the cache; a wheel built here must fit ``tags`` (the
    target's TagPriority), if given. An editable git source is checked out
    into ``src_dir``/NAME, as pip does."""
    if dist.is_wheel:
        folder = database.fetch_wheel(dist, hashes or None)
        sha = None
        if dist.kind != "registry":
            sha = (dist.file.hashes.get("sha256") if dist.file else None) or _folder_sha256(folder)
        return Prepared(folder, None, sha)
    if builder is None:
        raise source_build_error("`%s`" % dist)
    if dist.kind == "git" and dist.editable:
        dest = os.path.join(src_dir or os.path.join(os.getcwd(), "src"), dist.name)
        checkout = database.git.working_copy(GitUrl.parse(dist.url), dest)
        wheel = builder.build_wheel(checkout.path, None, editable=True)
        _check_built_tags(dist, wheel, tags)
        # as pip writes it: the project's folder in the checkout, no vcs_info
        return Prepared(None, wheel, direct_url=DirectUrl(path_to_file_url(checkout.path), "dir",
                                                          editable=True))
    if dist.kind == "directory" or (dist.path and os.path.isdir(dist.path)):
        if dist.editable:
            wheel = builder.build_wheel(dist.path, None, editable=True)
            _check_built_tags(dist, wheel, tags)
            return Prepared(None, wheel)
        wheel, sha = builder.build_wheel(dist.path), None
    else:
        known = dist.file.hashes.get("sha256") if dist.file else None
        pinned = _normalize_hashes(hashes) if hashes else {}
        wheel = None
        if known and (not pinned or known.lower() in pinned.get("sha256", ())):
            wheel = builder.built_wheel_for(dist.file.filename, known)
        if wheel is None:
            archive = database.fetch_file(dist, hashes or None)
            wheel = builder.build_wheel(archive)
        sha = known or hash_file(archive)["sha256"]
    _check_built_wheel(dist, wheel)
    _check_built_tags(dist, wheel, tags)
    folder = database.fetch_wheel(Dist(dist.name, dist.version, "path", path=wheel))
    return Prepared(folder, None, sha if dist.kind != "registry" else None, os.path.basename(wheel))


def _check_built_wheel(dist, wheel: "str") -> "None":
    """A build must make the project and version that were resolved (a static
    PKG-INFO can say one thing and the backend build another), as pip and uv
    refuse "inconsistent" builds."""
    try:
        built = WheelFilename.from_filename(os.path.basename(wheel))
    except (InvalidWheelFilename, InvalidVersion):
        raise BuildError("the build of `%s` made a wheel with an invalid name: %s"
                         % (dist.name, os.path.basename(wheel)))
    if built.name != canonicalize_name(dist.name):
        raise BuildError("the build of `%s` made a distribution named `%s`" % (dist.name, built.name))
    if dist.version is not None and built.version != dist.version:
        raise BuildError("the build of `%s` %s made version %s" % (dist.name, dist.version, built.version))


def _check_built_tags(dist, wheel: "str", tags) -> "None":
    """A wheel built on this machine fits this machine's Python; installing
    for another one (``--python-platform``, ``--python-version``, a --python
    of another architecture) it may not: refused, never installed broken."""
    if tags is None:
        return
    try:
        built = WheelFilename.from_filename(os.path.basename(wheel))
    except (InvalidWheelFilename, InvalidVersion):
        return  # _check_built_wheel says what is wrong with the name
    if tags.best(built.tags) is None:
        raise BuildError("the wheel built from `%s` does not fit the target environment: it is "
                         "%s, built for this machine's Python" % (dist.name, os.path.basename(wheel)),
                         hint="pass --no-build (or --only-binary :all:) to use only published "
                              "wheels, or install from a wheelhouse made for the target")


def execute_plan(plan: "InstallPlan", database, make_destination, scheme: "dict", *,
                 builder=None, reporter=None, tags=None, src_dir=None) -> "InstallOutcome":
    """Carry out ``plan``: decide, prepare, then act, as uv does. Every fetch
    and build runs on the pool first; only when all of them worked does
    anything in the environment change, so a failed build, a bad hash, a
    full disk in the cache or a signal before that point leaves it exactly
    as it was. Then, inside ``acting()``: each package is linked (its old
    version moved aside just before, and put back if the new one fails), on
    one thread per core, and what nothing replaces (extraneous) goes last.
    ``make_destination(scheme)`` gives the Destination for one distribution's
    scheme. A failure while linking leaves each package either fully
    installed or untouched, and is raised once the rest has finished.
    ``tags`` (the target's TagPriority): a wheel built here must fit them;
    ``src_dir``: where editable git sources are checked out."""
    reporter = reporter or Reporter()
    out = InstallOutcome()
    t0 = time.perf_counter()
    ready = _prepare_all(plan, database, builder, reporter, out, tags, src_dir)
    out.prepare_seconds = time.perf_counter() - t0
    def refetch(item, damaged):
        """A cache entry found damaged while linking: fetched and unzipped again."""
        warn_user("%s: fetching it again" % damaged)
        remove_tree(damaged.folder)
        return prepare_dist(item.pin.dist, database, builder, item.hashes, tags, src_dir)

    with acting():
        _link_all(ready, make_destination, scheme, reporter, out, refetch)
        _remove_extraneous(plan.extraneous, scheme, reporter, out)
    return out


def _remove_extraneous(dists, scheme: "dict", reporter, out: "InstallOutcome") -> "None":
    """Uninstall what nothing replaces (pip-sync's extraneous), last: a file
    another installed distribution owns stays."""
    t1 = time.perf_counter()
    owned = OwnedPaths.read(site_paths=site_dirs(scheme)) if dists else None
    for dist in dists:
        uninstall(dist, dist_scheme(scheme, dist.name), others=owned, replacing=True)
        owned.gone.add(dist.name)
        out.removed.append(dist)
        reporter.event("uninstall.done", name=dist.name, version=str(dist.version))
    out.uninstall_seconds = time.perf_counter() - t1


def _prepare_all(plan: "InstallPlan", database, builder, reporter, out, tags=None, src_dir=None) -> "list":
    """Fetch, build and unzip every package of the plan that the cache does
    not hold, on the pool; [(PlanItem, Prepared)] once all are ready, or the
    first error once every job has ended (nothing half-fetched is left)."""
    pool = thread_pool()
    futures = {}
    for item in plan.install:
        if item.cached is None:
            futures[pool.submit(prepare_dist, item.pin.dist, database, builder, item.hashes, tags,
                                src_dir)] = item
    out.prepared = len(futures)
    ready, errors = [], []
    for item in plan.install:
        if item.cached is not None:
            sha = _folder_sha256(item.cached) if item.pin.dist.kind != "registry" else None
            ready.append((item, Prepared(item.cached, None, sha)))
    for fut in as_completed(futures):
        item = futures[fut]
        if fut.cancelled():
            continue
        try:
            ready.append((item, fut.result()))
        except BaseException as e:
            if not errors:  # nothing will be linked: jobs not yet started need not run
                for other in futures:
                    other.cancel()
            errors.append(e)
            continue
        reporter.event("prepare.done", name=item.pin.name, version=str(item.pin.version))
    if errors:
        raise errors[0]
    return ready


def _link_all(ready, make_destination, scheme, reporter, out, refetch) -> "None":
    """Link every prepared package. Linking runs on as many threads as there
    are cores: it is a stream of mkdir/link calls whose kernel time then
    spreads over the cores, while more threads only fight over the GIL
    (measured: ~370k futex calls for 110 packages on 16 threads, slower than one)."""
    if not ready:
        out.install_seconds = 0.0
        return
    errors, spans = [], []
    with WorkerPool(max(1, min(4, os.cpu_count() or 1)), "puffin-link") as linker:
        def link(item, prepared):
            try:
                return _replace_one(item, prepared, make_destination, scheme, reporter, out.removed)
            except DamagedCacheEntry as e:
                return _replace_one(item, refetch(item, e), make_destination, scheme, reporter,
                                    out.removed)

        linking = [linker.submit(link, item, prepared) for item, prepared in ready]
        for fut in linking:
            try:
                pin, started, ended = fut.result()
                out.installed.append(pin)
                spans.append((started, ended))
            except BaseException as e:  # keep going: other packages still finish whole
                errors.append(e)
    out.install_seconds = (max(e for _s, e in spans) - min(s for s, _e in spans)) if spans else 0.0
    if errors:
        raise errors[0]


def _replace_one(item: "PlanItem", prepared: "Prepared", make_destination, scheme, reporter,
                 removed: "list"):
    """Move aside the installed versions ``item`` replaces, install it, then
    delete them; if the install fails they come back, so an upgrade that
    fails (a full disk, Ctrl-C) leaves the old version whole, as pip does."""
    stash = Stash()
    try:
        for dist in item.replaces:
            uninstall(dist, dist_scheme(scheme, dist.name), stash=stash, replacing=True)
        result = _install_one(item, prepared, make_destination, scheme, reporter)
    except BaseException:
        stash.restore()
        raise
    stash.commit()
    for dist in item.replaces:
        removed.append(dist)  # list.append is atomic: the linking threads share it
        reporter.event("uninstall.done", name=dist.name, version=str(dist.version))
    return result


def _install_one(item: "PlanItem", prepared: "Prepared", make_destination, scheme, reporter):
    started = time.perf_counter()
    dist = item.pin.dist
    destination = make_destination(dist_scheme(scheme, item.pin.name))
    if prepared.wheel is not None:
        source = ZipWheelSource(prepared.wheel)
    else:
        source = DirWheelSource(prepared.folder, prepared.filename or dist.filename)
    try:
        install_wheel(source, destination, installer="puffin", requested=item.requested,
                      direct_url=prepared.direct_url or direct_url_for(dist, prepared.archive_sha256))
    finally:
        if prepared.wheel is not None:
            source.close()
    reporter.event("install.done", name=item.pin.name, version=str(item.pin.version))
    return item.pin, started, time.perf_counter()


def _folder_sha256(folder: "str"):
    """The archive sha256 of an unzipped wheel: archive-v0 folders are named by it."""
    name = os.path.basename(os.path.normpath(folder))
    return name if len(name) == 64 and all(c in "0123456789abcdef" for c in name) else None


class BuildDispatch(BuildContext):
    """The concrete BuildContext: a SourceBuilder (section 11) whose build
    requirements are resolved and installed with the normal machinery (the
    callback the command gives it). None as builder means --no-build."""

    def __init__(self, builder=None):
        self.builder = builder

    def build_wheel(self, source_path: "str", output_dir: "str | None" = None, *,
                    editable: "bool" = False) -> "str":
        if self.builder is None:
            raise source_build_error("`%s`" % os.path.basename(source_path))
        return self.builder.build_wheel(source_path, output_dir, editable=editable)

    def source_metadata(self, source_path: "str", editable: "bool" = False):
        if self.builder is None:
            raise source_build_error("`%s`" % os.path.basename(source_path))
        return self.builder.metadata(source_path, editable=editable)

    def built_wheel_for(self, filename: "str", sha256: "str"):
        return None if self.builder is None else self.builder.built_wheel_for(filename, sha256)


class RegistryView:
    """What the resolver's RegistryProvider asks of the index (files of a
    package) and of the distribution database (metadata), in one object;
    metadata that needs a build goes through the BuildContext."""

    def __init__(self, client, database, build_context=None):
        self.client = client
        self.database = database
        self.build_context = build_context or BuildDispatch()

    def files(self, name: "str") -> "list":
        return self.client.files(name)

    def git_checkout(self, url: "str") -> "GitCheckout":
        return self.database.git.checkout(GitUrl.parse(url))

    def metadata(self, dist_or_file):
        try:
            return self.database.metadata(dist_or_file)
        except NeedsBuildError as e:
            dist = dist_or_file if isinstance(dist_or_file, Dist) else None
            if e.path:
                md = self.build_context.source_metadata(e.path)
            elif dist is not None and dist.path and os.path.isdir(dist.path):
                md = self.build_context.source_metadata(dist.path, editable=dist.editable)
            else:
                raise
        expected = dist_or_file.name if not isinstance(dist_or_file, Dist) else dist_or_file.name
        if expected and canonicalize_name(md.name) != canonicalize_name(expected):
            raise BuildError("the build of `%s` made a distribution named `%s`" % (expected, md.name))
        return md

    def known_names(self):
        """Project names the sources list, for "did you mean" hints: the
        find-links locations and the root pages of indexes other than the
        default one (PyPI's lists every project it has: far too big to ask
        for a hint). Network trouble only means fewer names."""
        names = set()
        for location in self.client.locations.find_links:
            try:
                names.update(self.client.flat_files(location))
            except PuffinError:
                pass
        for index in self.client.indexes:
            if index.rstrip("/") == DEFAULT_INDEX_URL:
                continue
            try:
                names.update(_index_project_names(self.client.http, index))
            except (PuffinError, OSError, ValueError):
                pass
        return names


def _index_project_names(http, index: "str") -> "set":
    """Canonical names on an index's root page (PEP 691 JSON or PEP 503 HTML),
    or in a ``file://`` index's folder."""
    if index.startswith("file:"):
        return {canonicalize_name(n) for n in os.listdir(file_url_to_path(index))}
    resp = http.get(index.rstrip("/") + "/", headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.2"})
    body = resp.body.decode("utf-8", "replace")
    if body.lstrip().startswith("{"):
        return {canonicalize_name(p["name"]) for p in json.loads(body).get("projects", ())}
    return {canonicalize_name(m) for m in _lazy_re(r"<a[^>]*>([^<]+)</a>", re.I).findall(body)}


# =============================================================================
# 13. Commands
# =============================================================================
# Owns: each command as a short story of numbered steps returning an exit code
# (pip-compile, pip-sync, pip-install, pip-uninstall, pip-freeze, pip-list,
# pip-show, pip-check, venv, cache), and the wording of their summaries.
# Uses 1-12. Takes the parsed arguments as a plain namespace.

def _opt(args, name, default=None):
    v = getattr(args, name, None)
    return default if v is None else v


def _env(args):
    return getattr(args, "env", None) or os.environ


def existing_cache(args):
    """The cache for a command that only reads an environment: None when the
    cache folder does not exist yet (such a command does not create it)."""
    cache = open_cache(args)
    return cache if cache.temporary or os.path.isdir(cache.root) else None


def open_cache(args) -> "Cache":
    return Cache.from_settings(cache_dir=_opt(args, "cache_dir"), no_cache=bool(_opt(args, "no_cache")),
                               env=_env(args))


def is_offline(args) -> "bool":
    return bool(_opt(args, "offline"))


def index_locations(args, sources=None) -> "IndexLocations":
    """Options (the command line, then the environment and configuration
    files: see apply_settings) win over requirements-file options; extra
    indexes and find-links add up from both."""
    s = sources
    index_url = (_opt(args, "index_url") or (s.index_url if s is not None else None) or DEFAULT_INDEX_URL)
    extras, links = [], []
    for group in ((_opt(args, "extra_index_url") or []), (s.extra_index_urls if s is not None else [])):
        extras += [u for u in group if u not in extras]
    for group in ((_opt(args, "find_links") or []), (s.find_links if s is not None else [])):
        links += [u for u in group if u not in links]
    no_index = bool(_opt(args, "no_index")) or bool(s and s.no_index)
    return IndexLocations(index_url, extras, links, no_index)


def open_registry(args, cache: "Cache", sources=None, reporter=None, *, warm: "bool" = True):
    """(RegistryClient, DistributionDatabase) configured from flags, env and files.
    ``warm``: start connecting to the indexes now (see ``warm_indexes``)."""
    trusted = list(_opt(args, "trusted_host") or []) + list(sources.trusted_hosts if sources else [])
    http = HttpClient(timeout=_opt(args, "timeout"), cert=_opt(args, "cert"), trusted_hosts=trusted,
                      offline=is_offline(args), env=_env(args), keyring=_opt(args, "keyring_provider"))
    strategy = _opt(args, "index_strategy") or "first-index"
    if strategy == "unsafe-first-match":
        strategy = "first-index"
    client = RegistryClient(index_locations(args, sources), cache, http, offline=is_offline(args),
                            index_strategy=strategy, refresh=bool(_opt(args, "refresh", False)),
                            refresh_packages=_opt(args, "refresh_package", ()))
    if warm:
        warm_indexes(client)
    return client, DistributionDatabase(client, cache, reporter=reporter)


def warm_indexes(client: "RegistryClient") -> "None":
    """DNS, TLS and a connection to each index while the rest is set up."""
    for index in client.indexes:
        client.http.warm(index)


def report_target(interp: "Interpreter", printer=None) -> "None":
    """uv's line naming the environment a command works on (dimmed, on
    stderr): ``Using Python 3.12.1 environment at: .venv`` (relative to the
    working folder when inside it), left out for ``./.venv`` itself, as uv does."""
    printer = printer or _PRINTER
    root = os.path.abspath(interp.prefix)
    cwd = os.getcwd()
    if root == os.path.join(cwd, ".venv"):
        return
    shown = root
    if root == cwd:
        shown = "."
    elif root.startswith(cwd.rstrip(os.sep) + os.sep):
        shown = os.path.relpath(root, cwd)
    printer.done("Using Python %s environment at: %s" % (interp.python_full_version, shown))


def target_interpreter(args, cache: "Cache", *, for_install: "bool") -> "Interpreter":
    """The environment a command works on (see find_target), refusing to
    change an externally managed Python (PEP 668), however it was named
    (``--system``, ``--python /usr/bin/python3``), unless the user insists."""
    if (_opt(args, "target") or _opt(args, "prefix")) and not _opt(args, "python") \
            and not _opt(args, "system"):
        # a folder to fill, not an environment to find: for the Python that runs
        # puffin.py, as pip's --target and --prefix are for the Python running pip
        interp = Interpreter.query(sys.executable, cache)
    else:
        interp = find_target(python=_opt(args, "python"), system=bool(_opt(args, "system")),
                             env=_env(args), running_as_script=bool(getattr(args, "as_script", False)),
                             cache=cache)
        report_target(interp)
    if for_install and interp.externally_managed \
            and not _opt(args, "break_system_packages") and not _opt(args, "target") \
            and not _opt(args, "prefix"):
        says = "\n".join("  " + line if line else "" for line in
                         str(interp.externally_managed).strip().splitlines())
        raise PuffinError("the Python at %s is externally managed, and says:\n\n%s"
                          % (interp.executable, says),
                          hint="use a virtual environment (`puffin.py venv`), or pass "
                               "--break-system-packages to change it anyway")
    return interp


def install_scheme(args, interp: "Interpreter") -> "dict":
    chosen = [o for o in ("target", "prefix", "user") if _opt(args, o)]
    if len(chosen) > 1:
        raise UsageError("--%s and --%s cannot be used together" % tuple(chosen[:2]))
    if _opt(args, "target"):
        if os.path.exists(_opt(args, "target")) and not os.path.isdir(_opt(args, "target")):
            raise UsageError("--target %s is a file, not a folder" % _opt(args, "target"),
                             hint="name a folder to install into (it is created if missing)")
        return interp.scheme("target", _opt(args, "target"))
    if _opt(args, "prefix"):
        return interp.scheme("prefix", _opt(args, "prefix"))
    if _opt(args, "user"):
        return interp.scheme("user")
    return interp.scheme("default")


def resolver_environment(args, interp: "Interpreter"):
    """(markers, TagPriority, python Version) to resolve for: the target, or
    what --python-version / --python-platform ask for instead."""
    markers = dict(interp.markers)
    python_version = interp.python_version
    info = dict(interp.tag_inputs)
    requested = _opt(args, "python_version")
    if requested:
        try:
            v = Version(requested)
        except InvalidVersion:
            raise UsageError("invalid --python-version %r: expected X.Y or X.Y.Z" % requested)
        if len(v.release) > 3 or v.dev is not None or v.local or v.epoch \
                or v.release[0] < 3 or (len(v.release) > 1 and v.release < (3, 6)):
            raise UsageError("invalid --python-version %r: expected X.Y or X.Y.Z, 3.6 or newer, "
                             "not a development or local version" % requested)
        # as uv: "3" is 3.0, a pre-release stays one (3.13b1 is 3.13.0b1)
        release = (tuple(v.release) + (0, 0))[:3]
        full = Version(".".join(map(str, release)) + str(v)[len(".".join(map(str, v.release))):])
        v = full
        python_version = full
        markers["python_version"] = "%d.%d" % v.release[:2]
        markers["python_full_version"] = str(full)
        if markers.get("implementation_name") == "cpython":
            markers["implementation_version"] = str(full)
        info["python_version"] = list(v.release[:2])
        info["py_version_nodot"] = "%d%d" % v.release[:2]
    platform = _opt(args, "python_platform")
    pip_style = [_opt(args, "platform"), _opt(args, "implementation"), _opt(args, "abi")]
    if platform and any(pip_style):
        raise UsageError("--python-platform and pip's --platform/--implementation/--abi "
                         "cannot be combined: use one or the other")
    if platform:
        markers = platform_markers(platform, markers, _env(args))
        tags = tags_for_platform("%d.%d" % python_version.release[:2], platform, _env(args))
    elif any(pip_style):
        info, markers = pip_target(info, markers, *pip_style)
        tags = compatible_tags(info)
    elif requested:
        tags = compatible_tags(info)
    else:
        return markers, interp.tag_priority(), python_version
    return markers, TagPriority(tags), python_version


def resolve_entries(provider, roots, entries, sources, markers, *, reporter=None, preferences=None):
    """The one resolution set-up of the commands: ``roots`` (from ``entries``)
    with the editables among them marked, the constraints and overrides of
    ``sources`` that apply to ``markers``, and ``preferences`` (see
    resolution_preferences)."""
    provider.editable_urls = editable_urls(roots, entries)
    return resolve(roots, provider, reporter=reporter,
                   constraints=_requirements_of(sources.constraints, markers) if sources is not None else (),
                   overrides=_requirements_of(sources.overrides, markers) if sources is not None else (),
                   preferences=preferences)


def report_resolved(printer: "Printer", resolution, start: "float", db=None) -> "None":
    """``Resolved N packages in T``; with -v, how the metadata was had."""
    printer.done("Resolved %s in %s" % (plural(len(resolution), "package"),
                                        format_duration(time.perf_counter() - start)))
    if db is not None and printer.verbose:
        st = db.stats
        printer.debug("metadata: %d from PEP 658 files, %d by range requests, %d from whole files, "
                      "%d from the cache, %d from local files" % (st["pep658"], st["range"], st["full"],
                                                                   st["cached"], st["local"]))


def resolution_preferences(args, pins: "dict") -> "dict":
    """The versions to keep when they still fit ({name: Version}: a lock's
    pins, what is installed): none with ``-U``, all but ``-P`` names else."""
    fresh = upgrade_package_names(_opt(args, "upgrade_package"))   # checked also with -U
    if _opt(args, "upgrade"):
        return {}
    return {name: v for name, v in pins.items() if name not in fresh}


def upgrade_package_names(values) -> "set":
    """The canonical names of ``-P``/``--upgrade-package`` values (a name, or a
    requirement such as ``NAME==1.0``); a usage error for anything else."""
    out = set()
    for spec in values or ():
        try:
            out.add(canonicalize_name(Requirement(spec).name))
        except (InvalidRequirement, ValueError):
            raise UsageError("invalid --upgrade-package %r: expected a package name, like NAME "
                             "or NAME==VERSION" % spec) from None
    return out


def prerelease_mode(args, sources=None) -> "str":
    if _opt(args, "pre") or (sources is not None and sources.pre):
        return "allow"
    return _opt(args, "prerelease") or "if-necessary-or-explicit"


def _names_option(values) -> "set":
    out = set()
    for v in values or ():
        for n in v.split(","):
            n = n.strip()
            if n:
                out.add(n if n in (":all:", ":none:") else canonicalize_name(n))
    if ":none:" in out:
        out = set()
    return out


def binary_options(args, sources=None):
    only = _names_option(_opt(args, "only_binary")) | (sources.only_binary if sources else set())
    no = _names_option(_opt(args, "no_binary")) | (sources.no_binary if sources else set())
    return only, no


def make_provider(args, registry, markers, tags, python_version, sources=None, no_deps=False,
                  installing=False):
    only, no = binary_options(args, sources)
    provider = RegistryProvider(
        registry, tags=tags, python_version=python_version, markers=markers,
        resolution=_opt(args, "resolution", "highest"), prerelease=prerelease_mode(args, sources),
        no_binary=no, only_binary=only, no_build=bool(_opt(args, "no_build")),
        exclude_newer=_opt(args, "exclude_newer"), no_deps=no_deps)
    provider.installing = installing
    provider.prefer_binary = bool(_opt(args, "prefer_binary")) or bool(sources is not None and sources.prefer_binary)
    return provider


def open_builds(args, cache: "Cache", interp: "Interpreter", client, db, reporter=None,
                sources=None) -> "BuildDispatch":
    """The BuildContext of a command: a SourceBuilder whose build requirements
    are resolved (highest versions, wheels or builds) and installed into its
    isolated environments by the same machinery; --no-build gives none."""
    if _opt(args, "no_build"):
        return BuildDispatch(None)
    dispatch = BuildDispatch(None)
    pins = build_constraints(args, interp.markers)

    def install_build_requirements(requirements, target):
        view = RegistryView(client, db, dispatch)
        provider = RegistryProvider(view, tags=target.tag_priority(), python_version=target.python_version,
                                    markers=target.markers)
        resolution = resolve(list(requirements), provider, constraints=pins)
        scheme = target.scheme("default")
        plan = InstallPlan.build(resolution, SitePackages.from_scheme(scheme), database=db)
        execute_plan(plan, db, lambda sch: SchemeDestination(sch, target.sys_executable), scheme,
                     builder=dispatch)

    isolation = True
    if _opt(args, "no_build_isolation"):
        isolation = False
    elif _opt(args, "no_build_isolation_package"):
        isolation = _names_option(_opt(args, "no_build_isolation_package"))
    dispatch.builder = SourceBuilder(cache, interp, install_build_requirements, env=_env(args),
                                     config_settings=config_settings(args), isolation=isolation,
                                     reporter=reporter)
    dispatch.builder.package_settings = package_settings(sources)
    return dispatch


def config_settings(args) -> "dict":
    """``-C KEY=VALUE`` values as PEP 517's ``config_settings`` (see parse_config_settings)."""
    return parse_config_settings(_opt(args, "config_settings") or ())


def package_settings(sources) -> "dict":
    """{canonical name: config settings} from requirement lines that carry
    ``--config-settings`` (pip applies them to that requirement's builds);
    ``--global-option`` is said to be ignored (pip deprecated it for setuptools'
    ``--build-option`` config setting)."""
    out = {}
    for e in (sources.requirements if sources is not None else ()):
        items = [value for spelled, value in e.options if spelled in ("-C", "--config-settings")]
        if items and e.name:
            out[e.name] = parse_config_settings(items)
        if any(spelled == "--global-option" for spelled, _ in e.options):
            warn_user("--global-option on `%s` is ignored: pass the setting with --config-settings "
                      "(for setuptools, --config-settings=--build-option=...)" % (e.name or e.text))
    return out


def parse_config_settings(items) -> "dict":
    """``KEY=VALUE`` strings as PEP 517's ``config_settings``: a key given
    twice or more maps to the list of its values, as pip and uv pass them."""
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError("invalid --config-settings %r: expected KEY=VALUE" % item)
        key = key.strip()
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def build_constraints(args, markers: "dict") -> "list":
    """The requirements of ``--build-constraints`` files that apply, as
    constraints on every build environment's resolution."""
    files = _opt(args, "build_constraints") or ()
    if not files:
        return []
    sources = read_sources(constraints=files)
    return _requirements_of(sources.constraints, markers)


def root_requirements(entries, markers: "dict", builds=None, database=None) -> "list":
    """RootRequirements of the entries that apply to the target (every entry
    when ``markers`` is None, for a universal resolution). A source
    whose name is only known from its metadata (a folder, an sdist path, an
    editable) gets it through the BuildContext."""
    roots = []
    for e in entries:
        req = e.requirement
        if req.marker is not None and markers is not None and not req.marker.evaluate(dict(markers, extra="")):
            continue
        if req.name is None or e.editable:
            req = _named_source(e, builds, database)
        roots.append(RootRequirement(req, e.source))
    return roots


def _named_source(entry, builds, database):
    """``name @ url`` for a requirement given only as a URL or path."""
    req = entry.requirement
    url = req.url
    where = entry.verbatim or url or entry.text
    if builds is None or builds.builder is None:
        raise source_build_error("`%s`" % where)
    name = req.name
    if name is None:
        if url.startswith("file:"):
            path = file_url_to_path(url.split("#", 1)[0])
            if not os.path.exists(path):
                raise InputError("no such file or folder: %s" % path, text=where)
            md = builds.source_metadata(path, editable=entry.editable) if os.path.isdir(path) \
                else _archive_metadata(database, builds, path)
        elif is_git_url(url):
            md = builds.source_metadata(database.git.checkout(GitUrl.parse(url)).path)
        else:
            md = _archive_metadata(database, builds, database.fetch_file(Dist("unknown", None, "url", url=url)))
        name = md.name
    extras = "[%s]" % ",".join(sorted(req.extras)) if req.extras else ""
    marker = " ; %s" % req.marker if req.marker is not None else ""
    return Requirement("%s%s @ %s%s" % (name, extras, url, marker))


def _archive_metadata(database, builds, path: "str"):
    """Metadata of a local wheel or sdist: read in place when static, else built."""
    try:
        return database.metadata(Dist("unknown", None, "path", path=path))
    except NeedsBuildError:
        return builds.source_metadata(path)


def editable_urls(roots, entries) -> "set":
    """The URLs of the roots given with -e (the resolver marks their dists editable)."""
    urls = {e.requirement.url for e in entries if e.editable and e.requirement.url}
    return {r.requirement.url for r in roots if r.requirement.url in urls}


def _requirements_of(entries, markers):
    """The named requirements of ``entries`` that apply to ``markers`` (all of
    them when ``markers`` is None: a universal resolution decides itself)."""
    return [e.requirement for e in entries
            if e.requirement.name is not None and (e.requirement.marker is None or markers is None
                                                   or e.requirement.marker.evaluate(dict(markers, extra="")))]


def _hashes_by_name(entries) -> "dict":
    out = {}
    for e in entries:
        if e.hashes and e.name:
            merged = out.setdefault(e.name, {})
            for alg, digests in e.hashes.items():
                merged.setdefault(alg, set()).update(digests)
    return out


def check_entries_hashed(entries, require: "bool") -> "None":
    """With hashes required (``--require-hashes``, or any ``--hash`` in the
    requirements), every requirement must be pinned (``==`` or a URL) and carry
    a ``--hash``: refused before any index is asked, as pip does."""
    if not require:
        return
    for e in entries:
        req = e.requirement
        pinned = bool(req.url) or any(sp.operator in ("==", "===") and "*" not in sp.version
                                      for sp in req.specifier)
        if not pinned:
            raise InputError("hashes are required, so `%s` must be pinned with ==" % (e.text or req),
                             file=e.file, line=e.line)
        if not e.hashes:
            raise InputError("hashes are required, but `%s` has no --hash" % (e.text or req),
                             file=e.file, line=e.line,
                             hint="add --hash=sha256:... (pip-compile --generate-hashes writes them)")


def check_hashes_complete(pins, hashes: "dict", require: "bool") -> "None":
    """With --require-hashes (or any --hash), every package must carry a hash,
    and be pinned: refused before anything is fetched or installed."""
    if not require:
        return
    missing = [p.name for p in pins if not hashes.get(p.name)]
    if missing:
        raise PuffinError("hashes are required (--require-hashes or a --hash in the requirements), "
                          "but these packages have none: %s" % ", ".join(sorted(missing)),
                          hint="add --hash=sha256:... for each (pip-compile --generate-hashes writes them)")


# ---- reports ------------------------------------------------------------------------

class ProgressReporter(Reporter):
    """Progress as the user sees it. On a terminal: a live area rewritten in
    place, its first line the current step and its count (``Downloading...
    (3)``), then one line per download in flight (name, bytes of total, rate)
    and per build; ``Building``/``Built`` lines stay, as uv's do; ``clear()``
    leaves nothing behind. Not on a terminal: nothing. With -v: a plain line
    per event instead."""

    _WORDS = {"resolve.pin": "Resolving", "download.done": "Downloading",
              "build.done": "Building", "prepare.done": "Preparing", "install.done": "Installing",
              "uninstall.done": "Uninstalling"}
    _SHOWN = 5          # downloads and builds listed at once
    _LONG = 3.0         # seconds after which a resolution shows its numbers
    _EVERY = 0.1        # seconds between redraws for byte counts

    def __init__(self, printer: "Printer"):
        self.printer = printer
        self.tty = printer.is_tty()
        self.wants_bytes = self.tty and not printer.verbose   # download.progress events
        self.counts: "dict" = {}
        self.lock = _thread.allocate_lock()
        self.shown = False
        self.drawn = 0           # lines of the live area on screen
        self.step = None         # the first line
        self.active = {}         # key -> [label, done bytes, total bytes or None, started]
        self.last = 0.0
        self._resolve_started = None
        self._reconsidered = {}  # name -> times decided (a long search shows the most)

    def event(self, kind: "str", **fields) -> "None":
        if str(fields.get("name", "")).startswith("<"):
            return  # the resolver's virtual root is no package of the user's
        with self.lock:
            if kind in ("build.start", "build.done"):
                self._build(kind, fields)
            if kind == "download.start" and self.wants_bytes:
                self.active[fields.get("filename")] = [fields.get("filename"), 0, fields.get("size"),
                                                       time.perf_counter()]
                self._draw()
                return
            if kind == "download.progress":
                row = self.active.get(fields.get("filename"))
                if row is not None:
                    row[1] = fields.get("done") or 0
                    row[2] = row[2] or fields.get("size")
                    if time.perf_counter() - self.last >= self._EVERY:
                        self._draw()
                return
            if kind in ("resolve.backjump", "resolve.done"):
                self._resolution(kind, fields)
                return
            if kind == "resolve.fork":
                if self.printer.verbose:
                    self.printer.debug("split %s into: %s" % (fields["marker"], "; ".join(fields["into"])))
                return
            word = self._WORDS.get(kind)
            if word is None:
                return
            self.active.pop(fields.get("filename"), None)
            self.counts[word] = self.counts.get(word, 0) + 1
            if self.printer.verbose:
                what = fields.get("filename") or fields.get("source") or "%s==%s" % (
                    fields.get("name"), fields.get("version"))
                self.printer.debug("%s %s" % (word.lower().replace("ing", "ed", 1), what))
            elif self.tty:
                self.step = "%s... (%d)" % (word, self.counts[word])
                if kind == "resolve.pin":
                    self._reconsidered[fields.get("name")] = self._reconsidered.get(fields.get("name"), 0) + 1
                    if self._resolve_started is None:
                        self._resolve_started = time.perf_counter()
                    elif time.perf_counter() - self._resolve_started > self._LONG:
                        name, n = max(self._reconsidered.items(), key=lambda kv: kv[1])
                        self.step = "Resolving... (%s, %s; %s reconsidered %s)" % (
                            plural(self.counts[word], "decision"),
                            plural(self.counts.get("backtracks", 0), "backtrack"), name, plural(n, "time"))
                self._draw()

    def _resolution(self, kind: "str", fields: "dict") -> "None":
        if kind == "resolve.backjump":
            self.counts["backtracks"] = self.counts.get("backtracks", 0) + 1
            return
        if self.printer.verbose:   # the search's numbers (issue: visible long resolutions)
            most = (", %s tried in %s" % (fields["most"], plural(fields["most_tries"], "version"))
                    if fields.get("most") and fields.get("most_tries", 0) > 1 else "")
            self.printer.debug("resolution: %s, %s, %s%s" % (
                plural(fields.get("decisions", 0), "decision"), plural(fields.get("backjumps", 0), "backjump"),
                plural(fields.get("conflicts", 0), "conflict"), most))

    def _build(self, kind: "str", fields: "dict") -> "None":
        """uv's ``Building x==1.0`` and ``Built x==1.0`` lines (kept on screen)."""
        what = _build_label(fields.get("source") or "")
        if kind == "build.start":
            self.active["build:" + what] = ["Building " + what, None, None, time.perf_counter()]
            word, indent = "Building", "   "
        else:
            self.active.pop("build:" + what, None)
            word, indent = "Built", "      "
        if self.printer.quiet <= 0 and not self.printer.verbose:
            self._erase()
            self.printer.err_stream.write("%s%s %s\n" % (indent, self.printer.paint(word, "green", "bold"), what))
            self.printer.err_stream.flush()
            self._draw()

    def _rows(self) -> "list":
        rows = [self.step] if self.step else []
        now = time.perf_counter()
        for label, done, total, started in list(self.active.values())[:self._SHOWN]:
            if done is None:   # a build
                rows.append("  %s" % label)
                continue
            size = format_size(done) + ("/" + format_size(total) if total else "")
            rate = done / max(now - started, 1e-3)
            rows.append("  %s %s %s/s" % (label, size, format_size(int(rate))))
        more = len(self.active) - self._SHOWN
        if more > 0:
            rows.append("  ... and %d more" % more)
        return rows

    def _erase_codes(self) -> "str":
        """What takes the live area off the screen (the cursor is on its last line)."""
        return "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (self.drawn - 1) if self.drawn else ""

    def _erase(self) -> "None":
        if self.drawn:
            self.printer.err_stream.write(self._erase_codes())
            self.drawn = 0

    def _draw(self) -> "None":
        if not self.tty or self.printer.verbose:
            return
        rows = self._rows()
        self.printer.err_stream.write((self._erase_codes() or "\r\x1b[2K") + "\n".join(rows))
        self.printer.err_stream.flush()
        self.drawn = max(1, len(rows))
        self.shown = True
        self.last = time.perf_counter()

    def clear(self) -> "None":
        """Remove the live area before the summary is printed."""
        with self.lock:
            if self.shown:
                self._erase()
                self.printer.err_stream.flush()
                self.shown = False
                self.drawn = 0
            self.active.clear()
            self.step = None


def _build_label(source: "str") -> "str":
    """``pkg==1.0`` for an sdist's file name, else the folder's name."""
    try:
        f = SdistFilename.from_filename(source)
        return "%s==%s" % (f.name, f.version)
    except (InvalidSdistFilename, InvalidVersion, AttributeError):
        return source


def report_changes(printer: "Printer", outcome: "InstallOutcome", plan: "InstallPlan", compiled=None) -> "None":
    """uv's lines: ``Uninstalled``/``Installed N packages in T`` (the linking
    alone), ``Bytecode compiled N files in T`` (``compiled``: (count, seconds)),
    then `` - ``, `` + `` and `` ~ `` per package, sorted by name."""
    if outcome.removed:
        printer.done("Uninstalled %s in %s" % (plural(len(outcome.removed), "package"),
                                                format_duration(outcome.uninstall_seconds)))
    if outcome.installed:
        printer.done("Installed %s in %s" % (plural(len(outcome.installed), "package"),
                                              format_duration(outcome.install_seconds)))
    if compiled is not None:
        printer.done("Bytecode compiled %s in %s" % (plural(compiled[0], "file"), format_duration(compiled[1])))
    # uv's marks: - removed, + added, ~ the same version put back (--reinstall)
    added = {(p.name, str(p.version)) for p in outcome.installed if p.dist.kind == "registry"}
    lines = []
    for d in outcome.removed:
        if (d.name, str(d.version)) not in added:
            lines.append((d.name, 0, "-", "%s==%s" % (d.name, d.version)))
    back = {(d.name, str(d.version)) for d in outcome.removed}
    for p in outcome.installed:
        mark = "~" if (p.name, str(p.version)) in back and p.dist.kind == "registry" else "+"
        lines.append((p.name, 1, mark, _change_text(p)))
    for name, _order, mark, text in sorted(lines):
        printer.info(change_line(printer, mark, name, text))


#: uv's colour for each mark of a change list.
_MARK_STYLES = {"+": ("green", "bold"), "-": ("red", "bold"), "~": ("yellow", "bold")}


def change_line(printer: "Printer", mark: "str", name: "str", text: "str") -> "str":
    """`` + name==1.0`` as uv draws it: the mark coloured, the name bold, the rest dim."""
    rest = text[len(name):] if text.startswith(name) else text
    head = name if text.startswith(name) else ""
    return " %s %s%s" % (printer.paint(mark, *_MARK_STYLES[mark]), printer.paint(head, "bold"),
                         printer.paint(rest, "dim"))


def _pin_source(dist) -> "str":
    """Where a direct dist comes from, as a lock and a change list name it: a
    git source by its commit, as uv writes it; else as the user wrote it."""
    if dist.kind == "git" and dist.commit:
        return GitUrl.parse(dist.url).pinned(dist.commit)
    return dist.verbatim or dist.url or dist.path


def _pin_text(pin, written=None) -> "str":
    """A pin as a requirement line: ``name==version`` or ``name @ url``; a
    local source as the input wrote it (``written``: see written_sources);
    an editable with ``-e``."""
    d = pin.dist
    if d.kind == "registry":
        return "%s==%s" % (pin.name, pin.version)
    text = (written or {}).get(d.url)
    if text is not None:
        editable, named, path = text
        text = ("-e " if editable else "") + ("%s @ %s" % (pin.name, path) if named else path)
    else:
        source = _pin_source(d)
        if d.editable and d.kind == "git" and "egg=" not in source:   # pip's -e VCS lines carry #egg=NAME
            source += ("&" if "#" in source else "#") + "egg=" + pin.name
        text = ("-e " + source) if d.editable else "%s @ %s" % (pin.name, source)
    return text


def written_sources(entries, out_dir: "str") -> "dict":
    """{absolute URL: (editable, named, path)} for the local projects and archives the input
    named by a relative path: written as the input wrote them (relative stays
    relative, ``-e`` stays ``-e``; uv's lines), the path made relative to
    ``out_dir``, the folder of the file the lock goes to, when the input's
    folder is another one: requirement files read relative paths from their own folder."""
    out = {}
    for e in entries:
        raw, url = e.verbatim, e.requirement.url
        if not raw or not url or not url.startswith("file:") or url in out:
            continue
        as_url = raw.lower().startswith("file:")
        path = raw[len("file:"):] if as_url else raw
        if as_url and path.startswith("//") or os.path.isabs(os.path.expanduser(path)) or "${" in path:
            continue   # absolute: the default (a file:// URL) says it
        target = file_url_to_path(url.split("#", 1)[0])
        if os.path.normpath(os.path.join(out_dir, path)) != os.path.normpath(target):
            try:
                path = os.path.relpath(target, out_dir).replace(os.sep, "/")
            except ValueError:   # another drive: no relative path
                continue
            if not path.startswith("../"):
                path = "./" + path
        out[url] = (e.editable, as_url, "file:" + path if as_url else path)
    return out


def _change_text(pin) -> "str":
    """A pin in a change list, as uv words it: ``name==version (from url)``."""
    if pin.dist.kind == "registry":
        return "%s==%s" % (pin.name, pin.version)
    return "%s==%s (from %s)" % (pin.name, pin.version, redact_url(_pin_source(pin.dist)))


def report_dry_run(printer: "Printer", plan: "InstallPlan") -> "None":
    printer.done("Would download %s" % plural(sum(1 for i in plan.install if i.cached is None), "package"))
    removed = list(plan.reinstall) + list(plan.extraneous)
    if removed:
        printer.done("Would uninstall %s" % plural(len(removed), "package"))
    if plan.install:
        printer.done("Would install %s" % plural(len(plan.install), "package"))
    lines = [(d.name, 0, "-", "%s==%s" % (d.name, d.version)) for d in removed]
    lines += [(i.pin.name, 1, "+", _change_text(i.pin)) for i in plan.install]
    for name, _o, mark, text in sorted(lines):
        printer.info(change_line(printer, mark, name, text))


def warn_environment_problems(printer: "Printer", scheme: "dict", interp: "Interpreter", strict: "bool") -> "int":
    """After a change, say what the environment now lacks (uv's post-install
    check); with --strict that makes the command fail (exit 1)."""
    problems = SitePackages.from_scheme(scheme).check(interp.markers, interp.python_version)
    for p in problems:
        if strict:
            printer.info(p)
        else:
            warn_user(p)
    return 1 if (problems and strict) else 0


# ---- pip-compile ---------------------------------------------------------------------

_HEADER_SKIP = {"-q", "--quiet", "-v", "--verbose", "--no-cache", "-n", "--offline", "--refresh"}
_HEADER_SKIP_VALUE = {"--cache-dir", "--color", "--refresh-package"}


def universal_pythons(args, sources, interp) -> "MarkerSet":
    """The environments of ``pip-compile --universal``: every platform, and
    the Pythons from ``--python-version`` (the lowest), else the
    ``requires-python`` of a pyproject.toml input, else from the target's
    X.Y on (uv's order)."""
    if _opt(args, "python_platform"):
        raise UsageError("--python-platform cannot be used with --universal",
                         hint="a universal lock is for every platform: leave out --python-platform "
                              "(or --universal, to lock for that platform only)")
    requested = _opt(args, "python_version")
    if requested:
        try:
            Version(requested)
        except InvalidVersion:
            raise UsageError("invalid --python-version %r: expected X.Y or X.Y.Z" % requested) from None
        return MarkerSet.python(">=", requested)
    if sources.requires_python:
        try:
            low = _rp_lower(SpecifierSet(sources.requires_python))
        except InvalidSpecifier:
            raise InputError("invalid requires-python `%s`" % sources.requires_python) from None
        if low is not None:
            return MarkerSet.python(">=", ".".join(map(str, low)))
    return MarkerSet.python(">=", "%d.%d" % tuple(interp.version_info[:2]))


def compile_command_line(argv) -> "str":
    """The command for the output header: secrets and cache paths left out."""
    words, skip = [], False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in _HEADER_SKIP:
            continue
        if word in _HEADER_SKIP_VALUE:
            skip = True
            continue
        if any(word.startswith(o + "=") for o in _HEADER_SKIP_VALUE):
            continue
        if _lazy_re(r"^-[qv]+$").match(word):
            continue
        words.append(redact_url(word) if "://" in word else word)
    import shlex
    plain = _lazy_re(r"^[\w@%+=:,./*-]+$")   # no quotes needed (a redacted `****` included)
    return " ".join(w if plain.match(w) else shlex.quote(w) for w in ["puffin.py"] + words)


def format_compile_output(resolution, *, header: "str | None", annotate: "bool", hashes: "dict | None",
                          index_lines=(), extra_via=None, written=None) -> "str":
    """The lock in uv's grammar: header, index lines, then ``name==version``
    (or ``name @ url``) sorted by name, with ``--hash`` lines and ``# via``."""
    out = []
    if header is not None:
        out += ["# This file was autogenerated by puffin.py via the following command:",
                "#    " + header]
    if index_lines:
        out += list(index_lines) + [""]
    for pin in sorted(resolution, key=lambda p: not p.dist.editable):   # editables first, as uv
        line = _pin_text(pin, written)
        if getattr(pin, "marker", None) is not None:
            line += " ; %s" % pin.marker
        digests = (hashes or {}).get((pin.name, str(pin.version))) if hashes is not None else None
        if digests:
            out.append(line + " \\")
            for i, d in enumerate(digests):
                out.append("    --hash=%s%s" % (d, " \\" if i < len(digests) - 1 else ""))
        else:
            out.append(line)
        via = sorted(set(pin.via) | set((extra_via or {}).get(pin.name, ())))
        if annotate and via:
            if len(via) == 1:
                out.append("    # via %s" % via[0])
            else:
                out.append("    # via")
                out += ["    #   %s" % v for v in via]
    return "\n".join(out) + "\n"


def _pin_hashes(pin, client) -> "list":
    """``sha256:...`` of every file of the pinned version on the index, sorted."""
    d = pin.dist
    if d.kind != "registry":
        return ["sha256:" + d.file.hashes["sha256"]] if d.file and d.file.hashes.get("sha256") else []
    digests = set()
    for f in client.files(pin.name):
        if f.version is not None and f.version == pin.version:
            for alg in ("sha256",):
                if f.hashes.get(alg):
                    digests.add("%s:%s" % (alg, f.hashes[alg]))
    return sorted(digests)


# Laid out as `uv pip compile --format pylock.toml` writes it (uv 0.13.9):
# lock-version, created-by, requires-python; then one [[packages]] per pin in
# name order: name, version, marker, index, then sdist = {...} and wheels =
# [...] (registry), archive = {...} (a direct file), directory = {...} or vcs =
# {...}. A file table is url or path, upload-time (a TOML date-time), size,
# hashes; `name` is left out (the URL ends with it).
#
# Two choices differ from uv, both so that puffin.py's read_pylock can install
# from the lock again: `index` is written for files from an index other than
# the default (uv never writes it; read_pylock adds it as an extra index), and
# files of a find-links folder are written as `path` relative to the lock
# (uv writes their file:// URL; read_pylock adds a path's folder to find-links).

def format_pylock(resolution, *, requires_python=None, index_url=None, hashes_by_file=None,
                  relative_to=None, files_by_name=None, markers=None, header=None,
                  created_by: "str" = "puffin.py") -> "str":
    """PEP 751 text of a Resolution (or any iterable of ResolvedPackage).

    ``requires_python``: the specifier text to write (uv writes
    ``>=X.Y.Z`` of the target). ``index_url``: the index URL, or a list of
    them, whose files get ``index =`` (the default index never does).
    ``hashes_by_file``: {filename: {alg: hex}} for files the index gave no hash
    (find-links folders, direct files; see pylock_local_hashes).
    ``relative_to``: the lock's folder; local files are written as paths
    relative to it (absolute ``url = file:...`` without it).
    ``files_by_name``: {name: [IndexFile]} of each registry pin (see
    pylock_files); without it only the file the resolver chose is listed.
    ``markers``: {name: marker text} of the root requirements that had one.
    ``header``: the command line for the comment header, as pip-compile's.
    ValueError (a bug of the caller) for a git pin without a commit."""
    ctx = {"indexes": _pylock_index_set(index_url), "hashes": hashes_by_file or {},
           "relative_to": relative_to, "files": files_by_name or {}, "markers": markers or {}}
    doc = {"lock-version": "1.0", "created-by": created_by}
    if requires_python:
        doc["requires-python"] = str(requires_python)
    doc["packages"] = [_pylock_package(pin, ctx) for pin in resolution]
    if not doc["packages"]:
        doc["packages"] = []  # `packages = []`: PEP 751 requires the key
    text = toml_dumps(doc)
    if header is not None:
        text = ("# This file was autogenerated by puffin.py via the following command:\n"
                "#    %s\n" % header) + text
    return text


def _pylock_index_set(index_url) -> "set":
    if not index_url:
        return set()
    urls = [index_url] if isinstance(index_url, str) else list(index_url)
    return {strip_credentials(u).rstrip("/") for u in urls}


def _pylock_package(pin, ctx: "dict") -> "dict":
    """One [[packages]] table, keys in uv's order."""
    d = pin.dist
    pkg = {"name": pin.name}
    if d.kind not in ("directory",) and not _pylock_is_vcs(d) and pin.version is not None:
        pkg["version"] = str(pin.version)
    marker = ctx["markers"].get((pin.name, str(pin.version))) or ctx["markers"].get(pin.name)
    if marker:
        pkg["marker"] = _pylock_marker(str(marker))
    if d.kind == "registry":
        files = list(ctx["files"].get((pin.name, str(pin.version))) or ctx["files"].get(pin.name)
                     or ([d.file] if d.file is not None else []))
        index = _pylock_index(files, ctx)
        if index:
            pkg["index"] = index
        sdists = [f for f in files if not f.is_wheel]
        wheels = [f for f in files if f.is_wheel]
        if sdists:
            pkg["sdist"] = _pylock_file(sdists[0], ctx)
        if wheels:
            pkg["wheels"] = [_pylock_file(f, ctx) for f in wheels]
    elif d.kind == "directory":
        table = {"path": _pylock_path(d.path or file_url_to_path(d.url), ctx)}
        if d.editable:
            table["editable"] = True
        if d.subdirectory:
            table["subdirectory"] = d.subdirectory
        pkg["directory"] = table
    elif _pylock_is_vcs(d):
        pkg["vcs"] = _pylock_vcs(d)
    else:
        pkg["archive"] = _pylock_archive(d, ctx)
    return pkg


def _pylock_marker(text: "str") -> "str":
    """A marker with single-quoted strings when that needs no escaping (as uv
    writes them: ``python_version >= '3.8'`` reads better than ``\\"3.8\\"``)."""
    if '"' in text and "'" not in text:
        return text.replace('"', "'")
    return text


def _pylock_is_vcs(d) -> "bool":
    url = d.url or ""
    return d.kind == "git" or url.split(":", 1)[0] in ("git+https", "git+http", "git+ssh", "git+file", "git")


def _pylock_index(files, ctx: "dict"):
    """The index URL the files came from, when it is one of ``index_url`` and
    not the default index (uv writes none; read_pylock needs the others)."""
    for f in files:
        index = strip_credentials(f.index or "").rstrip("/")
        if index and index in ctx["indexes"] and index != DEFAULT_INDEX_URL.rstrip("/"):
            return index
    return None


def _pylock_file(f, ctx: "dict") -> "dict":
    """An sdist or wheel table: url or path, upload-time, size, hashes."""
    table = _pylock_location(f.url, ctx)
    if f.upload_time:
        try:
            table["upload-time"] = _parse_time(f.upload_time) if isinstance(f.upload_time, str) \
                else f.upload_time
        except ValueError:
            pass
    if f.size is not None:
        table["size"] = f.size
    table["hashes"] = _pylock_hashes(f.hashes, ctx["hashes"].get(f.filename))
    return table


def _pylock_location(url: "str", ctx: "dict") -> "dict":
    """``{"path": ...}`` for a local file when the lock's folder is known
    (relative, '/'-separated), else ``{"url": ...}`` without credentials or
    a hash fragment (hashes have their own table)."""
    url, _frag = _split_fragment_hashes(url)
    if url.startswith("file:") and ctx["relative_to"] is not None:
        return {"path": _pylock_path(file_url_to_path(url), ctx)}
    return {"url": strip_credentials(url)}


def _pylock_path(path: "str", ctx: "dict") -> "str":
    base = ctx["relative_to"]
    path = os.path.abspath(path)
    if base is None:
        return path.replace(os.sep, "/")
    try:
        rel = os.path.relpath(path, os.path.abspath(base))
    except ValueError:  # another drive on Windows: no relative path exists
        return path.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _pylock_hashes(*tables) -> "dict":
    """Strong hashes only (sha256/384/512, as --require-hashes takes), sorted."""
    out = {}
    for table in tables:
        for alg, digest in (table or {}).items():
            alg = str(alg).lower()
            if alg in _HASH_LENGTHS and isinstance(digest, str) and alg not in out:
                out[alg] = digest.lower()
    return dict(sorted(out.items()))


def _pylock_archive(d, ctx: "dict") -> "dict":
    """A direct wheel or sdist (path or URL); its hash from ``hashes_by_file``
    or the URL's fragment."""
    if d.kind == "path":
        table = {"path": _pylock_path(d.path, ctx)} if ctx["relative_to"] is not None \
            else {"url": path_to_file_url(d.path)}
        frag = {}
    else:
        url, frag = _split_fragment_hashes(d.url)
        table = _pylock_location(url, ctx)
    table["hashes"] = _pylock_hashes(ctx["hashes"].get(d.filename), frag)
    if d.subdirectory:
        table["subdirectory"] = d.subdirectory
    return table


def _pylock_vcs(d) -> "dict":
    """A git dist as PEP 751's vcs table: the commit it resolved to (a branch
    or tag moves: a lock holds the commit, and the revision asked for beside it)."""
    gu = GitUrl.parse(d.url)
    commit = d.commit or (gu.rev.lower() if gu.is_commit else None)
    if not commit:
        raise ValueError("`%s` is not pinned to a full commit" % (d.verbatim or d.url))
    table = {"type": "git", "url": strip_credentials(gu.repo)}
    if gu.rev and gu.rev.lower() != commit:
        table["requested-revision"] = gu.rev
    table["commit-id"] = commit
    if gu.subdirectory:
        table["subdirectory"] = gu.subdirectory
    return table


def pylock_files(resolution, client, tags=None) -> "dict":
    """{name: [IndexFile]} of each registry pin: its version's first sdist and
    the wheels ``tags`` (a TagPriority) accepts, every wheel when None (a lock
    for other machines, as uv's --universal). Yanked files are left out,
    unless the resolver chose one. Costs nothing more than the resolution did:
    the pages are in the client's memory."""
    out = {}
    for pin in resolution:
        if pin.dist.kind != "registry":
            continue
        chosen = pin.dist.file.filename if pin.dist.file is not None else None
        files, sdist = [], None
        for f in client.files(pin.name):
            if f.version is None or f.version != pin.version:
                continue
            if f.yanked is not None and f.filename != chosen:
                continue
            if not f.is_wheel:
                if sdist is None and f.sdist is not None:
                    sdist = f
                continue
            if tags is None or (f.wheel is not None and tags.best(f.wheel.tags) is not None):
                files.append(f)
        out[pin.name] = ([sdist] if sdist is not None else []) + files
    return out


def pylock_local_hashes(resolution, files_by_name=None) -> "dict":
    """{filename: {"sha256": hex}} of the local files a lock lists that came
    without a hash (a find-links folder, a wheel path): read once each here.
    Remote direct URLs are not hashed here (the caller has them downloaded
    and hashed by the distribution database)."""
    out = {}
    for pin in resolution:
        d = pin.dist
        candidates = []
        if d.kind == "registry":
            for f in (files_by_name or {}).get(pin.name) or ([d.file] if d.file else []):
                if not f.hashes and f.url.startswith("file:"):
                    candidates.append((f.filename, file_url_to_path(f.url)))
        elif d.kind == "path" and d.path and os.path.isfile(d.path):
            candidates.append((d.filename, d.path))
        for filename, path in candidates:
            if filename not in out:
                out[filename] = {"sha256": hash_file(path)["sha256"]}
    return out


# In pip_compile, step 6, the pylock branch would read (for `--format
# pylock.toml`, or an output file named pylock.toml / pylock.NAME.toml, as uv
# infers):
#
#     files = pylock_files(resolution, client, tags=tags)   # tags: the TagPriority
#     text = format_pylock(resolution, requires_python=">=%s" % python_version,
#                          index_url=client.indexes, files_by_name=files,
#                          hashes_by_file=pylock_local_hashes(resolution, files),
#                          relative_to=os.path.dirname(os.path.abspath(args.output_file or ".")),
#                          markers=root_markers, header=header)
#
# where root_markers = {canonical name: str(requirement.marker)} of the root
# requirements that carry a marker.


def read_preferences(path: "str", markers) -> "dict":
    """Pins already in an output file, to keep when they still fit."""
    if not path or not os.path.isfile(path):
        return {}
    try:
        existing = read_sources([path])
    except PuffinError:
        return {}
    prefs = {}
    for e in existing.requirements:
        req = e.requirement
        if req.name is None or req.url:
            continue
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            try:
                prefs[canonicalize_name(req.name)] = Version(specs[0].version)
            except InvalidVersion:
                pass
    return prefs


def _stdin_text(paths) -> "str | None":
    return sys.stdin.read() if "-" in paths else None


def output_format(output_file, requested=None) -> "str":
    """``requirements.txt`` or ``pylock.toml``: ``--format``, else the output
    file's name as uv infers it (``pylock.toml``, ``pylock.NAME.toml``; a
    ``.txt``, ``.in`` or no extension is a requirements file). Any other name
    is a usage error: writing requirements text into ``x.toml`` would make a
    file that nothing, puffin.py included, reads back."""
    if requested:
        return requested
    if not output_file or output_file == "-":
        return "requirements.txt"
    base = os.path.basename(output_file)
    if base == "pylock.toml" or (base.startswith("pylock.") and base.endswith(".toml")):
        return "pylock.toml"
    ext = os.path.splitext(base)[1].lower()
    if ext in ("", ".txt", ".in"):
        return "requirements.txt"
    raise UsageError("cannot tell the format of `%s` from its name" % output_file,
                     hint="name it *.txt (requirements.txt) or pylock.toml / pylock.NAME.toml "
                          "(PEP 751), or pass --format requirements.txt|pylock.toml")


def pip_compile(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    fmt = output_format(args.output_file, args.format)
    # 1. Read every input.
    sources = read_sources(args.src_file, constraints=args.constraint, overrides=args.override,
                           extras=args.extra, all_extras=args.all_extras, groups=args.group,
                           stdin=_stdin_text(list(args.src_file) + list(args.constraint) + list(args.override)))
    # 2. The index client first: its connections open while the rest is set up.
    cache = open_cache(args)
    progress = ProgressReporter(printer)
    client, db = open_registry(args, cache, sources, progress)
    # 3. The target: the running Python (or --python), maybe with another version/platform.
    interp = (find_target(python=args.python, env=_env(args), cache=cache) if args.python
              else Interpreter.query(sys.executable, cache))
    universe = universal_pythons(args, sources, interp) if args.universal else None
    markers, tags, python_version = resolver_environment(args, interp)
    # 4. Keep the pins of the existing output file unless asked to upgrade.
    prefs = resolution_preferences(args, {} if args.upgrade else read_preferences(args.output_file, markers))
    # 5. Resolve.
    builds = open_builds(args, cache, interp, client, db, reporter=progress, sources=sources)
    if universe is None:
        provider = make_provider(args, RegistryView(client, db, builds), markers, tags, python_version, sources)
        roots = root_requirements(sources.requirements, markers, builds, db)
        resolution = resolve_entries(provider, roots, sources.requirements, sources, markers, reporter=progress,
                                     preferences=prefs)
    else:   # every platform, every Python of the universe: no one target's markers or tags
        provider = make_provider(args, RegistryView(client, db, builds), {}, tags, None, sources)
        provider.universal = True
        roots = root_requirements(sources.requirements, None, builds, db)
        provider.editable_urls = editable_urls(roots, sources.requirements)
        resolution = resolve_universal(roots, provider, universe=universe, reporter=progress,
                                       constraints=_requirements_of(sources.constraints, None),
                                       overrides=_requirements_of(sources.overrides, None), preferences=prefs)
    progress.clear()
    report_resolved(printer, resolution, start, db)
    # 6. Write the lock.
    header = None
    if not args.no_header:
        header = args.custom_compile_command or compile_command_line(getattr(args, "argv", []))
    hashes = {(p.name, str(p.version)): _pin_hashes(p, client) for p in resolution} \
        if args.generate_hashes else None
    index_lines = []
    if args.emit_index_url:
        locs = index_locations(args, sources)
        if locs.no_index:
            index_lines.append("--no-index")
        else:
            index_lines.append("--index-url %s" % strip_credentials(locs.index_url))
            index_lines += ["--extra-index-url %s" % strip_credentials(u) for u in locs.extra_index_urls]
    # constraint and override files are among the sources a pin came through, as uv says
    extra_via = {}
    for e in list(sources.constraints) + list(sources.overrides):
        if e.name and e.source:
            extra_via.setdefault(e.name, set()).add(e.source)
    if fmt == "pylock.toml":
        if universe is not None:
            raise UsageError("a universal resolution is written as requirements.txt only",
                             hint="leave out --universal, or write to a .txt file")
        files = pylock_files(resolution, client, tags=tags)
        out_dir = os.path.dirname(os.path.abspath(args.output_file or "pylock.toml"))
        text = format_pylock(resolution, requires_python=">=%s" % python_version,
                             index_url=client.indexes, files_by_name=files,
                             hashes_by_file=pylock_local_hashes(resolution, files),
                             relative_to=out_dir, header=header,
                             markers={canonicalize_name(r.requirement.name): str(r.requirement.marker)
                                      for r in roots if r.requirement.marker is not None})
    else:
        to_file = args.output_file and args.output_file != "-"
        out_dir = os.path.dirname(os.path.abspath(args.output_file)) if to_file else os.getcwd()
        text = format_compile_output(resolution, header=header, annotate=not args.no_annotate,
                                     hashes=hashes, index_lines=index_lines, extra_via=extra_via,
                                     written=written_sources(sources.requirements, out_dir))
    if args.output_file and args.output_file != "-":
        atomic_write_text(args.output_file, text)
    if printer.quiet <= 0 or not args.output_file:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


# ---- pip-sync / pip-install -------------------------------------------------------------

def _environment_lock(scheme: "dict", interp: "Interpreter") -> "FileLock":
    """One writer per environment: a lock file in its prefix (or --target folder)."""
    root = interp.prefix if os.path.commonpath([scheme["purelib"], interp.prefix]) == interp.prefix \
        else scheme["purelib"]
    return FileLock(os.path.join(root, ".puffin.lock"))


def _seed_names(interp: "Interpreter") -> "tuple":
    """Seed packages a sync leaves alone: in environments puffin.py did not
    create (``python -m venv`` ones), and in those it seeded (``venv --seed``)."""
    if interp.created_by_puffin and interp.pyvenv_cfg.get("seed") != "true":
        return ()
    return ("pip",) if interp.version_info[:2] >= (3, 12) else SEED_PACKAGES


def _destinations(args, interp: "Interpreter"):
    """A factory of Destinations (one per distribution's scheme) for the target."""
    link_mode = _opt(args, "link_mode") or "hardlink"

    def make(scheme):
        return SchemeDestination(scheme, interp.sys_executable, link_mode=link_mode,
                                 python_version=interp.version_info[:2])
    return make


def _write_report(args, items, markers) -> "None":
    """pip's installation report of ``items`` (ReportItems), if --report asked."""
    if getattr(args, "report", None):
        write_installation_report(args.report, installation_report(items, markers))


def src_folder(args, interp) -> "str":
    """Where editable git sources are checked out, as pip chooses: ``--src``,
    else ``src`` in the target virtual environment, else ``./src``."""
    if _opt(args, "src"):
        return os.path.abspath(_opt(args, "src"))
    if interp.is_venv:
        return os.path.join(interp.prefix, "src")
    return os.path.join(os.getcwd(), "src")


def _finish_install(args, printer, plan, db, scheme, interp, started, resolved_count, checked_count,
                    builds=None, progress=None, tags=None, markers=None, view=None) -> "int":
    """Shared tail of pip-sync and pip-install: the report (written before
    anything changes, as pip writes it), then dry-run, or execute and report."""
    if getattr(args, "report", None):
        view = view or RegistryView(None, db, builds)
        _write_report(args, plan_report_items(plan.install, view), markers or interp.markers)
    if plan.empty:
        printer.done("Checked %s in %s" % (plural(checked_count, "package"),
                                           format_duration(time.perf_counter() - started)))
        return 0
    if args.dry_run:
        report_dry_run(printer, plan)
        return 0
    try:
        outcome = execute_plan(plan, db, _destinations(args, interp), scheme,
                               builder=builds,
                               reporter=progress, tags=tags, src_dir=src_folder(args, interp))
    finally:
        if progress is not None:
            progress.clear()
    if outcome.prepared:
        printer.done("Prepared %s in %s" % (plural(outcome.prepared, "package"),
                                            format_duration(outcome.prepare_seconds)))
    compiled = None
    if args.compile_bytecode and outcome.installed:
        t0 = time.perf_counter()
        with span("compile_bytecode"):
            dist_infos = [d.path for d in SitePackages.from_scheme(scheme)
                          if d.name in {p.name for p in outcome.installed}]
            compiled = (compile_installed(dist_infos, interp.sys_executable), time.perf_counter() - t0)
    report_changes(printer, outcome, plan, compiled)
    return warn_environment_problems(printer, scheme, interp, bool(args.strict))


def pip_sync(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    # 1. Read the lock.
    sources = read_sources(args.src_file, stdin=_stdin_text(args.src_file))
    cache = open_cache(args)
    # 2. Find the environment.
    interp = target_interpreter(args, cache, for_install=True)
    scheme = install_scheme(args, interp)
    markers, tags, python_version = resolver_environment(args, interp)
    entries = [e for e in sources.requirements
               if e.requirement.marker is None or e.requirement.marker.evaluate(dict(markers, extra=""))]
    seen = {}
    for e in entries:
        if e.name and e.name in seen:
            raise InputError("`%s` is listed twice (also as `%s`)" % (e.text or e.name, seen[e.name].text),
                             file=e.file, line=e.line, text=e.text)
        seen[e.name] = e
    if not entries and not args.allow_empty_requirements:
        raise UsageError("the requirements are empty: nothing to sync",
                         hint="pass --allow-empty-requirements to remove everything")
    hashes = _hashes_by_name(entries)
    # any --hash turns hash-checking on, as in pip: every line pinned and hashed
    check_entries_hashed(entries, args.require_hashes or sources.require_hashes or bool(hashes))
    with _environment_lock(scheme, interp):
        _repair(scheme, printer)
        site = SitePackages.from_scheme(scheme)
        # 3. Nothing to do? Every entry installed as asked, nothing extraneous: no index needed.
        keep_seed = _seed_names(interp)
        reinstall = args.reinstall or args.reinstall_package
        if not reinstall and not (args.require_hashes or sources.require_hashes) and \
                _sync_satisfied(entries, site, keep_seed):
            _write_report(args, [], markers)
            printer.done("Checked %s in %s" % (plural(len(entries), "package"),
                                               format_duration(time.perf_counter() - start)))
            return 0
        # 4. Resolve each entry alone (a lock lists every package itself).
        progress = ProgressReporter(printer)
        client, db = open_registry(args, cache, sources, progress, warm=False)
        # Pins whose wheel the cache holds (or that are installed as asked) need
        # no index at all; only the rest goes through the index.
        known, rest = pins_without_index(args, sources, entries, site, db, client, tags, python_version,
                                         hashes)
        if rest:
            warm_indexes(client)
        builds = open_builds(args, cache, interp, client, db, reporter=progress, sources=sources)
        provider = make_provider(args, RegistryView(client, db, builds), markers, tags, python_version,
                                 sources, no_deps=True, installing=True)
        fetching = start_pin_fetches(rest, provider, db, hashes) if not args.dry_run else set()
        roots = root_requirements(rest, markers, builds, db)
        resolution = Resolution(known + (list(resolve_entries(provider, roots, rest, None, markers,
                                                              reporter=progress)) if roots else []))
        progress.clear()
        report_resolved(printer, resolution, start, db)
        check_hashes_complete(resolution, hashes, args.require_hashes or sources.require_hashes or bool(hashes))
        # 5. Plan, then act.
        plan = InstallPlan.build(resolution, site, database=db, reinstall=args.reinstall,
                                 reinstall_packages=args.reinstall_package,
                                 requested={e.name for e in entries}, hashes=hashes, sync=True,
                                 keep_seed=keep_seed, fetching=fetching)
        return _finish_install(args, printer, plan, db, scheme, interp, start, len(resolution),
                               len(entries), builds, progress, tags, markers)


def _exact_pin(req):
    """The Version a requirement pins with a single ``==`` (no wildcard), else None."""
    specs = list(req.specifier)
    if req.url or len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
        return None
    try:
        return Version(specs[0].version)
    except InvalidVersion:
        return None


def pins_without_index(args, sources, entries, site, db, client, tags, python_version, hashes):
    """Split a lock's entries into ResolvedPackages known without the index
    (installed exactly as pinned, or a wheel of that version in the cache
    from one of these indexes) and the entries that need the index."""
    only, no_binary = binary_options(args, sources)
    reinstall = {canonicalize_name(n) for n in _opt(args, "reinstall_package", ())}
    known, rest = [], []
    for e in entries:
        req = e.requirement
        version = None if (e.editable or req.name is None) else _exact_pin(req)
        name = e.name
        if version is None or ":all:" in no_binary or name in no_binary:
            rest.append(e)
            continue
        via = (e.source,) if e.source else ()
        if not _opt(args, "reinstall") and name not in reinstall and not hashes.get(name) \
                and site.installed_as(name, lambda d: d.version == version and not installed_from_url(d)):
            known.append(ResolvedPackage(name, version, Dist(name, version, "registry"), req.extras, via))
            continue
        dist = db.cached_registry_wheel(name, version, tags, client.indexes,
                                        hashes=hashes.get(name), python_version=python_version)
        if dist is None:
            rest.append(e)
        else:
            known.append(ResolvedPackage(name, version, dist, req.extras, via))
    return known, rest


def start_pin_fetches(entries, provider, db, hashes, whole_into: "str | None" = None) -> "set":
    """One pass for a lock: for each exact registry pin, fetch its index page,
    pick the file as the resolver will, and start its download and unzip at
    once, while the other pages are still arriving. The install plan later
    asks for the same wheels and joins these jobs (the database does each
    once); a failure here is met again, and reported, there. Returns the
    names whose fetch started: the plan counts them as prepared by this run,
    however far their jobs got before it looked. ``whole_into`` (pip-download's
    folder): the file itself, wheel or sdist, is what is wanted, not unzipped,
    unless the folder has a file of its name (the download step checks that
    one's hash); the resolver then reads a wheel's METADATA from the file
    instead of by ranges."""
    pool = thread_pool()
    started = set()

    def fetch(name, version, expected):
        try:
            for cand in provider.versions(name) or ():
                if cand.version != version:
                    continue
                if cand.unavailable is None and whole_into is not None:
                    if not os.path.exists(os.path.join(whole_into, cand.dist.filename or "")):
                        db.want_whole(cand.dist)   # queued behind the pages still to come,
                        pool.submit(db.fetch_file, cand.dist)   # as pip-download's own fetch asks
                elif cand.unavailable is None and cand.dist.is_wheel:
                    db.fetch_wheel(cand.dist, expected or None)
                return
        except Exception:  # a head start only: the plan fetches again and reports
            pass

    for e in entries:
        version = None if (e.editable or e.requirement.name is None) else _exact_pin(e.requirement)
        if version is not None:
            pool.submit(fetch, e.name, version, hashes.get(e.name))
            started.add(e.name)
    return started


def _sync_satisfied(entries, site: "SitePackages", keep_seed) -> "bool":
    names = set()
    for e in entries:
        req = e.requirement
        if e.editable or req.name is None:
            return False
        if site.installed_as(req.name, lambda d: installed_matches(d, req)) is None:
            return False
        names.add(canonicalize_name(req.name))
    seeds = {canonicalize_name(n) for n in keep_seed}
    return all(d.name in names or d.name in seeds for d in site)


def pip_install(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    # 1. Read what to install.
    if not (args.package or args.requirement or args.editable):
        raise UsageError("nothing to install: name packages, or pass -r FILE or -e PATH")
    sources = read_sources(args.requirement, constraints=args.constraint, overrides=args.override,
                           extras=args.extra, all_extras=args.all_extras, groups=args.group,
                           stdin=_stdin_text(list(args.requirement) + list(args.constraint)),
                           requirements=args.package, editables=args.editable)
    cache = open_cache(args)
    # 2. Find the environment.
    interp = target_interpreter(args, cache, for_install=True)
    scheme = install_scheme(args, interp)
    markers, tags, python_version = resolver_environment(args, interp)
    hashes = _hashes_by_name(sources.requirements)
    require_hashes = args.require_hashes or sources.require_hashes or bool(hashes)
    check_entries_hashed([e for e in sources.requirements if e.requirement.marker is None
                          or e.requirement.marker.evaluate(dict(markers, extra=""))],
                         require_hashes)
    with _environment_lock(scheme, interp):
        _repair(scheme, printer)
        site = SitePackages.from_scheme(scheme)
        progress = ProgressReporter(printer)
        client, db = open_registry(args, cache, sources, progress)
        builds = open_builds(args, cache, interp, client, db, reporter=progress, sources=sources)
        roots = root_requirements(sources.requirements, markers, builds, db)
        # 3. Already satisfied? Then touch nothing and ask no index.
        upgrade = args.upgrade or args.upgrade_package or args.reinstall or args.reinstall_package
        if not upgrade and not require_hashes and not sources.constraints and not sources.overrides \
                and site.satisfies([r.requirement for r in roots], markers):
            _write_report(args, [], markers)
            printer.done("Checked %s in %s" % (plural(len(roots), "package"),
                                               format_duration(time.perf_counter() - start)))
            return 0
        # 4. Resolve, preferring what is installed.
        prefs = resolution_preferences(args, {d.name: d.version for d in site if d.version is not None})
        provider = make_provider(args, RegistryView(client, db, builds), markers, tags, python_version,
                                 sources, no_deps=args.no_deps, installing=True)
        resolution = resolve_entries(provider, roots, sources.requirements, sources, markers,
                                     reporter=progress, preferences=prefs)
        progress.clear()
        report_resolved(printer, resolution, start, db)
        check_hashes_complete(resolution, hashes, require_hashes)
        # 5. Plan, then act.
        plan = InstallPlan.build(resolution, site, database=db, reinstall=args.reinstall,
                                 reinstall_packages=args.reinstall_package,
                                 requested={canonicalize_name(r.requirement.name) for r in roots},
                                 hashes=hashes)
        return _finish_install(args, printer, plan, db, scheme, interp, start, len(resolution),
                               len(resolution), builds, progress, tags, markers, provider.db)


# ---- pip-download: fill a wheelhouse for this machine or others ---------------------------

class DownloadTarget(Value):
    """One machine a wheelhouse is filled for: its marker environment, tags
    and Python version, a label for messages, and whether it is this one."""

    __slots__ = ("label", "markers", "tags", "python_version", "native")

    def __init__(self, label, markers, tags, python_version, native):
        self.label, self.markers, self.tags = label, markers, tags
        self.python_version, self.native = python_version, native


def download_targets(args, interp: "Interpreter") -> "list":
    """Every --python-version x --python-platform asked for (each repeatable),
    or the target Python itself when neither is given."""
    versions = list(_opt(args, "python_version") or []) or [None]
    platforms = list(_opt(args, "python_platform") or []) or [None]
    out = []
    for version in versions:
        for platform in platforms:
            one = _copy_args(args, python_version=version, python_platform=platform)
            markers, tags, python_version = resolver_environment(one, interp)
            pip_style = _opt(args, "platform") or _opt(args, "implementation") or _opt(args, "abi")
            native = platform is None and not pip_style and (
                version is None or python_version.release[:2] == interp.python_version.release[:2])
            label = "%s on %s" % ("CPython %s" % markers["python_version"],
                                  platform or ", ".join(_opt(args, "platform") or ()) or "this machine")
            out.append(DownloadTarget(label, markers, tags, python_version, native))
    return out


def _copy_args(args, **changes):
    import copy
    one = copy.copy(args)
    for name, value in changes.items():
        setattr(one, name, value)
    return one


def _target_marker(target: "DownloadTarget", targets) -> "str | None":
    """The marker that tells ``target`` apart from the other targets: only
    the variables that differ between them (none for a single target)."""
    keys = [k for k in ("python_version", "sys_platform", "platform_machine")
            if len({t.markers.get(k) for t in targets}) > 1]
    if not keys:
        return None
    return " and ".join("%s == '%s'" % (k, target.markers.get(k, "")) for k in keys)


def _read_sdist_build_requires(path: "str") -> "list":
    """``[build-system] requires`` of an sdist's pyproject.toml; setuptools'
    legacy default when it has none (as pip and uv build it)."""
    data = _read_sdist_member(path, "pyproject.toml")
    if data is None:
        return ["setuptools>=40.8.0"]
    try:
        doc = toml_loads(data.decode("utf-8"), filename=os.path.basename(path) + "/pyproject.toml")
    except (InputError, UnicodeDecodeError):
        return ["setuptools>=40.8.0"]
    requires = (doc.get("build-system") or {}).get("requires")
    return [str(r) for r in requires] if isinstance(requires, list) else ["setuptools>=40.8.0"]


def pip_download(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    # 1. Read what to download.
    if not (args.package or args.requirement):
        raise UsageError("nothing to download: name packages, or pass -r FILE")
    sources = read_sources(args.requirement, constraints=args.constraint, overrides=args.override,
                           extras=args.extra, all_extras=args.all_extras, groups=args.group,
                           stdin=_stdin_text(list(args.requirement) + list(args.constraint)),
                           requirements=args.package)
    dest = os.path.abspath(args.dest)
    _check_download_dest(args, dest)
    cache = open_cache(args)
    progress = ProgressReporter(printer)
    client, db = open_registry(args, cache, sources, progress)
    interp = (find_target(python=args.python, env=_env(args), cache=cache) if args.python
              else Interpreter.query(sys.executable, cache))
    targets = download_targets(args, interp)
    builds = open_builds(args, cache, interp, client, db, reporter=progress, sources=sources)
    view = RegistryView(client, db, builds)
    # 2. Resolve for every target (a foreign one takes wheels only, unless allowed).
    resolved = _resolve_targets(args, sources, view, builds, db, targets, progress)
    if args.include_build_deps:
        _add_build_requirements(args, sources, view, builds, db, targets, resolved, progress)
    progress.clear()
    printer.done("Resolved %s for %s in %s" % (
        plural(len(resolved), "package"), plural(len(targets), "target"),
        format_duration(time.perf_counter() - start)))
    if getattr(args, "report", None):
        roots = {canonicalize_name(e.name) for e in sources.requirements if e.name}
        _write_report(args, [ReportItem(entry["pin"], view.metadata(
            entry["pin"].dist.file if entry["pin"].dist.file is not None else entry["pin"].dist),
            entry["pin"].name in roots) for entry in resolved.values()], targets[0].markers)
    if args.dry_run:
        for entry in sorted(resolved.values(), key=lambda e: (e["pin"].name, str(e["pin"].version))):
            for filename in sorted(entry["files"]):
                printer.done("Would download %s" % filename)
        return 0
    # 3. Fetch each file once (the cache first), then lay it into DEST.
    t1 = time.perf_counter()
    got = _fetch_into(dest, resolved, db, builds if args.build else None)
    fetched = sum(1 for g in got.values() if g[2])
    size = sum(os.path.getsize(os.path.join(dest, g[0])) for g in got.values())
    printer.done("Downloaded %s (%s) to %s in %s%s" % (
        plural(fetched, "file"), format_size(size), args.dest,
        format_duration(time.perf_counter() - t1),
        "; %s already there" % plural(len(got) - fetched, "file") if len(got) > fetched else ""))
    # 4. The lock beside the files, naming them by path relative to DEST.
    _write_download_locks(args, dest, resolved, got, targets, client)
    return 0


def _resolve_targets(args, sources, view, builds, db, targets, progress) -> "dict":
    """{(name, version): {"pin", "files": {filename: dist}, "targets": [DownloadTarget]}}."""
    resolved = {}
    explicit_binary = bool(_opt(args, "only_binary") or _opt(args, "no_binary"))
    for target in targets:
        one = args
        if not target.native and not args.allow_sdists and not explicit_binary:
            one = _copy_args(args, only_binary=[":all:"])
        provider = make_provider(one, view, target.markers, target.tags, target.python_version,
                                 sources, no_deps=args.no_deps)
        if one is not args:
            provider.unavailable_hints = {"only-sdist": (
                "%%s has only a source distribution, and a download for another platform (%s) "
                "takes wheels only: pass `--allow-sdists` to take its sdist" % target.label)}
        roots = root_requirements(sources.requirements, target.markers, builds, db)
        if not args.dry_run:   # a lock's files start downloading as their pages arrive
            start_pin_fetches(sources.requirements, provider, db, {},
                              whole_into=os.path.abspath(args.dest))
        resolution = resolve_entries(provider, roots, sources.requirements, sources, target.markers,
                                     reporter=progress)
        for pin in resolution:
            _remember_pin(resolved, pin, target)
    return resolved


def _remember_pin(resolved: "dict", pin, target, runtime: "bool" = True) -> "None":
    """Add a resolved pin for ``target``; ``runtime`` False: only a build
    requirement (fetched, but not in the lock: the builds find it in the folder)."""
    entry = resolved.setdefault((pin.name, str(pin.version)),
                                {"pin": pin, "files": {}, "targets": [], "runtime": False})
    entry["runtime"] = entry["runtime"] or runtime
    if pin.dist.kind == "git":
        entry["files"][git_archive_name(pin.dist)] = pin.dist
    elif pin.dist.filename:
        entry["files"][pin.dist.filename] = pin.dist
    if target not in entry["targets"]:
        entry["targets"].append(target)


def _add_build_requirements(args, sources, view, builds, db, targets, resolved, progress) -> "None":
    """The build requirements of every sdist, resolved for each target it is
    for (wheels only there too) and added: the offline side can build it."""
    done = set()
    for entry in list(resolved.values()):
        for filename, dist in list(entry["files"].items()):
            if dist.is_wheel or filename in done:
                continue
            done.add(filename)
            requires = _read_sdist_build_requires(db.fetch_file(dist))
            extra = Sources()
            extra.requirements = [RequirementEntry(Requirement(r), source="build of %s" % entry["pin"].name)
                                  for r in requires]
            for target in entry["targets"]:
                one = args if target.native or args.allow_sdists else _copy_args(args, only_binary=[":all:"])
                provider = make_provider(one, view, target.markers, target.tags, target.python_version,
                                         sources)
                roots = root_requirements(extra.requirements, target.markers, builds, db)
                for pin in resolve(roots, provider, reporter=progress):
                    _remember_pin(resolved, pin, target, runtime=False)


_LOCK_HEADER = "# Written by puffin.py pip-download"   # the first line of every lock it writes
_LOCK_FILES = {"requirements": ["requirements.txt"], "pylock": ["pylock.toml"],
               "both": ["requirements.txt", "pylock.toml"]}   # by --lock-format


def _check_download_dest(args, dest: "str") -> "None":
    """Before anything is resolved: DEST must be a folder (or not exist yet),
    and the lock about to be written there must not replace a file we did not
    write (an input given with -r, a project's own requirements.txt)."""
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise UsageError("-d %s is not a folder" % args.dest,
                         hint="name a folder to fill (it is created if missing)")
    formats = _LOCK_FILES[args.lock_format]
    inputs = {os.path.abspath(r) for r in args.requirement if r != "-"}
    for name in formats:
        path = os.path.join(dest, name)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                ours = f.read(200).startswith(_LOCK_HEADER)
        except OSError:
            ours = False
        if path in inputs or not ours:
            raise UsageError("%s already exists%s and pip-download would write its lock there"
                             % (path, " (it is an input of this command)" if path in inputs else ""),
                             hint="download into another folder with -d DIR")


def _fetch_into(dest: "str", resolved: "dict", db, builder) -> "dict":
    """Every file of ``resolved`` in ``dest`` (verified; a file already there
    with the right sha256 is kept, so a resumed run fetches only what is
    missing): {filename resolved: (filename in dest, sha256, fetched now)},
    on the pool. With a ``builder``, an sdist for this machine becomes its wheel."""
    os.makedirs(dest, exist_ok=True)
    jobs = []
    for entry in resolved.values():
        for filename, dist in entry["files"].items():
            natives = [t.native for t in entry["targets"]]
            if builder is not None and not dist.is_wheel and any(natives):
                # --build: the wheel for this machine; the sdist too when another target takes it
                jobs.append(((filename, "built"), filename, dist, builder))
                if not all(natives):
                    jobs.append((filename, filename, dist, None))
            else:
                jobs.append((filename, filename, dist, None))
    pool = thread_pool()
    futures = {key: pool.submit(_fetch_one, dest, filename, dist, db, one_builder)
               for key, filename, dist, one_builder in jobs}
    return {key: fut.result() for key, fut in futures.items()}


def _fetch_one(dest: "str", filename: "str", dist, db, builder) -> "list":
    check_cancelled()
    target = os.path.join(dest, filename)
    want = (dist.file.hashes.get("sha256") if dist.file is not None else None)
    if builder is None and os.path.isfile(target) and want and hash_file(target)["sha256"] == want:
        return filename, want, False
    path = db.fetch_file(dist)
    sha = want or hash_file(path)["sha256"]
    if builder is not None:   # --build: the wheel built from it, for this machine
        wheel = builder.build_wheel(path)
        _check_built_wheel(dist, wheel)
        path, filename = wheel, os.path.basename(wheel)
        target, sha = os.path.join(dest, filename), hash_file(wheel)["sha256"]
    if os.path.lexists(target):
        os.unlink(target)
    tmp = os.path.join(dest, ".%s.puffin-%d" % (filename, os.getpid()))
    try:
        # the cache's file itself where the filesystem allows (a wheel is never
        # changed in place: neither copy is written to again), else a copy
        link_or_copy(path, tmp, "hardlink")
        # readable by all, as a wheelhouse is served and copied into images
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)   # never a truncated file under the real name
    except BaseException:
        remove_tree(tmp)
        raise
    return filename, sha, True


def _write_download_locks(args, dest, resolved, got, targets, client) -> "None":
    """requirements.txt (``--no-index --find-links .`` and a pin with every
    file's hash, a marker when the targets differ) and/or pylock.toml, in DEST."""
    formats = _LOCK_FILES[args.lock_format]
    ordered = sorted(resolved.values(), key=lambda e: (e["pin"].name, str(e["pin"].version)))
    entries = [e for e in ordered if e["runtime"]]
    build_only = ["%s==%s" % (e["pin"].name, e["pin"].version) for e in ordered if not e["runtime"]]
    if "requirements.txt" in formats:
        lines = [_LOCK_HEADER + ": install with", "#    puffin.py pip-sync "
                 "requirements.txt --offline", "--no-index", "--find-links .", ""]
        if build_only:
            lines[4:4] = ["# Build requirements of the sdists, found here through --find-links "
                          "(not installed):", "#    " + " ".join(build_only)]
        for e in entries:
            marker = None
            if len(e["targets"]) < len(targets):
                markers = sorted({_target_marker(t, targets) for t in e["targets"]})
                marker = " or ".join("(%s)" % m for m in markers) if len(markers) > 1 else markers[0]
            hashes = sorted({got[k][1] for f in e["files"] for k in (f, (f, "built")) if k in got})
            line = "%s==%s" % (e["pin"].name, e["pin"].version) + (" ; %s" % marker if marker else "")
            lines.append(" \\\n    ".join([line] + ["--hash=sha256:%s" % h for h in hashes]))
        atomic_write_text(os.path.join(dest, "requirements.txt"), "\n".join(lines) + "\n")
    if "pylock.toml" in formats:
        files, markers = {}, {}
        for e in entries:
            key = (e["pin"].name, str(e["pin"].version))
            files[key] = [IndexFile(got[k][0], path_to_file_url(os.path.join(dest, got[k][0])),
                                    {"sha256": got[k][1]}, size=os.path.getsize(os.path.join(dest, got[k][0])))
                          for f in sorted(e["files"]) for k in (f, (f, "built")) if k in got]
            if len(e["targets"]) < len(targets):
                found = sorted({_target_marker(t, targets) for t in e["targets"]})
                markers[key] = " or ".join("(%s)" % m for m in found) if len(found) > 1 else found[0]
        text = format_pylock([e["pin"] for e in entries], requires_python=None, index_url=None,
                             files_by_name=files, relative_to=dest, markers=markers)
        atomic_write_text(os.path.join(dest, "pylock.toml"), _LOCK_HEADER
                          + ": install with\n#    puffin.py pip-sync pylock.toml --offline\n" + text)


# ---- looking at an environment --------------------------------------------------------------

def _site_for(args, printer):
    """The environment a read-only command looks at; a warning when a killed
    process left work there that only a changing command repairs."""
    cache = existing_cache(args)
    interp = target_interpreter(args, cache, for_install=False)
    scheme = install_scheme(args, interp)
    args.interrupted = interrupted_work(site_dirs(scheme))
    for what in args.interrupted:
        warn_user("an interrupted %s was found in %s: the next pip-install, pip-sync or "
                  "pip-uninstall repairs it" % (what, site_dirs(scheme)[0]))
    return interp, scheme, SitePackages.from_scheme(scheme)


_REPAIRED = {"install": "removed its half-installed files",
             "uninstall": "finished removing it",
             "upgrade": "put the old version back"}


def _repair(scheme: "dict", printer: "Printer") -> "None":
    """Finish what a killed process left in the environment, and say what."""
    for r in repair_interrupted(site_dirs(scheme)):
        printer.info("Repaired an interrupted %s of %s: %s" % (r.kind, r.label, _REPAIRED[r.kind]))


def pip_uninstall(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    sources = read_sources(args.requirement, requirements=args.package, file_hint=False)
    names = [e.name for e in sources.requirements if e.name]
    if not names:
        raise UsageError("nothing to uninstall: name packages or pass -r FILE")
    cache = open_cache(args)
    interp = target_interpreter(args, cache, for_install=True)
    scheme = install_scheme(args, interp)
    with _environment_lock(scheme, interp):
        _repair(scheme, printer)  # a killed install, upgrade or uninstall first
        site = SitePackages.from_scheme(scheme)
        found = []
        for n in names:
            dists = site.get_all(n)
            if not dists:
                warn_user("Skipping %s as it is not installed" % n)
            found += [d for d in dists if d not in found]
        if not found:
            printer.info("No packages to uninstall")
            return 0
        if args.dry_run:
            printer.done("Would uninstall %s" % plural(len(found), "package"))
            for d in sorted(found, key=lambda d: d.name):
                printer.info(change_line(printer, "-", d.name, "%s==%s" % (d.name, d.version)))
            return 0
        for d in found:
            uninstall(d, dist_scheme(scheme, d.name))
    printer.done("Uninstalled %s in %s" % (plural(len(found), "package"),
                                            format_duration(time.perf_counter() - start)))
    for d in sorted(found, key=lambda d: d.name):
        printer.info(change_line(printer, "-", d.name, "%s==%s" % (d.name, d.version)))
    return 0


def _freeze_line(dist) -> "str":
    """What pip-freeze prints for one distribution, as pip does: a git
    install by its commit, an editable git checkout as ``-e git+...#egg=``."""
    direct = dist.direct_url
    if direct and direct.url:
        sub = "#subdirectory=%s" % direct.subdirectory if direct.subdirectory else ""
        if direct.editable:
            if direct.url.startswith("file:"):
                git = GitSource(None).describe(file_url_to_path(direct.url))
                if git is not None:
                    return "-e git+%s@%s#egg=%s%s" % (git[0], git[1], dist.name,
                                                       sub.replace("#", "&"))
            return "-e %s" % direct.url
        if direct.kind == "vcs" and direct.vcs == "git" and direct.commit_id:
            return "%s @ git+%s@%s%s" % (dist.name, direct.url, direct.commit_id, sub)
        return "%s @ %s" % (dist.name, direct.url)
    return "%s==%s" % (dist.name, dist.version)


def pip_freeze(args, printer: "Printer") -> "int":
    _interp, _scheme, site = _site_for(args, printer)
    for d in site:
        if args.exclude_editable and _is_editable(d):
            continue
        printer.out(_freeze_line(d))
    return 0


def _is_editable(dist) -> "bool":
    direct = dist.direct_url
    return bool(direct and direct.editable)


def pip_list(args, printer: "Printer") -> "int":
    interp, _scheme, site = _site_for(args, printer)
    dists = [d for d in site if (not args.editable or _is_editable(d))
             and not (args.exclude_editable and _is_editable(d))]
    latest = {}
    if args.outdated:
        if args.format == "freeze":
            raise UsageError("--outdated cannot be used with --format freeze")
        latest = _latest_versions(args, interp, [d.name for d in dists])
        dists = [d for d in dists if d.name in latest and latest[d.name][0] > d.version]
    if args.format == "json":
        rows = []
        for d in dists:
            row = {"name": d.name, "version": str(d.version)}
            if args.outdated:
                row.update(latest_version=str(latest[d.name][0]), latest_filetype=latest[d.name][1])
            rows.append(row)
        printer.out(json.dumps(rows))
    elif args.format == "freeze":
        for d in dists:
            printer.out("%s==%s" % (d.name, d.version))
    else:
        if not dists:
            return 0
        header = ("Package", "Version") + (("Latest", "Type") if args.outdated else ())
        rows = [header] + [(d.name, str(d.version)) + (
            (str(latest[d.name][0]), latest[d.name][1]) if args.outdated else ()) for d in dists]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        printer.out(" ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip())
        printer.out(" ".join("-" * w for w in widths))
        for row in rows[1:]:
            printer.out(" ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0


def _latest_versions(args, interp: "Interpreter", names) -> "dict":
    """{canonical name: (Version, "wheel" | "sdist")}: the newest version the
    indexes offer for this environment (a wheel its tags take, or an sdist;
    its Requires-Python; not yanked; final releases unless --pre), as
    ``uv pip list --outdated`` reports it. Pages are fetched concurrently."""
    cache = open_cache(args)
    client, _db = open_registry(args, cache)
    priority = interp.tag_priority()
    python = interp.python_version
    pre = bool(_opt(args, "pre"))

    def newest(name):
        best = None
        for f in client.files(name):
            v = f.version
            if v is None or f.yanked is not None or (v.is_prerelease and not pre):
                continue
            if f.requires_python and not _contains_safe(f.requires_python, python):
                continue
            if f.is_wheel:
                w = f.wheel
                if w is None or priority.best(w.tags) is None:
                    continue
            elif f.sdist is None:
                continue
            kind = "wheel" if f.is_wheel else "sdist"
            if best is None or v > best[0] or (v == best[0] and kind == "wheel"):
                best = (v, kind)
        return name, best

    out = {}
    for name, best in thread_pool().map(newest, [canonicalize_name(n) for n in names]):
        if best is not None:
            out[name] = best
    return {n: out[canonicalize_name(n)] for n in names if canonicalize_name(n) in out}


def pip_tree(args, printer: "Printer") -> "int":
    """The environment's dependency tree, as ``uv pip tree`` draws it: roots
    (packages nothing installed requires, or --package ones) by name, their
    requirements below them by name, a subtree already drawn shown once and
    then marked (*); --invert draws who requires each package instead."""
    interp, _scheme, site = _site_for(args, printer)
    env = dict(interp.markers, extra="")
    installed = {canonicalize_name(d.name): d for d in site}
    requires = {name: {} for name in installed}        # name -> {dependency: specifier}
    for name, d in installed.items():
        try:
            reqs = d.metadata.requires_dist
        except PuffinError:
            continue
        for r in reqs:
            dep = canonicalize_name(r.name)
            if dep in installed and dep != name and (r.marker is None or r.marker.evaluate(env)):
                requires[name].setdefault(dep, str(r.specifier) or "*")
    edges = requires
    if args.invert:
        edges = {name: {} for name in installed}
        for name, deps in requires.items():
            for dep, spec in deps.items():
                edges[dep][name] = "%s %s" % (dep, spec)
    pruned = {canonicalize_name(n) for n in args.prune}
    if args.package:
        roots = sorted({canonicalize_name(n) for n in args.package} & set(installed))
    elif args.invert:
        roots = sorted(n for n in installed if not requires[n])
    else:
        below = {dep for deps in edges.values() for dep in deps}
        roots = sorted(n for n in installed if n not in below)
    roots = [n for n in roots if n not in pruned]
    if not args.package:
        # a cycle nothing outside requires has no root: its first member by name
        # becomes one (as uv), so every installed package is drawn
        seen, stack = set(), list(roots)
        for start in [None] + sorted(installed):
            if start is not None:
                if start in seen or start in pruned:
                    continue
                roots.append(start)
                stack = [start]
            while stack:
                n = stack.pop()
                if n not in seen:
                    seen.add(n)
                    stack.extend(c for c in edges[n] if c not in pruned)
        roots.sort()
    visited, lines, marked = {}, [], [False]
    label = "requires" if args.invert else "required"

    def visit(name, spec, path, prefix_first, prefix_rest):
        line = "%s v%s" % (name, installed[name].version)
        if spec is not None and args.show_version_specifiers:
            line += " [%s: %s]" % (label, spec)
        if len(path) > args.depth:
            return
        children = sorted(c for c in edges[name] if c not in pruned)
        if name in visited and (not args.no_dedupe or name in path):
            if visited[name]:
                line += " (*)"
                marked[0] = True
            lines.append(prefix_first + line)
            return
        visited[name] = children
        lines.append(prefix_first + line)
        path.append(name)
        for i, child in enumerate(children):
            last = i == len(children) - 1
            visit(child, edges[name][child], path, prefix_rest + ("└── " if last else "├── "),
                  prefix_rest + ("    " if last else "│   "))
        path.pop()

    for root in roots:
        visit(root, None, [], "", "")
    for line in lines:
        printer.out(line)
    if marked[0]:
        printer.out("(*) Package tree already displayed")
    return 0


def pip_show(args, printer: "Printer") -> "int":
    interp, _scheme, site = _site_for(args, printer)
    missing, shown = [], []
    for n in args.package:
        d = site.get(n)
        if d is None:
            missing.append(canonicalize_name(n))
        elif d not in shown:
            shown.append(d)
    if missing:
        warn_user("Package(s) not found for: %s" % ", ".join(missing))
    if not shown:
        return 1
    required_by = {}
    for other in site:
        try:
            reqs = other.metadata.requires_dist
        except PuffinError:
            continue
        for r in reqs:
            if r.marker is None or r.marker.evaluate(dict(interp.markers, extra="")):
                required_by.setdefault(canonicalize_name(r.name), set()).add(other.name)
    for i, d in enumerate(shown):
        if i:
            printer.out("---")
        md = d.metadata
        requires = sorted({canonicalize_name(r.name) for r in md.requires_dist
                           if r.marker is None or r.marker.evaluate(dict(interp.markers, extra=""))})
        printer.out("Name: %s" % d.name)
        printer.out("Version: %s" % d.version)
        printer.out("Location: %s" % d.location)
        printer.out("Requires: %s" % ", ".join(requires))
        printer.out("Required-by: %s" % ", ".join(sorted(required_by.get(d.name, ()))))
        if args.files:
            printer.out("Files:")
            for row in d.record_rows() or ():
                printer.out("  %s" % row[0])
    return 0


def pip_check(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    interp, _scheme, site = _site_for(args, printer)
    problems = site.check(interp.markers, interp.python_version)
    problems += ["an interrupted %s is not finished" % what for what in args.interrupted]
    printer.done("Checked %s in %s" % (plural(len(site), "package"),
                                       format_duration(time.perf_counter() - start)))
    if not problems:
        printer.out("All installed packages are compatible")
        return 0
    printer.out("Found %s" % plural(len(problems), "incompatibility", "incompatibilities"))
    for p in problems:
        printer.out(p)
    return 1


# ---- venv and cache -----------------------------------------------------------------------------

def venv_command(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    if args.clear and args.allow_existing:
        raise UsageError("--clear and --allow-existing cannot be used together")
    cache = open_cache(args)
    if args.python:
        base = find_target(python=args.python, env=_env(args), cache=cache)
    else:
        base = Interpreter.query(sys.executable, cache)
    path = args.path
    printer.info("Using %s %s interpreter at: %s" % (
        "CPython" if base.implementation_name == "cpython" else base.implementation_name,
        base.python_full_version, base.sys_executable))
    printer.info("Creating virtual environment at: %s" % path)
    venv = create_venv(path, base, seed=args.seed, prompt=args.prompt,
                       existing="clear" if args.clear else "allow" if args.allow_existing else "refuse",
                       system_site_packages=args.system_site_packages)
    if args.seed:
        _seed_venv(args, printer, venv)
    printer.debug("created in %s" % format_duration(time.perf_counter() - start))
    printer.info("Activate with: source %s" % os.path.join(path, "bin", "activate"))
    return 0


def _seed_venv(args, printer: "Printer", venv: "Interpreter") -> "None":
    """``venv --seed``: pip (with setuptools and wheel before Python 3.12, as
    uv seeds them) installed by puffin.py itself, the newest versions from the
    cache or the index, with this command's index and cache options. Where
    that cannot be done (offline with an empty cache, no index reachable),
    the interpreter's ensurepip seeds pip instead, with a warning."""
    names = ("pip",) if venv.version_info[:2] >= (3, 12) else SEED_PACKAGES
    sub = args.parse(["pip-install", *names, "--python", venv.sys_executable])
    for name, value in vars(args).items():
        if name not in ("command", "python", "package", "system", "parse") and value is not None:
            setattr(sub, name, value)
    quiet = Printer(quiet=max(printer.quiet, 1), verbose=printer.verbose)
    try:
        pip_install(sub, quiet)
    except PuffinError as e:
        warn_user("could not install %s through puffin.py (%s): seeding pip with ensurepip instead"
                  % (", ".join(names), e.message))
        _seed_pip(venv.sys_executable)
        return
    site = SitePackages.from_scheme(venv.scheme("default"))
    for name in names:
        dist = site.get(name)
        if dist is not None:
            printer.info(" + %s==%s" % (dist.name, dist.version))


def cache_command(args, printer: "Printer") -> "int":
    action = getattr(args, "cache_command", None)
    if not action:
        raise UsageError("say what to do with the cache: dir, clean or prune")
    env = _env(args)
    if action == "dir":
        printer.out(Cache.from_settings(cache_dir=_opt(args, "cache_dir"), env=env).root)   # not created
        return 0
    if action == "size":
        cache = Cache.from_settings(cache_dir=_opt(args, "cache_dir"), env=env)
        size = cache.size() if os.path.isdir(cache.root) else 0
        printer.out(format_size(size) if args.human else str(size))
        return 0
    cache = Cache.from_settings(cache_dir=_opt(args, "cache_dir"), env=env)
    start = time.perf_counter()
    def waiting():
        printer.info("Waiting for other puffin.py processes to finish with the cache at %s"
                     % cache.root)

    with cache.exclusive(on_wait=waiting):
        if action == "clean":
            stats = cache.clean(args.package or None)
            what = "for %s" % ", ".join(args.package) if args.package else "at %s" % cache.dir
            printer.info("Cleaning %s" % what)
        else:
            stats = cache.prune(ci=bool(getattr(args, "ci", False)))
            printer.info("Pruning cache at: %s" % cache.dir)
    files = stats.get("files", 0) if isinstance(stats, dict) else 0
    size = stats.get("bytes", 0) if isinstance(stats, dict) else 0
    printer.info("Removed %s (%s) in %s" % (plural(files, "file"), format_size(size),
                                            format_duration(time.perf_counter() - start)))
    return 0


# ---- the installation report (pip's --report, version 1) ------------------------------

REPORT_VERSION = "1"


def report_pip_version() -> "str":
    """What goes in the report's ``pip_version``: puffin's version with the
    local label ``+puffin`` (``0.1.0+puffin``). Readers require a string there
    and some parse it as a version (PEP 440: this one parses, and says who
    wrote it); they tell the format by ``version``, never by ``pip_version``.
    pip's own version would be a lie, a second key would break readers that
    validate the key set."""
    return __version__ + (".puffin" if "+" in __version__ else "+puffin")


class ReportItem(Value):
    """One package of a report: the ResolvedPackage ``pin``, its ``metadata``
    (Metadata, or METADATA bytes/text), whether the user asked for it
    (``requested``), and the archive's ``sha256`` when the caller knows it."""

    __slots__ = ("pin", "metadata", "requested", "sha256")

    def __init__(self, pin, metadata, requested=False, sha256=None):
        self.pin = pin
        self.metadata = metadata
        self.requested = bool(requested)
        self.sha256 = sha256


def report_item_dict(item: "ReportItem") -> "dict":
    """One ``install[]`` entry, keys in pip's order. ``requested_extras`` only
    for a requested package with extras: every extra the resolution turned on
    for it, canonical and sorted (pip lists the union the same way)."""
    pin = item.pin
    dist = pin.dist
    md = item.metadata
    if not isinstance(md, (bytes, str)):
        md = metadata_text(md)
    out = {
        "download_info": download_info(dist, item.sha256),
        "is_direct": dist.kind != "registry",
        "is_yanked": bool(dist.kind == "registry" and dist.file is not None
                          and dist.file.yanked is not None),
        "requested": item.requested,
        "metadata": metadata_to_json(md),
    }
    if item.requested and pin.extras:
        out["requested_extras"] = sorted({canonicalize_name(e) for e in pin.extras})
    return out


def installation_report(items, environment) -> "dict":
    """pip's installation report (format "1") of ``items`` (ReportItems, in the
    order to show) for the marker ``environment`` the resolver used (the
    target's, or what --python-version / --python-platform make of it)."""
    return {
        "version": REPORT_VERSION,
        "pip_version": report_pip_version(),
        "install": [report_item_dict(i) for i in items],
        "environment": marker_environment_json(environment),
    }


def plan_report_items(install_items, view) -> "list":
    """ReportItems of a plan's PlanItems, their metadata from ``view`` (the
    RegistryView the resolver used, which remembers what it read)."""
    out = []
    for it in install_items:
        d = it.pin.dist
        target = d.file if d.kind == "registry" and d.file is not None else d
        out.append(ReportItem(it.pin, view.metadata(target), it.requested))
    return out


def write_installation_report(path: "str", report: "dict") -> "None":
    """Write the report as pip does (JSON, indent 2, UTF-8, non-ASCII as is):
    ``-`` is stdout (which then holds nothing else: puffin's lines go to
    stderr), anything else a file replaced at once."""
    data = (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if path == "-":
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            out.write(data)
        sys.stdout.flush()
        return
    atomic_write(os.path.abspath(path), data)


# ---- index: a wheelhouse as a static simple index --------------------------------------

# Layout (DIR is the folder of wheels and sdists; nothing is moved):
#
#   DIR/alpha-1.0-py3-none-any.whl             the files, where they were
#   DIR/alpha-1.0-py3-none-any.whl.metadata    PEP 658: its METADATA, verbatim
#   DIR/simple/index.html, index.json          PEP 503 / PEP 691 root
#   DIR/simple/alpha/index.html, index.json    one project; hrefs ../../FILE
#   DIR/simple/.puffin-index.json              state: what was hashed
#
# A static server cannot negotiate content types: for a directory URL it sends
# index.html, whatever the Accept header asks. pip, uv and puffin.py all send
# Accept preferring PEP 691 JSON but taking text/html, and read the type from
# Content-Type, so `--index-url http://host/simple/` works with HTML for all
# three (python -m http.server, nginx, S3, GitHub Pages). The JSON twin
# (index.json) is for what can use it: puffin.py's file:// indexes read
# index.json first (RegistryClient._file_index_page), and a server that can
# negotiate (Apache MultiViews, an nginx map on $http_accept) can send it for
# JSON requests. Only JSON carries size and upload-time (PEP 700; the HTML
# form has no attribute for them).

STATIC_INDEX_STATE = ".puffin-index.json"


class StaticIndexReport(Value):
    """What write_static_index did: ``projects`` and ``files`` indexed,
    ``hashed`` (files read because they were new or changed),
    ``pages_written`` (a project page or the root, HTML and JSON counting as
    one), ``metadata_written`` (.metadata files), ``removed`` (projects whose
    pages went with their last file), ``skipped`` ([(filename, reason)]:
    archives that are not usable distributions)."""

    __slots__ = ("projects", "files", "hashed", "pages_written", "metadata_written",
                 "removed", "skipped")

    def __init__(self, projects=0, files=0, hashed=0, pages_written=0, metadata_written=0,
                 removed=0, skipped=()):
        self.projects = projects
        self.files = files
        self.hashed = hashed
        self.pages_written = pages_written
        self.metadata_written = metadata_written
        self.removed = removed
        self.skipped = list(skipped)


def write_static_index(folder: "str", *, base_url: "str | None" = None,
                       sdist_metadata: "bool" = True) -> "StaticIndexReport":
    """Write (or bring up to date) a PEP 503/691 simple index in FOLDER/simple
    for the wheels and sdists in FOLDER, for any static file server.

    Incremental: a file whose size and mtime match the state file is not read
    again, and a page is written only when its bytes change, so adding one
    wheel rewrites that project's page (and the root for a new project).
    ``base_url``: where the files are served when not beside ``simple/``
    (default: relative links ``../../FILE``). ``sdist_metadata``: offer an
    sdist's PKG-INFO as its .metadata when it is static (PEP 643).
    NotFoundError when FOLDER is not a folder. Output is sorted: the same
    files give the same bytes."""
    folder = os.path.abspath(folder)
    if not os.path.isdir(folder):
        raise NotFoundError("the folder `%s` does not exist" % folder)
    simple = os.path.join(folder, "simple")
    with FileLock(os.path.join(simple, ".puffin-index.lock")):  # two runs at once: one after the other
        state_path = os.path.join(simple, STATIC_INDEX_STATE)
        old = _read_index_state(state_path)
        found, skipped = _scan_wheelhouse(folder)
        entries, fresh_metadata, hashed = {}, {}, 0
        with span("index.hash", files=len(found)):
            for filename in sorted(found):
                project, st = found[filename]
                entry = old.get(filename)
                if entry is None or not _entry_unchanged(entry, st):
                    entry, data, reason = _index_entry(folder, filename, project, st, sdist_metadata)
                    hashed += 1
                    if entry is None:
                        skipped.append((filename, reason))
                        continue
                    if data is not None:
                        fresh_metadata[filename] = data
                entries[filename] = entry
        metadata_written = _write_metadata_files(folder, entries, fresh_metadata, sdist_metadata)
        _remove_orphan_metadata(folder, old, entries)
        by_project = _group_by_project(entries)
        pages = sum(_write_project_pages(simple, p, files, base_url)
                    for p, files in sorted(by_project.items()))
        gone = sorted({_project_of(f) for f in old} - set(by_project) - {None})
        for project in gone:
            _remove_project_pages(simple, project)
        names = sorted(by_project)
        root = _write_if_changed(os.path.join(simple, "index.html"), static_root_html(names))
        root |= _write_if_changed(os.path.join(simple, "index.json"), static_root_json(names))
        if entries != old:
            atomic_write_text(state_path, json.dumps({"version": 1, "files": entries},
                                                     indent=1, sort_keys=True) + "\n")
    return StaticIndexReport(len(by_project), len(entries), hashed, pages + int(root),
                             metadata_written, len(gone), sorted(skipped))


def _scan_wheelhouse(folder: "str"):
    """({filename: (canonical project, stat)}, [(filename, reason)]) of the
    archives directly in ``folder``. Hidden files (our temporaries, editors')
    and sub-folders are not looked at; an archive whose name is not a wheel or
    sdist name is skipped with the reason."""
    found, skipped = {}, []
    with os.scandir(folder) as it:
        for d in it:
            name = d.name
            if name.startswith(".") or not _is_dist_filename(name) or not d.is_file():
                continue
            project = _project_of(name)
            if project is None:
                skipped.append((name, "not a valid wheel or sdist (.tar.gz, .zip) file name"))
                continue
            found[name] = (project, d.stat())
    return found, skipped


def _project_of(filename: "str"):
    """Canonical project name of a distribution file name, or None. The name
    becomes a folder of simple/, so it must be a PEP 503 normalized name."""
    try:
        if filename.endswith(".whl"):
            project = WheelFilename.from_filename(filename).name
        else:
            project = SdistFilename.from_filename(filename).name
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return project if is_normalized_name(project) else None


def _file_version_key(filename: "str"):
    """Sort key: by version, then by name (1.10 after 1.9)."""
    try:
        if filename.endswith(".whl"):
            return (0, WheelFilename.from_filename(filename).version, filename)
        return (0, SdistFilename.from_filename(filename).version, filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return (1, None, filename)


def _entry_unchanged(entry: "dict", st) -> "bool":
    return entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns


def _index_entry(folder: "str", filename: "str", project: "str", st, sdist_metadata: "bool"):
    """(state entry, core metadata bytes or None, None) for one new or changed
    file, or (None, None, reason) when it is unusable (a wheel without
    readable METADATA, or one naming another project)."""
    path = os.path.join(folder, filename)
    try:
        data = _dist_core_metadata(path, filename, project)
    except (OSError, ValueError, InvalidMetadata, PuffinError) as e:
        return None, None, "cannot read its metadata: %s" % e
    md = None
    if data is not None:
        md = Metadata.from_bytes(data)
        if canonicalize_name(md.name) != project:
            return None, None, "its metadata names the project `%s`" % md.name
    offer = data is not None and (filename.endswith(".whl") or (sdist_metadata and _is_static(md)))
    entry = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
             "sha256": hash_file(path)["sha256"],
             "requires_python": _requires_python_of(md),
             "metadata_sha256": _sha256(data) if offer else None}
    return entry, (data if offer else None), None


def _dist_core_metadata(path: "str", filename: "str", project: "str"):
    """METADATA of a wheel (through the checked zip reader), PKG-INFO of an
    sdist, or None for an sdist without one (it still gets listed)."""
    if filename.endswith(".whl"):
        return _read_zip_metadata(path, project, filename)
    try:
        return _read_sdist_pkg_info(path)
    except Exception:  # tarfile/zipfile raise many kinds on bad archives; the sdist is listed anyway
        return None


def _requires_python_of(md):
    """The Requires-Python text as the file declares it, or None; an sdist's
    only when not marked Dynamic (a build could change it)."""
    if md is None:
        return None
    if "requires-python" in {d.lower() for d in (md.dynamic or ())}:
        return None
    text = md.get("Requires-Python")
    return text.strip() if text and text.strip() else None


def _sha256(data: "bytes") -> "str":
    import hashlib
    return hashlib.sha256(data).hexdigest()


def _group_by_project(entries: "dict") -> "dict":
    """{project: [(filename, entry)]}, files by version then name."""
    out = {}
    for filename, entry in entries.items():
        out.setdefault(_project_of(filename), []).append((filename, entry))
    for files in out.values():
        files.sort(key=lambda fe: _file_version_key(fe[0]))
    return out


def _write_metadata_files(folder: "str", entries: "dict", fresh: "dict", sdist_metadata: "bool") -> "int":
    """Write FILE.metadata for files read this run, and again for unchanged
    ones whose .metadata went missing (then the archive is read once more)."""
    written = 0
    for filename, entry in sorted(entries.items()):
        if not entry.get("metadata_sha256"):
            continue
        target = os.path.join(folder, filename + ".metadata")
        data = fresh.get(filename)
        if data is None:
            if os.path.isfile(target):
                continue
            project = _project_of(filename)
            data = _dist_core_metadata(os.path.join(folder, filename), filename, project)
            if data is None or _sha256(data) != entry["metadata_sha256"]:
                continue  # changed without its mtime changing: next run's hash notices
        if _write_if_changed(target, data):
            written += 1
    return written


def _remove_orphan_metadata(folder: "str", old: "dict", entries: "dict") -> "None":
    """The .metadata we wrote for a file that is gone (or no longer indexed)."""
    for filename, entry in old.items():
        if filename in entries and entries[filename].get("metadata_sha256"):
            continue
        if entry.get("metadata_sha256"):
            try:
                os.unlink(os.path.join(folder, filename + ".metadata"))
            except OSError:
                pass


def _write_project_pages(simple: "str", project: "str", files: "list", base_url) -> "int":
    """1 when the project's pages changed (and were written), else 0."""
    d = os.path.join(simple, project)
    changed = _write_if_changed(os.path.join(d, "index.html"), static_project_html(project, files, base_url))
    changed |= _write_if_changed(os.path.join(d, "index.json"), static_project_json(project, files, base_url))
    return int(changed)


def _remove_project_pages(simple: "str", project: "str") -> "None":
    """Only the pages we wrote; the folder too when nothing else is in it."""
    d = os.path.join(simple, project)
    for name in ("index.html", "index.json"):
        try:
            os.unlink(os.path.join(d, name))
        except OSError:
            pass
    try:
        os.rmdir(d)
    except OSError:
        pass


def _read_index_state(path: "str") -> "dict":
    """{filename: entry} of the last run; {} when missing or unreadable
    (then every file is read again: the state is a cache, never the truth)."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read())
    except (OSError, ValueError):
        return {}
    files = doc.get("files") if isinstance(doc, dict) and doc.get("version") == 1 else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)}


def _write_if_changed(path: "str", data) -> "bool":
    """Write ``data`` (str or bytes) unless the file already holds exactly it;
    True when written. Comparing bytes, not dates, is what keeps untouched
    pages untouched (and their mtimes, so HTTP caches keep validating)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read(len(data) + 1) == data:
                return False
    except OSError:
        pass
    atomic_write(path, data)
    return True


def _static_href(filename: "str", base_url) -> "str":
    """A file's URL from its project page: relative (``../../FILE``, the
    files sit two folders up) or under ``base_url``."""
    from urllib.parse import quote
    base = "../../" if not base_url else base_url.rstrip("/") + "/"
    return base + quote(filename)


def _upload_time(entry: "dict") -> "str":
    """The file's mtime as PEP 700's ``upload-time`` (UTC, ``Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(entry["mtime_ns"] / 1e9))


_STATIC_HEAD = ('<!DOCTYPE html>\n<html>\n  <head>\n'
                '    <meta name="pypi:repository-version" content="1.1">\n'
                '    <title>%s</title>\n  </head>\n  <body>\n')
_STATIC_TAIL = "  </body>\n</html>\n"


def static_project_html(project: "str", files: "list", base_url=None) -> "str":
    """A PEP 503 project page: an anchor per file with ``#sha256=``,
    ``data-requires-python`` (HTML-escaped: ``<`` and ``>`` are common) and
    the PEP 658/714 attributes (both names: pip before 23.2 knows only the old)."""
    import html
    title = "Links for %s" % html.escape(project)
    out = [_STATIC_HEAD % title, "    <h1>%s</h1>\n" % title]
    for filename, entry in files:
        attrs = ['href="%s"' % html.escape("%s#sha256=%s" % (_static_href(filename, base_url),
                                                              entry["sha256"]))]
        if entry.get("requires_python"):
            attrs.append('data-requires-python="%s"' % html.escape(entry["requires_python"]))
        if entry.get("metadata_sha256"):
            value = "sha256=" + entry["metadata_sha256"]
            attrs.append('data-dist-info-metadata="%s" data-core-metadata="%s"' % (value, value))
        out.append("    <a %s>%s</a><br />\n" % (" ".join(attrs), html.escape(filename)))
    out.append(_STATIC_TAIL)
    return "".join(out)


def static_project_json(project: "str", files: "list", base_url=None) -> "str":
    """The PEP 691 twin of the project page (api-version 1.1: PEP 700's
    ``versions``, ``size`` and ``upload-time``). ``core-metadata`` is PEP
    714's key, ``data-dist-info-metadata`` the one PyPI sent before it."""
    rows, versions = [], []
    for filename, entry in files:
        meta = {"sha256": entry["metadata_sha256"]} if entry.get("metadata_sha256") else False
        row = {"filename": filename, "url": _static_href(filename, base_url),
               "hashes": {"sha256": entry["sha256"]}}
        if entry.get("requires_python"):
            row["requires-python"] = entry["requires_python"]
        row.update({"size": entry["size"], "upload-time": _upload_time(entry), "yanked": False,
                    "core-metadata": meta, "data-dist-info-metadata": meta})
        rows.append(row)
        version = _file_version_key(filename)[1]
        if version is not None and str(version) not in versions:
            versions.append(str(version))
    doc = {"meta": {"api-version": "1.1"}, "name": project, "versions": versions, "files": rows}
    return json.dumps(doc, indent=1) + "\n"


def static_root_html(projects) -> "str":
    import html
    from urllib.parse import quote
    out = [_STATIC_HEAD % "Simple index"]
    out += ['    <a href="%s/">%s</a><br />\n' % (html.escape(quote(p)), html.escape(p))
            for p in projects]
    out.append(_STATIC_TAIL)
    return "".join(out)


def static_root_json(projects) -> "str":
    doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
    return json.dumps(doc, indent=1) + "\n"


def index_command(args, printer: "Printer") -> "int":
    start = time.perf_counter()
    # 1. Index the folder (only files that are new or changed are read).
    report = write_static_index(args.folder, base_url=args.base_url)
    # 2. Say what was skipped, then one summary line.
    for filename, reason in report.skipped:
        warn_user("skipped `%s`: %s" % (filename, reason))
    printer.info("Indexed %s of %s in %s (%s written)" % (
        plural(report.files, "file"), plural(report.projects, "project"),
        format_duration(time.perf_counter() - start), plural(report.pages_written, "page")))
    return 0




# ---- self: puffin.py installed as a module, its version, its update ----------------------------

SELF_PROJECT = "puffin.py"   # the project name puffin.py installs itself under (pyproject.toml's)


def _self_source() -> "str":
    """The file this puffin.py runs from; a usage error when that is bytecode only."""
    here = os.path.realpath(globals().get("__file__") or "")
    if not here.endswith(".py") or not os.path.isfile(here):
        raise UsageError("puffin.py runs from %s, not from its source: run the `self` command "
                         "from puffin.py itself" % (here or "nowhere"))
    return here


def _source_version(source: "bytes", what: "str") -> "str":
    """The ``__version__`` a puffin.py source sets; InputError naming ``what`` if none."""
    m = _lazy_re(r'(?m)^__version__ = "([^"]+)"').search(source.decode("utf-8", "replace"))
    if m is None:
        raise InputError("%s is not puffin.py: it sets no __version__" % what)
    return m.group(1)


def self_wheel(source: "bytes", folder: "str") -> "str":
    """A wheel of puffin.py (the module ``puffin`` and a ``puffin`` console
    script) made from ``source``, written into ``folder``; its path."""
    import zipfile
    version = _source_version(source, "this file")
    Version(version)   # raises InvalidVersion on nonsense
    dist_info = "puffin_py-%s.dist-info" % version
    members = [
        ("puffin.py", source),
        (dist_info + "/METADATA", ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: A Python "
                                   "package installer in one file of pure standard-library Python\n"
                                   "Requires-Python: >=3.9\n" % (SELF_PROJECT, version)).encode()),
        (dist_info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: puffin.py %s\nRoot-Is-Purelib: true\n"
                                "Tag: py3-none-any\n" % version).encode()),
        (dist_info + "/entry_points.txt", b"[console_scripts]\npuffin = puffin:main_console\n"),
    ]
    record = [RecordEntry(name, record_hash(data), len(data)) for name, data in members]
    record.append(RecordEntry(dist_info + "/RECORD", None, None))
    members.append((dist_info + "/RECORD", format_record(record).encode()))
    path = os.path.join(folder, "puffin_py-%s-py3-none-any.whl" % version)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return path


def _self_install_source(args, printer: "Printer", source: "bytes", python: "str | None" = None) -> "int":
    """Install ``source`` as puffin.py (module, bytecode, launcher, RECORD)
    through pip-install, with this command's target and cache options."""
    import tempfile
    folder = tempfile.mkdtemp(prefix="puffin-self-")
    try:
        wheel = self_wheel(source, folder)
        version = os.path.basename(wheel).split("-")[1]
        more = ["--python", python] if python else []
        # by name from a find-links folder, not by path: no direct_url.json naming a
        # temporary file, and pip-freeze says puffin.py==VERSION
        sub = args.parse(["pip-install", "%s==%s" % (SELF_PROJECT, version), "--reinstall-package",
                          SELF_PROJECT, "--compile-bytecode", "--no-index", "--find-links", folder] + more)
        for name in ("python", "system", "break_system_packages", "target", "prefix", "user",
                     "cache_dir", "no_cache", "link_mode", "env", "as_script", "argv", "parse"):
            value = getattr(args, name, None)
            if value is not None and not (name == "python" and python):
                setattr(sub, name, value)
        return pip_install(sub, printer)
    finally:
        remove_tree(folder)


def self_command(args, printer: "Printer") -> "int":
    action = getattr(args, "self_command", None)
    if action == "version":
        where = globals().get("__file__") or "?"
        printer.out("puffin.py %s (%s)" % (__version__, os.path.realpath(where)))
        return 0
    if action == "install":
        with open(_self_source(), "rb") as f:
            source = f.read()
        code = _self_install_source(args, printer, source)
        if code == 0:
            printer.info("puffin.py %s is installed: run `puffin` from that environment's "
                         "scripts folder, or `python -m puffin`" % __version__)
        return code
    if action == "update":
        return _self_update(args, printer)
    raise UsageError("say what to do: self version, self install or self update")


def _self_update(args, printer: "Printer") -> "int":
    """Replace this puffin.py with ``--from`` (a file or a URL; a URL needs
    ``--sha256``, a file is checked when it is given). The new source must
    compile and name its version. Where this puffin.py is an installed module
    (a RECORD of the project beside it), it is installed again there, so the
    RECORD, the bytecode and the launcher stay right; else the file is
    replaced in place, atomically."""
    import hashlib
    here = _self_source()
    src = args.source
    if "://" in src:
        if not args.sha256:
            raise UsageError("self update --from a URL needs --sha256 HEX: the file is run as code")
        http = HttpClient(timeout=_opt(args, "timeout"), cert=_opt(args, "cert"), env=_env(args),
                          offline=bool(_opt(args, "offline")))
        data = http.get(src).body
    else:
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InputError("cannot read %s: %s" % (src, e.strerror or e))
    if args.sha256:
        _check_hashes(os.path.basename(src), {"sha256": {args.sha256.lower()}},
                      {"sha256": hashlib.sha256(data).hexdigest()})
    try:
        compile(data, src, "exec")
    except (SyntaxError, ValueError) as e:
        raise InputError("%s is not a Python file this interpreter can run: %s" % (src, e))
    new_version = _source_version(data, src)
    folder = os.path.dirname(here)
    installed = [n for n in os.listdir(folder) if n.startswith("puffin_py-") and n.endswith(".dist-info")]
    if installed:
        code = _self_install_source(args, printer, data, python=sys.executable)
    else:
        tmp = here + ".puffin-update-%d" % os.getpid()
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.chmod(tmp, stat.S_IMODE(os.stat(here).st_mode))
            os.replace(tmp, here)
        finally:
            remove_tree(tmp)
        code = 0
    if code == 0:
        printer.info("Updated puffin.py %s -> %s (%s)" % (__version__, new_version, here))
    return code


COMMANDS = {
    "pip-compile": pip_compile,
    "pip-sync": pip_sync,
    "pip-install": pip_install,
    "pip-uninstall": pip_uninstall,
    "pip-freeze": pip_freeze,
    "pip-list": pip_list,
    "pip-tree": pip_tree,
    "pip-show": pip_show,
    "pip-check": pip_check,
    "venv": venv_command,
    "cache": cache_command,
    "index": index_command,
    "pip-download": pip_download,
    "self": self_command,
}


def run_command(args, printer: "Printer") -> "int":
    return COMMANDS[args.command](args, printer)


# =============================================================================
# 14. Command line
# =============================================================================
# Owns: argparse, environment variables, main(argv) -> int and the __main__
# guard; the only place that turns errors into `error:` lines and exit codes.
# Uses every section above.

# ---- settings: the command line, then the environment, then config files ----
#
# An option not given on the command line takes its value from, in order:
# puffin's PUFFIN_* variable, uv's UV_* one, pip's PIP_* one; then uv's
# configuration (UV_CONFIG_FILE, else the nearest uv.toml or pyproject.toml
# [tool.uv] upwards from the current folder, then the user's and the system's
# uv.toml; ``[pip]`` beats the top level), then pip's (PIP_CONFIG_FILE, the
# environment's, the user's and the site's pip.conf; a command's section beats
# ``[global]``). Lists (extra indexes, find-links, trusted hosts) add up with
# the command line's, as pip's do. ``--no-config`` (PUFFIN_NO_CONFIG,
# UV_NO_CONFIG, or PIP_CONFIG_FILE=/dev/null for pip's files) skips the files;
# ``-v`` says where each value came from.

SETTINGS = (
    Setting("index_url", "str", ("PUFFIN_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "PIP_INDEX_URL"),
            "index-url", "index-url"),
    Setting("extra_index_url", "list", ("PUFFIN_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX",
                                        "PIP_EXTRA_INDEX_URL"), "extra-index-url", "extra-index-url"),
    Setting("find_links", "list", ("PUFFIN_FIND_LINKS", "UV_FIND_LINKS", "PIP_FIND_LINKS"),
            "find-links", "find-links"),
    Setting("no_index", "bool", ("PUFFIN_NO_INDEX", "UV_NO_INDEX", "PIP_NO_INDEX"), "no-index", "no-index"),
    Setting("index_strategy", "str", ("PUFFIN_INDEX_STRATEGY", "UV_INDEX_STRATEGY"), None, "index-strategy"),
    Setting("keyring_provider", "str", ("PUFFIN_KEYRING_PROVIDER", "UV_KEYRING_PROVIDER",
                                        "PIP_KEYRING_PROVIDER"), "keyring-provider", "keyring-provider"),
    Setting("trusted_host", "list", ("PUFFIN_TRUSTED_HOST", "UV_INSECURE_HOST", "PIP_TRUSTED_HOST"),
            "trusted-host", "allow-insecure-host"),
    Setting("cert", "path", ("PUFFIN_CERT", "PIP_CERT"), "cert", None),
    Setting("timeout", "float", _TIMEOUT.env, "timeout", None),
    Setting("offline", "bool", ("PUFFIN_OFFLINE", "UV_OFFLINE"), None, "offline"),
    Setting("cache_dir", "path", ("PUFFIN_CACHE_DIR", "UV_CACHE_DIR"), None, "cache-dir"),
    Setting("no_cache", "bool", ("PUFFIN_NO_CACHE", "UV_NO_CACHE", "PIP_NO_CACHE_DIR"), "no-cache-dir",
            "no-cache"),
    Setting("link_mode", "str", ("PUFFIN_LINK_MODE", "UV_LINK_MODE"), None, "link-mode"),
    Setting("compile_bytecode", "bool", ("PUFFIN_COMPILE_BYTECODE", "UV_COMPILE_BYTECODE"), None,
            "compile-bytecode"),
    Setting("python", "str", ("PUFFIN_PYTHON", "UV_PYTHON"), None, "python"),
    Setting("system", "bool", ("PUFFIN_SYSTEM_PYTHON", "UV_SYSTEM_PYTHON"), None, "system"),
    Setting("break_system_packages", "bool", ("PUFFIN_BREAK_SYSTEM_PACKAGES", "UV_BREAK_SYSTEM_PACKAGES",
                                              "PIP_BREAK_SYSTEM_PACKAGES"),
            "break-system-packages", "break-system-packages"),
    Setting("require_hashes", "bool", ("PUFFIN_REQUIRE_HASHES", "UV_REQUIRE_HASHES", "PIP_REQUIRE_HASHES"),
            "require-hashes", "require-hashes"),
    Setting("prerelease", "str", ("PUFFIN_PRERELEASE", "UV_PRERELEASE"), None, "prerelease"),
    Setting("pre", "bool", ("PIP_PRE",), "pre", None),
    Setting("resolution", "str", ("PUFFIN_RESOLUTION", "UV_RESOLUTION"), None, "resolution"),
    Setting("exclude_newer", "str", ("PUFFIN_EXCLUDE_NEWER", "UV_EXCLUDE_NEWER"), None, "exclude-newer"),
    Setting("only_binary", "list", ("PIP_ONLY_BINARY",), "only-binary", None),
    Setting("prefer_binary", "bool", ("PIP_PREFER_BINARY",), "prefer-binary", None),
    Setting("no_binary", "list", ("PIP_NO_BINARY",), "no-binary", None),
    # (pip's PIP_NO_BUILD_ISOLATION is left out: pip reads it inverted, 0 turning isolation off)
    Setting("no_build_isolation", "bool", ("PUFFIN_NO_BUILD_ISOLATION", "UV_NO_BUILD_ISOLATION"), None,
            "no-build-isolation"),
    Setting("no_build_isolation_package", "list", (), None, "no-build-isolation-package"),
    Setting("build_constraints", "list", ("PUFFIN_BUILD_CONSTRAINT", "UV_BUILD_CONSTRAINT"), None, None),
    Setting("config_settings", "list", ("PIP_CONFIG_SETTINGS",), "config-settings", None),
)
# the values an option takes (as its flag's choices; uv's "clone" link mode is a copy here)
_SETTING_CHOICES = {
    "index_strategy": ("first-index", "unsafe-first-match", "unsafe-best-match"),
    "keyring_provider": ("disabled", "subprocess", "auto", "import"),
    "link_mode": ("hardlink", "copy", "symlink", "clone"),
    "prerelease": ("disallow", "allow", "if-necessary", "explicit", "if-necessary-or-explicit"),
    "resolution": ("highest", "lowest", "lowest-direct"),
}

# pip's configuration section for each command, read after [global]
_PIP_SECTIONS = {"pip-install": "install", "pip-sync": "install", "pip-compile": "install",
                 "pip-download": "download", "pip-uninstall": "uninstall", "pip-freeze": "freeze",
                 "pip-list": "list", "pip-show": "show", "pip-check": "check"}


def _xdg(env, name: "str", default: "str") -> "str":
    value = env.get(name)
    return value if value and os.path.isabs(value) else os.path.join(
        env.get("HOME") or os.path.expanduser("~"), default)


def pip_config_files(env, prefixes=()) -> "list":
    """pip's configuration files that exist, lowest precedence first: site-wide
    ($XDG_CONFIG_DIRS/pip/pip.conf, /etc/pip.conf), the user's (~/.pip/pip.conf,
    $XDG_CONFIG_HOME/pip/pip.conf; skipped when PIP_CONFIG_FILE names a file
    that exists), each environment's ``pip.conf``, then PIP_CONFIG_FILE."""
    named = env.get("PIP_CONFIG_FILE")
    if named == os.devnull:
        return []
    paths = [os.path.join(d, "pip", "pip.conf")
             for d in reversed((env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)) if d]
    paths.append("/etc/pip.conf")
    if not (named and os.path.exists(named)):
        home = env.get("HOME") or os.path.expanduser("~")
        paths += [os.path.join(home, ".pip", "pip.conf"),
                  os.path.join(_xdg(env, "XDG_CONFIG_HOME", ".config"), "pip", "pip.conf")]
    paths += [os.path.join(p, "pip.conf") for p in prefixes if p]
    if named:
        paths.append(named)
    out = []
    for path in paths:
        if os.path.isfile(path) and path not in out:
            out.append(path)
    return out


def read_pip_config(paths, command: "str | None") -> "dict":
    """{key: (raw value, "FILE [section] key")} from pip's ini files, the last
    file winning, a command's section over [global]; keys as pip normalises
    them (lower case, ``_`` as ``-``)."""
    out = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError("cannot read pip's configuration file %s: %s" % (path, e))
        if not text.strip():   # PIP_CONFIG_FILE=/dev/null: nothing to parse (configparser: 1 ms)
            continue
        import configparser
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(text, path)
        except configparser.Error as e:
            raise InputError("cannot read pip's configuration file %s: %s" % (path, e))
        for section in ("global", _PIP_SECTIONS.get(command or "", "")):
            if section and parser.has_section(section):
                for key, value in parser.items(section):
                    key = key.lower().replace("_", "-").lstrip("-")
                    out[key] = (value, "%s [%s] %s" % (path, section, key))
    return out


def uv_config_files(env, cwd: "str") -> "list":
    """uv's configuration files that exist, lowest precedence first: the
    system's and the user's uv.toml, then the nearest uv.toml or pyproject.toml
    with a [tool.uv] table from ``cwd`` upwards; only UV_CONFIG_FILE when set."""
    if env.get("UV_CONFIG_FILE"):
        return [env["UV_CONFIG_FILE"]]
    paths = [os.path.join(d, "uv", "uv.toml")
             for d in reversed((env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)) if d]
    paths.append("/etc/uv/uv.toml")
    paths.append(os.path.join(_xdg(env, "XDG_CONFIG_HOME", ".config"), "uv", "uv.toml"))
    out = [p for p in paths if os.path.isfile(p)]
    folder = os.path.abspath(cwd)
    while True:
        toml = os.path.join(folder, "uv.toml")
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(toml):
            out.append(toml)
            break
        if os.path.isfile(pyproject):
            try:
                with open(pyproject, "rb") as f:
                    if b"[tool.uv" in f.read():
                        out.append(pyproject)
                        break
            except OSError:
                pass
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return out


def read_uv_config(paths) -> "dict":
    """{key: (value, "FILE key")} from uv's TOML files, the last file winning,
    ``[pip]`` over the top level; ``[[index]]`` tables give index-url (the one
    marked ``default``) and extra-index-url (the others, in order)."""
    out = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                doc = toml_loads(f.read(), filename=path)
        except (OSError, UnicodeDecodeError) as e:
            raise InputError("cannot read uv's configuration file %s: %s" % (path, e))
        if os.path.basename(path) == "pyproject.toml":
            doc = (doc.get("tool") or {}).get("uv") or {}
        indexes = doc.get("index") if isinstance(doc.get("index"), list) else []
        extra = [i["url"] for i in indexes if isinstance(i, dict) and i.get("url") and not i.get("default")]
        default = [i["url"] for i in indexes if isinstance(i, dict) and i.get("url") and i.get("default")]
        if extra:
            out["extra-index-url"] = (extra, "%s [[index]]" % path)
        if default:
            out["index-url"] = (default[-1], "%s [[index]] default" % path)
        for table, label in ((doc, ""), (doc.get("pip") if isinstance(doc.get("pip"), dict) else {}, "[pip] ")):
            for key, value in table.items():
                if key not in ("index", "pip"):
                    out[key] = (value, "%s %s%s" % (path, label, key))
    return out


def _shown_setting(value) -> "str":
    """A setting's value as -v prints it: credentials in URLs masked."""
    if isinstance(value, list):
        return " ".join(_shown_setting(v) for v in value)
    return redact_url(value) if isinstance(value, str) and "://" in value else str(value)


def apply_settings(args, env, cwd: "str | None" = None) -> "list":
    """Fill every option the command line left unset from the environment and
    the configuration files (see above); return ``(dest, value, source)`` for
    ``-v``. Values of the wrong kind are usage errors naming their source."""
    wanted = [st for st in SETTINGS if hasattr(args, st.dest)]
    no_config = bool(getattr(args, "no_config", None))
    if not no_config:
        for name in ("PUFFIN_NO_CONFIG", "UV_NO_CONFIG"):
            raw = env.get(name)
            if raw is not None and raw.strip() and parse_bool(raw, name):
                no_config = True
    pip_conf, uv_conf = {}, {}
    if not no_config and wanted:
        prefixes = [sys.prefix] + ([env["VIRTUAL_ENV"]] if env.get("VIRTUAL_ENV") else [])
        pip_conf = read_pip_config(pip_config_files(env, prefixes), getattr(args, "command", None))
        uv_conf = read_uv_config(uv_config_files(env, cwd or os.getcwd()))
    notes, from_pip = [], set()
    for st in wanted:
        given = getattr(args, st.dest)
        if given not in (None, False) and st.kind != "list":
            continue   # the command line wins
        value, source = setting_from_env(env, st)
        if value is None and st.uv and st.uv in uv_conf:
            raw, source = uv_conf[st.uv]
            value = _setting_value(st, raw, source)
        if value is None and st.pip and st.pip in pip_conf:
            raw, source = pip_conf[st.pip]
            value = _setting_value(st, raw, source, pips=True)
        if value is None:
            continue
        if st.dest in _SETTING_CHOICES and value not in _SETTING_CHOICES[st.dest]:
            raise UsageError("%s=%r is not a value %s takes" % (source, value, st.dest.replace("_", "-")),
                             hint="use one of: %s" % ", ".join(_SETTING_CHOICES[st.dest]))
        if st.dest == "link_mode" and value == "clone":
            value = "copy"
        if st.kind == "list":
            value = list(given or []) + [v for v in value if v not in (given or [])]
        setattr(args, st.dest, value)
        notes.append((st.dest, value, source))
        if source.startswith("PIP_") or any(source == entry[1] for entry in pip_conf.values()):
            from_pip.add(st.dest)
    if "extra_index_url" in from_pip and hasattr(args, "index_strategy") and args.index_strategy is None:
        # extra indexes set up for pip are used as pip uses them: every index's
        # versions together (uv's first-index would let a partial mirror hide
        # the default index's newer versions)
        args.index_strategy = "unsafe-best-match"
        notes.append(("index_strategy", args.index_strategy,
                      "pip's extra-index-url, merged as pip merges indexes"))
    return notes


def _add_common(p) -> "None":
    """Options every command takes: output, cache, network."""
    g = p.add_argument_group("global options")
    g.add_argument("-q", "--quiet", action="count", default=0, help="print less (twice: nothing but errors)")
    g.add_argument("-v", "--verbose", action="count", default=0,
                   help="explain more: where the time went, tracebacks of errors")
    g.add_argument("--cache-dir", default=None, help="the cache folder (env PUFFIN_CACHE_DIR)")
    g.add_argument("-n", "--no-cache", "--no-cache-dir", action="store_true", default=None,
                   help="use a temporary cache, removed at exit (env PUFFIN_NO_CACHE)")
    g.add_argument("--offline", action="store_true", default=None,
                   help="never touch the network; use what the cache has (env PUFFIN_OFFLINE)")
    g.add_argument("--no-config", action="store_true", default=None,
                   help="read no configuration file (pip.conf, uv.toml) (env PUFFIN_NO_CONFIG)")
    g.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the output: auto (on a terminal, unless NO_COLOR is set), always, never")


def argparse_suppress():
    return _SUPPRESS


_SUPPRESS = "==SUPPRESS=="   # argparse.SUPPRESS, without importing argparse


class _ArgAction:
    """One add_argument call as _ArgSpec records it (argparse's Action, the
    parts that parsing needs)."""

    __slots__ = ("flags", "dest", "action", "nargs", "type", "choices", "default")

    def __init__(self, flags, kw):
        self.flags = flags
        self.action = kw.get("action", "store")
        self.nargs = kw.get("nargs")
        self.type = kw.get("type")
        self.choices = kw.get("choices")
        if "dest" in kw:
            self.dest = kw["dest"]
        elif flags[0][:1] != "-":
            self.dest = flags[0]
        else:   # argparse's rule: the first long option, else the first one
            first = next((f for f in flags if f.startswith("--")), flags[0])
            self.dest = first.lstrip("-").replace("-", "_")
        default = kw.get("default")
        if "default" not in kw and self.action in ("store_true", "store_false"):
            default = self.action == "store_false"
        if self.action in ("version", "help"):
            default = _SUPPRESS
        self.default = default


class _ArgSpec:
    """Stands in for argparse.ArgumentParser while build_parser runs in spec
    mode: it records the options, groups and subcommands, nothing more."""

    def __init__(self, *args, **kwargs):
        self.actions = []
        self.subcommands = {}
        self.sub_dest = None

    def add_argument(self, *flags, **kw):
        self.actions.append(_ArgAction(flags, kw))

    def add_argument_group(self, *args, **kwargs):
        return self   # groups only order the help

    def add_subparsers(self, dest=None, **kwargs):
        self.sub_dest = dest
        return self

    def add_parser(self, name, **kwargs):
        self.subcommands[name] = child = _ArgSpec()
        return child


class _ArgSpecModule:
    """What build_parser uses of the argparse module, in spec mode."""
    ArgumentParser = _ArgSpec
    HelpFormatter = object
    SUPPRESS = _SUPPRESS


class ParsedArgs:
    """The attributes of a parsed command line (argparse.Namespace's part the
    commands use)."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __contains__(self, key) -> "bool":
        return key in self.__dict__

    def __eq__(self, other):
        return vars(self) == vars(other) if hasattr(other, "__dict__") else NotImplemented

    def __repr__(self) -> "str":
        return "ParsedArgs(%s)" % ", ".join("%s=%r" % kv for kv in sorted(vars(self).items()))


def fast_parse_args(argv):
    """What ``build_parser(argv[0]).parse_known_args(argv)`` gives for a plain
    command line (exact option names, separate or ``--name=value`` values, one
    run of positional arguments), without argparse: argparse and the re,
    gettext and locale it imports are a third of a no-op sync. None for
    anything else (help, an abbreviation, a bad value, ``--``, options run
    together, a command with commands of its own): argparse then parses it and
    words its errors, as always."""
    if not argv or argv[0] not in COMMANDS:
        return None
    root = build_parser(argv[0], spec=True)
    p = root.subcommands.get(argv[0])
    if p is None or p.subcommands:
        return None
    options = {f: a for a in p.actions if a.flags[0][:1] == "-" for f in a.flags}
    positional = [a for a in p.actions if a.flags[0][:1] != "-"]
    given, words, runs, previous = {}, [], 0, None
    i = 1
    while i < len(argv):
        token = argv[i]
        if token[:1] == "-" and token != "-":
            name, eq, value = token.partition("=") if token[:2] == "--" else (token, "", "")
            act = options.get(name)
            if act is None:
                return None
            kind = act.action
            if kind in ("store_true", "store_false", "count"):
                if eq:
                    return None
                if kind == "count":
                    given[act.dest] = (given.get(act.dest, act.default) or 0) + 1
                else:
                    given[act.dest] = kind == "store_true"
            elif kind in ("store", "append") and act.nargs is None:
                if not eq:
                    i += 1
                    if i == len(argv):
                        return None
                    value = argv[i]
                if not value or (value[:1] == "-" and value != "-"):
                    return None
                value = _fast_arg_value(act, value)
                if value is None:
                    return None
                if kind == "store":
                    given[act.dest] = value
                else:
                    items = given.get(act.dest, act.default)
                    given[act.dest] = (list(items) if items else []) + [value]
            else:
                return None
            previous = "option"
        else:
            if previous != "word":
                runs += 1
            words.append(token)
            previous = "word"
        i += 1
    if runs > 1 or len(positional) > 1 or (words and not positional):
        return None
    values = {root.sub_dest: argv[0]}
    for act in p.actions:
        if act.default != _SUPPRESS:
            values[act.dest] = act.default
    if positional:
        act = positional[0]
        n = act.nargs
        if n is None or n == "?":
            if len(words) > 1 or (n is None and not words):
                return None
            if words:
                value = _fast_arg_value(act, words[0])
                if value is None:
                    return None
                values[act.dest] = value
        elif n in ("*", "+"):
            if n == "+" and not words:
                return None
            converted = [_fast_arg_value(act, w) for w in words]
            if None in converted:
                return None
            if words or act.default is None:
                values[act.dest] = converted
        else:
            return None
    values.update(given)
    return ParsedArgs(**values)


def _fast_arg_value(act: "_ArgAction", text: "str"):
    """``text`` through the option's type and choices; None where argparse
    would refuse it (it then says why)."""
    value = text
    if act.type is not None:
        try:
            value = act.type(text)
        except (TypeError, ValueError):
            return None
    if act.choices is not None and value not in act.choices:
        return None
    return value


def _add_python(p, target_dirs: "bool" = False, changes: "bool" = True) -> "None":
    g = p.add_argument_group("target environment")
    g.add_argument("-p", "--python", default=None,
                   help="the Python to install into: an executable, a venv folder, or a version like 3.12")
    g.add_argument("--system", action="store_true", default=None,
                   help="use the system Python (the one running puffin.py when it is not a venv's, "
                        "else the first python3 on PATH) instead of a virtual environment")
    if changes:   # a command that only reads an environment has nothing to allow
        g.add_argument("--break-system-packages", action="store_true", default=None,
                       help="allow --system to change an externally managed (PEP 668) Python")
    if target_dirs:
        g.add_argument("--target", default=None, help="install into this folder (like pip --target)")
        g.add_argument("--prefix", default=None, help="install under this prefix (like pip --prefix)")
        g.add_argument("--user", action="store_true", default=False, help="install into the user site")


def _add_index(p) -> "None":
    g = p.add_argument_group("index options")
    g.add_argument("-i", "--index-url", default=None,
                   help="the package index (default: %s; env PUFFIN_INDEX_URL, PIP_INDEX_URL)" % DEFAULT_INDEX_URL)
    g.add_argument("--extra-index-url", action="append", default=None,
                   help="another index, looked at before the default one (repeatable)")
    g.add_argument("-f", "--find-links", action="append", default=None,
                   help="a folder, file or HTML page of distributions (repeatable)")
    g.add_argument("--no-index", action="store_true", default=None, help="ignore all indexes; only --find-links")
    g.add_argument("--index-strategy", choices=("first-index", "unsafe-first-match", "unsafe-best-match"),
                   default=None, help="how several indexes combine (default: first-index, as uv)")
    g.add_argument("--timeout", type=float, default=None, help="seconds to wait for the network (env PUFFIN_HTTP_TIMEOUT)")
    g.add_argument("--cert", default=None, help="a CA bundle to verify TLS with")
    g.add_argument("--keyring-provider", choices=("disabled", "subprocess", "auto", "import"), default=None,
                   help="ask the `keyring` command for index credentials (as pip and uv; "
                        "env UV_KEYRING_PROVIDER, PIP_KEYRING_PROVIDER)")
    g.add_argument("--trusted-host", action="append", default=None,
                   help="a host to reach over plain HTTP or without verifying TLS (repeatable)")
    g.add_argument("--refresh", action="store_true", default=False, help="revalidate every cached index page")
    g.add_argument("--refresh-package", action="append", default=[], help="revalidate this package's pages")


def _add_resolver(p, install: "bool", targets: "str" = "store") -> "None":
    g = p.add_argument_group("resolver options")
    g.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE",
                   help="constrain versions with this file (repeatable)")
    g.add_argument("--override", action="append", default=[], metavar="FILE",
                   help="override versions with this file (repeatable)")
    g.add_argument("--extra", action="append", default=[], help="an extra of pyproject.toml inputs")
    g.add_argument("--all-extras", action="store_true", help="every extra of pyproject.toml inputs")
    g.add_argument("--group", action="append", default=[], help="a dependency group (PEP 735) of pyproject.toml")
    g.add_argument("--resolution", choices=("highest", "lowest", "lowest-direct"), default=None,
                   help="which versions to prefer: the newest (default), the oldest, or the oldest "
                        "of direct requirements only")
    g.add_argument("--prerelease", choices=("disallow", "allow", "if-necessary", "explicit",
                                            "if-necessary-or-explicit"), default=None,
                   help="when pre-releases may be chosen (default: if-necessary-or-explicit)")
    g.add_argument("--pre", action="store_true", help="same as --prerelease allow")
    g.add_argument("--exclude-newer", default=None, metavar="DATE",
                   help="ignore files uploaded after this date (RFC 3339, or YYYY-MM-DD)")
    many = " (repeatable: one run for several targets)" if targets == "append" else ""
    g.add_argument("--python-version", action=targets, default=[] if many else None,
                   help="resolve for this Python version (X.Y or X.Y.Z)" + many)
    g.add_argument("--python-platform", action=targets, default=[] if many else None,
                   help="resolve for this platform (linux, macos, windows, or a target triple)" + many)
    g.add_argument("-U", "--upgrade", action="store_true", help="ignore pinned or installed versions")
    g.add_argument("-P", "--upgrade-package", action="append", default=[], metavar="NAME",
                   help="ignore the pinned or installed version of NAME (repeatable)")
    g.add_argument("--only-binary", action="append", default=[], metavar="NAMES",
                   help="use only wheels for these packages (:all: for every one)")
    g.add_argument("--no-binary", action="append", default=[], metavar="NAMES",
                   help="never use wheels for these packages (:all: for every one)")
    g.add_argument("--no-build", action="store_true", help="never build a source distribution")
    g.add_argument("--prefer-binary", action="store_true",
                   help="take a version that has a wheel over a newer one that has only an sdist (pip's)")
    g.add_argument("--no-deps", action="store_true", help="ignore the dependencies of packages")


def _add_build(p) -> "None":
    g = p.add_argument_group("build options")
    g.add_argument("-C", "--config-settings", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting passed to every build backend hook (repeatable; a key given "
                        "twice makes a list)")
    g.add_argument("--no-build-isolation", action="store_true", default=None,
                   help="build in the target environment itself: its packages, not a fresh "
                        "environment with the build requirements, serve the build")
    g.add_argument("--no-build-isolation-package", action="append", default=[], metavar="NAME",
                   help="build only this package without isolation (repeatable)")
    g.add_argument("-b", "--build-constraints", "--build-constraint", dest="build_constraints",
                   action="append", default=[], metavar="FILE",
                   help="constrain the versions of build requirements with this file (repeatable)")


def _add_installer(p) -> "None":
    g = p.add_argument_group("installer options")
    g.add_argument("--reinstall", action="store_true", help="reinstall every package")
    g.add_argument("--reinstall-package", action="append", default=[], metavar="NAME",
                   help="reinstall this package even when installed right (repeatable)")
    g.add_argument("--link-mode", choices=("hardlink", "copy", "symlink"), default=None,
                   help="how files get from the cache to the environment (default hardlink)")
    g.add_argument("--compile-bytecode", "--compile", action="store_true",
                   help="compile installed .py files to .pyc")
    g.add_argument("--require-hashes", action="store_true",
                   help="refuse anything without a matching --hash")
    g.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    g.add_argument("--strict", action="store_true", help="fail when the environment is left inconsistent")
    g.add_argument("--report", metavar="FILE", default=None,
                   help="write pip's JSON installation report (version 1) to FILE (- for stdout)")
    g.add_argument("--src", default=None, metavar="DIR",
                   help="where editable git sources are checked out (default: ENV/src in a "
                        "virtual environment, else ./src), as pip's --src")


class _Skipped:
    """Stands in for the options of commands not being run: building every
    command's parser costs more than the rest of a no-op sync does."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __iter__(self):
        return iter(())


def _terminal_columns() -> "int":
    """The width ``shutil.get_terminal_size`` gives: $COLUMNS, else the
    terminal's, else 80 (without importing shutil on every start)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def build_parser(only: "str | None" = None, spec: "bool" = False):
    """The argument parser; with ``only``, that command alone (the others are
    not made: a parser each costs more than a no-op sync's own work). With
    ``spec``, the same options recorded by _ArgSpec, not argparse's (see
    fast_parse_args)."""
    if spec:
        argparse = _ArgSpecModule
    else:
        import argparse

    class Formatter(argparse.HelpFormatter):
        # argparse builds one to check every add_argument, and its default
        # width imports shutil: a fifth of what a no-op sync does after start-up
        def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
            super().__init__(prog, indent_increment, max_help_position,
                             _terminal_columns() - 2 if width is None else width)

    parser = argparse.ArgumentParser(
        prog="puffin.py", description="A Python package installer in one file of pure standard-library Python.",
        formatter_class=Formatter)
    parser.add_argument("-V", "--version", action="version", version=VERSION_LINE)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    parser.commands = {}

    def cmd(name, help_text):
        if only is not None and name != only:
            return _Skipped()
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=Formatter)
        _add_common(p)
        parser.commands[name] = p
        return p

    p = cmd("pip-compile", "Resolve requirements into a pinned requirements file")
    p.add_argument("src_file", nargs="+", help="requirements.in, requirements.txt, pyproject.toml, or - for stdin")
    p.add_argument("-o", "--output-file", default=None, help="write the result here (default: stdout)")
    p.add_argument("--format", default=None, choices=["requirements.txt", "pylock.toml"],
                   help="the lock's format (default: from the output file's name, else requirements.txt)")
    _add_resolver(p, install=False)
    _add_index(p)
    _add_build(p)
    p.add_argument("--python", "-p", dest="python", default=None, help="resolve for this interpreter")
    p.add_argument("--system", action="store_true", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-header", action="store_true", help="leave out the header comment")
    p.add_argument("--no-annotate", action="store_true", help="leave out the `# via` comments")
    p.add_argument("--generate-hashes", action="store_true",
                   help="add a --hash line for every file of each pinned version")
    p.add_argument("--emit-index-url", action="store_true",
                   help="write the index URLs (--index-url, --extra-index-url) at the top")
    p.add_argument("--custom-compile-command", default=None, metavar="COMMAND",
                   help="the command the header says made the file")
    p.add_argument("--universal", action="store_true",
                   help="one lock for every platform and every Python from --python-version (or "
                        "the pyproject's requires-python) on: each line carries the marker where it applies")

    p = cmd("pip-sync", "Make an environment match a requirements file exactly")
    p.add_argument("src_file", nargs="+", help="requirements.txt (or pyproject.toml)")
    _add_python(p, target_dirs=True)
    _add_index(p)
    _add_installer(p)
    _add_build(p)
    p.add_argument("--only-binary", action="append", default=[], metavar="NAMES",
                   help="use only wheels for these packages (:all: for every one)")
    p.add_argument("--no-binary", action="append", default=[], metavar="NAMES",
                   help="never use wheels for these packages (:all: for every one)")
    p.add_argument("--no-build", action="store_true", help="never build a source distribution")
    p.add_argument("--python-version", default=None, help=argparse.SUPPRESS)
    p.add_argument("--python-platform", default=None, help=argparse.SUPPRESS)
    p.add_argument("--allow-empty-requirements", action="store_true",
                   help="accept a lock with no requirements (and remove everything installed)")

    p = cmd("pip-install", "Install packages into an environment")
    p.add_argument("package", nargs="*", help="requirements, wheel or sdist paths, URLs")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                   help="install what this requirements file, pyproject.toml or pylock.toml lists")
    p.add_argument("-e", "--editable", action="append", default=[], metavar="PATH",
                   help="install this project folder (or git URL) as editable")
    _add_python(p, target_dirs=True)
    _add_resolver(p, install=True)
    _add_index(p)
    _add_installer(p)
    _add_build(p)

    p = cmd("pip-uninstall", "Remove packages from an environment")
    p.add_argument("package", nargs="*", help="names of the packages to remove")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                   help="remove the packages this requirements file names")
    p.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    _add_python(p, target_dirs=True)

    p = cmd("pip-freeze", "List installed packages as requirements")
    p.add_argument("--exclude-editable", action="store_true", help="leave out editable installs")
    _add_python(p, target_dirs=True, changes=False)

    p = cmd("pip-list", "List installed packages")
    p.add_argument("--format", choices=("columns", "freeze", "json"), default="columns",
                   help="a table (default), requirement lines, or JSON")
    p.add_argument("-e", "--editable", action="store_true", help="only editable installs")
    p.add_argument("--exclude-editable", action="store_true", help="leave out editable installs")
    p.add_argument("-o", "--outdated", action="store_true",
                   help="only packages the index has a newer version of, with that version")
    p.add_argument("--pre", action="store_true", help="with --outdated: count pre-releases too")
    _add_python(p, target_dirs=True, changes=False)
    _add_index(p)

    p = cmd("pip-tree", "Show the dependency tree of an environment")
    p.add_argument("-d", "--depth", type=int, default=255, help="how deep to draw (default 255)")
    p.add_argument("--invert", action="store_true", help="draw who requires each package")
    p.add_argument("--package", action="append", default=[], metavar="NAME",
                   help="draw only from this package (repeatable)")
    p.add_argument("--prune", action="append", default=[], metavar="NAME",
                   help="leave this package out of the drawing (repeatable)")
    p.add_argument("--no-dedupe", action="store_true", help="draw a repeated subtree every time")
    p.add_argument("--show-version-specifiers", action="store_true",
                   help="show the requirement behind each line")
    _add_python(p, target_dirs=True, changes=False)

    p = cmd("pip-show", "Show installed packages")
    p.add_argument("package", nargs="+", help="names of installed packages")
    p.add_argument("-f", "--files", action="store_true", help="list the installed files")
    _add_python(p, target_dirs=True, changes=False)

    p = cmd("pip-check", "Check that installed packages have what they need")
    _add_python(p, target_dirs=True, changes=False)

    p = cmd("venv", "Create a virtual environment")
    p.add_argument("path", nargs="?", default=".venv", help="where to create it (default .venv)")
    p.add_argument("-p", "--python", default=None,
                   help="the Python to base it on: an executable or a version like 3.12")
    p.add_argument("--seed", action="store_true", help="install pip, setuptools and wheel into it")
    p.add_argument("--prompt", default=None, help="the name the shell prompt shows when it is active")
    p.add_argument("--system-site-packages", action="store_true",
                   help="let it see the packages of the Python it is based on")
    p.add_argument("--clear", action="store_true",
                   help="delete an environment that is already at PATH, and start afresh")
    p.add_argument("--allow-existing", action="store_true",
                   help="keep an environment that is already at PATH, with its packages")
    _add_index(p)

    p = cmd("pip-download", "Resolve, then download every file into a folder (a wheelhouse)")
    p.add_argument("package", nargs="*", help="requirements to download")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                   help="download what this requirements file, pyproject.toml or pylock.toml lists")
    p.add_argument("-d", "--dest", "--dest-dir", dest="dest", default=".", metavar="DIR",
                   help="the folder to fill (default: the current folder)")
    _add_resolver(p, install=False, targets="append")
    _add_index(p)
    _add_build(p)
    p.add_argument("--python", "-p", dest="python", default=None, help="resolve for this interpreter")
    p.add_argument("--platform", action="append", default=[], metavar="TAG",
                   help="as pip: accept wheels for this platform tag, e.g. manylinux2014_x86_64 "
                        "(repeatable: any of them; one target)")
    p.add_argument("--implementation", default=None, metavar="IMPL",
                   help="as pip: the Python implementation of the target (cp, pp, ip, jy, py)")
    p.add_argument("--abi", action="append", default=[], metavar="ABI",
                   help="as pip: accept wheels for this ABI, e.g. cp312 (repeatable)")
    p.add_argument("--allow-sdists", action="store_true",
                   help="take sdists for another platform's target too (default: wheels only)")
    p.add_argument("--build", action="store_true",
                   help="build the sdists for this machine into wheels")
    p.add_argument("--include-build-deps", action="store_true",
                   help="also download every sdist's build requirements, for offline builds")
    p.add_argument("--lock-format", choices=("requirements", "pylock", "both"), default="requirements",
                   help="the lock written beside the files (default: requirements.txt)")
    p.add_argument("--dry-run", action="store_true", help="say what would be downloaded, download nothing")
    p.add_argument("--report", metavar="FILE", default=None,
                   help="write pip's JSON installation report (version 1) to FILE (- for stdout)")

    p = cmd("self", "puffin.py itself: its version, installed as a module with a launcher, updated")
    ssub = p.add_subparsers(dest="self_command", metavar="ACTION", help="version, install or update")
    sp = ssub.add_parser("version", help="print the version and the file it runs from",
                         description="Print the version and the file it runs from", formatter_class=Formatter)
    _add_common(sp)
    sp = ssub.add_parser("install", formatter_class=Formatter,
                         help="install puffin.py as a module with its bytecode and a `puffin` launcher",
                         description="Install puffin.py as a module with its bytecode and a `puffin` "
                                     "launcher (a RECORD lets pip-uninstall remove it)")
    _add_common(sp)
    _add_python(sp, target_dirs=True)
    sp = ssub.add_parser("update", formatter_class=Formatter, help="replace puffin.py with another version",
                         description="Replace puffin.py with another version (installed again where "
                                     "it is installed)")
    _add_common(sp)
    sp.add_argument("--from", dest="source", required=True, metavar="FILE|URL",
                    help="the new puffin.py: a file, or a URL (with --sha256)")
    sp.add_argument("--sha256", default=None, metavar="HEX", help="the sha256 the new file must have")
    sp.add_argument("--timeout", type=float, default=None, help=argparse_suppress())
    sp.add_argument("--cert", default=None, help=argparse_suppress())

    p = cmd("index", "Write a static simple index (PEP 503/691) for a folder of wheels and sdists")
    p.add_argument("folder", help="the folder of wheels and sdists; the index goes into FOLDER/simple")
    p.add_argument("--base-url", default=None,
                   help="the URL the files are served from (default: relative links to FOLDER)")

    p = cmd("cache", "Manage the cache")
    csub = p.add_subparsers(dest="cache_command", metavar="ACTION", help="dir, clean, prune or size")
    for name, h in (("dir", "Print the cache folder"), ("clean", "Remove all or some packages' entries"),
                    ("prune", "Remove unused entries"), ("size", "Print the size of the cache in bytes")):
        cp = csub.add_parser(name, help=h, description=h, formatter_class=Formatter)
        _add_common(cp)
        if name == "clean":
            cp.add_argument("package", nargs="*", help="only these packages' entries (default: all)")
        if name == "prune":
            cp.add_argument("--ci", action="store_true",
                            help="also drop what the index can give again (downloaded wheels and "
                                 "sdists, unzipped wheels), keeping wheels built from source")
        if name == "size":
            cp.add_argument("-H", "--human", action="store_true", help="as 1.2GiB, not in bytes")
    return parser


def _finish_tracing(tracer, printer, trace_file) -> "None":
    if tracer is None:
        return
    if trace_file:
        try:
            atomic_write_text(trace_file, tracer.chrome_json())
        except OSError as e:
            printer.warn("could not write the trace to %s: %s" % (trace_file, e))
    if printer.verbose:
        printer.debug("where the time went (span, count, total):")
        for line in tracer.summary():
            printer.debug("  " + line)


#: What pip's and uv's users type for our commands (uv's `pip install` is
#: taken as is; these get a "did you mean").
_COMMAND_SPELLINGS = {"install": "pip-install", "uninstall": "pip-uninstall", "sync": "pip-sync",
                      "compile": "pip-compile", "freeze": "pip-freeze", "list": "pip-list",
                      "show": "pip-show", "check": "pip-check", "tree": "pip-tree",
                      "download": "pip-download", "lock": "pip-compile", "add": "pip-install",
                      "remove": "pip-uninstall", "wheel": "pip-download --build"}


def command_aliases(argv) -> "list":
    """uv's spelling ``pip install ...`` is ``pip-install ...`` here."""
    if len(argv) >= 2 and argv[0] == "pip" and "pip-" + argv[1] in COMMANDS:
        return ["pip-" + argv[1]] + list(argv[2:])
    return list(argv)


def unknown_command(word: "str"):
    """The error for a first word that names no command, with the command meant."""
    import difflib
    meant = _COMMAND_SPELLINGS.get(word) or next(iter(difflib.get_close_matches(
        word, sorted(COMMANDS), n=1, cutoff=0.6)), None)
    hint = ("did you mean `puffin.py %s`?" % meant if meant else
            "the commands are: %s (see `puffin.py --help`)" % ", ".join(sorted(COMMANDS)))
    return UsageError("unknown command `%s`" % word, hint=hint)


def unknown_options(parser, command: "str", extra) -> "PuffinError":
    """The error for arguments a command does not take, naming the option meant."""
    import difflib
    sub = parser.commands.get(command)
    word = extra[0]
    if sub is None:
        return UsageError("unexpected argument `%s`" % word, hint="see `puffin.py --help`")
    options = sorted(o for o in sub._option_string_actions if o.startswith("--"))
    name = word.split("=", 1)[0]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.75) if name.startswith("-") else []
    if close:
        hint = "a similar option exists: `%s`" % close[0]
    elif not name.startswith("-"):
        hint = "`puffin.py %s` takes no argument `%s` here; see `puffin.py %s --help`" % (command, word, command)
    else:
        hint = "see `puffin.py %s --help` for its options" % command
    err = UsageError("unexpected argument `%s` for `puffin.py %s`" % (word, command), hint=hint)
    err.usage = short_usage(sub, command)
    return err


def short_usage(sub, command: "str") -> "str":
    """``usage: puffin.py pip-install [OPTIONS] [PACKAGE ...]``: the command's
    positionals, its options in one word (argparse's usage lists them all)."""
    words = []
    for action in sub._actions:
        if action.option_strings or action.dest in ("help",):
            continue
        meta = (action.metavar or action.dest).upper()
        words.append("[%s ...]" % meta if action.nargs in ("*", "?") else
                     "%s ..." % meta if action.nargs == "+" else meta)
    return "usage: puffin.py %s [OPTIONS] %s" % (command, " ".join(words))


def os_error(e: "OSError") -> "PuffinError":
    """An OSError in the user's words: the folder, not puffin's own files in it
    (``.puffin-installing-*.json``, ``.puffin.lock``), and what to do, as pip hints."""
    path = getattr(e, "filename", None)
    if path and os.path.basename(str(path)).startswith(".puffin"):
        path = os.path.dirname(str(path))
    where = " %s" % path if path else ""
    code = getattr(e, "errno", None)
    if code in (errno.EACCES, errno.EPERM):
        return PuffinError("permission denied: cannot change%s" % where,
                           hint="install into a virtual environment (`puffin.py venv`) or with "
                                "--user, or check the permissions of that folder")
    if code == errno.EROFS:
        return PuffinError("cannot change%s: it is on a read-only file system" % where,
                           hint="install into a virtual environment on a writable disk, or "
                                "choose another folder (--target, --cache-dir)")
    return PuffinError("%s%s" % (e.strerror or e, " (%s)" % path if path else ""))


def _print_error(printer, err, verbose: "int") -> "None":
    """The one place errors become prose: ``error:``, the offending text,
    ``Caused by:`` lines, then ``hint:`` (in uv's colours when colour is on)."""
    stream = printer.err_stream
    lines = str(err).split("\n")
    label = printer.paint("error", "red", "bold") + printer.paint(":", "bold") + " "
    out = [label + lines[0]] + ["  " + ln if ln else "" for ln in lines[1:]]
    text = getattr(err, "text", None)
    if text:
        out.append("  " + text)
        if getattr(err, "caret", None):
            out.append("  " + printer.paint(err.caret, "red", "bold"))
    for c in getattr(err, "causes", ()):
        out.append("  Caused by: " + c)
    if getattr(err, "hint", None):
        out.append(printer.paint("hint", "cyan", "bold") + printer.paint(":", "bold") + " " + err.hint)
    if getattr(err, "usage", None):
        out += ["", err.usage.rstrip()]
    stream.write("\n".join(out) + "\n")
    stream.flush()


def main(argv=None, *, as_script: "bool" = False) -> "int":
    """Run one command line; return its exit code (0 ok, 1 unsatisfiable or
    check failed, 2 error). ``as_script`` says puffin.py runs as a file (or
    ``-m``), so the venv of the running Python is a candidate target."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv in (["--version"], ["-V"]):  # the start-up path: no argparse
        sys.stdout.write(VERSION_LINE + "\n")
        return 0
    env = os.environ
    trace_file = env.get("PUFFIN_TRACE") or None
    argv = command_aliases(argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        _print_error(Printer(color=use_color("auto", env, sys.stderr)), unknown_command(argv[0]), 0)
        return 2
    args, extra = fast_parse_args(argv), []
    if args is None:
        parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
        try:
            args, extra = parser.parse_known_args(argv)
        except SystemExit as e:  # argparse already printed usage or help
            return 0 if e.code in (0, None) else 2
    if not args.command:
        parser.print_help()
        return 2
    printer = Printer(quiet=args.quiet, verbose=args.verbose,
                      color=use_color(getattr(args, "color", None) or "auto", env, sys.stderr))
    with _WARN_LOCK:   # each run says its own warnings, also a second main() in one process
        del _WARNINGS[:]
    if extra:
        _print_error(printer, unknown_options(parser, args.command, extra), 0)
        return 2
    old_printer = set_printer(printer)
    tracer = enable_tracing() if (trace_file or args.verbose) else None
    args.as_script = as_script
    args.env = env
    args.argv = argv
    args.parse = lambda more: (fast_parse_args(more)   # another command's options
                               or build_parser(more[0]).parse_args(more))
    old_handlers = _handle_signals()
    try:
        for dest, value, source in apply_settings(args, env):
            printer.debug("setting %s = %s (from %s)" % (dest, _shown_setting(value), source))
        with span("command", command=args.command):
            return run_command(args, printer)
    except (Interrupted, KeyboardInterrupt) as e:
        return _interrupted(e if isinstance(e, Interrupted) else Interrupted(2), printer)
    except PuffinError as e:
        if _SIGNALS:   # what failed failed because of the signal (a child killed, a wrapped interrupt)
            return _interrupted(Interrupted(_SIGNALS[0]), printer)
        if args.verbose:
            import traceback
            traceback.print_exc()
        _print_error(printer, e, args.verbose)
        return e.exit_code
    except BrokenPipeError:
        return 0
    except OSError as e:  # a full disk, a permission refused: the user's to fix
        if args.verbose:
            import traceback
            traceback.print_exc()
        _print_error(printer, os_error(e), args.verbose)
        return 2
    except Exception as e:  # a bug: say so plainly, the traceback with -v
        if _SIGNALS:   # an interrupt raised inside Python's own machinery comes back wrapped
            return _interrupted(Interrupted(_SIGNALS[0]), printer)   # (a class body's __set_name__)
        if args.verbose:
            import traceback
            traceback.print_exc()
        _print_error(printer, PuffinError(
            "internal error: %s: %s" % (type(e).__name__, e),
            hint="this is a bug in puffin.py; run again with -v to see the traceback"), args.verbose)
        return 2
    finally:
        _restore_signals(old_handlers)
        release_cache_locks()
        _finish_tracing(tracer, printer, trace_file)
        set_printer(old_printer)


def _handle_signals():
    """SIGINT and SIGTERM raise ``Interrupted`` in the main thread (see
    ``on_signal``); the handlers they replace, to put back."""
    # (the thread that imported puffin.py is almost always the main one: then
    # no import of threading, half a millisecond of a no-op sync)
    if _thread.get_ident() != _IMPORTED_BY and _thread.get_ident() != threading.main_thread().ident:
        return None
    import signal
    reset_cancellation()
    old = {}
    try:
        for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
            if sig is not None:
                old[sig] = signal.signal(sig, on_signal)
    except ValueError:   # imported by another thread than the main one: not ours to handle
        _restore_signals(old)
        return None
    return old


_IMPORTED_BY = _thread.get_ident()


def _restore_signals(old) -> "None":
    if old:
        import signal
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _interrupted(e: "Interrupted", printer) -> "int":
    """Stop at once: children killed, one line saying what state the
    environment is in, and (when main() owns the process) an exit that does
    not wait for worker threads stuck in a download or a lock."""
    import signal
    CANCEL.set()
    if _OWN_PROCESS[0]:  # a second signal from here on ends the process at once
        _OWN_PROCESS[1] = True   # set first: a signal may arrive while the handlers change
        for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
            if sig is not None:
                signal.signal(sig, lambda s, f: os._exit(128 + s))
    stop_children()
    word = "terminated" if e.signum == getattr(signal, "SIGTERM", 15) else "interrupted"
    if not _ACTING["started"]:
        state = "nothing was changed"
    elif _ACTING["finished"]:
        state = "the environment was changed before stopping, and is complete"
    else:
        state = "stopped while changing the environment: each package is whole or " \
                "repaired by the next pip-install, pip-sync or pip-uninstall"
    line = "error: %s (%s)\n" % (word, state)
    if not _OWN_PROCESS[0]:
        printer.err_stream.write(line)
        return e.exit_code
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:
        pass
    for cache in list(_CACHE_LOCKS):
        if cache.temporary:
            remove_tree(cache.root)
    os._exit(e.exit_code)


def main_console() -> "None":
    """Entry point of the ``puffin`` console script (a tool venv of its own,
    so the running venv is never the target)."""
    _OWN_PROCESS[0] = True
    sys.exit(main(as_script=False))


# The definitions above live as long as the process: the collector leaves them
# out of every later collection (a resolution makes many objects and would
# otherwise walk these ~100k again and again).
_gc.freeze()
if _GC_WAS_ON:
    _gc.enable()


if __name__ == "__main__":
    _OWN_PROCESS[0] = True
    sys.exit(main(as_script=True))
