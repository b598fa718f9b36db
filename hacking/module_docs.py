# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The option docs of the modules, generated from their one declaration in module_utils.

    python hacking/module_docs.py            # rewrite what differs
    python hacking/module_docs.py --check    # exit 1 naming each file that differs

The same mechanism as hacking/role_readme.py (declared once, rendered between markers,
--check in `make lint`, a unit test comparing): for each module of MODULES, the options of
module_utils/<name>_options.py (see module_utils/option_spec.py) become

- the `options:` of the module's DOCUMENTATION, between the YAML comments
  `# BEGIN GENERATED OPTIONS (hacking/module_docs.py)` and `# END GENERATED OPTIONS`;
- where the module has a playbook, the table of that playbook's variables (the prefix plus
  the option name) in its page under docs/, between the Markdown markers below.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO_ROOT / ".build" / "collections"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import role_readme  # noqa: E402  (the Markdown of the role READMEs' tables)

DOC_BEGIN = "# BEGIN GENERATED OPTIONS (hacking/module_docs.py)"
DOC_END = "# END GENERATED OPTIONS"
TABLE_BEGIN = "<!-- BEGIN GENERATED PLAYBOOK VARIABLES (hacking/module_docs.py) -->"
TABLE_END = "<!-- END GENERATED PLAYBOOK VARIABLES -->"

# module -> its playbook (variables = prefix + option name), the page that lists them, and
# the options the playbook decides itself ("fail_on_*": after every node is in the report;
# the others default to the node's own and still take the variable of their name).
MODULES = {
    "gpu_health": {
        "playbook": "playbooks/gpu_health.yml",
        "prefix": "gpu_health_",
        "page": "docs/gpu-health.md",
        "playbook_own": ["fail_on_unhealthy"],
    },
    "deployment_cost": {
        "playbook": "playbooks/cost_report.yml",
        "prefix": "cost_",
        "page": "docs/cost-advisor.md",
        "playbook_own": ["benchmark_file", "chart_path"],
    },
    "inference_benchmark": {
        "playbook": "playbooks/benchmark.yml",
        "prefix": "benchmark_",
        "page": "docs/benchmark.md",
        "playbook_own": ["url", "unix_socket", "api_key", "model", "model_dir", "progress_file", "fail_on_violation"],
    },
}


def options_of(module: str) -> dict:
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    return importlib.import_module(
        "ansible_collections.privateai.deepseek.plugins.module_utils.%s_options" % module
    ).OPTIONS


class _FlowList(list):
    """A list YAML writes on one line ([a, b]): choices, elements of a default."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # "- item" indented under its key, as yamllint wants


_Dumper.add_representer(_FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True))


def documentation_block(options: dict) -> str:
    from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import documentation

    documented = documentation(options)
    for option in documented.values():
        for key in ("choices", "default"):
            if isinstance(option.get(key), list):
                option[key] = _FlowList(option[key])
    text = yaml.dump({"options": documented}, Dumper=_Dumper, sort_keys=False, width=100, default_flow_style=False)
    return "%s\n%s%s" % (DOC_BEGIN, text, DOC_END)


def playbook_table(options: dict, prefix: str, playbook: str) -> str:
    renamed = {prefix + name: option for name, option in options.items()}
    lines = [
        TABLE_BEGIN,
        "Variables of `%s` (each sets the module option of the same name without `%s`):" % (playbook, prefix),
        "",
    ]
    lines += ["| variable | type | default | description |", "|---|---|---|---|"]
    lines += role_readme.option_rows(renamed)
    lines.append(TABLE_END)
    return "\n".join(lines)


def replaced(text: str, begin: str, end: str, block: str, where: Path) -> str:
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        raise SystemExit("%s has no %r ... %r markers" % (where, begin, end))
    return text[:start] + block + text[stop + len(end) :]


def expected_files(module: str) -> dict[Path, str]:
    """Each file this module's options are rendered into, with the text it must hold."""
    options = options_of(module)
    source = REPO_ROOT / "plugins" / "modules" / ("%s.py" % module)
    files = {source: replaced(source.read_text(), DOC_BEGIN, DOC_END, documentation_block(options), source)}
    about = MODULES[module]
    if about.get("page"):
        page = REPO_ROOT / about["page"]
        table = playbook_table(options, about["prefix"], about["playbook"])
        files[page] = replaced(page.read_text(), TABLE_BEGIN, TABLE_END, table, page)
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate the modules' option docs from module_utils.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming each file that differs")
    args = parser.parse_args(argv)
    differ = []
    for module in MODULES:
        for path, text in expected_files(module).items():
            if path.read_text() != text:
                differ.append(path)
                if not args.check:
                    path.write_text(text)
    for path in differ:
        print("%s %s" % ("differs:" if args.check else "wrote", path.relative_to(REPO_ROOT)))
    return 1 if differ and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
