#!/usr/bin/python3
"""privateai.deepseek image_bake: list the files that contain any of the given secrets.

Secrets come on stdin, one per line, and never appear in the output: it is the sorted
list of matching paths, one per line. Every regular file is read as bytes (binary files
included), except Ansible's per-task working directories (`.ansible/tmp/ansible-tmp-*`,
`/tmp/ansible_*`): the running task's own payload carries its arguments, and Ansible
removes those directories when the task ends. Usage: secret_scan.py ROOT [EXCLUDED_DIR ...] < secrets
Exit codes: 0 none found, 1 found, 2 usage error.
"""

import mmap
import os
import sys


def ansible_task_dir(parent, name):
    return (name.startswith("ansible-tmp-") and parent.endswith("/.ansible/tmp")) or (
        parent == "/tmp" and name.startswith("ansible_")
    )


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root, excluded = sys.argv[1], {os.path.normpath(path) for path in sys.argv[2:]}
    secrets = [line.encode() for line in sys.stdin.read().splitlines() if line]
    found = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(directory, d) not in excluded and not ansible_task_dir(directory, d)]
        for name in names:
            path = os.path.join(directory, name)
            try:
                if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) == 0:
                    continue
                with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    if any(data.find(secret) >= 0 for secret in secrets):
                        found.append(path)
            except (OSError, ValueError):
                continue
    for path in sorted(found):
        print(path)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
