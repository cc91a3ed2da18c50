"""Section 14: fast_parse_args, the command line read without argparse.

Every command line it accepts must give exactly what argparse gives
(build_parser(cmd).parse_known_args), and everything else must be left to
argparse (None). The lines here are made from the options build_parser
declares, so a new option is covered the day it is added.
"""

import itertools
import os
import subprocess
import sys

import pytest

import puffin

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIMPLE = [c for c in sorted(puffin.COMMANDS)
          if not puffin.build_parser(c, spec=True).subcommands[c].subcommands]


def argparse_result(argv):
    try:
        args, extra = puffin.build_parser(argv[0]).parse_known_args(argv)
    except SystemExit:
        return "error", None
    return vars(args), extra


def sample(act):
    """A value the option accepts."""
    if act.choices:
        return list(act.choices)[-1]
    if act.type is int:
        return "7"
    if act.type is float:
        return "2.5"
    return "x-" + act.dest


def lines_for(command):
    """Command lines that use each option of ``command`` in each spelling."""
    p = puffin.build_parser(command, spec=True).subcommands[command]
    words = {"+": ["a", "b"], "*": ["a"], "?": ["somewhere"], None: ["folder"]}
    pos = [a for a in p.actions if a.flags[0][:1] != "-"]
    base = words[pos[0].nargs] if pos else []
    yield [command] + base
    for act in p.actions:
        if act.flags[0][:1] != "-":
            continue
        for flag in act.flags:
            if act.action in ("store", "append"):
                value = sample(act)
                yield [command] + base + [flag, value]
                yield [command, flag, value] + base
                if flag.startswith("--"):
                    yield [command] + base + ["%s=%s" % (flag, value)]
                if act.action == "append":
                    yield [command] + base + [flag, value, flag, value + "2"]
            else:
                yield [command, flag] + base
                yield [command] + base + [flag, flag]


@pytest.mark.parametrize("command", SIMPLE)
def test_every_option_of_every_command_reads_as_argparse_reads_it(command):
    seen = 0
    for argv in lines_for(command):
        fast = puffin.fast_parse_args(argv)
        expected, extra = argparse_result(argv)
        assert fast is not None, argv   # plain lines take the fast path
        assert extra == [] and vars(fast) == expected, argv
        seen += 1
    assert seen > 3


@pytest.mark.parametrize("argv", [
    ["pip-sync", "--pyth", "x", "a.txt"],            # an abbreviation argparse would accept
    ["pip-sync", "a.txt", "--python", "x", "b.txt"],  # two runs of words: argparse keeps b.txt apart
    ["pip-sync", "a.txt", "--bogus"],                  # unknown: argparse's extras
    ["pip-sync", "-qv", "a.txt"],                      # flags run together
    ["pip-sync", "-pX", "a.txt"],                      # a value run into its flag
    ["pip-sync", "--", "a.txt"],
    ["pip-sync", "-h"],
    ["pip-sync"],                                      # a required word missing
    ["pip-sync", "a.txt", "--python"],                 # a value missing
    ["pip-sync", "a.txt", "--python", "--offline"],
    ["pip-sync", "a.txt", "--offline=1"],
    ["pip-sync", "a.txt", "--link-mode", "teleport"],  # not a choice
    ["pip-tree", "--depth", "deep"],                   # not an int
    ["pip-compile", "in.txt", "--timeout", "-1"],      # looks like an option
    ["index", "a", "b"],
    ["cache", "clean"], ["self", "version"],           # commands of their own
    ["--version"], ["nonsense"], [],
])
def test_what_it_does_not_read_is_left_to_argparse(argv):
    assert puffin.fast_parse_args(argv) is None


def test_a_plain_command_line_imports_no_argparse(tmp_path):
    """The point of it: a plain command line starts no argparse (nor the
    gettext it pulls in); --help still goes through argparse."""
    code = ("import sys; sys.path.insert(0, %r); import puffin; "
            "sys.argv = ['puffin', 'pip-freeze', '--python', sys.executable]; "
            "rc = puffin.main(); "
            "print(sorted(m for m in ('argparse', 'gettext') if m in sys.modules))"
            % ROOT)
    env = dict(os.environ, PUFFIN_CACHE_DIR=str(tmp_path / "cache"), PIP_CONFIG_FILE=os.devnull)
    r = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
    r = subprocess.run([sys.executable, os.path.join(ROOT, "puffin.py"), "pip-sync", "--help"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "usage: puffin.py pip-sync" in r.stdout
