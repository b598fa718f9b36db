"""The console output a person reads: multi-line text prints as lines, not JSON with \\n.

Runs the real ansible-playbook with the checkout's ansible.cfg, and with the one molecule
writes from .config/molecule/config.yml, on a one-task play against localhost.
"""

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAY = """
- name: Print a Markdown table
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Show the table
      ansible.builtin.debug:
        msg: "| scheme | cost |\\n|---|---|\\n| vm | 1 |"
"""


def molecule_ansible_cfg(tmp_path):
    """The [defaults] molecule's provisioner writes into the ansible.cfg of its scenarios."""
    options = yaml.safe_load((REPO_ROOT / ".config/molecule/config.yml").read_text())["provisioner"]["config_options"]
    config = configparser.ConfigParser()
    for section, values in options.items():
        config[section] = {key: str(value) for key, value in values.items()}
    path = tmp_path / "molecule-ansible.cfg"
    with path.open("w") as handle:
        config.write(handle)
    return path


@pytest.mark.parametrize("source", ["ansible.cfg", ".config/molecule/config.yml"])
def test_multi_line_results_print_as_lines(tmp_path, source):
    config = REPO_ROOT / "ansible.cfg" if source == "ansible.cfg" else molecule_ansible_cfg(tmp_path)
    (tmp_path / "play.yml").write_text(PLAY)
    environment = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR="1")
    environment.pop("ANSIBLE_CALLBACK_RESULT_FORMAT", None)
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml")],
        capture_output=True, text=True, cwd=REPO_ROOT, env=environment, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "\\n|---|" not in result.stdout, result.stdout
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "|---|---|" in lines and "| vm | 1 |" in lines, result.stdout
