# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options declared once; the module, the CLI and the docs follow from the declaration.

A module's options are one dict (in module_utils, next to the library they configure).
Each option is an Ansible argument-spec entry - type, default, choices, elements,
required, no_log - plus:

  description   list of paragraphs in Ansible markup: the module's DOCUMENTATION
                (hacking/module_docs.py writes it) and, its first paragraph, the CLI help
  minimum       inclusive bounds of an int or float (of each element of a list), checked
  maximum       by range_errors() for the module and the CLI alike
  options       the suboptions of a dict, declared the same way (DOCUMENTATION's suboptions)
  cli           False: not a CLI flag (say why in a comment); or a dict with "help"
                (shorter text than the description), "metavar", "flag" (another flag
                name), "append" (a list given by repeating the flag), "pairs" (a dict
                given as repeated NAME<pairs>VALUE, values of type "pair_value"),
                "assign" (a dict given as repeated NAME=VALUE, NAME dotted for a nested
                key, VALUE a number, true/false or text) or "flatten" (a dict with
                options: one flag per suboption, e.g. --peak-rps for workload's)

argument_spec() gives AnsibleModule its spec, add_arguments() gives an argparse parser
one flag per option (--name-with-dashes; bools as --name/--no-name; lists comma-separated)
with the same defaults and choices, and documentation() the DOCUMENTATION options.
A CLI that also reads the options from a file parses into prefilled_namespace(the file's
values): a flag given overrides the file, a default fills only what neither sets, and
namespace_values() reads the options back.
"""

from __future__ import absolute_import, division, print_function

import argparse
import copy
import json
import re

SPEC_KEYS = ("type", "default", "choices", "elements", "required", "no_log")
DOC_KEYS = ("description", "type", "elements", "required", "default", "choices")
_MARKUP = re.compile(r"\b(RV|[ICOVBM])\(([^()]*)\)")
_CONVERTERS = {"int": int, "float": float, "str": str, "path": str, "raw": str}


def argument_spec(options):
    """The AnsibleModule argument_spec of the declared options."""
    spec = {}
    for name, option in options.items():
        # copies: AnsibleModule fills a dict option's suboptions into its default in place
        spec[name] = dict((key, copy.deepcopy(option[key])) for key in SPEC_KEYS if key in option)
        if option.get("options"):
            spec[name]["options"] = argument_spec(option["options"])
    return spec


def documentation(options):
    """The DOCUMENTATION `options:` mapping of the declared options (keys in Ansible's usual order)."""
    documented = {}
    for name, option in options.items():
        documented[name] = dict(
            (key, copy.deepcopy(option[key])) for key in DOC_KEYS if key in option and option[key] is not None
        )
        if option.get("options"):
            documented[name]["suboptions"] = documentation(option["options"])
    return documented


def flag(name, options=None):
    """The CLI flag of an option."""
    cli = (options or {}).get(name, {}).get("cli") or {}
    return cli.get("flag") or "--" + name.replace("_", "-")


def plain(text):
    """Ansible markup as plain text: C(x), I(x), O(x=y), V(x) -> x, x=y."""
    return _MARKUP.sub(lambda match: match.group(2), text)


_OPTION_REFERENCE = re.compile(r"\bO\(([a-z0-9_]+)(?:=([^()]*))?\)")


def cli_text(text, options):
    """A message that names options as O(name) or O(name=value), for the CLI: the flags
    (O(ca_path) -> --ca-path, O(validate_certs=false) -> --no-validate-certs)."""

    def as_flag(match):
        name, value = match.group(1), match.group(2)
        if name not in options:
            return plain(match.group(0))
        option_flag = flag(name, options)
        if value is None:
            return option_flag
        if options[name].get("type") == "bool":
            return option_flag if value.lower() in ("true", "yes") else "--no-" + option_flag[2:]
        return "%s %s" % (option_flag, value)

    return plain(_OPTION_REFERENCE.sub(as_flag, text))


def range_errors(values, options, name_of=None):
    """One message per option whose value (or an element of it) is outside its bounds.

    name_of(name) says how to name the option: the module's name or the CLI's flag."""
    name_of = name_of or (lambda name: name)
    errors = []
    for name, option in options.items():
        low, high = option.get("minimum"), option.get("maximum")
        value = values.get(name)
        if value is None or (low is None and high is None):
            continue
        for item in value if isinstance(value, list) else [value]:
            if (low is not None and item < low) or (high is not None and item > high):
                errors.append("%s must be %s, got %s" % (name_of(name), _bounds_text(low, high), item))
                break
    return errors


def _bounds_text(low, high):
    if low is not None and high is not None:
        return "between %s and %s" % (low, high)
    return "at least %s" % low if low is not None else "at most %s" % high


def add_arguments(parser, options):
    """One argparse flag per option with its default and choices; dest is the option name
    (for a flattened dict's suboption: "dict.suboption")."""
    for name, option in options.items():
        cli = option.get("cli", {})
        if cli is False:
            continue
        if cli.get("flatten"):
            for sub, suboption in option["options"].items():
                if suboption.get("cli", {}) is not False:
                    _add_flag(parser, "%s.%s" % (name, sub), flag(sub, option["options"]), suboption)
        else:
            _add_flag(parser, name, flag(name, options), option)
    return parser


def _add_flag(parser, dest, flag_name, option):
    cli = option.get("cli", {})
    kind = option.get("type", "str")
    default = option.get("default")
    kwargs = {"dest": dest, "default": default, "help": cli.get("help") or plain(option["description"][0])}
    if default not in (None, [], {}) and kind != "bool":
        kwargs["help"] += " (default: %s)" % (",".join(map(str, default)) if isinstance(default, list) else default)
    if kind == "bool":
        kwargs["action"] = argparse.BooleanOptionalAction
        if default is not None:
            kwargs["help"] += " (default: %s)" % ("yes" if default else "no")
    elif cli.get("append"):
        kwargs.update(action="append", metavar=cli.get("metavar", "TEXT"))
    elif cli.get("pairs"):
        kwargs.update(
            action=_PairsAction, type=_pair(cli["pairs"], cli.get("pair_value", "str")), metavar=cli.get("metavar")
        )
    elif cli.get("assign"):
        kwargs.update(action=_AssignAction, type=_assignment, metavar=cli.get("metavar", "NAME=VALUE"))
    elif kind == "list":
        kwargs["type"] = _list_of(option.get("elements", "str"), option.get("choices"))
        kwargs["metavar"] = cli.get("metavar", "A,B,...")
    elif kind == "dict":
        kwargs["type"] = _json_object
        kwargs["metavar"] = cli.get("metavar", "JSON")
    else:
        kwargs["type"] = _CONVERTERS[kind]
        if option.get("choices"):
            kwargs["choices"] = [kwargs["type"](choice) for choice in option["choices"]]
        else:
            kwargs["metavar"] = cli.get("metavar", "N" if kind in ("int", "float") else "TEXT")
    if option.get("required"):
        kwargs["required"] = True
    parser.add_argument(flag_name, **kwargs)


def prefilled_namespace(values, options):
    """An argparse namespace holding values (for example read from a file) under the flags'
    dests: argparse sets a default only where the namespace has nothing, so a flag given on
    the command line overrides the file, and the declared default fills only the rest."""
    parsed = argparse.Namespace()
    for name, value in (values or {}).items():
        option = options.get(name) or {}
        if (option.get("cli") or {}).get("flatten") and isinstance(value, dict):
            for sub, item in value.items():
                if sub in option["options"]:
                    setattr(parsed, "%s.%s" % (name, sub), item)
            # suboptions the declaration does not know stay, for the library to name
            unknown = dict((sub, item) for sub, item in value.items() if sub not in option["options"])
            if unknown:
                setattr(parsed, name, unknown)
        else:
            setattr(parsed, name, value)
    return parsed


def namespace_values(parsed, options):
    """The option values of a parsed namespace, flattened suboptions folded back into their
    dict (those left at None out of it, so the library's defaults apply)."""
    found = dict(vars(parsed))
    result = {}
    for name, option in options.items():
        if (option.get("cli") or {}).get("flatten"):
            folded = dict(found.pop(name, None) or {})
            for sub in option["options"]:
                item = found.pop("%s.%s" % (name, sub), None)
                if item is not None:
                    folded[sub] = item
            result[name] = folded
        elif name in found:
            result[name] = found.pop(name)
    result.update(found)  # the CLI's own flags (--json, ...)
    return result


def _assignment(text):
    name, found, value = text.partition("=")
    if not found or not name.strip():
        raise argparse.ArgumentTypeError("%r is not NAME=VALUE" % text)
    return name.strip().split("."), _scalar(value)


def _scalar(text):
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    try:
        return float(text)
    except ValueError:
        return text.strip()


class _AssignAction(argparse.Action):
    """Repeated NAME=VALUE flags (NAME dotted for a nested key) merged into one dict."""

    def __call__(self, parser, namespace, values, option_string=None):
        keys, value = values
        settings = json.loads(json.dumps(getattr(namespace, self.dest, None) or {}))  # a copy: never the default's
        target = settings
        for key in keys[:-1]:
            if not isinstance(target.get(key, {}), dict):
                parser.error("argument %s: %s is not a group of settings" % (option_string, key))
            target = target.setdefault(key, {})
        target[keys[-1]] = value
        setattr(namespace, self.dest, settings)


def _pair(separator, value_kind):
    convert = _CONVERTERS[value_kind]

    def parse(text):
        key, found, value = text.partition(separator)
        if not found or not key.strip():
            raise argparse.ArgumentTypeError("%r is not NAME%sVALUE" % (text, separator))
        try:
            return key.strip(), convert(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError("%r: the value is not a %s" % (text, value_kind))

    return parse


class _PairsAction(argparse.Action):
    """Repeated NAME:VALUE flags into one dict."""

    def __call__(self, parser, namespace, values, option_string=None):
        pairs = dict(getattr(namespace, self.dest) or {})
        pairs.update([values])
        setattr(namespace, self.dest, pairs)


def _list_of(elements, choices):
    convert = _CONVERTERS[elements]

    def parse(text):
        try:
            values = [convert(item.strip()) for item in text.split(",") if item.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a comma-separated list of %s values" % (text, elements))
        unknown = [value for value in values if choices and value not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                "%s: not one of %s" % (", ".join(map(str, unknown)), ", ".join(map(str, choices)))
            )
        return values

    parse.__name__ = "comma-separated %s list" % elements
    return parse


def _json_object(text):
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


_json_object.__name__ = "JSON object"
