"""Offline checks of the Packer template (Packer itself cannot run here: no plugins, no clouds).

Parses packer/*.pkr.hcl with python-hcl2 and checks what `packer validate` would, as far as
it can be checked without Packer: every var.X used is declared, every declared variable
has a type and a description, the builds use the QEMU builder and at least one cloud
builder, and the Ansible provisioner runs playbooks/bake_image.yml, which exists.
"""

import re
from pathlib import Path

import pytest

hcl2 = pytest.importorskip("hcl2")

REPO_ROOT = Path(__file__).resolve().parents[3]
PACKER_DIR = REPO_ROOT / "packer"


def unquote(value):
    """python-hcl2 8 keeps the quotes of labels and strings."""
    return value[1:-1] if isinstance(value, str) and len(value) > 1 and value[0] == value[-1] == '"' else value


def load_all():
    merged = {}
    for path in sorted(PACKER_DIR.glob("*.pkr.hcl")):
        with path.open() as handle:
            for key, value in hcl2.load(handle).items():
                if not key.startswith("__"):
                    merged.setdefault(key, []).extend(value)
    return merged


@pytest.fixture(scope="module")
def template():
    return load_all()


def declared_variables(template):
    return {unquote(name): spec for block in template["variable"] for name, spec in block.items()}


def test_every_used_variable_is_declared(template):
    text = "\n".join(path.read_text() for path in PACKER_DIR.glob("*.pkr.hcl"))
    used = set(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_]*)", text))
    declared = set(declared_variables(template))
    assert used, "the template uses variables"
    assert used <= declared, used - declared
    assert declared <= used, "declared but unused: %s" % (declared - used)


def test_variables_have_type_and_description(template):
    for name, spec in declared_variables(template).items():
        assert spec.get("type"), name
        assert spec.get("description"), name


def test_qemu_and_cloud_builders(template):
    sources = {
        (unquote(kind), unquote(name))
        for block in template["source"]
        for kind, named in block.items()
        for name in named
    }
    kinds = {kind for kind, _ in sources}
    assert "qemu" in kinds
    assert kinds & {"amazon-ebs", "azure-arm", "googlecompute"}
    build = template["build"][0]
    listed = {unquote(entry).replace("source.", "") for entry in build["sources"]}
    assert listed == {"%s.%s" % (kind, name) for kind, name in sources}
    plugins = template["packer"][0]["required_plugins"][0]
    for kind in kinds:
        plugin = {"amazon-ebs": "amazon", "azure-arm": "azure"}.get(kind, kind)
        assert plugin in plugins, kind


def test_ansible_provisioner_runs_the_bake_playbook(template):
    build = template["build"][0]
    provisioners = [p for block in build["provisioner"] for kind, p in block.items() if unquote(kind) == "ansible"]
    assert len(provisioners) == 1
    playbook = unquote(provisioners[0]["playbook_file"])
    assert playbook.endswith("/playbooks/bake_image.yml")
    assert (REPO_ROOT / "playbooks" / "bake_image.yml").is_file()
    assert "${local.collection_root}" in playbook
    locals_ = {k: v for block in template["locals"] for k, v in block.items()}
    assert "collection_root" in locals_
    extra = " ".join(provisioners[0]["extra_arguments"])
    for variable in ("image_bake_image_version", "image_bake_manifest_dest", "image_bake_cloud_init"):
        assert variable in extra
    assert "ansible" in template["packer"][0]["required_plugins"][0]


def test_example_bake_vars_use_known_role_variables():
    import yaml

    example = yaml.safe_load((PACKER_DIR / "bake-vars.example.yml").read_text())
    spec = yaml.safe_load((REPO_ROOT / "roles" / "image_bake" / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    for name in example:
        if name.startswith("image_bake_"):
            assert name in options, name
