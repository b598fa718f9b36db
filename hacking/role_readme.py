# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The variable tables of the role READMEs, generated from each role's meta/argument_specs.yml.

    python hacking/role_readme.py            # rewrite roles/*/README.md
    python hacking/role_readme.py --check    # exit 1 naming each README that differs
    python hacking/role_readme.py vllm       # only these roles

For every entry point of a role's argument specs it renders a Markdown table (variable,
type, default, description) and writes it between the markers

    <!-- BEGIN GENERATED VARIABLES (hacking/role_readme.py) -->
    <!-- END GENERATED VARIABLES -->

in the role's README.md; everything outside the markers is left as it is. A README
without the markers gets a "Variables" section at its end; a role without a README gets
one. Entry points other than `main` get a sub-heading that says how to call them.

Descriptions are Ansible markup: I(x) renders as x, C(x) as `x`, B(x) as **x**; a list
of paragraphs joins with a space. Defaults render as YAML flow in backticks;
`required: true` renders as "required". tests/unit/roles/test_role_docs.py compares
every README with `expected_readme()`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
ROLES_DIR = REPO_ROOT / "roles"
BEGIN = "<!-- BEGIN GENERATED VARIABLES (hacking/role_readme.py) -->"
END = "<!-- END GENERATED VARIABLES -->"
HEADER = ["| variable | type | default | description |", "|---|---|---|---|"]

_MARKUP = re.compile(r"\b([BCEILMOUV])\(([^)]*)\)")
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")


class SpecError(Exception):
    """A role whose argument specs cannot be rendered."""


def collection_name() -> str:
    """namespace.name from galaxy.yml (the repository root is the collection root)."""
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    return "%s.%s" % (galaxy["namespace"], galaxy["name"])


def load_specs(role_dir: Path) -> dict:
    """The entry points of a role's meta/argument_specs.yml, in file order."""
    path = role_dir / "meta" / "argument_specs.yml"
    if not path.is_file():
        raise SpecError("%s: no meta/argument_specs.yml" % role_dir.name)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    specs = data.get("argument_specs")
    if not isinstance(specs, dict) or not specs:
        raise SpecError("%s: meta/argument_specs.yml has no argument_specs" % role_dir.name)
    return specs


def _escape_text(text: str) -> str:
    """Plain text in a table cell: no accidental HTML, emphasis or column breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("`", "\\`").replace("<", "&lt;")


def code(text: str) -> str:
    """A code span that survives a table cell (GFM needs \\| for a pipe even in code)."""
    text = text.replace("|", "\\|")
    if "`" in text:
        return "`` %s ``" % text
    return "`%s`" % text


def _markup(match: re.Match) -> str:
    kind, body = match.group(1), match.group(2)
    if kind == "I":
        return _escape_text(body)
    if kind == "B":
        return "**%s**" % _escape_text(body)
    if kind == "L":
        label, _, url = body.rpartition(",")
        return "[%s](%s)" % (_escape_text(label.strip()), url.strip())
    if kind == "U":
        return "<%s>" % body.strip()
    return code(body)  # C, M, O, V, E


def markup(text: str) -> str:
    """Ansible description markup to Markdown for one table cell."""
    out, position = [], 0
    for match in _MARKUP.finditer(text):
        out.append(_escape_text(text[position : match.start()]))
        out.append(_markup(match))
        position = match.end()
    out.append(_escape_text(text[position:]))
    return "".join(out)


def join_description(description) -> str:
    """A description string or list of paragraphs as one line (line breaks become spaces)."""
    if description is None:
        return ""
    parts = description if isinstance(description, list) else [description]
    return " ".join(_LINE_BREAK.sub(" ", str(part)).strip() for part in parts if str(part).strip())


def _plain_scalar(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text:
        return False
    try:
        return yaml.safe_load("[%s]" % text) == [text]
    except yaml.YAMLError:
        return False


def flow(value) -> str:
    """A value as YAML flow (json-ish): [a, b], {k: v}, "quoted" only where YAML needs it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if _plain_scalar(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(flow(item) for item in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (flow(key), flow(item)) for key, item in value.items())
    return json.dumps(str(value), ensure_ascii=False)


def type_cell(option: dict) -> str:
    kind = str(option.get("type", "str"))
    if kind == "list" and option.get("elements"):
        return "list of %s" % option["elements"]
    return kind


def default_cell(option: dict) -> str:
    if option.get("required"):
        return "required"
    if "default" not in option:
        return "-"
    return code(flow(option["default"]))


def description_cell(option: dict) -> str:
    text = markup(join_description(option.get("description")))
    if option.get("choices"):
        choices = "Choices: %s." % ", ".join(code(flow(choice)) for choice in option["choices"])
        text = "%s %s" % (text, choices) if text else choices
    return text


def option_rows(options: dict, prefix: str = "") -> list[str]:
    rows = []
    for name, option in (options or {}).items():
        option = option or {}
        full = prefix + str(name)
        rows.append(
            "| %s | %s | %s | %s |" % (code(full), type_cell(option), default_cell(option), description_cell(option))
        )
        if option.get("options"):
            rows.extend(option_rows(option["options"], full + "."))
    return rows


def _table(entry: dict) -> list[str]:
    rows = option_rows(entry.get("options") or {})
    return HEADER + rows if rows else ["No options."]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def render(role_dir: Path) -> str:
    """The generated block of one role's README, markers included."""
    role = role_dir.name
    specs = load_specs(role_dir)
    lines = [BEGIN]
    if "main" in specs:
        lines += _table(specs["main"] or {})
    for entry_point, entry in specs.items():
        if entry_point == "main":
            continue
        entry = entry or {}
        if len(lines) > 1:
            lines.append("")
        lines += ["### Entry point `%s`" % entry_point, ""]
        about = " ".join(
            part
            for part in (
                markup(_sentence(join_description(entry.get("short_description")))),
                markup(join_description(entry.get("description"))),
            )
            if part
        )
        if about:
            lines += [about, ""]
        call = "include_role: {name: %s.%s, tasks_from: %s}" % (collection_name(), role, entry_point)
        lines += ["Call it with %s." % code(call), ""]
        lines += _table(entry)
    lines.append(END)
    return "\n".join(lines)


def update(text: str, block: str, role: str, short_description: str = "") -> str:
    """README text with the generated block in place of the old one (or added at the end)."""
    start = text.find(BEGIN)
    end = text.find(END, start + len(BEGIN)) if start >= 0 else -1
    if start >= 0 and end >= 0:
        return text[:start] + block + text[end + len(END) :]
    if not text.strip():
        text = "# %s.%s\n" % (collection_name(), role)
        if short_description:
            text += "\n%s\n" % _sentence(short_description)
    return text.rstrip("\n") + "\n\n## Variables\n\n" + block + "\n"


def expected_readme(role_dir: Path) -> str:
    """What roles/<role>/README.md must hold."""
    readme = role_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    main_spec = load_specs(role_dir).get("main") or {}
    short = join_description(main_spec.get("short_description"))
    return update(text, render(role_dir), role_dir.name, short)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def role_dirs(roles_dir: Path, names=()) -> list[Path]:
    if names:
        missing = [name for name in names if not (roles_dir / name).is_dir()]
        if missing:
            raise SpecError("no such role: %s" % ", ".join(missing))
        return [roles_dir / name for name in names]
    return sorted(path for path in roles_dir.iterdir() if path.is_dir() and not path.name.startswith("."))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate the variable tables of the role READMEs.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming each README that differs")
    parser.add_argument("--roles-dir", type=Path, default=ROLES_DIR, help="directory of the roles (default: roles/)")
    parser.add_argument("roles", nargs="*", help="role names (default: every role)")
    args = parser.parse_args(argv)
    failed = False
    try:
        roles = role_dirs(args.roles_dir, args.roles)
    except SpecError as error:
        print("role_readme: %s" % error, file=sys.stderr)
        return 2
    for role_dir in roles:
        readme = role_dir / "README.md"
        try:
            expected = expected_readme(role_dir)
        except (SpecError, yaml.YAMLError) as error:
            print("role_readme: %s" % error, file=sys.stderr)
            failed = True
            continue
        current = readme.read_text(encoding="utf-8") if readme.is_file() else None
        if current == expected:
            continue
        if args.check:
            print("%s differs from its argument specs: run python hacking/role_readme.py" % _shown(readme))
            failed = True
        else:
            readme.write_text(expected, encoding="utf-8")
            print("wrote %s" % _shown(readme))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
