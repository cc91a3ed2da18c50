"""Record what ``uv pip compile --universal`` answers for packse's lock scenarios.

The packse "lock" scenarios (``kind: lock`` in scenarios.json) are the ones uv
runs with universal resolution; packse records only whether each is
satisfiable.  This script serves each scenario's packages from the tests' own
local index (the same packages tests/test_packse_scenarios.py builds), runs
uv on it, and writes the lines uv gives (name, version, marker) to
``universal.json`` beside this file, so that the suite can compare
``puffin.py pip-compile --universal`` with uv without uv or the network:

    build/venv-3.11/bin/python tests/scenarios/packse/universal.py build/tools/bin/uv

Each scenario is compiled for the Pythons of its root ``requires-python``
(default ``>=3.12``, packse's), given to uv as ``--python-version``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.dirname(TESTS), TESTS]

import support  # noqa: E402
import test_packse_scenarios as packse  # noqa: E402

_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?:\s*;\s*(.*))?$")


def python_floor(scenario: dict) -> str:
    """The lowest Python of the scenario's root requires-python (as uv's lock reads it)."""
    text = scenario.get("root_requires_python", ">=3.12")
    m = re.search(r">=\s*([0-9][0-9.]*)", text)
    return m.group(1) if m else scenario["python"]


def parse_lines(text: str) -> list:
    out = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            out.append([m.group(1).lower(), m.group(2), (m.group(3) or "").strip()])
    return out


def main(uv: str) -> int:
    scenarios = [s for s in packse.SCENARIOS if s["kind"] == "lock"]
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    results = {}
    with support.IndexServer() as server, tempfile.TemporaryDirectory() as tmp:
        for scenario in scenarios:
            packse.host(server, scenario)
        for scenario in scenarios:
            req = os.path.join(tmp, scenario["name"] + ".in")
            with open(req, "w") as f:
                f.write("".join(packse.rename(scenario, r) + "\n" for r in scenario["root"]))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
            proc = subprocess.run(
                [uv, "pip", "compile", req, "--universal", "--python-version", python_floor(scenario),
                 "--index-url", server.index_url, "--no-header", "--no-annotate", "--cache-dir",
                 os.path.join(tmp, "cache"), "--quiet"] + (["--prerelease=allow"]
                                                             if scenario.get("options", {}).get("prereleases")
                                                             else []),
                capture_output=True, text=True, env=env)
            results[scenario["name"]] = {"python": python_floor(scenario), "exit": proc.returncode,
                                         "lines": parse_lines(proc.stdout)}
    with open(os.path.join(HERE, "universal.json"), "w") as f:
        json.dump({"uv_version": version, "packse_version": packse._DOC["packse_version"],
                   "scenarios": results}, f, indent=1, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "uv"))
