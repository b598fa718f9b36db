#!/usr/bin/env python3
"""Seconds per test tier and molecule scenario, for `make test`.

  tier_times.py run NAME -- COMMAND...   run COMMAND, record its seconds and result
  tier_times.py table                    print the table of what ran (also on failure)
  tier_times.py reset                    start a new record

The record is .build/reports/test-times.json, so every change shows what it costs.
Standard library only: it runs before the venv exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

RECORD = Path(__file__).resolve().parents[1] / ".build" / "reports" / "test-times.json"


def load() -> list[dict]:
    return json.loads(RECORD.read_text()) if RECORD.exists() else []


def save(entries: list[dict]) -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(entries, indent=2) + "\n")


def run(name: str, command: list[str]) -> int:
    started = time.monotonic()
    returncode = subprocess.call(command)
    seconds = round(time.monotonic() - started)
    save(load() + [{"name": name, "seconds": seconds, "result": "passed" if returncode == 0 else "failed"}])
    print(f"[test-times] {name}: {seconds} s ({'passed' if returncode == 0 else 'FAILED'})", flush=True)
    return returncode


def table() -> None:
    entries = load()
    width = max([len(entry["name"]) for entry in entries] + [5])
    print(f"\n{'tier':<{width}}  seconds  result")
    for entry in entries:
        print(f"{entry['name']:<{width}}  {entry['seconds']:>7}  {entry['result']}")
    total = sum(entry["seconds"] for entry in entries)
    print(f"{'total':<{width}}  {total:>7}  ({total / 60:.1f} min; record: {RECORD})")


def main(argv: list[str]) -> int:
    if argv[:1] == ["reset"]:
        save([])
        return 0
    if argv[:1] == ["table"]:
        table()
        return 0
    if argv[:1] == ["run"] and len(argv) > 3 and argv[2] == "--":
        return run(argv[1], argv[3:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
