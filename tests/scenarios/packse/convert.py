"""Convert packse scenarios into the compact JSON that tests/test_packse_scenarios.py reads.

packse (https://github.com/astral-sh/packse) is uv's suite of resolver
scenarios.  Its scenario files (TOML, JSON, YAML) ship in the packse sdist and
repository under ``scenarios/``; packse itself needs Python 3.12+.  To refresh
the data:

    python3.12 -m venv .packse && .packse/bin/pip install packse==VERSION
    .packse/bin/pip download --no-deps --no-binary :all: packse==VERSION -d .
    tar xzf packse-VERSION.tar.gz
    .packse/bin/python tests/scenarios/packse/convert.py packse-VERSION/scenarios \\
        > tests/scenarios/packse/scenarios.json

Each scenario keeps packse's meaning; values equal to packse's defaults are
left out (they are listed once under "defaults").  The packse version the
data came from is recorded as "packse_version".
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import packse.scenario as ps

# Defaults of packse's PackageMetadata; versions only list what differs.
VERSION_DEFAULTS = {"requires_python": ">=3.12", "requires": [], "extras": {}, "sdist": True,
                    "wheel": True, "yanked": False, "wheel_tags": []}


def _kind(options: dict) -> str:
    """How uv runs the scenario (scripts/scenarios/generate.py in uv): lock, compile or install."""
    if options.get("universal"):
        return "lock"
    if options.get("python") is not None:
        return "compile"
    return "install"


def convert(scenario) -> dict:
    data = scenario.dict()
    options = {k: v for k, v in data["resolver_options"].items() if v not in (None, False, [])}
    packages = {}
    for name, package in data["packages"].items():
        versions = {}
        for version, meta in package["versions"].items():
            meta.pop("description", None)
            versions[version] = {k: v for k, v in meta.items() if VERSION_DEFAULTS.get(k, object()) != v}
        packages[name] = versions
    out = {"name": data["name"], "description": " ".join((data.get("description") or "").split()),
           "kind": _kind(options), "python": data["environment"]["python"]}
    if data["environment"]["additional_python"]:
        out["additional_python"] = data["environment"]["additional_python"]
    if options:
        out["options"] = options
    out["root"] = data["root"]["requires"]
    if data["root"]["requires_python"] != VERSION_DEFAULTS["requires_python"]:
        out["root_requires_python"] = data["root"]["requires_python"]
    out["packages"] = packages
    expected = {"satisfiable": data["expected"]["satisfiable"]}
    if data["expected"]["packages"]:
        expected["packages"] = data["expected"]["packages"]
    if data["expected"].get("explanation"):
        expected["explanation"] = " ".join(data["expected"]["explanation"].split())
    out["expected"] = expected
    return out


def main(root: str) -> None:
    scenarios = []
    for path in sorted(ps.find_scenario_files(Path(root))):
        for scenario in ps.load_scenarios(path):
            item = convert(scenario)
            item["file"] = path.relative_to(root).as_posix()
            scenarios.append(item)
    scenarios.sort(key=lambda s: (s["file"], s["name"]))
    doc = {"packse_version": importlib.metadata.version("packse"),
           "source": "scenarios/ of the packse sdist",
           "defaults": {"python": "3.12", "version": VERSION_DEFAULTS},
           "scenarios": scenarios}
    # One scenario per line: compact, yet diffs stay readable.
    lines = ['{"packse_version": %s, "source": %s, "defaults": %s,' % (
        json.dumps(doc["packse_version"]), json.dumps(doc["source"]), json.dumps(doc["defaults"], sort_keys=True)),
        ' "scenarios": [']
    lines.append(",\n".join(json.dumps(s, separators=(",", ":"), sort_keys=False) for s in scenarios))
    lines.append("]}")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
