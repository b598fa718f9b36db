"""On a machine without an NVIDIA driver (CI, laptops) gpu_health says exactly that.

Runs the real module through ansible-playbook (playbooks/gpu_health.yml against the
controller itself, real pynvml, no libnvidia-ml.so.1) and the command-line entry.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTIONS = REPO_ROOT / ".build" / "collections"

pytestmark = pytest.mark.skipif(
    os.path.exists("/dev/nvidiactl"), reason="this machine has an NVIDIA driver; tests/device/ covers it"
)


def run_playbook(tmp_path, *extra, inventory="localhost,"):
    report_dir = ["-e", f"gpu_health_report_dir={tmp_path}"] if tmp_path else []
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            str(REPO_ROOT / "playbooks" / "gpu_health.yml"),
            "-i", str(inventory), "-c", "local",
            "-e", "gpu_health_hosts=all",
            "-e", f"ansible_python_interpreter={sys.executable}",
            *report_dir,
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )  # fmt: skip


def test_playbook_fails_with_the_reason_and_writes_the_report(tmp_path):
    run = run_playbook(tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert "NVML library not found (libnvidia-ml.so.1)" in output
    assert "failed=1" in output
    report = json.loads((tmp_path / "gpu-health.json").read_text())
    assert report["localhost"]["probe_status"] == "nvml_library_not_found"
    assert report["localhost"]["gpus"] == []


def test_playbook_succeeds_when_gpus_are_optional(tmp_path):
    run = run_playbook(tmp_path, "-e", "gpu_health_require_gpu=false")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "NVML library not found" in output
    report = json.loads((tmp_path / "gpu-health.json").read_text())
    assert report["localhost"]["failed"] is False
    assert report["localhost"]["gpus"] == []
    assert report["localhost"]["ansible_facts"]["gpu_health"]["probe_status"] == "nvml_library_not_found"


def test_report_lands_in_deepseek_report_dir_from_group_vars_unless_given(tmp_path, report_dir_inventory):
    """deepseek_report_dir from an inventory's group_vars is the default; -e gpu_health_report_dir wins."""
    from_e = tmp_path / "from-e"
    hosts, from_inventory = report_dir_inventory("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")

    run = run_playbook(None, "-e", "gpu_health_require_gpu=false", inventory=hosts)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    report = json.loads((from_inventory / "gpu-health.json").read_text())
    assert report["localhost"]["gpus"] == []
    assert f"Report: {from_inventory}/gpu-health.json" in output

    (from_inventory / "gpu-health.json").unlink()
    run = run_playbook(from_e, "-e", "gpu_health_require_gpu=false", inventory=hosts)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (from_e / "gpu-health.json").is_file()
    assert not (from_inventory / "gpu-health.json").exists()


def test_cli_exit_code_2_and_message():
    run = subprocess.run(
        [sys.executable, "-m", "ansible_collections.privateai.deepseek.cli.gpu_health", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)),
    )
    assert run.returncode == 2, run.stderr
    result = json.loads(run.stdout)
    assert result["probe_status"] == "nvml_library_not_found"
    assert result["message"].startswith("NVML library not found")


@pytest.fixture(scope="module")
def python_without_nvml(tmp_path_factory):
    """A Python with nothing but its standard library: a node where nvidia-ml-py was never installed."""
    venv = tmp_path_factory.mktemp("no-nvml") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import pynvml"], capture_output=True).returncode != 0
    return python


def test_a_node_without_gpu_or_nvidia_ml_py_gets_the_documented_answer(tmp_path, python_without_nvml):
    """No NVIDIA GPU on the PCI bus and no nvidia-ml-py: "no GPUs" (it used to be Ansible's
    generic "Failed to import the required Python library (nvidia-ml-py)")."""
    run = run_playbook(tmp_path, "-e", f"ansible_python_interpreter={python_without_nvml}")
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert "Failed to import the required Python library" not in output
    assert "no GPUs: no NVIDIA GPU on the PCI bus of this node" in output
    assert json.loads((tmp_path / "gpu-health.json").read_text())["localhost"]["probe_status"] == "no_gpus"

    run = run_playbook(
        tmp_path, "-e", f"ansible_python_interpreter={python_without_nvml}", "-e", "gpu_health_require_gpu=false"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads((tmp_path / "gpu-health.json").read_text())["localhost"]["probe_status"] == "no_gpus"


def test_the_cli_without_nvidia_ml_py_names_the_same_state(python_without_nvml):
    run = subprocess.run(
        [str(python_without_nvml), "-m", "ansible_collections.privateai.deepseek.cli.gpu_health", "--json"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)),
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert json.loads(run.stdout)["probe_status"] == "no_gpus"
