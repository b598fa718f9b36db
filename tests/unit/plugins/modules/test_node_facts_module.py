"""Drive the module's main() the way Ansible does and check the exact result."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.privateai.deepseek.plugins.modules import node_facts


def run_module(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        node_facts.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_facts_from_a_root_tree(tmp_path, capsys):
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    (tmp_path / "run/systemd/container").write_text("podman\n")

    code, result = run_module(capsys, {"root": str(tmp_path)})

    assert code == 0
    assert result["changed"] is False
    node = result["ansible_facts"]["deepseek_node"]
    assert node["container"] is True
    assert node["container_engine"] == "podman"
    assert node["systemd"] is True
    assert node["gpu_count"] == 0


def test_check_mode_returns_the_same_facts(tmp_path, capsys):
    _, normal = run_module(capsys, {"root": str(tmp_path)})
    _, checked = run_module(capsys, {"root": str(tmp_path), "_ansible_check_mode": True})
    assert checked["ansible_facts"] == normal["ansible_facts"]


def test_unknown_option_is_rejected(tmp_path, capsys):
    code, result = run_module(capsys, {"rooot": str(tmp_path)})
    assert code == 1
    assert "rooot" in result["msg"]
