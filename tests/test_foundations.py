"""Section 1: atomic writes, safe joins, OnceMap, tracing spans, Value."""
import os
import stat
import subprocess
import sys
import threading

import pytest

import puffin


def test_atomic_write_replaces_a_regular_file_whole(tmp_path):
    """A regular file is replaced by a new one (readers see old or new, never a part)."""
    target = tmp_path / "out.txt"
    target.write_text("old")
    puffin.atomic_write(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_writes_into_a_fifo_instead_of_replacing_it(tmp_path):
    """`-o /dev/null` or a pipe: the special file is written into and stays what it was."""
    fifo = tmp_path / "pipe"
    os.mkfifo(str(fifo))
    got = []
    reader = threading.Thread(target=lambda: got.append(open(str(fifo), "rb").read()))
    reader.start()
    puffin.atomic_write(str(fifo), b"through the pipe")
    reader.join(10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(str(fifo)).st_mode)


@pytest.mark.parametrize("bad", ["/etc/passwd", "../x", "a/../../x", "", "C:/x", "a\x00b"])
def test_safe_join_refuses_paths_that_leave_the_root(bad):
    """Absolute paths, `..` parts, drive letters and NULs are refused."""
    with pytest.raises(puffin.UnsafePathError):
        puffin.safe_join("/root", bad)


@pytest.mark.parametrize("good, expected", [("a/b.py", "/r/a/b.py"), ("./a//b", "/r/a/b"),
                                            (".hidden/x", "/r/.hidden/x"), ("a/./b", "/r/a/b")])
def test_safe_join_keeps_paths_inside_the_root(good, expected):
    """Ordinary member paths land below the root, normalized."""
    assert puffin.safe_join("/r", good) == expected


def test_oncemap_runs_a_job_once_for_concurrent_callers():
    """Callers arriving while a job runs wait for it and share its result."""
    om = puffin.OnceMap()
    calls = []
    gate = threading.Event()

    def job():
        calls.append(1)
        gate.wait(5)
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(om.get("k", job))) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert results == [42] * 8 and calls == [1]


def test_oncemap_hands_an_exception_to_every_waiter():
    """A failing job fails every caller the same way."""
    om = puffin.OnceMap()
    with pytest.raises(ValueError):
        om.get("k", lambda: (_ for _ in ()).throw(ValueError("boom")))
    with pytest.raises(ValueError):
        om.get("k", lambda: 1)


def test_spans_cost_nothing_when_tracing_is_off_and_nest_when_on(monkeypatch):
    """Off: span() is a shared no-op. On: spans record name, thread and nesting by time."""
    monkeypatch.setattr(puffin, "_TRACER", None)
    assert puffin.span("x") is puffin.span("y")
    tracer = puffin.enable_tracing()
    with puffin.span("outer", a=1):
        with puffin.span("inner"):
            pass
    inner, outer = tracer.events
    assert outer["name"] == "outer" and inner["name"] == "inner"
    assert outer["ts"] <= inner["ts"] and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"]
    assert outer["args"] == {"a": 1}
    monkeypatch.setattr(puffin, "_TRACER", None)


def test_format_duration_follows_uv():
    """Below a second in whole milliseconds, above in seconds with two decimals."""
    assert puffin.format_duration(0.0123) == "12ms"
    assert puffin.format_duration(1.234) == "1.23s"


# ---- WorkerPool and Job (what puffin.py keeps of concurrent.futures) -------------------------

def test_worker_pool_runs_jobs_and_hands_back_values_and_exceptions():
    import threading
    with puffin.WorkerPool(3, "t") as pool:
        gate = threading.Event()
        jobs = [pool.submit(lambda i=i: (gate.wait(5), i * i)[1]) for i in range(6)]
        failing = pool.submit(lambda: 1 / 0)
        gate.set()
        assert [j.result() for j in jobs] == [0, 1, 4, 9, 16, 25]
        with pytest.raises(ZeroDivisionError):
            failing.result()
        assert all(j.done() for j in jobs) and not any(j.cancelled() for j in jobs)
        assert len(pool._threads) <= 3   # never more threads than it was given
        assert list(pool.map(lambda x: x + 1, [1, 2, 3])) == [2, 3, 4]


def test_as_completed_yields_each_job_as_it_ends_and_cancel_stops_waiting_ones():
    import threading
    with puffin.WorkerPool(1, "t") as pool:
        gate = threading.Event()
        first = pool.submit(gate.wait, 5)
        queued = [pool.submit(lambda i=i: i) for i in range(3)]
        assert queued[1].cancel() and queued[1].cancelled() and queued[1].done()
        assert not first.cancel()   # already running: it goes on
        with pytest.raises(puffin.CancelledJob):
            queued[1].result()
        gate.set()
        seen = list(puffin.as_completed([first] + queued))
    assert sorted(map(id, seen)) == sorted(map(id, [first] + queued))
    assert [j.result() for j in (queued[0], queued[2])] == [0, 2]


def test_the_process_pool_finishes_its_queued_jobs_before_the_process_ends(tmp_path):
    """As ThreadPoolExecutor does at exit: jobs still queued when main() returns
    run to the end (a cache entry being written is finished, not cut off)."""
    out = tmp_path / "done"
    code = ("import sys, time; sys.path.insert(0, %r); import puffin\n"
            "pool = puffin.thread_pool()\n"
            "for i in range(20):\n"
            "    pool.submit(lambda i=i: (time.sleep(0.01), open(%r, 'a').write('%%d\\n' %% i)))\n"
            % (os.path.dirname(os.path.abspath(puffin.__file__)), str(out)))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert sorted(int(x) for x in out.read_text().split()) == list(range(20))
