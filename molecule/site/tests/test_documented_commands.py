"""The documented commands marked `fleet` (tests/doc_blocks.py), run as written against this fleet.

A user's inventory stands in for the docs' default one: site-node alone in gpu_nodes (site-gated
has no model by design), with this scenario's group_vars and host_vars, so that hardening and
serving keep the values the fleet was converged with. Its gpu_nodes vars are the site-wide
short form a user would put in group_vars/gpu_nodes.yml (a few small benchmark requests per
load point) and a reports directory of its own. The placeholders are the fleet's gateway, its lab CA and a key of
the `docs` client. The file's name sorts it first: the commands meet the fleet as converge left it.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
sys.path.insert(0, str(PROJECT / "tests"))
from doc_blocks import blocks_of  # noqa: E402

KEYS = PROJECT / ".build" / "molecule-site"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("docs-inventory")
    (directory / "host_vars").symlink_to(SCENARIO / "host_vars")
    (directory / "group_vars").mkdir()
    for shared in (SCENARIO / "group_vars").iterdir():
        (directory / "group_vars" / shared.name).symlink_to(shared)
    # group_vars/gpu_nodes.yml: above group_vars/all.yml (an inventory file's own vars are below it)
    short_form = {
        "benchmark_num_requests": 4,
        "benchmark_input_len": 64,
        "benchmark_output_len": 32,  # the tiny random model: with 16, one prompt's tokens are all blank text
        "deepseek_report_dir": str(directory / "reports"),
    }
    (directory / "group_vars" / "gpu_nodes.yml").write_text(yaml.safe_dump(short_form))
    hosts = {"gpu_nodes": {"hosts": {"site-node": {"ansible_connection": "community.docker.docker"}}}}
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return directory / "hosts.yml"


@pytest.mark.parametrize("block", blocks_of("fleet"), ids=lambda block: block.where)
def test_the_documented_commands_run_on_the_fleet(inventory, block):
    script = block.script(
        {
            "<collection>": str(PROJECT),
            "<gateway URL>": "https://10.213.48.10",
            "<gateway CA>": str(KEYS / "gateway-ca" / "ca.crt"),
            "<client key>": (KEYS / "docs.key").read_text().strip(),
        }
    )
    env = dict(os.environ, PATH="%s:%s" % (Path(sys.executable).parent, os.environ["PATH"]))
    env["ANSIBLE_INVENTORY"] = str(inventory)  # in place of ansible.cfg's demo inventory
    for molecules in ("ANSIBLE_CONFIG", "ANSIBLE_CALLBACK_RESULT_FORMAT", "ANSIBLE_FORCE_COLOR"):
        env.pop(molecules, None)  # the project's ansible.cfg, as a user has it
    run = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, "%s\n%s\n%s" % (block.where, textwrap.indent(script, "  "), output[-4000:])
