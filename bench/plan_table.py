"""Print the model catalog and the planner's verdict on the reference GPU sets (Markdown).

.venv/bin/python bench/plan_table.py > /tmp/table.md   # the tables in docs/models.md
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".build" / "collections"))

from ansible_collections.privateai.deepseek.plugins.module_utils import model_catalog as catalog  # noqa: E402
from ansible_collections.privateai.deepseek.plugins.module_utils import planner  # noqa: E402

GPU_SETS = [(1, 24), (2, 80), (8, 80), (8, 141)]


def main():
    print(
        "| model | architecture | params (active) | weights | context | KV bytes/token | reasoning / tool parser | min GPU memory |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in catalog.names():
        p = catalog.get_profile(name)
        active = " (%sB)" % p["params_active_b"] if p["moe"] else ""
        print(
            f"| `{name}` | {p['architecture']} | {p['params_total_b']}B{active} | {p['weight_gb']} GB {p['weight_dtype']} "
            f"| {p['context_length']} | {p['kv_cache_bytes_per_token']:,} "
            f"| {p['reasoning_parser'] or '-'} / {p['tool_call_parser'] or '-'} | {p['min_gpu_memory_gib']} GiB |"
        )
    print()
    print("| model | " + " | ".join(f"{count}x{memory} GB" for count, memory in GPU_SETS) + " |")
    print("|---|" + "---|" * len(GPU_SETS))
    for name in catalog.production_names():
        cells = []
        for count, memory in GPU_SETS:
            r = planner.plan(name, count, memory)
            cells.append(
                f"TP{r['tensor_parallel_size']} x{r['replicas']}, {r['max_model_len'] // 1024}K, {r['max_concurrent_sequences']} seq"
                if r["fits"]
                else "does not fit"
            )
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
