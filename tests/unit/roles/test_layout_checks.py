"""The checks the layout role makes itself (its argument spec checks the types): the firewall
accept mark that the wireguard and hardening roles share must be a single bit, and the model
server's socket must sit in a directory of its own under /run (the vllm unit owns that directory)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PLAY = "- hosts: localhost\n  gather_facts: false\n  roles: [privateai.deepseek.layout]\n"


def run_layout(tmp_path, mark):
    return run_layout_with(tmp_path, deepseek_firewall_accept_mark=mark)


@pytest.mark.parametrize("mark", ["0x00800000", "0x1", "0x80000000"])
def test_a_single_bit_passes(tmp_path, mark):
    result = run_layout(tmp_path, mark)
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("mark", ["0x3", "0x100000000", "8388608", "0x0"])
def test_anything_else_is_refused_naming_the_variable(tmp_path, mark):
    result = run_layout(tmp_path, mark)
    assert result.returncode == 2
    assert "deepseek_firewall_accept_mark must be one bit of the packet mark" in result.stdout


def run_layout_with(tmp_path, **extra):
    (tmp_path / "play.yml").write_text(PLAY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(tmp_path / "play.yml"), "-e", json.dumps(extra)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)


@pytest.mark.parametrize("socket", ["", "/run/deepseek-vllm/api.sock", "/run/llm/v1.sock"])
def test_a_socket_in_a_directory_of_its_own_under_run_passes(tmp_path, socket):
    result = run_layout_with(tmp_path, deepseek_vllm_socket=socket)
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize(
    "extra",
    [
        {"deepseek_vllm_socket": "/run/api.sock"},  # the unit would chown /run itself
        {"deepseek_vllm_socket": "/tmp/vllm/api.sock"},
        {"deepseek_vllm_socket": "/run/../etc/api.sock"},
        {"deepseek_vllm_socket": "/run/a/b/api.sock"},
        {"deepseek_vllm_socket_group": "Deepseek API"},
    ],
)
def test_any_other_socket_is_refused_naming_the_variables(tmp_path, extra):
    result = run_layout_with(tmp_path, **extra)
    assert result.returncode == 2
    assert "deepseek_vllm_socket must be empty" in result.stdout
