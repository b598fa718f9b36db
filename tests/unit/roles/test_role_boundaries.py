"""A role uses another role only through its declared entry points and public names.

Scans every role's YAML and Jinja files (roles/**/*.yml, *.yaml, *.j2) and the playbooks,
and fails on:
  - a path out of a role into the roles directory (`{{ role_path }}/../<anything but ..>`,
    `role_path ~ '/../x'`) or into another role's directory (`../<role>/`,
    `roles/<role>/tasks/...`); `{{ role_path }}/../../charts` (the collection's own files) is fine;
  - a private name of a role (`_<role>_...`: the role's own set_facts, registers and vars)
    in another role's files; in playbooks, `_vllm_...` at all and the private names that
    another role actually uses;
  - include_role/import_role of another role with a tasks_from (or vars_from, defaults_from,
    handlers_from) that is not an entry point declared in that role's meta/argument_specs.yml,
    spelled as the entry point's name (with `.yml` Ansible does not validate the arguments).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
ROLES_DIR = REPO_ROOT / "roles"
PLAYBOOKS_DIR = REPO_ROOT / "playbooks"
SUFFIXES = {".yml", ".yaml", ".j2"}
COLLECTION = "privateai.deepseek."
INCLUDE_KEYS = {"include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role"}

ROLES = sorted(path.name for path in ROLES_DIR.iterdir() if (path / "meta").is_dir() or (path / "tasks").is_dir())
# role_path followed by /../ and anything but another ../ (the collection root is allowed).
ROLE_PATH_OUT = re.compile(r"""role_path\s*(?:\}\}|~\s*['"])\s*/\.\./(?!\.\./)""")


def private_name(role: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9_])_%s_[A-Za-z0-9_]*" % re.escape(role))


def into_role_dir(role: str) -> re.Pattern[str]:
    name = re.escape(role)
    return re.compile(
        r"\.\./(?:roles/)?%s/|(?<![\w.-])roles/%s/(?:tasks|templates|files|vars|defaults|handlers|meta)/" % (name, name)
    )


def scanned_files() -> list[tuple[str | None, Path]]:
    """(owning role or None for a playbook, path) for every scanned file."""
    files: list[tuple[str | None, Path]] = []
    for role in ROLES:
        files += [(role, p) for p in sorted((ROLES_DIR / role).rglob("*")) if p.is_file() and p.suffix in SUFFIXES]
    files += [(None, p) for p in sorted(PLAYBOOKS_DIR.rglob("*")) if p.is_file() and p.suffix in SUFFIXES]
    return files


def role_private_names(role: str) -> set[str]:
    names: set[str] = set()
    pattern = private_name(role)
    for owner, path in scanned_files():
        if owner == role:
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def entry_points(role: str) -> set[str]:
    spec = ROLES_DIR / role / "meta" / "argument_specs.yml"
    if not spec.is_file():
        return {"main"}
    return set((yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("argument_specs") or {"main": {}})


class _AnyTagLoader(yaml.SafeLoader):
    """Reads Ansible YAML with its custom tags (!vault, !unsafe) as plain values."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def role_inclusions(document) -> list[dict]:
    """The arguments of every include_role/import_role in a loaded YAML document."""
    found: list[dict] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in INCLUDE_KEYS and isinstance(value, dict):
                found.append(value)
            found += role_inclusions(value)
    elif isinstance(document, list):
        for item in document:
            found += role_inclusions(item)
    return found


def violations_in(owner: str | None, path: Path, text: str, private_names: dict[str, set[str]]) -> list[str]:
    """What in one file's text crosses a role boundary (owner None: a playbook)."""
    where = path.relative_to(REPO_ROOT) if path.is_absolute() else path
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if owner is not None and ROLE_PATH_OUT.search(line):
            problems.append(f"{where}:{number}: reaches out of the role through role_path: {line.strip()}")
        for role in ROLES:
            if role == owner:
                continue
            if into_role_dir(role).search(line):
                problems.append(f"{where}:{number}: reaches into the {role} role's files: {line.strip()}")
            for name in private_name(role).findall(line):
                if owner is not None or role == "vllm" or name in private_names.get(role, set()):
                    problems.append(f"{where}:{number}: uses {name}, a private name of the {role} role")
    if path.suffix in {".yml", ".yaml"}:
        for inclusion in role_inclusions(yaml.load(text, Loader=_AnyTagLoader)):
            name = str(inclusion.get("name", ""))
            role = name[len(COLLECTION) :] if name.startswith(COLLECTION) else name
            if role == owner or role not in ROLES:
                continue
            for key in ("tasks_from", "vars_from", "defaults_from", "handlers_from"):
                if key not in inclusion:
                    continue
                value = str(inclusion[key])
                if key != "tasks_from":
                    problems.append(f"{where}: {key}: {value} reads the {role} role's private files")
                elif value not in entry_points(role):
                    problems.append(
                        f"{where}: tasks_from: {value} of the {role} role is not one of its entry points "
                        f"{sorted(entry_points(role))} (roles/{role}/meta/argument_specs.yml)"
                    )
    return problems


@pytest.fixture(scope="module")
def private_names() -> dict[str, set[str]]:
    return {role: role_private_names(role) for role in ROLES}


def test_the_scan_sees_the_roles_and_playbooks():
    files = scanned_files()
    assert {"vllm", "image_bake", "layout"} <= set(ROLES)
    assert any(owner == "vllm" and path.suffix == ".j2" for owner, path in files)
    assert any(owner is None for owner, _ in files)


def test_no_role_crosses_another_roles_boundary(private_names):
    problems: list[str] = []
    for owner, path in scanned_files():
        problems += violations_in(owner, path, path.read_text(encoding="utf-8"), private_names)
    assert not problems, "\n".join(problems)


def test_the_vllm_role_declares_the_entry_points_other_roles_use():
    assert {"main", "install", "units", "verify"} <= entry_points("vllm")
    for entry in entry_points("vllm"):
        assert (ROLES_DIR / "vllm" / "tasks" / f"{entry}.yml").is_file(), entry


@pytest.mark.parametrize(
    "text",
    [
        # what image_bake did before it used the vllm role's entry points
        '    src: "{{ role_path }}/../vllm/templates/{{ item.src }}"\n',
        '    _vllm_api_key: ""\n',
        '    _image_bake_venv: "{{ _vllm_venv }}"\n',
        "- ansible.builtin.include_role:\n    name: privateai.deepseek.vllm\n    tasks_from: install.yml\n",
        "- ansible.builtin.include_role:\n    name: privateai.deepseek.vllm\n    tasks_from: plan\n",
        "- ansible.builtin.import_role:\n    name: vllm\n    vars_from: main\n",
        "- ansible.builtin.include_tasks: ../../vllm/tasks/plan.yml\n",
        "x: \"{{ lookup('file', role_path ~ '/../base/files/x') }}\"\n",
        'x: "{{ _gateway_upstream }}"\n',
    ],
)
def test_a_crossing_is_found(text):
    path = ROLES_DIR / "image_bake" / "tasks" / "example.yml"
    assert violations_in("image_bake", path, text, {"gateway": {"_gateway_upstream"}})


@pytest.mark.parametrize(
    "text",
    [
        'k8s_deploy_chart_path: "{{ role_path }}/../../charts/deepseek-vllm"\n',
        "x: \"{{ lookup('first_found', [role_path ~ '/../../MANIFEST.json']) }}\"\n",
        "- ansible.builtin.include_role:\n    name: privateai.deepseek.vllm\n    tasks_from: units\n",
        'x: "{{ deepseek_vllm_port }} {{ image_bake_vllm_install }} {{ vllm_venv }} {{ _image_bake_share }}"\n',
        "# see roles/hardening/README.md\n",
    ],
)
def test_public_use_passes(text):
    path = ROLES_DIR / "image_bake" / "tasks" / "example.yml"
    assert not violations_in("image_bake", path, text, {})


def test_playbooks_may_name_their_own_facts_but_not_a_roles_private_ones():
    path = PLAYBOOKS_DIR / "example.yml"
    names = {"wireguard": {"_wireguard_peers"}}
    assert not violations_in(None, path, 'x: "{{ _wireguard_rotation_started }}"\n', names)
    assert violations_in(None, path, 'x: "{{ _wireguard_peers }}"\n', names)
    assert violations_in(None, path, 'x: "{{ _vllm_anything }}"\n', names)
