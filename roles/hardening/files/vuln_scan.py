#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node's vulnerability scan, run by the deepseek-vuln-scan timer (the hardening role).

    vuln_scan.py --output FILE [--debian-source URL --suite SUITE]
                 [--pip-audit PATH --osv-url URL --venvs-under DIR] [--cache-dir DIR]

OS packages: debsecan against the feed at --debian-source (Debian's security tracker, or
the site's mirror of it). Python: every virtualenv under --venvs-under (the vLLM runtime's
among them), with pip-audit against the OSV API at --osv-url (osv.dev, or the site's own).
One JSON report: what was scanned, each finding (id, package, installed version, fix) and
each scan that could not run. Exit status 0 when every scan ran (findings or not), 1 when
one could not, so that systemd shows the unit failed.
"""

import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys

SUMMARY_LINE = re.compile(r"^(?P<id>\S+) (?P<package>\S+)(?: \((?P<flags>[^)]*)\))?$")


def installed_versions():
    """Binary package -> version, from dpkg."""
    listing = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split(" ", 1) for line in listing.splitlines() if " " in line)


def scan_os_packages(source, suite):
    result = subprocess.run(
        ["debsecan", "--source", source, "--suite", suite, "--format", "summary"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        return {"source": source, "error": (result.stderr or result.stdout).strip()[-2000:], "findings": []}
    versions = installed_versions()
    findings = []
    for line in result.stdout.splitlines():
        match = SUMMARY_LINE.match(line.strip())
        if not match:
            continue
        flags = [flag.strip() for flag in (match.group("flags") or "").split(",") if flag.strip()]
        findings.append(
            {
                "id": match.group("id"),
                "package": match.group("package"),
                "installed": versions.get(match.group("package")),
                "fix_available": "fixed" in flags,
                "remote": "remotely exploitable" in flags,
                "urgency": next((flag.split()[0] for flag in flags if flag.endswith("urgency")), None),
            }
        )
    return {"source": source, "suite": suite, "error": None, "findings": findings}


def virtualenvs(root):
    """Every virtualenv directly under root (a directory with pyvenv.cfg) and its site-packages."""
    found = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        venv = os.path.join(root, name)
        lib = os.path.join(venv, "lib")
        if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")) or not os.path.isdir(lib):
            continue
        for python in sorted(os.listdir(lib)):
            site = os.path.join(lib, python, "site-packages")
            if os.path.isdir(site):
                found.append((venv, site))
    return found


def scan_virtualenv(pip_audit, osv_url, venv, site, cache_dir):
    command = [pip_audit, "--path", site, "--vulnerability-service", "osv", "--osv-url", osv_url,
               "--format", "json", "--progress-spinner", "off", "--timeout", "30"]  # fmt: skip
    if cache_dir:
        command += ["--cache-dir", cache_dir]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        # pip-audit exits 1 when it found something; only a report that is not there is an error.
        return {"venv": venv, "error": (result.stderr or result.stdout).strip()[-2000:], "findings": [], "skipped": []}
    findings, skipped = [], []
    for dependency in report.get("dependencies", []):
        if "skip_reason" in dependency:
            skipped.append({"package": dependency["name"], "reason": dependency["skip_reason"]})
        for vuln in dependency.get("vulns", []):
            findings.append(
                {
                    "id": vuln["id"],
                    "aliases": vuln.get("aliases", []),
                    "package": dependency["name"],
                    "installed": dependency.get("version"),
                    "fix_versions": vuln.get("fix_versions", []),
                    "description": (vuln.get("description") or "")[:500],
                }
            )
    scanned = len(report.get("dependencies", [])) - len(skipped)
    return {"venv": venv, "error": None, "packages": scanned, "findings": findings, "skipped": skipped}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--debian-source")
    parser.add_argument("--suite")
    parser.add_argument("--pip-audit")
    parser.add_argument("--osv-url")
    parser.add_argument("--venvs-under")
    parser.add_argument("--cache-dir")
    args = parser.parse_args(argv)

    report = {
        "host": socket.gethostname(),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "os_packages": None,
        "python": [],
    }
    if args.debian_source:
        report["os_packages"] = scan_os_packages(args.debian_source, args.suite)
    if args.osv_url:
        report["python"] = [
            scan_virtualenv(args.pip_audit, args.osv_url, venv, site, args.cache_dir)
            for venv, site in virtualenvs(args.venvs_under)
        ]
    scans = ([report["os_packages"]] if report["os_packages"] else []) + report["python"]
    report["findings"] = sum(len(scan["findings"]) for scan in scans)
    report["errors"] = [scan.get("venv", "os packages") + ": " + scan["error"] for scan in scans if scan["error"]]

    partial = args.output + ".new"
    with open(partial, "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    os.chmod(partial, 0o640)
    os.replace(partial, args.output)  # a reader never sees half a report
    print("%d finding(s), %d scan(s) failed: %s" % (report["findings"], len(report["errors"]), args.output))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
