"""Progress: one line rewritten in place on a terminal, nothing on a pipe, a line per event with -v."""
import io

import puffin


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_one_line_rewritten_in_place_and_cleared():
    """On a TTY each event rewrites the same line; clear() leaves it blank for the summary."""
    err = FakeTTY()
    reporter = puffin.ProgressReporter(puffin.Printer(err=err))
    reporter.event("resolve.pin", name="<root>", version="0")   # the virtual root is not shown
    reporter.event("resolve.pin", name="flask", version="3.0")
    reporter.event("download.done", name="flask", filename="flask-3.0-py3-none-any.whl")
    reporter.clear()
    text = err.getvalue()
    assert text.count("\r\x1b[2K") == 3
    assert "Resolving... (1)" in text and "Downloading... (1)" in text
    assert "\n" not in text and text.endswith("\r\x1b[2K")


def test_a_pipe_gets_no_progress_and_verbose_gets_plain_lines():
    """Not a TTY: silent; with -v: one plain line per event, no escape codes."""
    quiet_err = io.StringIO()
    reporter = puffin.ProgressReporter(puffin.Printer(err=quiet_err))
    reporter.event("install.done", name="flask", version="3.0")
    reporter.clear()
    assert quiet_err.getvalue() == ""
    loud_err = io.StringIO()
    reporter = puffin.ProgressReporter(puffin.Printer(verbose=1, err=loud_err))
    reporter.event("install.done", name="flask", version="3.0")
    assert loud_err.getvalue() == "installed flask==3.0\n"


def test_quiet_silences_progress_even_on_a_terminal():
    """-q: no progress line at all."""
    err = FakeTTY()
    reporter = puffin.ProgressReporter(puffin.Printer(quiet=1, err=err))
    reporter.event("install.done", name="flask", version="3.0")
    assert err.getvalue() == ""


def test_a_long_resolution_shows_its_numbers_and_verbose_sums_them_up():
    """After a few seconds the step line counts decisions and backtracks and
    names the package reconsidered most; -v prints the search's numbers."""
    err = FakeTTY()
    reporter = puffin.ProgressReporter(puffin.Printer(err=err))
    reporter._LONG = 0.0     # the threshold, for a test that cannot wait
    for name in ("boto3", "botocore", "boto3", "boto3"):
        reporter.event("resolve.pin", name=name, version="1.0")
        reporter.event("resolve.backjump", level=1)
    assert "Resolving... (4 decisions, 3 backtracks; boto3 reconsidered 3 times)" in err.getvalue()
    loud = io.StringIO()
    reporter = puffin.ProgressReporter(puffin.Printer(verbose=1, err=loud))
    reporter.event("resolve.done", decisions=12, backjumps=3, conflicts=5, most="boto3", most_tries=7)
    assert "resolution: 12 decisions, 3 backjumps, 5 conflicts, boto3 tried in 7 versions" in loud.getvalue()
