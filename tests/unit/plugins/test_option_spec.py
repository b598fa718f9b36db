"""One declaration per option (module_utils/*_options.py): the module's argument spec and
DOCUMENTATION, the CLI's flags and the playbook's variables must all agree with it.

Each test here fails when one of them is written by hand and drifts: an option missing
from the CLI (as model_profile was), another default, a range only one entry point checks.
"""

import argparse
import importlib
import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.privateai.deepseek.plugins.module_utils import option_spec

REPO_ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("module_docs", REPO_ROOT / "hacking" / "module_docs.py")
module_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(module_docs)
PACKAGE = "ansible_collections.privateai.deepseek"
MODULES = sorted(module_docs.MODULES)


def _module(name):
    return importlib.import_module("%s.plugins.modules.%s" % (PACKAGE, name))


def _captured_argument_spec(name, monkeypatch):
    """The argument_spec the module hands AnsibleModule (captured, the module never runs)."""
    module = _module(name)
    captured = {}

    class Captured(Exception):
        pass

    def capture(argument_spec, **_kwargs):
        captured.update(argument_spec)
        raise Captured

    monkeypatch.setattr(module, "AnsibleModule", capture)
    with patch_module_args({}), pytest.raises(Captured):
        module.main()
    return captured


@pytest.mark.parametrize("name", MODULES)
def test_the_generated_docs_are_current(name):
    for path, text in module_docs.expected_files(name).items():
        assert path.read_text() == text, "%s differs from the options: run python hacking/module_docs.py" % path


@pytest.mark.parametrize("name", MODULES)
def test_documentation_and_argument_spec_agree(name, monkeypatch):
    documented = yaml.safe_load(_module(name).DOCUMENTATION)["options"]
    spec = _captured_argument_spec(name, monkeypatch)
    assert sorted(documented) == sorted(spec)
    for option, entry in spec.items():
        for key in ("type", "default", "choices", "elements", "required"):
            assert documented[option].get(key) == entry.get(key), (option, key)


@pytest.mark.parametrize("name", MODULES)
def test_the_cli_has_every_option_with_its_default_and_choices(name):
    options = importlib.import_module("%s.plugins.module_utils.%s_options" % (PACKAGE, name)).OPTIONS
    cli = importlib.import_module("%s.cli.%s" % (PACKAGE, name))
    actions = {action.dest: action for action in cli.build_parser()._actions}
    flags = []
    for option, entry in options.items():
        if entry.get("cli") is False:
            continue
        if (entry.get("cli") or {}).get("flatten"):  # a dict: one flag per suboption, dest "dict.suboption"
            flags += [("%s.%s" % (option, sub), subentry) for sub, subentry in entry["options"].items()]
        else:
            flags.append((option, entry))
    for dest, entry in flags:
        assert dest in actions, "%s has no CLI flag" % dest
        assert actions[dest].default == entry.get("default"), dest
        if entry.get("choices") and entry.get("type") != "list":
            assert list(actions[dest].choices) == entry["choices"], dest


@pytest.mark.parametrize("name", MODULES)
def test_the_playbook_passes_every_option_and_no_default_of_its_own(name):
    about = module_docs.MODULES[name]
    options = importlib.import_module("%s.plugins.module_utils.%s_options" % (PACKAGE, name)).OPTIONS
    plays = yaml.safe_load((REPO_ROOT / about["playbook"]).read_text())
    tasks = [task for play in plays for task in play.get("tasks", []) if "%s.%s" % ("privateai.deepseek", name) in task]
    assert len(tasks) == 1
    arguments = tasks[0]["privateai.deepseek.%s" % name]
    assert sorted(arguments) == sorted(options)
    plain = "{{ %s%s | default(omit) }}"
    own = sorted(option for option, value in arguments.items() if value != plain % (about["prefix"], option))
    assert own == sorted(about["playbook_own"])
    for option in own:
        if option.startswith("fail_on_"):
            assert arguments[option] is False  # decided after every node is in the report
        else:  # a default of the playbook's own, which the variable of the option's name still sets
            assert "{{ %s%s " % (about["prefix"], option) in arguments[option].strip(), option


OPTIONS = {
    "count": {"type": "int", "default": 3, "minimum": 1, "maximum": 10, "description": ["How many C(things)."]},
    "rates": {"type": "list", "elements": "float", "minimum": 0, "description": ["Rates."]},
    "mode": {"type": "str", "choices": ["a", "b"], "default": "a", "description": ["Mode."]},
    "checks": {"type": "list", "elements": "str", "default": [], "choices": ["x", "y"], "description": ["Checks."]},
    "verify": {"type": "bool", "default": True, "description": ["Verify O(count=3)."]},
    "extra": {"type": "dict", "description": ["Extra."]},
    "secret": {"type": "str", "no_log": True, "cli": False, "description": ["Not a flag."]},
}


def _parse(*argv):
    return vars(option_spec.add_arguments(argparse.ArgumentParser(), OPTIONS).parse_args(argv))


def test_cli_flags_follow_the_declaration():
    assert _parse() == {"count": 3, "rates": None, "mode": "a", "checks": [], "verify": True, "extra": None}
    parsed = _parse("--count", "4", "--rates", "1.5,2", "--mode", "b", "--checks", "x,y", "--no-verify",
                    "--extra", json.dumps({"k": 1}))  # fmt: skip
    assert parsed == {
        "count": 4,
        "rates": [1.5, 2.0],
        "mode": "b",
        "checks": ["x", "y"],
        "verify": False,
        "extra": {"k": 1},
    }


@pytest.mark.parametrize("argv", [["--checks", "x,z"], ["--mode", "c"], ["--rates", "1,fast"], ["--extra", "[1]"]])
def test_cli_refuses_what_the_module_refuses(argv, capsys):
    with pytest.raises(SystemExit):
        _parse(*argv)
    assert "argument %s" % argv[0] in capsys.readouterr().err


def test_ranges_are_checked_and_named_per_entry_point():
    values = {"count": 11, "rates": [1.0, -2.0]}
    assert option_spec.range_errors(values, OPTIONS) == [
        "count must be between 1 and 10, got 11",
        "rates must be at least 0, got -2.0",
    ]
    assert option_spec.range_errors({"count": 0}, OPTIONS, name_of=option_spec.flag) == [
        "--count must be between 1 and 10, got 0"
    ]
    assert option_spec.range_errors({"count": 10, "rates": [0.0]}, OPTIONS) == []


def test_argument_spec_and_documentation_come_from_the_declaration():
    assert option_spec.argument_spec(OPTIONS)["secret"] == {"type": "str", "no_log": True}
    assert "minimum" not in option_spec.argument_spec(OPTIONS)["count"]
    assert option_spec.documentation(OPTIONS)["count"] == {
        "description": ["How many C(things)."],
        "type": "int",
        "default": 3,
    }
    assert option_spec.plain("Verify O(count=3) and C(x).") == "Verify count=3 and x."


NESTED = {
    "load": {
        "type": "dict",
        "default": {},
        "cli": {"flatten": True},
        "description": ["The load."],
        "options": {
            "rate": {"type": "float", "default": 2.0, "cli": {"flag": "--rps"}, "description": ["Rate."]},
            "kind": {"type": "str", "default": "a", "choices": ["a", "b"], "description": ["Kind."]},
        },
    },
    "prices": {"type": "dict", "default": {}, "cli": {"flag": "--price", "assign": True}, "description": ["Prices."]},
}


def test_nested_options_give_suboptions_in_spec_and_docs():
    assert option_spec.argument_spec(NESTED)["load"]["options"]["rate"] == {"type": "float", "default": 2.0}
    assert option_spec.documentation(NESTED)["load"]["suboptions"]["kind"]["choices"] == ["a", "b"]


def _parse_nested(argv, config=None):
    parser = option_spec.add_arguments(argparse.ArgumentParser(), NESTED)
    return option_spec.namespace_values(
        parser.parse_args(argv, option_spec.prefilled_namespace(config or {}, NESTED)), NESTED
    )


def test_flattened_and_assigned_flags_fold_back_into_their_dicts():
    assert _parse_nested([]) == {"load": {"rate": 2.0, "kind": "a"}, "prices": {}}
    parsed = _parse_nested(["--rps", "6", "--price", "gpu=1.9", "--price", "upfront.vm=10", "--price", "spot=no"])
    assert parsed["load"] == {"rate": 6.0, "kind": "a"}
    assert parsed["prices"] == {"gpu": 1.9, "upfront": {"vm": 10.0}, "spot": False}


def test_a_flag_overrides_the_file_and_a_default_fills_only_what_neither_sets():
    config = {"load": {"kind": "b", "rate": 9.0, "typo": 1}, "prices": {"gpu": 3.0, "upfront": {"vm": 1.0}}}
    parsed = _parse_nested(["--rps", "6", "--price", "upfront.hybrid=5"], config)
    # the file's kind stays, the flag's rate wins; a name the declaration lacks is kept for the library to refuse
    assert parsed["load"] == {"kind": "b", "rate": 6.0, "typo": 1}
    assert parsed["prices"] == {"gpu": 3.0, "upfront": {"vm": 1.0, "hybrid": 5.0}}
    assert config["prices"]["upfront"] == {"vm": 1.0}  # the file's dict is not changed in place


@pytest.mark.parametrize("argv", [["--price", "gpu"], ["--price", "=1"], ["--price", "gpu=1", "--price", "gpu.x=2"]])
def test_assignments_refuse_what_is_not_name_equals_value(argv, capsys):
    with pytest.raises(SystemExit):
        _parse_nested(argv)
    assert "argument --price" in capsys.readouterr().err


def test_deployment_cost_suboptions_take_the_librarys_defaults():
    from ansible_collections.privateai.deepseek.plugins.module_utils import deployment_cost_defaults as library
    from ansible_collections.privateai.deepseek.plugins.module_utils import deployment_cost_options as declared

    for name, defaults in (("workload", library.DEFAULT_WORKLOAD), ("prices", library.DEFAULT_PRICES)):
        suboptions = declared.OPTIONS[name]["options"]
        assert sorted(suboptions) == sorted(defaults)
        for sub, default in defaults.items():
            expected = {} if isinstance(default, dict) else default
            assert suboptions[sub]["default"] == expected, (name, sub)
    with pytest.raises(ValueError, match="declared"):
        declared._with_defaults({"a": 1.0, "b": 2.0}, {"a": {"description": ["A."]}})


def test_deployment_cost_cli_config_file_and_flags(tmp_path):
    cli = importlib.import_module("%s.cli.deployment_cost" % PACKAGE)
    config = tmp_path / "cost.json"
    config.write_text(json.dumps({"workload": {"requests_per_month": 30000, "data_sensitivity": "regulated"}}))
    options, as_json = cli.parse(["--config", str(config), "--peak-rps", "6", "--priced-gpu-model", "H200", "--json"])
    assert as_json is True
    assert options["workload"]["requests_per_month"] == 30000 and options["workload"]["data_sensitivity"] == "regulated"
    assert options["workload"]["peak_requests_per_s"] == 6.0
    assert options["priced_node"] == {"gpu_model": "H200"}  # unset fields stay out: they match anything
    config.write_text(json.dumps({"workloads": {}}))
    with pytest.raises(cli.CostInputError, match="unknown key.*workloads"):
        cli.parse(["--config", str(config)])


def test_the_module_cannot_change_the_declaration(monkeypatch):
    """AnsibleModule fills a dict option's suboptions into its default: the spec holds copies."""
    spec = option_spec.argument_spec(NESTED)
    spec["load"]["default"]["rate"] = 9.0
    assert NESTED["load"]["default"] == {}
    assert option_spec.documentation(NESTED)["load"]["default"] == {}


def test_messages_name_options_each_entry_points_way():
    text = "give O(count) or O(verify=false), not O(mode=b); O(unknown) stays a name"
    assert option_spec.plain(text) == "give count or verify=false, not mode=b; unknown stays a name"
    assert option_spec.cli_text(text, OPTIONS) == "give --count or --no-verify, not --mode b; unknown stays a name"
