"""The documented commands that run without a fleet (tests/doc_blocks.py says how blocks are marked).

A `run` block runs from a scratch workspace: links to the checkout's top-level entries, a copy
of docs/ (a command may regenerate an image there), and a .build of its own (the collection
link, and a reports directory holding a GPU-measured benchmark.json), so that what the
commands write stays out of the checkout.
"""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from doc_blocks import REPO_ROOT, blocks_of, command_blocks  # noqa: E402
from test_cost_report_playbook import H200_NODE, write_benchmark  # noqa: E402

BIN = os.path.dirname(sys.executable)


def test_every_command_block_is_marked():
    blocks = command_blocks()
    unmarked = [block.where for block in blocks if block.kind is None]
    assert unmarked == [], "mark each: <!-- doctest: run|fleet --> or <!-- doctest: skip: why --> (tests/doc_blocks.py)"
    for block in blocks:
        print("%-5s %s%s" % (block.kind, block.where, ": " + block.reason if block.reason else ""))
    assert blocks_of("run") and blocks_of("fleet"), "every kind of documented command has blocks"


@pytest.fixture()
def workspace(tmp_path):
    for entry in REPO_ROOT.iterdir():
        if entry.name not in (".build", ".git", "docs"):
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs")
    (tmp_path / ".build").mkdir()
    (tmp_path / ".build" / "collections").symlink_to(REPO_ROOT / ".build" / "collections")
    write_benchmark(tmp_path / ".build" / "reports", H200_NODE)
    return tmp_path


@pytest.mark.parametrize("block", blocks_of("run"), ids=lambda block: block.where)
def test_the_documented_commands_run(workspace, block):
    # <collection> is the workspace: the CLIs find the collection through its .build link.
    script = block.script({"<collection>": str(workspace)})
    env = dict(os.environ, PATH="%s:%s" % (BIN, os.environ["PATH"]))
    env.pop("ANSIBLE_CONFIG", None)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)  # as a user has it: ansible.cfg's collections_path
    run = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=workspace, env=env, capture_output=True, text=True, timeout=600
    )
    output = (run.stdout + run.stderr)[-3000:]
    assert run.returncode == 0, "%s\n%s\n%s" % (block.where, textwrap.indent(script, "  "), output)
