"""Compare gpu_health's figures with `nvidia-smi -q -x` on the same GPUs.

    python compare_nvidia_smi.py module.json nvidia-smi.xml

module.json is the output of the module (ansible's json callback) or of the CLI's --json.
Prints one line per compared figure and exits 1 when any figure differs.
"""

import json
import sys
import xml.etree.ElementTree as ElementTree


def module_result(path):
    with open(path) as handle:
        document = json.load(handle)
    if "plays" in document:  # ansible's json callback
        document = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return document


def text(node, path):
    found = node.find(path)
    return None if found is None or found.text is None else found.text.strip()


def number(value):
    """'143771 MiB' -> 143771, '16x' -> 16, '0' -> 0, 'N/A' -> None."""
    if value is None:
        return None
    head = value.split()[0].rstrip("x")
    try:
        return int(head)
    except ValueError:
        return None


def first(node, *paths):
    for path in paths:
        value = text(node, path)
        if value is not None:
            return value
    return None


def compare(result, smi):
    rows = []

    def row(scope, field, ours, theirs, tolerance=0):
        if ours is None or theirs is None:
            verdict = "MISSING"
        elif isinstance(ours, int) and isinstance(theirs, int):
            verdict = "OK" if abs(ours - theirs) <= tolerance else "DIFF"
        else:
            verdict = "OK" if str(ours) == str(theirs) else "DIFF"
        rows.append((verdict, scope, field, ours, theirs))

    row("node", "driver_version", result.get("driver_version"), text(smi, "driver_version"))
    row("node", "cuda_driver_version", result.get("cuda_driver_version"), text(smi, "cuda_version"))
    row("node", "gpu_count", result.get("gpu_count"), number(text(smi, "attached_gpus")))
    smi_gpus = smi.findall("gpu")
    for gpu, node in zip(result.get("gpus", []), smi_gpus):
        scope = "GPU %s" % gpu["index"]
        row(scope, "name", gpu.get("name"), text(node, "product_name"))
        row(scope, "uuid", gpu.get("uuid"), text(node, "uuid"))
        row(scope, "serial", gpu.get("serial"), text(node, "serial"))
        row(scope, "pci_bus_id", gpu.get("pci_bus_id"), node.get("id"))
        row(scope, "vbios_version", gpu.get("vbios_version"), text(node, "vbios_version"))
        total = (gpu.get("memory") or {}).get("total_mib")
        smi_total = number(text(node, "fb_memory_usage/total"))
        row(scope, "memory_total_mib (1% tolerance)", total, smi_total, tolerance=int((smi_total or 0) * 0.01))
        ecc = gpu.get("ecc") or {}
        row(
            scope,
            "ecc_enabled",
            ecc.get("enabled"),
            {"Enabled": True, "Disabled": False}.get(text(node, "ecc_mode/current_ecc")),
        )
        row(
            scope,
            "ecc_volatile_uncorrected",
            (ecc.get("volatile") or {}).get("uncorrected"),
            number(first(node, "ecc_errors/volatile/dram_uncorrectable", "ecc_errors/volatile/double_bit/total")),
        )
        row(
            scope,
            "ecc_aggregate_uncorrected",
            (ecc.get("aggregate") or {}).get("uncorrected"),
            number(first(node, "ecc_errors/aggregate/dram_uncorrectable", "ecc_errors/aggregate/double_bit/total")),
        )
        pcie = gpu.get("pcie") or {}
        link = "pci/pci_gpu_link_info"
        row(
            scope,
            "pcie_generation_max",
            pcie.get("generation_max"),
            number(text(node, link + "/pcie_gen/max_link_gen")),
        )
        row(scope, "pcie_width_max", pcie.get("width_max"), number(text(node, link + "/link_widths/max_link_width")))
        # Current link figures move with load between the two reads; shown, judged loosely.
        row(scope, "pcie_width", pcie.get("width"), number(text(node, link + "/link_widths/current_link_width")))
        row(scope, "pcie_replay_counter", pcie.get("replay_counter"), number(text(node, "pci/replay_counter")))
        rows_ = gpu.get("remapped_rows") or {}
        row(
            scope,
            "remapped_rows_correctable",
            rows_.get("correctable"),
            number(text(node, "remapped_rows/remapped_row_corr")),
        )
        row(
            scope,
            "remapped_rows_uncorrectable",
            rows_.get("uncorrectable"),
            number(text(node, "remapped_rows/remapped_row_unc")),
        )
        row(
            scope,
            "remapped_rows_pending",
            rows_.get("pending"),
            {"Yes": True, "No": False}.get(text(node, "remapped_rows/remapped_row_pending")),
        )
        row(
            scope,
            "persistence_mode",
            gpu.get("persistence_mode"),
            {"Enabled": True, "Disabled": False}.get(text(node, "persistence_mode")),
        )
        temperature = gpu.get("temperature") or {}
        row(
            scope,
            "slowdown_c",
            temperature.get("slowdown_c"),
            number(text(node, "temperature/gpu_temp_slow_threshold")),
        )
        row(
            scope, "shutdown_c", temperature.get("shutdown_c"), number(text(node, "temperature/gpu_temp_max_threshold"))
        )
    return rows


def main(argv):
    result = module_result(argv[1])
    smi = ElementTree.parse(argv[2]).getroot()
    rows = compare(result, smi)
    for verdict, scope, field, ours, theirs in rows:
        print("%-7s %-6s %-34s gpu_health=%-40s nvidia-smi=%s" % (verdict, scope, field, ours, theirs))
    counts = {verdict: sum(1 for r in rows if r[0] == verdict) for verdict in ("OK", "DIFF", "MISSING")}
    print("summary: %(OK)d equal, %(DIFF)d different, %(MISSING)d missing on one side" % counts)
    print(
        "verdict: %s; %d issue(s); probe_seconds %s"
        % (result.get("message"), len(result.get("issues", [])), result.get("probe_seconds"))
    )
    return 1 if counts["DIFF"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
