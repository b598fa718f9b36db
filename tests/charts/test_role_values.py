"""roles/k8s_deploy turns a model_plan result into the same values the matrix uses.

Runs the real role (k8s_deploy_action=values: plan + values file, no cluster) and
renders the chart with what it wrote.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from chartlib import ROOT, by_kind, cpu_plan, plan, render, validate_object, values_from_plan

CASES = {
    "deepseek-v3-8xh200": (
        ["-e", "k8s_deploy_model=deepseek-v3", "-e", "k8s_deploy_gpu_count=8", "-e", "k8s_deploy_gpu_memory_gib=141"],
        lambda: (plan("deepseek-v3", gpu_count=8, gpu_memory_gib=141), 8),
    ),
    "tiny-cpu-keda-min0": (
        [
            "-e",
            "k8s_deploy_model=tiny-deepseek-v3",
            "-e",
            "k8s_deploy_gpu_count=0",
            "-e",
            "k8s_deploy_cpu_kv_cache_gib=1",
            "-e",
            "k8s_deploy_mode=keda",
            "-e",
            "k8s_deploy_serverless_min_replicas=0",
            "-e",
            '{"k8s_deploy_values": {"ingress": {"enabled": true}}}',
        ],
        lambda: (cpu_plan("tiny-deepseek-v3", cpu_kv_cache_gib=1), 0),
    ),
}


def run_role(tmp_path, extra):
    values_file = tmp_path / "values.yml"
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        str(ROOT / "playbooks" / "k8s.yml"),
        "-e",
        "k8s_hosts=all",
        "-e",
        "ansible_python_interpreter=%s" % sys.executable,
        "-e",
        "k8s_deploy_action=values",
        "-e",
        "k8s_deploy_values_file=%s" % values_file,
    ] + extra
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    done = subprocess.run(command, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300)
    return done, values_file


@pytest.mark.parametrize("case", sorted(CASES))
def test_role_values_match_the_planner_and_render(case, tmp_path):
    extra, expected = CASES[case]
    done, values_file = run_role(tmp_path, extra)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    values = yaml.safe_load(values_file.read_text())
    result, gpus = expected()
    python = values_from_plan(result, gpus)
    for key in ("device", "resources", "probes", "modelCache"):
        assert values[key] == python[key], key
    for key, value in python["engine"].items():
        assert values["engine"][key] == value, key
    assert "value" not in values["apiKey"], "the API key must never be written to the values file"
    objects = render(values)
    for _path, obj in objects:
        validate_object(obj)
    assert not by_kind(objects, "Secret"), "the role manages the Secret; the chart must not create one"


def test_role_rejects_bad_input_naming_the_variable(tmp_path):
    done, _ = run_role(tmp_path, ["-e", "k8s_deploy_model=deepseek-v3", "-e", "k8s_deploy_release=Bad_Name"])
    assert done.returncode != 0
    assert "k8s_deploy_release" in done.stdout


def test_role_refuses_a_model_that_does_not_fit(tmp_path):
    done, _ = run_role(
        tmp_path,
        ["-e", "k8s_deploy_model=deepseek-r1", "-e", "k8s_deploy_gpu_count=1", "-e", "k8s_deploy_gpu_memory_gib=80"],
    )
    assert done.returncode != 0
    assert "deepseek-r1" in done.stdout and "use 8x141 GB" in done.stdout
