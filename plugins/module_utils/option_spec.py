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
  cli           False: not a CLI flag (say why in a comment); or a dict with "help"
                (shorter text than the description), "metavar", "flag" (another flag
                name), "append" (a list given by repeating the flag) or "pairs" (a dict
                given as repeated NAME<pairs>VALUE, values of type "pair_value")

argument_spec() gives AnsibleModule its spec, add_arguments() gives an argparse parser
one flag per option (--name-with-dashes; bools as --name/--no-name; lists comma-separated)
with the same defaults and choices, and documentation() the DOCUMENTATION options.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import re

SPEC_KEYS = ("type", "default", "choices", "elements", "required", "no_log")
DOC_KEYS = ("description", "type", "elements", "required", "default", "choices")
_MARKUP = re.compile(r"\b([ICOVBM])\(([^()]*)\)")
_CONVERTERS = {"int": int, "float": float, "str": str, "path": str, "raw": str}


def argument_spec(options):
    """The AnsibleModule argument_spec of the declared options."""
    return dict(
        (name, dict((key, option[key]) for key in SPEC_KEYS if key in option)) for name, option in options.items()
    )


def documentation(options):
    """The DOCUMENTATION `options:` mapping of the declared options (keys in Ansible's usual order)."""
    return dict(
        (name, dict((key, option[key]) for key in DOC_KEYS if key in option and option[key] is not None))
        for name, option in options.items()
    )


def flag(name, options=None):
    """The CLI flag of an option."""
    cli = (options or {}).get(name, {}).get("cli") or {}
    return cli.get("flag") or "--" + name.replace("_", "-")


def plain(text):
    """Ansible markup as plain text: C(x), I(x), O(x=y), V(x) -> x, x=y."""
    return _MARKUP.sub(lambda match: match.group(2), text)


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
    """One argparse flag per option with its default and choices; dest is the option name."""

    for name, option in options.items():
        cli = option.get("cli", {})
        if cli is False:
            continue
        kind = option.get("type", "str")
        default = option.get("default")
        kwargs = {"dest": name, "default": default, "help": cli.get("help") or plain(option["description"][0])}
        if default not in (None, [], {}) and kind != "bool":
            kwargs["help"] += " (default: %s)" % (",".join(map(str, default)) if isinstance(default, list) else default)
        if kind == "bool":
            kwargs["action"] = argparse.BooleanOptionalAction
        elif cli.get("append"):
            kwargs.update(action="append", metavar=cli.get("metavar", "TEXT"))
        elif cli.get("pairs"):
            kwargs.update(
                action=_PairsAction, type=_pair(cli["pairs"], cli.get("pair_value", "str")), metavar=cli.get("metavar")
            )
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
        parser.add_argument(flag(name, options), **kwargs)
    return parser


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
