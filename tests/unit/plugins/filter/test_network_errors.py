"""Address lists: addresses and CIDRs pass, anything else is named with its index and the fix."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.filter.network_errors import network_errors


def test_addresses_and_networks_of_both_families_pass():
    assert network_errors(["10.0.5.10", "10.0.6.0/28", "2001:db8::1", "2001:db8::/32"], "proxies") == []


def test_each_bad_entry_is_named_with_its_index():
    errors = network_errors(["10.0.5.10", "10.0.0.300", "lb.example", ""], "gateway_trusted_proxies")
    assert len(errors) == 3
    assert errors[0].startswith("gateway_trusted_proxies[1]=10.0.0.300 is not an IPv4/IPv6 address")
    assert errors[1].startswith("gateway_trusted_proxies[2]=lb.example")
    assert errors[2].startswith("gateway_trusted_proxies[3]=")


def test_host_bits_set_suggests_the_network():
    assert network_errors(["10.1.2.3/8"], "p") == ["p[0]=10.1.2.3/8 has host bits set; did you mean 10.0.0.0/8?"]


def test_not_a_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="p must be a list"):
        network_errors("10.0.0.1", "p")
