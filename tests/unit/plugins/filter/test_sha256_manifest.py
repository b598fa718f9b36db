"""Manifest parsing: what sha256sum writes is accepted, anything unsafe is refused."""

import hashlib
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.filter.sha256_manifest import sha256_manifest

HASH = "a" * 64


def test_real_sha256sum_output_round_trips(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "model.safetensors").write_bytes(b"\x00" * 1000)
    text = subprocess.run(
        ["sha256sum", "config.json", "sub/model.safetensors"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout

    entries = sha256_manifest(text)

    assert [entry["path"] for entry in entries] == ["config.json", "sub/model.safetensors"]
    assert entries[1]["sha256"] == hashlib.sha256(b"\x00" * 1000).hexdigest()


def test_binary_mode_comments_and_case():
    entries = sha256_manifest("# model v2\n%s *./b.bin\n\n%s  a.json\n" % (HASH.upper(), HASH))
    assert entries == [{"path": "a.json", "sha256": HASH}, {"path": "b.bin", "sha256": HASH}]


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "lists no files"),
        ("# only a comment\n", "lists no files"),
        ("abc  config.json", "line 1 is not '<sha256>  <path>'"),
        ("%s  /etc/shadow" % HASH, "leaves the model directory"),
        ("%s  ../../etc/passwd" % HASH, "leaves the model directory"),
        ("%s  a/../../x" % HASH, "leaves the model directory"),
        ("%s  a.json\n%s  ./a.json" % (HASH, HASH), "a.json is listed twice"),
    ],
)
def test_bad_manifests_are_refused(text, message):
    with pytest.raises(AnsibleFilterError) as error:
        sha256_manifest(text, source="model_store_src/MANIFEST.sha256")
    assert str(error.value).startswith("model_store_src/MANIFEST.sha256")
    assert message in str(error.value)
