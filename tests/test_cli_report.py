"""`--report FILE` (or `-` for stdout): pip's installation report, format "1".

pip-install, pip-sync and pip-download write the JSON pip writes for
`pip install --report`: `version`, `pip_version`, `install` (one entry per
package to install: `download_info` as PEP 610 direct_url data, `is_direct`,
`is_yanked`, `requested`, `requested_extras` when the user asked for extras,
`metadata` as PEP 566 JSON) and `environment` (the target's PEP 508 marker
values). With `--dry-run` nothing is installed, the report is still written.

The hermetic tests run against the module's local index; the live test at the
end compares the report with pip's own for `six requests` on PyPI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import support
from support import dist_infos
from support import puffin_cli as puffin


with open(support.PUFFIN_SCRIPT, encoding="utf-8") as _f:
    PUFFIN_VERSION = re.search(r'^__version__ = "([^"]+)"', _f.read(), re.M).group(1)

TOP_KEYS = ["version", "pip_version", "install", "environment"]
ITEM_KEYS = ["download_info", "is_direct", "is_yanked", "requested", "metadata"]
MARKER_NAMES = ["implementation_name", "implementation_version", "os_name", "platform_machine",
                "platform_release", "platform_system", "platform_version", "python_full_version",
                "platform_python_implementation", "python_version", "sys_platform"]

# packaging's default_environment(), computed by the target Python itself.
ENVIRONMENT_CODE = """
import json, os, platform, sys
def full(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""

# app's METADATA: every kind of field pip's JSON conversion treats apart.
APP_METADATA = (
    "Metadata-Version: 2.1\n"
    "Name: App\n"
    "Version: 1.0\n"
    "Summary: The app\n"
    "Keywords: web, tools ,  cli\n"
    "Author-email: Ann <ann@example.org>\n"
    "License: line one\n"
    "        line two\n"
    "Classifier: Programming Language :: Python :: 3\n"
    "Classifier: Topic :: Utilities\n"
    "Requires-Dist: lib>=1\n"
    "Requires-Dist: fancylib; extra == \"fancy\"\n"
    "Requires-Python: >=3.8\n"
    "Project-URL: Home, https://example.org\n"
    "Project-URL: Issues, https://example.org/issues\n"
    "Provides-Extra: fancy\n"
    "Provides-Extra: more\n"
    "X-Unknown: dropped\n"
    "\n"
    "# App\n"
    "\n"
    "Long text, \u00e9t\u00e9.\n"
)

APP_JSON = {
    "metadata_version": "2.1",
    "name": "App",
    "version": "1.0",
    "summary": "The app",
    "description": "# App\n\nLong text, \u00e9t\u00e9.\n",
    "keywords": ["web", "tools", "cli"],
    "author_email": "Ann <ann@example.org>",
    "license": "line one\nline two",
    "classifier": ["Programming Language :: Python :: 3", "Topic :: Utilities"],
    "requires_dist": ["lib>=1", "fancylib; extra == \"fancy\""],
    "requires_python": ">=3.8",
    "project_url": ["Home, https://example.org", "Issues, https://example.org/issues"],
    "provides_extra": ["fancy", "more"],
}


# ---- helpers ------------------------------------------------------------------------------

def load(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def by_name(report: dict) -> dict:
    """{canonical name: install entry}."""
    return {support.normalize_name(i["metadata"]["name"]): i for i in report["install"]}


def archive(url: str, data: bytes) -> dict:
    """The download_info pip writes for an archive at ``url`` with content ``data``."""
    digest = support.sha256(data)
    return {"url": url, "archive_info": {"hashes": {"sha256": digest}, "hash": "sha256=" + digest}}


def target_environment(venv) -> dict:
    return json.loads(support.run_python(venv, ENVIRONMENT_CODE))


def assert_report_shape(report: dict) -> None:
    """pip's keys, in pip's order, at every level."""
    assert list(report) == TOP_KEYS
    assert report["version"] == "1"
    assert report["pip_version"] == PUFFIN_VERSION + "+puffin"
    assert list(report["environment"]) == MARKER_NAMES
    for item in report["install"]:
        keys = list(item)
        assert keys[:5] == ITEM_KEYS and keys[5:] in ([], ["requested_extras"]), keys
        assert list(item["metadata"])[:3] == ["metadata_version", "name", "version"]


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    """app (needs lib>=1; extras fancy -> fancylib, more -> nothing), lib 1.0/2.0, fancylib,
    old 1.0 (yanked: "broken") and 0.9."""
    with support.IndexServer() as s:
        s.add_wheel("app", "1.0", deps=["lib>=1"], dist_info_files={"METADATA": APP_METADATA.encode("utf-8")})
        s.add_wheel("lib", "1.0")
        s.add_wheel("lib", "2.0")
        s.add_wheel("fancylib", "1.0")
        s.add_wheel("old", "0.9")
        s.add_wheel("old", "1.0", yanked="broken")
        yield s
    assert not s.errors, "\n".join(s.errors)


# ---- pip-install --dry-run --report -----------------------------------------------------------

def test_a_dry_run_report_lists_each_package_with_pips_keys_and_installs_nothing(env, venv_factory,
                                                                                     server, tmp_path):
    """app and lib: index files are not direct, not yanked, carry URL and sha256; only app is requested."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, out, err = puffin(venv.python, "pip-install", "app", "--dry-run", "--report", out_file, env=env)
    assert (code, out) == (0, ""), err
    report = load(out_file)
    assert_report_shape(report)
    items = by_name(report)
    assert sorted(items) == ["app", "lib"]
    for name, version in (("app", "1.0"), ("lib", "2.0")):
        filename = support.wheel_filename(name, version)
        assert items[name]["download_info"] == archive(server.file_url(filename), server.data(filename))
        assert (items[name]["is_direct"], items[name]["is_yanked"]) == (False, False)
        assert items[name]["metadata"]["version"] == version
    assert (items["app"]["requested"], items["lib"]["requested"]) == (True, False)
    assert "requested_extras" not in items["app"] and "requested_extras" not in items["lib"]
    assert dist_infos(venv.site_packages) == {}


def test_report_dash_writes_only_the_json_to_stdout(env, venv_factory):
    """`--report -`: stdout is the report alone (pip's indent of 2); the summary stays on stderr."""
    venv = venv_factory()
    code, out, err = puffin(venv.python, "pip-install", "lib==1.0", "--dry-run", "--report", "-", env=env)
    assert code == 0, err
    report = json.loads(out)
    assert_report_shape(report)
    assert [i["metadata"]["name"] for i in report["install"]] == ["lib"]
    assert out.startswith('{\n  "version": "1",\n')
    assert "Would install 1 package" in err and "{" not in err


def test_metadata_is_pep_566_json_exactly_as_pip_writes_it(env, venv_factory, tmp_path):
    """Lowercase `_` keys in pip's order, multiple-use fields as lists, Keywords split on commas,
    a folded value dedented, the body as description, unknown fields left out."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "app", "--dry-run", "--report", out_file, env=env)
    assert code == 0, err
    metadata = by_name(load(out_file))["app"]["metadata"]
    assert metadata == APP_JSON
    assert list(metadata) == ["metadata_version", "name", "version", "summary", "description", "keywords",
                              "author_email", "license", "classifier", "requires_dist", "requires_python",
                              "project_url", "provides_extra"]
    with open(out_file, encoding="utf-8") as f:
        assert "\u00e9t\u00e9" in f.read()  # written as UTF-8, not \\u escapes, as pip does


def test_environment_is_the_marker_environment_of_the_target_python(env, venv_factory, tmp_path):
    """The eleven PEP 508 values of the target interpreter, in packaging's order, nothing else."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(sys.executable, "pip-install", "lib", "--python", venv.python, "--dry-run",
                          "--report", out_file, env=env)
    assert code == 0, err
    report = load(out_file)
    assert report["environment"] == target_environment(venv)
    assert list(report["environment"]) == MARKER_NAMES


def test_python_version_option_is_the_environment_the_report_shows(env, venv_factory, tmp_path):
    """--python-version 3.9: the report shows the environment the resolution was made for."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "lib", "--python-version", "3.9", "--dry-run",
                          "--report", out_file, env=env)
    assert code == 0, err
    environment = load(out_file)["environment"]
    assert (environment["python_version"], environment["python_full_version"]) == ("3.9", "3.9.0")
    assert environment["sys_platform"] == target_environment(venv)["sys_platform"]


def test_requested_extras_are_listed_sorted_for_a_requested_package_only(env, venv_factory, tmp_path):
    """`app[more,fancy]`: app says ["fancy", "more"]; fancylib, pulled in by the extra, says nothing."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "app[more,fancy]", "--dry-run", "--report", out_file,
                          env=env)
    assert code == 0, err
    report = load(out_file)
    assert_report_shape(report)
    items = by_name(report)
    assert sorted(items) == ["app", "fancylib", "lib"]
    assert items["app"]["requested_extras"] == ["fancy", "more"]
    assert list(items["app"])[-1] == "requested_extras"
    assert "requested_extras" not in items["fancylib"] and items["fancylib"]["requested"] is False


def test_a_yanked_version_pinned_exactly_is_reported_as_yanked(env, venv_factory, tmp_path):
    """`old==1.0` (yanked) installs with a warning; its entry says is_yanked true."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "old==1.0", "--dry-run", "--report", out_file, env=env)
    assert code == 0, err
    item = by_name(load(out_file))["old"]
    assert (item["is_yanked"], item["metadata"]["version"]) == (True, "1.0")


# ---- where the files come from ------------------------------------------------------------------

def test_a_local_wheel_is_direct_with_its_file_url_and_sha256(env, venv_factory, tmp_path):
    """A wheel path: is_direct true, a file:// URL of the absolute path, the sha256 of the file."""
    wheel = support.make_wheel("solo", "3.0", out_dir=tmp_path / "dist")
    with open(wheel, "rb") as f:
        data = f.read()
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", wheel, "--dry-run", "--report", out_file, env=env)
    assert code == 0, err
    report = load(out_file)
    assert_report_shape(report)
    item = by_name(report)["solo"]
    assert item["download_info"] == archive("file://" + os.path.abspath(wheel), data)
    assert (item["is_direct"], item["requested"]) == (True, True)


def test_find_links_files_are_not_direct_and_carry_their_sha256(env, venv_factory, server, tmp_path):
    """`--no-index --find-links DIR`: not direct (as from an index), file:// URL, sha256 read from the file."""
    links = server.write_flat(tmp_path / "links")
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "app", "--no-index", "--find-links", links, "--dry-run",
                          "--report", out_file, env=env)
    assert code == 0, err
    items = by_name(load(out_file))
    filename = support.wheel_filename("lib", "2.0")
    assert items["lib"]["download_info"] == archive("file://" + os.path.join(os.path.abspath(links), filename),
                                                    server.data(filename))
    assert (items["lib"]["is_direct"], items["app"]["is_direct"]) == (False, False)


def test_a_project_folder_is_direct_with_dir_info_and_editable_when_given_with_e(env, venv_factory, tmp_path):
    """`./proj`: dir_info {}; `-e ./proj`: dir_info {"editable": true}; the built metadata is reported."""
    proj = support.write_project(tmp_path / "proj", "myproj", "0.1")
    venv = venv_factory()
    for args, dir_info in (([proj], {}), (["-e", proj], {"editable": True})):
        out_file = tmp_path / "report.json"
        code, _, err = puffin(venv.python, "pip-install", *args, "--dry-run", "--report", out_file, env=env)
        assert code == 0, err
        item = by_name(load(out_file))["myproj"]
        assert item["download_info"] == {"url": "file://" + proj, "dir_info": dir_info}
        assert (item["is_direct"], item["requested"]) == (True, True)
        assert (item["metadata"]["name"], item["metadata"]["version"]) == ("myproj", "0.1")


def test_credentials_of_the_index_never_reach_the_report(clean_env, tmp_cache, index_server, venv_factory,
                                                         tmp_path):
    """An index URL with user:password (pages with relative links): the file URLs in the report have none."""
    index_server.add_wheel("lib", "1.0")
    index_server.auth = ("user", "s3cret")
    index_server.relative_urls = True
    environ = dict(clean_env, PUFFIN_CACHE_DIR=tmp_cache)
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "lib", "--index-url", index_server.auth_url(),
                          "--dry-run", "--report", out_file, env=environ)
    assert code == 0, err
    with open(out_file, encoding="utf-8") as f:
        text = f.read()
    assert "s3cret" not in text and "user@" not in text
    url = by_name(json.loads(text))["lib"]["download_info"]["url"]
    assert url == index_server.file_url(support.wheel_filename("lib", "1.0"))


# ---- what is in the list ---------------------------------------------------------------------------

def test_installed_packages_that_stay_are_left_out_of_the_report(env, venv_factory, tmp_path):
    """lib 1.0 installed and kept: app's report lists app only (pip lists what it would install)."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "lib==1.0", env=env)[0] == 0
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "app", "--dry-run", "--report", out_file, env=env)
    assert code == 0, err
    assert sorted(by_name(load(out_file))) == ["app"]


def test_nothing_to_do_still_writes_a_report_with_an_empty_install_list(env, venv_factory, tmp_path):
    """Everything already installed: `Checked 1 package`, and a report saying there is nothing to install."""
    venv = venv_factory()
    assert puffin(venv.python, "pip-install", "app", env=env)[0] == 0
    out_file = tmp_path / "report.json"
    code, out, err = puffin(venv.python, "pip-install", "app", "--report", out_file, env=env)
    assert (code, out, err) == (0, "", "Checked 1 package in [TIME]\n")
    report = load(out_file)
    assert_report_shape(report)
    assert report["install"] == []
    assert report["environment"] == target_environment(venv)


def test_without_dry_run_the_report_is_written_and_the_packages_installed(env, venv_factory, tmp_path):
    """--report alone: the same report, and the install happens."""
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-install", "app", "--report", out_file, env=env)
    assert code == 0, err
    assert sorted(by_name(load(out_file))) == ["app", "lib"]
    assert dist_infos(venv.site_packages) == {"app": "1.0", "lib": "2.0"}


def test_pip_sync_reports_every_line_of_the_lock_as_requested(env, venv_factory, tmp_path):
    """pip-sync --dry-run --report: each pinned line is a user requirement, as `pip install -r` sees it."""
    lock = support.write_file(tmp_path / "requirements.txt", "app==1.0\nlib==2.0\n")
    venv = venv_factory()
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-sync", lock, "--dry-run", "--report", out_file, env=env)
    assert code == 0, err
    report = load(out_file)
    assert_report_shape(report)
    items = by_name(report)
    assert sorted(items) == ["app", "lib"]
    assert all(i["requested"] for i in items.values())
    assert items["app"]["metadata"] == APP_JSON
    assert dist_infos(venv.site_packages) == {}


def test_pip_sync_with_nothing_to_change_writes_an_empty_report(env, venv_factory, tmp_path):
    """A lock the environment already matches: `Checked`, and "install": []."""
    lock = support.write_file(tmp_path / "requirements.txt", "lib==2.0\n")
    venv = venv_factory()
    assert puffin(venv.python, "pip-sync", lock, env=env)[0] == 0
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-sync", lock, "--report", out_file, env=env)
    assert code == 0, err
    assert load(out_file)["install"] == []


def test_pip_download_reports_every_package_it_resolves(env, venv_factory, tmp_path):
    """pip-download --report: every resolved package (nothing is installed), the roots requested."""
    venv = venv_factory()
    code, _, err = puffin(venv.python, "pip-download", "--help", env=env)
    if code != 0:
        pytest.skip("no pip-download command yet")
    out_file = tmp_path / "report.json"
    code, _, err = puffin(venv.python, "pip-download", "app", "-d", tmp_path / "dest", "--report", out_file,
                          env=env)
    assert code == 0, err
    report = load(out_file)
    assert_report_shape(report)
    items = by_name(report)
    assert sorted(items) == ["app", "lib"]
    assert (items["app"]["requested"], items["lib"]["requested"]) == (True, False)


# ---- live: the same report as pip's -----------------------------------------------------------------

def _key_tree(value):
    """The keys of nested dicts (lists: the union over their dict items), for comparing shapes."""
    if isinstance(value, dict):
        return {k: _key_tree(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        merged = {}
        for v in value:
            merged.update(_key_tree(v))
        return [merged]
    return None


@pytest.mark.live
def test_the_report_for_six_and_requests_is_pips_report(tmp_cache, venv_factory, tmp_path):
    """Against PyPI: the same packages, the same keys at every level, the same values, except pip_version."""
    pip_venv = str(tmp_path / "pip-venv")
    # as the other live tests: no machine pip/puffin settings, but the machine's CA bundles stay
    live_env = support.without_machine_settings()
    pip_env = dict(live_env, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    subprocess.run([sys.executable, "-m", "venv", pip_venv], check=True, env=pip_env)
    pip = os.path.join(pip_venv, "Scripts" if os.name == "nt" else "bin", "pip")
    upgrade = subprocess.run([pip, "install", "-q", "-U", "pip"], capture_output=True, text=True, env=pip_env)
    if upgrade.returncode != 0:
        pytest.skip("cannot upgrade pip from PyPI: %s" % upgrade.stderr[-300:])
    venv = venv_factory()
    puffin_file, pip_file = tmp_path / "puffin.json", tmp_path / "pip.json"
    for _ in range(2):  # a release between the two runs changes a version: run both again
        code, _, err = puffin(venv.python, "pip-install", "six", "requests", "--dry-run", "--report",
                              puffin_file, env=dict(live_env, PUFFIN_CACHE_DIR=tmp_cache), timeout=600)
        assert code == 0, err
        run = subprocess.run([pip, "install", "--dry-run", "--ignore-installed", "--quiet", "--report",
                              pip_file, "six", "requests"],
                             capture_output=True, text=True, env=pip_env)
        assert run.returncode == 0, run.stderr
        ours, theirs = load(puffin_file), load(pip_file)
        if sorted(by_name(ours)) == sorted(by_name(theirs)) and \
                [i["metadata"]["version"] for i in sorted(ours["install"], key=lambda i: i["metadata"]["name"])] \
                == [i["metadata"]["version"] for i in sorted(theirs["install"], key=lambda i: i["metadata"]["name"])]:
            break
    assert list(ours) == list(theirs) == TOP_KEYS
    assert (ours["version"], ours["pip_version"]) == ("1", PUFFIN_VERSION + "+puffin")
    assert ours["environment"] == theirs["environment"]
    mine, pips = by_name(ours), by_name(theirs)
    assert sorted(mine) == sorted(pips)
    assert {"six", "requests", "urllib3", "idna", "certifi", "charset-normalizer"} <= set(mine)
    for name in pips:
        assert _key_tree(mine[name]) == _key_tree(pips[name]), name
        assert mine[name] == pips[name], name
