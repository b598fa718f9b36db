"""The built collection tarball is what a user installs: check what is (not) in it.

Runs after `make collection` built .build/privateai-deepseek-<version>.tar.gz.
"""

import json
import tarfile
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
TARBALL = REPO_ROOT / ".build" / f"privateai-deepseek-{GALAXY['version']}.tar.gz"


@pytest.fixture(scope="module")
def members():
    if not TARBALL.exists():
        pytest.fail(f"{TARBALL} is missing: run `make collection`")
    with tarfile.open(TARBALL) as archive:
        return {member.name: member for member in archive.getmembers()}


@pytest.fixture(scope="module")
def manifest():
    with tarfile.open(TARBALL) as archive:
        return json.load(archive.extractfile("MANIFEST.json"))


def test_identity_and_dependencies(manifest):
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("privateai", "deepseek")
    assert set(info["dependencies"]) >= {"community.docker", "community.general", "community.crypto", "ansible.posix"}


def test_dev_and_test_files_stay_out(members):
    leaked = [
        name
        for name in members
        if name.split("/")[0] in {"tests", "molecule", ".venv", ".build", ".ci", ".config", ".git", "Makefile"}
    ]
    assert leaked == []


def test_every_module_is_shipped_and_in_the_action_group(members):
    runtime = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())
    grouped = set(runtime["action_groups"]["deepseek"])
    modules = {path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    assert modules, "no modules found"
    assert grouped == modules
    for module in modules:
        assert f"plugins/modules/{module}.py" in members


def test_every_role_has_argument_specs_and_readme(members):
    roles = [path.name for path in (REPO_ROOT / "roles").iterdir() if path.is_dir()]
    assert roles
    for role in roles:
        assert f"roles/{role}/meta/argument_specs.yml" in members, role
        assert f"roles/{role}/README.md" in members, role


def test_execution_environment_metadata_is_shipped(members):
    for name in (
        "meta/runtime.yml",
        "meta/execution-environment.yml",
        "meta/ee-requirements.txt",
        "meta/ee-bindep.txt",
    ):
        assert name in members
