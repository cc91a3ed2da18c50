"""Hostile and broken inputs (issue 18), seen as the user sees them: zip bombs
and lying zip headers in wheels, RECORD files that claim files they do not own,
and index pages too large to read.  A refusal is exit 2 with an `error:` line
(no traceback) and nothing of the package left in site-packages; whatever
happens, puffin's peak memory stays small.

Every hostile artifact is made here, in the test, with zipfile/zlib/struct
(never holding the inflated bytes: the streams are one compressed MiB
repeated); peak memory is puffin's own, measured from a small wrapper process
that runs puffin.py and reads ``getrusage(RUSAGE_CHILDREN)``."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import warnings
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import support
from support import dist_infos, error_lines

MIB = 1 << 20
PEAK_LIMIT_MB = 200   # puffin's peak resident memory on any of these inputs
TIME_LIMIT = 60       # seconds puffin may take on any of them


# ---- running puffin with its peak memory measured ------------------------------------------------

_PEAK_WRAPPER = r"""
import json, resource, subprocess, sys
report, timeout = sys.argv[1], float(sys.argv[2])
try:
    code = subprocess.run(sys.argv[3:], timeout=timeout).returncode
except subprocess.TimeoutExpired:  # the child is killed and waited for
    code = "timeout"
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(report, "w") as f:
    json.dump({"code": code, "peak": peak}, f)
"""


class Measured:
    """One measured run: ``code`` (int, or "timeout"), ``out``, ``err`` and ``peak_mb``."""

    def __init__(self, code, out, err, peak_mb):
        self.code, self.out, self.err, self.peak_mb = code, out, err, peak_mb

    def __repr__(self):
        return "Measured(code=%r, peak_mb=%.0f, err=%r)" % (self.code, self.peak_mb, self.err[-2000:])


def run_measured(args, env, tmp_path, timeout=TIME_LIMIT) -> Measured:
    """Run ``python puffin.py ARGS`` in a child of a wrapper; only puffin (and what it
    starts) counts toward the peak resident memory reported."""
    try:
        import resource  # noqa: F401
    except ImportError:
        pytest.skip("needs the resource module to measure peak memory")
    report = str(tmp_path / "peak.json")
    cmd = [sys.executable, "-c", _PEAK_WRAPPER, report, str(timeout),
           sys.executable, support.PUFFIN_SCRIPT] + [os.fspath(a) for a in args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout + 60)
    with open(report) as f:
        result = json.load(f)
    peak_kb = result["peak"] / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS
    return Measured(result["code"], proc.stdout, proc.stderr, peak_kb / 1024)


def folder_size(root) -> int:
    """Bytes in the files under ``root``."""
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def left_of(site: str, name: str) -> list:
    """What site-packages holds of the project ``name``: its dist-info and its package folder."""
    if not os.path.isdir(site):
        return []
    return sorted(e for e in os.listdir(site) if e == name or e.startswith(name + "-") or e == name + ".py")


def install_args(target, venv, cache, *more) -> list:
    return ["pip-install", target, "--python", venv.python, "--cache-dir", cache, "--no-index"] + list(more)


# ---- zip files written by hand, so that they can lie ---------------------------------------------

def deflate_zeros(size: int) -> bytes:
    """A raw deflate stream inflating to ``size`` zero bytes: one compressed MiB,
    full-flushed (byte-aligned, no reference to what came before) and repeated,
    then the rest and the final block.  ~1 KB per MiB, made in milliseconds."""
    whole, rest = divmod(size, MIB)
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = first.compress(bytes(MIB)) + first.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    return segment * whole + last.compress(bytes(rest)) + last.flush()


def stream_zeros(size: int, crc: int = 0, digest=None) -> int:
    """crc32 of ``size`` zero bytes following ``crc``; also fed to ``digest`` (a hashlib object)."""
    chunk = bytes(MIB)
    while size > 0:
        piece = chunk if size >= MIB else bytes(size)
        crc = zlib.crc32(piece, crc)
        if digest is not None:
            digest.update(piece)
        size -= len(piece)
    return crc


def local_header(name: str, method: int, crc: int, csize: int, usize: int) -> bytes:
    raw = name.encode("utf-8")
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0x21,
                       crc, csize, usize, len(raw), 0) + raw


class ZipBuilder:
    """A zip archive written field by field: the central directory says what
    the caller says, true or not."""

    def __init__(self):
        self.body = bytearray()
        self.entries = []

    def raw(self, data: bytes) -> int:
        """Append bytes as they are; return their offset."""
        offset = len(self.body)
        self.body += data
        return offset

    def entry(self, name: str, offset: int, method: int, crc: int, csize: int, usize: int) -> None:
        """List a member in the central directory (whatever is at ``offset``)."""
        self.entries.append((name, offset, method, crc, csize, usize))

    def add(self, name: str, data: bytes = b"", *, local_name=None, deflated=None, usize=None, crc=None):
        """A member: local header (naming ``local_name`` if given) + deflated data,
        listed in the central directory as ``name``.  ``deflated`` replaces the
        compressed data; ``usize`` and ``crc`` replace the size and CRC both
        headers give."""
        if deflated is None:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            deflated = c.compress(data) + c.flush()
        usize = len(data) if usize is None else usize
        crc = zlib.crc32(data) if crc is None else crc
        offset = self.raw(local_header(local_name or name, 8, crc, len(deflated), usize))
        self.raw(deflated)
        self.entry(name, offset, 8, crc, len(deflated), usize)

    def finish(self) -> bytes:
        central = bytearray()
        for name, offset, method, crc, csize, usize in self.entries:
            raw = name.encode("utf-8")
            central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 20, 20, 0x800, method,
                                   0, 0x21, crc, csize, usize, len(raw), 0, 0, 0, 0,
                                   (0o100644 << 16), offset) + raw
        end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(self.entries), len(self.entries),
                          len(central), len(self.body), 0)
        return bytes(self.body) + bytes(central) + end


def wheel_members(wheel: bytes, record_rows=()) -> list:
    """[(name, bytes)] of a wheel made by ``support.make_wheel``, with ``record_rows``
    ([path, hash, size]) added to its RECORD (before RECORD's own row)."""
    members = []
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename.endswith(".dist-info/RECORD") and record_rows:
                rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
                rows[-1:-1] = [list(r) for r in record_rows]
                data = csv_text(rows).encode("utf-8")
            members.append((info.filename, data))
    return members


def sha256_row(digest) -> str:
    """The RECORD form of a finished hashlib sha256 object."""
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def record_row(path: str, data: bytes) -> list:
    return [path, support.record_hash(data), str(len(data))]


# ---- 1 and 2: members larger than they say, and members just large ------------------------------

def test_refuses_a_wheel_whose_member_inflates_past_its_stated_size(tmp_path, venv_factory, clean_env, tmp_cache):
    """A member both headers say is 1,000 bytes inflates to 500 MB: refused as corrupt, naming it,
    with puffin's peak memory under 200 MB and nothing of the package in site-packages."""
    stated = bytes(1000)
    plain = support.make_wheel("bomb", "1.0", files={"bomb/__init__.py": "", "bomb/data.bin": stated})
    zb = ZipBuilder()
    for name, data in wheel_members(plain):
        if name == "bomb/data.bin":
            zb.add(name, deflated=deflate_zeros(500 * MIB), usize=len(stated), crc=zlib.crc32(stated))
        else:
            zb.add(name, data)
    wheel = tmp_path / support.wheel_filename("bomb", "1.0")
    wheel.write_bytes(zb.finish())
    venv = venv_factory()

    run = run_measured(install_args(wheel, venv, tmp_cache), clean_env, tmp_path)
    assert run.code == 2, run
    text = "\n".join(error_lines(run.err))
    assert wheel.name in text or "bomb/data.bin" in text, text
    assert "corrupt" in text or "size" in text, text
    assert run.peak_mb < PEAK_LIMIT_MB, run
    assert left_of(venv.site_packages, "bomb") == []
    assert dist_infos(venv.site_packages) == {}


def test_a_huge_honest_member_installs_or_is_refused_in_little_memory(tmp_path, venv_factory, clean_env,
                                                                     tmp_cache):
    """A wheel whose member is 300 MiB of zeros (~300 KB compressed; 300 MiB rather than 1 GiB
    to keep the suite fast), written by zipfile as zip64: installed whole, or refused with an
    `error:` line and nothing left; puffin's peak memory stays under 200 MB either way."""
    big = 300 * MIB
    digest = hashlib.sha256()
    stream_zeros(big, digest=digest)
    big_hash = sha256_row(digest)
    plain = support.make_wheel("honest", "1.0", files={"honest/__init__.py": ""})
    members = wheel_members(plain, [["honest/zeros.bin", big_hash, str(big)]])
    wheel = tmp_path / "wheels" / support.wheel_filename("honest", "1.0")
    wheel.parent.mkdir()
    venv = venv_factory()
    try:
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            info = zipfile.ZipInfo("honest/zeros.bin", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            chunk = bytes(MIB)
            with zf.open(info, "w", force_zip64=True) as dest:
                for _ in range(big // MIB):
                    dest.write(chunk)
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
        assert wheel.stat().st_size < 4 * MIB

        run = run_measured(install_args(wheel, venv, tmp_cache), clean_env, tmp_path)
        assert run.code in (0, 2), run
        if run.code == 0:
            installed = os.path.join(venv.site_packages, "honest", "zeros.bin")
            assert os.path.getsize(installed) == big
            assert dist_infos(venv.site_packages) == {"honest": "1.0"}
        else:
            assert error_lines(run.err)
            assert left_of(venv.site_packages, "honest") == []
        assert run.peak_mb < PEAK_LIMIT_MB, run
    finally:  # 300 MiB files in kept pytest folders would add up
        for path in (venv.path, tmp_cache, str(wheel.parent)):
            shutil.rmtree(path, ignore_errors=True)


# ---- 3 and 4: zip structure that lies ----------------------------------------------------------

def overlapping_bomb(zb: ZipBuilder, names: list, size: int) -> list:
    """Write the members ``names`` as an overlapping ("quoted") zip bomb: each member's
    deflate data is a stored block quoting the next member's local header, followed by
    the next member's data; the last member is ``size`` zeros.  Every member inflates to
    ``size`` bytes and more, from ~1 KB per MiB in all.  Local headers name their members
    and every CRC is right: only the overlap is wrong.  Returns the RECORD rows."""
    kernel = deflate_zeros(size)
    n = len(names)
    headers, fields = [b""] * n, [None] * n   # fields: (csize, usize, crc, sha256)
    for i in range(n - 1, -1, -1):   # the last member first: each header depends on the next
        if i == n - 1:
            csize, usize = len(kernel), size
        else:
            csize = 5 + len(headers[i + 1]) + fields[i + 1][0]
            usize = len(headers[i + 1]) + fields[i + 1][1]
        prefix = b"".join(headers[i + 1:])   # the quoted headers the member's content starts with
        digest = hashlib.sha256(prefix)
        crc = stream_zeros(size, zlib.crc32(prefix), digest)
        headers[i] = local_header(names[i], 8, crc, csize, usize)
        fields[i] = (csize, usize, crc, digest)
    rows = []
    for i, name in enumerate(names):
        offset = zb.raw(headers[i])
        if i < n - 1:
            quoted = len(headers[i + 1])
            zb.raw(struct.pack("<BHH", 0, quoted, quoted ^ 0xFFFF))  # a stored block, not final
        else:
            zb.raw(kernel)
        csize, usize, crc, digest = fields[i]
        zb.entry(name, offset, 8, crc, csize, usize)
        rows.append([name, sha256_row(digest), str(usize)])
    return rows


def test_refuses_a_wheel_whose_entries_overlap(tmp_path, venv_factory, clean_env, tmp_cache):
    """Ten members whose data overlap (each quotes the next: 200 MB from ~30 KB) are refused
    with an `overlap` error; nothing is written into site-packages and the cache stays small."""
    zb = ZipBuilder()
    names = ["overlap/part%02d.bin" % i for i in range(10)]
    rows = overlapping_bomb(zb, names, 20 * MIB)
    for name, data in wheel_members(support.make_wheel("overlap", "1.0", files={"overlap/__init__.py": ""}), rows):
        zb.add(name, data)
    wheel = tmp_path / support.wheel_filename("overlap", "1.0")
    wheel.write_bytes(zb.finish())
    assert wheel.stat().st_size < MIB
    venv = venv_factory()

    run = run_measured(install_args(wheel, venv, tmp_cache), clean_env, tmp_path)
    assert run.code == 2, run
    text = "\n".join(error_lines(run.err))
    assert "overlap" in text.lower(), text
    assert left_of(venv.site_packages, "overlap") == []
    assert dist_infos(venv.site_packages) == {}
    assert folder_size(tmp_cache) < 4 * MIB
    shutil.rmtree(tmp_cache, ignore_errors=True)


def test_refuses_a_member_whose_local_header_names_another_file(tmp_path, venv_factory, run_puffin, tmp_cache):
    """The central directory says `liar/__init__.py`, the local header before its data says
    `liar/other.py`: refused with a `local header` error, nothing installed."""
    zb = ZipBuilder()
    for name, data in wheel_members(support.make_wheel("liar", "1.0")):
        zb.add(name, data, local_name="liar/other.py" if name == "liar/__init__.py" else None)
    wheel = tmp_path / support.wheel_filename("liar", "1.0")
    wheel.write_bytes(zb.finish())
    venv = venv_factory()

    code, out, err = run_puffin(install_args(wheel, venv, tmp_cache))
    assert code == 2, err
    text = "\n".join(error_lines(err))
    assert "local header" in text, text
    assert left_of(venv.site_packages, "liar") == []
    assert dist_infos(venv.site_packages) == {}


def test_refuses_a_wheel_with_a_duplicate_member_name(tmp_path, venv_factory, run_puffin, tmp_cache):
    """Two members named `twice/__init__.py` (which one would win depends on the reader):
    refused with a `duplicate` error, nothing installed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it writes
        wheel = support.make_wheel("twice", "1.0", out_dir=tmp_path,
                                   extra_members=[("twice/__init__.py", "import os\n")])
    venv = venv_factory()

    code, out, err = run_puffin(install_args(wheel, venv, tmp_cache))
    assert code == 2, err
    text = "\n".join(error_lines(err))
    assert "duplicate" in text.lower(), text
    assert left_of(venv.site_packages, "twice") == []
    assert dist_infos(venv.site_packages) == {}


# ---- 5 and 6: RECORD rows for files a distribution does not own ---------------------------------

SIX = b"# six, installed first\n"


def install_six(tmp_path, venv, run_puffin, cache) -> str:
    """Install a `six` wheel holding the top-level module six.py; return six.py's path."""
    wheel = support.make_wheel("six", "1.16.0", files={"six.py": SIX}, out_dir=tmp_path / "wheels")
    code, _, err = run_puffin(install_args(wheel, venv, cache))
    assert code == 0, err
    return os.path.join(venv.site_packages, "six.py")


def foreign_paths(venv) -> dict:
    """{RECORD path relative to site-packages: absolute path} of files no distribution
    there owns: the venv's pyvenv.cfg and its python."""
    out = {}
    for path in (os.path.join(venv.path, "pyvenv.cfg"), venv.python):
        out[os.path.relpath(path, venv.site_packages).replace(os.sep, "/")] = path
    return out


def wheel_members_record(files: dict, extra_rows: list) -> list:
    """The RECORD rows ``support.make_wheel("sneaky", "1.0", files=files)`` writes, with
    ``extra_rows`` inserted before RECORD's own row."""
    plain = support.make_wheel("sneaky", "1.0", files=files)
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        rows = list(csv.reader(io.StringIO(zf.read("sneaky-1.0.dist-info/RECORD").decode("utf-8"))))
    return rows[:-1] + extra_rows + rows[-1:]


def test_a_record_is_trusted_only_for_the_files_the_wheel_installed(tmp_path, venv_factory, run_puffin, tmp_cache):
    """A wheel whose RECORD also lists ../../../bin/python, ../../../pyvenv.cfg, six.py (owned
    by the installed six) and an absolute path installs, but the RECORD written lists only what
    it installed; uninstalling it leaves all four files in place."""
    venv = venv_factory()
    six_py = install_six(tmp_path, venv, run_puffin, tmp_cache)
    outside = support.write_file(tmp_path / "outside" / "keep.txt", "not yours\n")
    foreign = foreign_paths(venv)
    claimed = [[rel, "", ""] for rel in foreign] + [record_row("six.py", SIX), [outside, "", ""]]
    files = {"sneaky/__init__.py": "X = 1\n"}
    record = csv_text(wheel_members_record(files, claimed))
    wheel = support.make_wheel("sneaky", "1.0", files=files, record=record, out_dir=tmp_path / "wheels")

    code, _, err = run_puffin(install_args(wheel, venv, tmp_cache))
    assert code == 0, err
    dist_info = support.assert_installed_whole(venv.site_packages, "sneaky", "1.0")
    with open(os.path.join(dist_info, "RECORD"), newline="", encoding="utf-8") as f:
        paths = [row[0] for row in csv.reader(f)]
    assert not set(paths) & (set(foreign) | {"six.py", outside}), paths
    assert all(p.startswith(("sneaky/", "sneaky-1.0.dist-info/")) for p in paths), paths

    code, _, err = run_puffin(["pip-uninstall", "sneaky", "--python", venv.python, "--cache-dir", tmp_cache])
    assert code == 0, err
    assert left_of(venv.site_packages, "sneaky") == []
    with open(six_py, "rb") as f:
        assert f.read() == SIX
    assert dist_infos(venv.site_packages) == {"six": "1.16.0"}
    assert all(os.path.lexists(p) for p in foreign.values())
    assert os.path.isfile(outside)


def test_uninstall_keeps_what_a_foreign_record_lists_outside_its_distribution(
        tmp_path, venv_factory, run_puffin, tmp_cache):
    """A distribution installed by pip (written here by hand) whose RECORD lists ../../../pyvenv.cfg,
    ../../../bin/python and the six.py of the installed six: uninstalling it removes its own files,
    keeps those three, exits 0 and warns `not removing` each of them."""
    venv = venv_factory()
    six_py = install_six(tmp_path, venv, run_puffin, tmp_cache)
    site = venv.site_packages
    own = {"handmade/__init__.py": b"X = 1\n",
           "handmade-1.0.dist-info/METADATA": support.make_metadata("handmade", "1.0"),
           "handmade-1.0.dist-info/INSTALLER": b"pip\n"}
    for rel, data in own.items():
        os.makedirs(os.path.dirname(os.path.join(site, rel)), exist_ok=True)
        with open(os.path.join(site, rel), "wb") as f:
            f.write(data)
    foreign = foreign_paths(venv)
    rows = [record_row(rel, data) for rel, data in own.items()]
    rows += [[rel, "", ""] for rel in foreign] + [record_row("six.py", SIX)]
    rows.append(["handmade-1.0.dist-info/RECORD", "", ""])
    support.write_file(os.path.join(site, "handmade-1.0.dist-info", "RECORD"), csv_text(rows))

    code, _, err = run_puffin(["pip-uninstall", "handmade", "--python", venv.python, "--cache-dir", tmp_cache])
    assert code == 0, err
    assert "Traceback" not in err
    assert left_of(site, "handmade") == []
    with open(six_py, "rb") as f:
        assert f.read() == SIX
    assert dist_infos(site) == {"six": "1.16.0"}
    assert all(os.path.lexists(p) for p in foreign.values())
    warned = "\n".join(line for line in err.splitlines() if "not removing" in line)
    assert "pyvenv.cfg" in warned and "six.py" in warned, err
    python = os.path.basename(venv.bin) + "/" + os.path.basename(venv.python)
    assert python in warned.replace(os.sep, "/"), err


# ---- 7: index pages too large to read ----------------------------------------------------------

ANCHOR = b'<a href="/files/huge-1.0-py3-none-any.whl">huge-1.0-py3-none-any.whl</a><br/>\n'
ANCHORS_MIB = (ANCHOR * (MIB // len(ANCHOR) + 1))[:MIB - MIB % len(ANCHOR)]   # whole anchors only


def gzip_anchors(mib: int) -> bytes:
    """A gzip stream (one member, right CRC and size) of ``mib`` blocks of anchors,
    made like ``deflate_zeros``: one full-flushed compressed block repeated."""
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = first.compress(ANCHORS_MIB) + first.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(ANCHORS_MIB, crc)
    size = len(ANCHORS_MIB) * mib
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + segment * mib + zlib.compressobj(9, zlib.DEFLATED, -15).flush() \
        + struct.pack("<II", crc, size & 0xFFFFFFFF)


class PageServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 answering GET /simple/huge/ with one
    streamed body: ``headers`` and ``chunks()`` (an iterable of bytes) of ``length`` bytes."""

    def __init__(self, headers: dict, length: int, chunks):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if not self.path.startswith("/simple/huge"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                for key, value in dict(headers, **{"Content-Length": str(length)}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    for chunk in chunks():
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True  # the client gave up: what it should do

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def index_url(self) -> str:
        return "http://127.0.0.1:%d/simple" % self.httpd.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def huge_html_page():
    """100 MB of anchors in a text/html simple page, streamed."""
    head, tail, count = b"<!DOCTYPE html>\n<html><body>\n", b"</body></html>\n", 100

    def chunks():
        yield head
        for _ in range(count):
            yield ANCHORS_MIB
        yield tail
    return {"Content-Type": "text/html; charset=utf-8"}, len(head) + count * len(ANCHORS_MIB) + len(tail), chunks


_GZIP_BOMB = []


def gzip_bomb_page():
    """A text/html simple page sent with Content-Encoding: gzip: ~3.5 MB that inflate to 1.1 GB of anchors."""
    if not _GZIP_BOMB:
        _GZIP_BOMB.append(gzip_anchors(1100))
    body = _GZIP_BOMB[0]
    return ({"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, len(body),
            lambda: (body[i:i + MIB] for i in range(0, len(body), MIB)))


@pytest.mark.parametrize("page", [huge_html_page, gzip_bomb_page], ids=["100MB-html", "1GB-gzip"])
def test_refuses_an_index_page_too_large_to_read(page, tmp_path, venv_factory, clean_env, tmp_cache):
    """A 100 MB simple page, or a gzip-encoded one inflating past 1 GB: pip-install exits 2
    within a minute saying the page is too large, with puffin's peak memory under 200 MB."""
    headers, length, chunks = page()
    venv = venv_factory()
    with PageServer(headers, length, chunks) as server:
        run = run_measured(["pip-install", "huge", "--index-url", server.index_url, "--python", venv.python,
                            "--cache-dir", tmp_cache], clean_env, tmp_path)
    assert run.code == 2, run
    text = "\n".join(error_lines(run.err))
    assert "too large" in text, text
    assert run.peak_mb < PEAK_LIMIT_MB, run
    assert dist_infos(venv.site_packages) == {}
    assert folder_size(tmp_cache) < 4 * MIB
