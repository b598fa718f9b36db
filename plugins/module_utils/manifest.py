# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read sha256sum-format model manifests safely.

A manifest line is `<64 hex>  <relative path>` (sha256sum's text mode; a `*` before the
path, binary mode, is accepted too). Paths must stay inside the model directory.
"""

from __future__ import absolute_import, division, print_function

import posixpath
import re

LINE_RE = re.compile(r"^(?P<sha256>[0-9a-fA-F]{64}) [ *](?P<path>.+)$")


class ManifestError(ValueError):
    """The manifest is malformed or unsafe; the message names the line."""


def parse_manifest(text, source="manifest"):
    """Return [{'path', 'sha256'}] sorted by path; raise ManifestError on a bad line."""
    entries = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE_RE.match(line)
        if not match:
            raise ManifestError(
                "%s line %d is not '<sha256>  <path>': %r (create it with: sha256sum * > MANIFEST.sha256)"
                % (source, number, line[:120])
            )
        path = match.group("path")
        normalized = posixpath.normpath(path)
        if path.startswith("/") or normalized == ".." or normalized.startswith("../") or "\\" in path:
            raise ManifestError("%s line %d: path %r leaves the model directory" % (source, number, path))
        if normalized in entries:
            raise ManifestError("%s line %d: %s is listed twice" % (source, number, normalized))
        entries[normalized] = match.group("sha256").lower()
    if not entries:
        raise ManifestError("%s lists no files" % source)
    return [{"path": path, "sha256": entries[path]} for path in sorted(entries)]
