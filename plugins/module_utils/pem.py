# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Split and check PEM certificate bundles before they go into a trust store.

Used on the controller (filter plugin), so a bad CA file fails the play before any
host is touched, with a message that names the variable it came from.
"""

from __future__ import absolute_import, division, print_function

import datetime
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core itself depends on cryptography
    HAS_CRYPTOGRAPHY = False

PEM_BLOCK_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s*(?P<body>[A-Za-z0-9+/=\s]*?)\s*-----END CERTIFICATE-----")
ANY_PEM_HEADER_RE = re.compile(r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----")
TRUST_FILE_PREFIX = "privateai-deepseek-"


class CertificateError(ValueError):
    """A value meant to be a PEM certificate is not one; the message says why and what to do."""


def _not_after(certificate):
    # cryptography >= 42 has the timezone-aware property; older releases only the naive one.
    value = getattr(certificate, "not_valid_after_utc", None)
    if value is None:
        value = certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def parse_certificates(text, variable, source="inline PEM", now=None):
    """Return one dict per certificate in `text`; raise CertificateError on anything else.

    `variable` names where the value came from (e.g. base_extra_ca_certificates[0]).
    """
    if not HAS_CRYPTOGRAPHY:
        raise CertificateError("the Python library 'cryptography' is required on the controller")
    where = "%s (%s)" % (variable, source)
    if not text or not text.strip():
        raise CertificateError(
            "%s: no certificate found - the file does not exist on the controller or is empty. "
            "Give a path to a PEM file (relative to the playbook or role files/) or the PEM text itself." % where
        )
    blocks = list(PEM_BLOCK_RE.finditer(text))
    if not blocks:
        other = ANY_PEM_HEADER_RE.search(text)
        found = "a PEM '%s' block" % other.group("label") if other else "no PEM block"
        raise CertificateError(
            "%s: expected a PEM certificate ('-----BEGIN CERTIFICATE-----'), found %s. "
            "Convert DER files with 'openssl x509 -inform der -in ca.cer -out ca.pem'; never list private keys here."
            % (where, found)
        )
    now = now or datetime.datetime.now(datetime.timezone.utc)
    certificates = []
    for number, block in enumerate(blocks, start=1):
        try:
            certificate = x509.load_pem_x509_certificate(block.group(0).encode("ascii"))
        except ValueError as error:
            raise CertificateError(
                "%s: certificate %d of %d is not valid PEM/X.509 (%s). Re-export it from your CA."
                % (where, number, len(blocks), error)
            )
        not_after = _not_after(certificate)
        subject = certificate.subject.rfc4514_string()
        if not_after < now:
            raise CertificateError(
                "%s: certificate %d (%s) expired on %s. Remove it or replace it with the CA's current certificate."
                % (where, number, subject, not_after.date().isoformat())
            )
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        certificates.append(
            {
                "pem": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                "sha256": fingerprint,
                "subject": subject,
                "not_after": not_after.isoformat(),
                "is_ca": is_ca,
                "file_name": "%s%s.crt" % (TRUST_FILE_PREFIX, fingerprint[:16]),
                "source": where,
            }
        )
    return certificates
