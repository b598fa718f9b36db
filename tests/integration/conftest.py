"""Fixtures shared by the playbook tests of this tier."""

import pytest


@pytest.fixture()
def report_dir_inventory(tmp_path):
    """An inventory whose group_vars/all sets deepseek_report_dir, as a user's would.

    Call it with the hosts.yml text; it returns (path of hosts.yml, the report directory
    the inventory names). The directory is not created: the playbook must make it.
    """

    def make(hosts_yaml):
        report_dir = tmp_path / "from-inventory"
        inventory = tmp_path / "inventory"
        (inventory / "group_vars").mkdir(parents=True)
        (inventory / "hosts.yml").write_text(hosts_yaml)
        (inventory / "group_vars" / "all.yml").write_text(f"deepseek_report_dir: {report_dir}\n")
        return inventory / "hosts.yml", report_dir

    return make
