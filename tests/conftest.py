"""Make `ansible_collections.privateai.deepseek` importable from this checkout.

The repository root is the collection root, so it is linked as
.build/collections/ansible_collections/privateai/deepseek (the layout
`ansible-galaxy collection install` produces, and the path ansible.cfg and the
Makefile give Ansible). Tests that run ansible-playbook use COLLECTIONS_PATH.
"""

import os
import sys
from pathlib import Path

REPOCOLLECTIONS_PATH = Path(__file__).resolve().parents[1]


COLLECTIONS_PATH = REPOCOLLECTIONS_PATH / ".build" / "collections"
_link = COLLECTIONS_PATH / "ansible_collections" / "privateai" / "deepseek"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(REPOCOLLECTIONS_PATH)
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_PATH)
# The tests read the output of their own ansible-playbook runs as JSON (a result on one line,
# never wrapped like YAML's long strings); people get YAML (tests/unit/test_console_output.py).
os.environ.setdefault("ANSIBLE_CALLBACK_RESULT_FORMAT", "json")
if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))

# ansible's own collection loader must not shadow ours with the installed
# ansible_collections package from site-packages.
import ansible_collections  # noqa: E402

if str(COLLECTIONS_PATH / "ansible_collections") not in list(ansible_collections.__path__):
    ansible_collections.__path__.insert(0, str(COLLECTIONS_PATH / "ansible_collections"))
