#!/usr/bin/env python3
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check and normalise the address lists of the hardening role (runs on the controller).

Reads one JSON document on stdin:

    {"lists": {"hardening_admin_cidrs": ["10.0.0.0/8", ...], ...},
     "addresses": {"ssh_client": "10.1.2.3"}}

and prints one JSON document:

    {"errors": ["hardening_admin_cidrs[1]=10.0.0.300/8 is not an IPv4/IPv6 address or CIDR ..."],
     "lists": {"hardening_admin_cidrs": {"ipv4": ["10.0.0.0/8"], "ipv6": []}},
     "contains": {"ssh_client": {"hardening_admin_cidrs": true}}}

A CIDR with host bits set (10.1.2.3/8) is an error: it is almost always a typo and nft
would silently widen it. A bare address becomes a /32 or /128. Standard library only,
so it runs with the controller's Python (ansible_playbook_python) and needs no netaddr.
"""

from __future__ import annotations

import ipaddress
import json
import sys


def parse(value):
    """Return an ip_network for an address or CIDR, or raise ValueError with a reason."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is not an IPv4/IPv6 address or CIDR")
    text = value.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        if "has host bits set" in str(error):
            network = ipaddress.ip_network(text, strict=False)
            raise ValueError(f"has host bits set; did you mean {network}?") from None
        raise ValueError("is not an IPv4/IPv6 address or CIDR (e.g. 10.20.0.0/16 or 2001:db8::/32)") from None


def check(document):
    errors = []
    lists = {}
    for name, values in document.get("lists", {}).items():
        normalised = {"ipv4": [], "ipv6": []}
        if not isinstance(values, list):
            errors.append(f"{name} must be a list of addresses or CIDRs, got {values!r}")
            lists[name] = normalised
            continue
        for index, value in enumerate(values):
            try:
                network = parse(value)
            except ValueError as error:
                errors.append(f"{name}[{index}]={value} {error}")
                continue
            family = "ipv4" if network.version == 4 else "ipv6"
            if str(network) not in normalised[family]:
                normalised[family].append(str(network))
        lists[name] = normalised

    contains = {}
    for label, address in document.get("addresses", {}).items():
        if not address:
            continue
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            errors.append(f"{label}={address} is not an IP address")
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        contains[label] = {
            name: any(ip in ipaddress.ip_network(net) for fam in nets.values() for net in fam)
            for name, nets in lists.items()
        }
    return {"errors": errors, "lists": lists, "contains": contains}


def main():
    json.dump(check(json.load(sys.stdin)), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
