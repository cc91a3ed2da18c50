"""What a person sees on a terminal (issue 15): puffin.py driven through a
real pseudo-terminal against a slow local index. The live area names the
download in flight with its bytes of the total, and is gone at the end;
colour follows the terminal, --color and NO_COLOR/FORCE_COLOR."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest

import support

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

BIG = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as srv:
        # random bytes: the wheel stays about BIG bytes, zipped
        srv.add_wheel("bigpkg", "1.0", files={"bigpkg/__init__.py": "", "bigpkg/blob.bin": os.urandom(BIG)})
        srv.add_wheel("smallpkg", "1.0")
        yield srv


def run_on_terminal(args, env, timeout=120):
    """Run puffin.py with stderr on a pseudo-terminal (stdout a pipe): (exit code, stderr bytes)."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, support.PUFFIN_SCRIPT] + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:   # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def screen(text: str) -> list:
    """The lines left on a terminal after `text`: enough of VT100 for what
    puffin.py writes (\\r, \\n, erase line, cursor up, colours dropped)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines, row, col = [""], 0, 0
    i = 0
    while i < len(text):
        m = re.match(r"\x1b\[(\d*)([AK])", text[i:])
        if m:
            if m.group(2) == "K":
                lines[row] = ""
                col = 0
            else:
                row = max(0, row - int(m.group(1) or 1))
            i += len(m.group(0))
            continue
        c = text[i]
        if c == "\r":
            col = 0
        elif c == "\n":
            row += 1
            col = 0
            if row == len(lines):
                lines.append("")
        else:
            line = lines[row]
            lines[row] = line[:col] + c + line[col + 1:]
            col += 1
        i += 1
    return [ln for ln in lines if ln.strip()]


def test_the_live_area_shows_bytes_of_the_total_and_is_cleared(server, env, venv_factory):
    server.inject("/files/bigpkg-*", "slow", times=None, chunk=65536, pause=0.04)
    venv = venv_factory()
    code, err = run_on_terminal(["pip-install", "--python", venv.python, "bigpkg", "smallpkg"], env)
    assert code == 0, err
    plain = re.sub(r"\x1b\[[0-9;]*m", "", err)
    assert re.search(r"bigpkg-1\.0-py3-none-any\.whl \d+(\.\d)?(B|KiB|MiB)/2\.0MiB \d+(\.\d)?(B|KiB|MiB)/s", plain), plain
    assert "Resolving... (" in plain
    final = screen(err)
    assert not any("/s" in line or "..." in line for line in final), final
    assert any(line.startswith("Installed 2 packages in") for line in final), final
    assert " + bigpkg==1.0" in final and " + smallpkg==1.0" in final


@pytest.mark.parametrize("how,colour", [({}, True), ({"NO_COLOR": "1"}, False), ({"--color": "never"}, False),
                                        ({"FORCE_COLOR": "1", "--color": "never"}, False)])
def test_colour_on_a_terminal_follows_the_flag_and_no_color(server, env, venv_factory, how, colour):
    venv = venv_factory()
    flags = ["--color", how["--color"]] if "--color" in how else []
    run_env = dict(env, **{k: v for k, v in how.items() if not k.startswith("-")})
    code, err = run_on_terminal(["pip-install", "--python", venv.python, "smallpkg"] + flags, run_env)
    assert code == 0, err
    assert ("\x1b[32;1m+\x1b[0m" in err) is colour, err
    assert (re.search(r"\x1b\[[0-9;]*m", err) is not None) is colour, err


def test_colour_off_a_terminal_only_when_forced(server, env, venv_factory):
    venv = venv_factory()
    for extra, flags, colour in (({}, [], False), ({"FORCE_COLOR": "1"}, [], True), ({}, ["--color", "always"], True)):
        code, _, err = support.puffin_cli(venv.python, "pip-install", "smallpkg", "--reinstall", *flags,
                                          env=dict(env, **extra), filter=False)
        assert code == 0, err
        assert ("\x1b[" in err) is colour, err
    code, _, err = support.puffin_cli(venv.python, "pip-install", "nosuchpkg", env=dict(env, FORCE_COLOR="1"))
    assert code == 1
    assert err.splitlines()[-1].startswith("\x1b[31;1merror\x1b[0m\x1b[1m:\x1b[0m ") or \
        any(line.startswith("\x1b[31;1merror\x1b[0m") for line in err.splitlines()), err
