"""Every role's README, defaults/main.yml and meta/argument_specs.yml agree.

The variable tables of roles/*/README.md are generated from the argument specs by
hacking/role_readme.py. After changing a spec (or adding a role or an entry point):

    python hacking/role_readme.py
    git diff roles/*/README.md
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
ROLES_DIR = REPO_ROOT / "roles"
GENERATOR = REPO_ROOT / "hacking" / "role_readme.py"
ROLES = sorted(path.name for path in ROLES_DIR.iterdir() if path.is_dir() and not path.name.startswith("."))
KNOWN_ROLES = {
    "base",
    "gateway",
    "hardening",
    "image_bake",
    "k8s_deploy",
    "layout",
    "model_store",
    "nvidia_driver",
    "preprocess_worker",
    "vllm",
    "wireguard",
}


def _load_generator():
    spec = importlib.util.spec_from_file_location("role_readme", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


role_readme = _load_generator()


def _defaults(role):
    path = ROLES_DIR / role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _specs(role):
    return role_readme.load_specs(ROLES_DIR / role)


def _main_options(role):
    return (_specs(role).get("main") or {}).get("options") or {}


def _templated(value):
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(_templated(key) or _templated(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_templated(item) for item in value)
    return False


def _all_options(options, prefix=""):
    for name, option in (options or {}).items():
        yield prefix + name, option or {}
        yield from _all_options((option or {}).get("options"), prefix + name + ".")


def test_every_known_role_is_checked():
    assert sorted(KNOWN_ROLES - set(ROLES)) == []


@pytest.mark.parametrize("role", ROLES)
def test_readme_is_what_the_generator_renders(role):
    readme = ROLES_DIR / role / "README.md"
    assert readme.is_file(), f"roles/{role}/README.md is missing: run python hacking/role_readme.py"
    expected = role_readme.expected_readme(ROLES_DIR / role)
    assert readme.read_text(encoding="utf-8") == expected, (
        f"roles/{role}/README.md differs from its argument specs: run python hacking/role_readme.py"
    )


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_main_entry_point_declare_the_same_variables(role):
    defaults = _defaults(role)
    options = _main_options(role)
    public = {name for name in defaults if not name.startswith("_")}
    private = {name for name in defaults if name.startswith("_")}
    assert sorted(public - set(options)) == [], "in defaults/main.yml, not in the main argument spec"
    # A required option has nothing to default to; every other one is in defaults/main.yml.
    undeclared = sorted(name for name in set(options) - public if not options[name].get("required"))
    assert undeclared == [], "in the main argument spec, not in defaults/main.yml"
    for entry_point, entry in _specs(role).items():
        leaked = sorted(private & set((entry or {}).get("options") or {}))
        assert leaked == [], f"private defaults in the {entry_point} argument spec"


@pytest.mark.parametrize("role", ROLES)
def test_plain_defaults_are_the_same_in_both(role):
    defaults = _defaults(role)
    different = {}
    for name, option in _main_options(role).items():
        if name not in defaults or "default" not in option:
            continue
        spec_default, role_default = option["default"], defaults[name]
        if _templated(spec_default) or _templated(role_default):
            continue
        if spec_default != role_default:
            different[name] = {"argument_specs": spec_default, "defaults/main.yml": role_default}
    assert different == {}


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_a_description(role):
    undescribed = [
        f"{entry_point}: {name}"
        for entry_point, entry in _specs(role).items()
        for name, option in _all_options((entry or {}).get("options"))
        if not role_readme.join_description(option.get("description"))
    ]
    assert undescribed == []


def test_generator_renders_markup_defaults_and_entry_points(tmp_path):
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(
        yaml.safe_dump(
            {
                "argument_specs": {
                    "main": {
                        "short_description": "A demo role",
                        "options": {
                            "demo_name": {"type": "str", "required": True, "description": "Set I(demo_mode) first."},
                            "demo_mode": {
                                "type": "str",
                                "choices": ["fast", "no"],
                                "default": "no",
                                "description": ["C(fast) is B(fast).", "Second | paragraph."],
                            },
                            "demo_hosts": {
                                "type": "list",
                                "elements": "str",
                                "default": ["a", "::1", "{{ x }}"],
                                "description": "Hosts.",
                            },
                            "demo_map": {"type": "dict", "default": {"k": [1, True, None]}, "description": "Map."},
                        },
                    },
                    "check": {"short_description": "Check only", "options": {}},
                }
            },
            sort_keys=False,
        )
    )
    block = role_readme.render(role)
    collection = role_readme.collection_name()
    assert block.splitlines() == [
        role_readme.BEGIN,
        "| variable | type | default | description |",
        "|---|---|---|---|",
        "| `demo_name` | str | required | Set demo_mode first. |",
        '| `demo_mode` | str | `"no"` | `fast` is **fast**. Second \\| paragraph. Choices: `fast`, `"no"`. |',
        '| `demo_hosts` | list of str | `[a, "::1", "{{ x }}"]` | Hosts. |',
        "| `demo_map` | dict | `{k: [1, true, null]}` | Map. |",
        "",
        "### Entry point `check`",
        "",
        "Check only.",
        "",
        f"Call it with `include_role: {{name: {collection}.demo, tasks_from: check}}`.",
        "",
        "No options.",
        role_readme.END,
    ]
    # A role without a README gets one, with the block under a Variables heading.
    readme = role_readme.expected_readme(role)
    assert readme.startswith(f"# {collection}.demo\n\nA demo role.\n\n## Variables\n\n{role_readme.BEGIN}\n")
    # Prose around the markers stays; what is between them is replaced.
    old = f"# demo\n\nProse.\n\n{role_readme.BEGIN}\nstale\n{role_readme.END}\n\nMore prose.\n"
    assert role_readme.update(old, block, "demo") == f"# demo\n\nProse.\n\n{block}\n\nMore prose.\n"


def test_check_names_the_readme_that_differs_and_the_rewrite_fixes_it(tmp_path, capsys):
    roles = tmp_path / "roles"
    shutil.copytree(ROLES_DIR / "base", roles / "base")
    readme = roles / "base" / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("| `base_ntp_servers` |", "| `base_ntp` |"))
    assert role_readme.main(["--check", "--roles-dir", str(roles)]) == 1
    assert "README.md differs" in capsys.readouterr().out
    assert role_readme.main(["--roles-dir", str(roles)]) == 0
    assert role_readme.main(["--check", "--roles-dir", str(roles)]) == 0
    assert readme.read_text(encoding="utf-8") == role_readme.expected_readme(roles / "base")
    assert "| `base_ntp_servers` |" in readme.read_text(encoding="utf-8")
