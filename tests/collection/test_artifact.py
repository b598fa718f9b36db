"""The built collection tarball is what a user installs: check what is (not) in it.

Runs after `make collection` built .build/privateai-deepseek-<version>.tar.gz.
"""

import json
import os
import subprocess
import sys
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


def test_execution_environment_context_installs_this_collection():
    """`ansible-builder create` (run by `make collection`) laid out a buildable context."""
    context = REPO_ROOT / ".build" / "ee-context" / "_build"
    tarball_name = TARBALL.name
    assert (context / "collections" / tarball_name).is_file()
    requirements = yaml.safe_load((context / "requirements.yml").read_text())
    names = [entry["name"] for entry in requirements["collections"]]
    assert f"/tmp/collections/{tarball_name}" in names
    assert {"community.crypto", "community.docker", "community.general", "ansible.posix"} <= set(names)
    assert "nvidia-ml-py" in (context / "requirements.txt").read_text()


def plugin_names(kind_dir):
    return sorted(path.stem for path in (REPO_ROOT / "plugins" / kind_dir).glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize(
    "plugin_type,name",
    [("module", name) for name in plugin_names("modules")] + [("filter", name) for name in plugin_names("filter")],
)
def test_ansible_doc_renders_from_the_installed_tarball(plugin_type, name):
    """What a user gets after `ansible-galaxy collection install <tarball>`: docs render."""
    installed = REPO_ROOT / ".build" / "installed"
    assert (installed / "ansible_collections" / "privateai" / "deepseek" / "MANIFEST.json").is_file()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed))
    fqcn = f"privateai.deepseek.{name}"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", plugin_type, "--json", fqcn],
        capture_output=True,
        text=True,
        env=env,
        cwd=installed,
    )
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert fqcn in docs, result.stderr
    assert docs[fqcn]["doc"]["short_description"]
    assert str(installed) in docs[fqcn]["doc"]["filename"]
    assert docs[fqcn]["examples"].strip()
    assert docs[fqcn]["return"]


@pytest.mark.parametrize("where", ["installed", "checkout"])
def test_each_cli_runs_with_the_one_documented_command(where):
    """`python3 <collection>/cli/<tool>.py`, from the installed tarball and from a checkout, with
    no PYTHONPATH: the docs used to give PYTHONPATH=~/.ansible/collections, which a checkout lacks."""
    collection = (
        REPO_ROOT / ".build" / "installed" / "ansible_collections" / "privateai" / "deepseek"
        if where == "installed"
        else REPO_ROOT
    )
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    commands = {
        "gpu_health": ["--no-require-gpu", "--json"],
        "inference_benchmark": ["--help"],
        "deployment_cost": ["--json"],
    }
    for tool, arguments in commands.items():
        run = subprocess.run(
            [sys.executable, str(collection / "cli" / f"{tool}.py"), *arguments],
            capture_output=True, text=True, env=env, cwd="/", timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, (tool, run.stderr)
        if tool != "inference_benchmark":
            json.loads(run.stdout)
    # the installed copy runs the installed code, not the checkout's
    probe = "import _bootstrap, ansible_collections.privateai.deepseek as c; print(_bootstrap.COLLECTIONS_PATH)"
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=str(collection / "cli"), timeout=60
    )
    expected = REPO_ROOT / ".build" / ("installed" if where == "installed" else "collections")
    assert run.returncode == 0 and run.stdout.strip() == str(expected), run.stderr
