"""Tracing from the command line: `PUFFIN_TRACE=FILE` writes Chrome
trace-event JSON (Perfetto opens it) with nested, timed spans, threads as
tracks; `-v` prints where the time went."""

from __future__ import annotations

import json
import os

import pytest

import support
from support import puffin_cli as puffin


@pytest.fixture(scope="module")
def server():
    with support.IndexServer() as s:
        s.add_wheel("app", "1.0", deps=["lib"])
        s.add_wheel("lib", "1.0")
        yield s
    assert not s.errors, "\n".join(s.errors)


def complete_events(trace: dict) -> list:
    """The timed spans (phase X) of a trace, after checking each one's shape."""
    events = [e for e in trace["traceEvents"] if e.get("ph") == "X"]
    for e in events:
        assert isinstance(e["name"], str) and e["name"]
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
        assert e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    return events


def contains(outer: dict, inner: dict) -> bool:
    """``inner`` runs inside ``outer`` on the same thread (allowing float rounding)."""
    eps = 1.0  # microseconds
    return (outer is not inner and outer["tid"] == inner["tid"] and outer["pid"] == inner["pid"]
            and outer["ts"] - eps <= inner["ts"]
            and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + eps)


def test_puffin_trace_writes_chrome_trace_json_with_nested_timed_spans(env, venv_factory, tmp_path):
    """PUFFIN_TRACE=FILE: a valid trace-event file; the command span holds the others on its thread;
    named thread tracks; the command's own output is unchanged."""
    venv = venv_factory()
    trace_file = tmp_path / "trace.json"
    code, out, err = puffin(venv.python, "pip-install", "app", env=dict(env, PUFFIN_TRACE=str(trace_file)))
    assert code == 0, err
    assert err.splitlines() == [
        "Resolved 2 packages in [TIME]",
        "Prepared 2 packages in [TIME]",
        "Installed 2 packages in [TIME]",
        " + app==1.0",
        " + lib==1.0",
    ]
    with open(trace_file, encoding="utf-8") as f:
        trace = json.load(f)
    assert isinstance(trace, dict) and isinstance(trace["traceEvents"], list)
    events = complete_events(trace)
    names = {e["name"] for e in events}
    assert "command" in names
    assert len(events) >= 5
    command = [e for e in events if e["name"] == "command"]
    assert len(command) == 1
    nested = [e for e in events if contains(command[0], e)]
    assert nested, "no span inside the command span"
    # Deeper nesting: some span inside a span that is itself inside the command.
    assert any(contains(mid, inner) for mid in nested for inner in nested), "spans are not nested"
    # Threads as tracks: every thread that has spans is named by a metadata event.
    named = {e["tid"] for e in trace["traceEvents"] if e.get("ph") == "M" and e.get("name") == "thread_name"}
    assert {e["tid"] for e in events} <= named
    # The span tree is sound: on each thread, spans either nest or do not overlap.
    by_thread = {}
    for e in events:
        by_thread.setdefault(e["tid"], []).append(e)
    for spans in by_thread.values():
        spans.sort(key=lambda e: (e["ts"], -e["dur"]))
        for i, a in enumerate(spans):
            for b in spans[i + 1:]:
                if b["ts"] >= a["ts"] + a["dur"] - 1.0:
                    break
                assert contains(a, b), (a, b)


def test_a_trace_is_written_even_when_the_command_fails(env, venv_factory, tmp_path):
    """An error still leaves a readable trace with its command span."""
    venv = venv_factory()
    trace_file = tmp_path / "trace.json"
    code, _, err = puffin(venv.python, "pip-install", "no-such-thing",
                          env=dict(env, PUFFIN_TRACE=str(trace_file)))
    assert code == 1
    assert "Traceback" not in err
    with open(trace_file, encoding="utf-8") as f:
        events = complete_events(json.load(f))
    assert "command" in {e["name"] for e in events}


def test_verbose_prints_where_the_time_went(env, venv_factory):
    """-v: after the usual lines, the span summary (name, count, total) on stderr."""
    venv = venv_factory()
    code, out, err = puffin(venv.python, "pip-install", "app", "-v", env=env)
    assert code == 0, err
    lines = err.splitlines()
    assert " + app==1.0" in lines and " + lib==1.0" in lines
    start = lines.index("where the time went (span, count, total):")
    summary = lines[start + 1:]
    assert summary and all(ln.startswith("  ") for ln in summary)
    assert any(ln.split()[0] == "command" and ln.split()[1] == "1" for ln in summary)


def test_an_unwritable_trace_file_warns_and_the_command_still_succeeds(env, venv_factory, tmp_path):
    """PUFFIN_TRACE under a path that is a file, not a folder: a warning, exit 0, the install done."""
    venv = venv_factory()
    (tmp_path / "a-file").write_text("")
    bad = tmp_path / "a-file" / "trace.json"
    code, _, err = puffin(venv.python, "pip-install", "lib", env=dict(env, PUFFIN_TRACE=str(bad)))
    assert code == 0
    assert any(ln.startswith("warning: ") and "trace" in ln for ln in err.splitlines())
    assert os.path.isdir(os.path.join(venv.site_packages, "lib-1.0.dist-info"))


def test_without_tracing_no_trace_and_no_summary(env, venv_factory, tmp_path):
    """No PUFFIN_TRACE and no -v: no summary lines, no trace file anywhere in the working folder."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-install", "lib", env=env, cwd=str(tmp_path))
    assert code == 0
    assert "where the time went" not in err
    assert not [n for n in os.listdir(str(tmp_path)) if n.endswith(".json")]
