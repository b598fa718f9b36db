"""The nvidia_driver role's variables are the same in defaults, argument_specs and README."""

import re
from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "nvidia_driver"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
OPTIONS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
README = (ROLE / "README.md").read_text()


def test_every_default_has_an_argument_spec_and_back():
    assert sorted(DEFAULTS) == sorted(OPTIONS)


def test_argument_spec_defaults_are_the_role_defaults():
    for name, spec in OPTIONS.items():
        assert spec.get("default") == DEFAULTS[name], name


def test_every_option_is_described_and_typed():
    for name, spec in OPTIONS.items():
        assert spec.get("description"), name
        assert spec.get("type"), name


def test_readme_documents_every_variable_in_its_table():
    documented = set(re.findall(r"^\| `(nvidia_driver_[a-z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert documented == set(OPTIONS)


def test_secrets_are_no_log():
    assert OPTIONS["nvidia_driver_mirror_password"].get("no_log") is True
