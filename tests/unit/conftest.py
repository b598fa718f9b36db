"""Make `ansible_collections.privateai.deepseek` importable from this checkout.

The repository root is the collection root, so a temporary
ansible_collections/privateai/deepseek symlink is made for the test session
(the same layout `ansible-galaxy collection install` produces).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _collection_root(tmp_root: Path) -> Path:
    link = tmp_root / "ansible_collections" / "privateai" / "deepseek"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT)
    return tmp_root


_ROOT = _collection_root(REPO_ROOT / ".build" / "unit-collections")
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

# ansible's own collection loader must not shadow ours with the installed
# ansible_collections package from site-packages.
import ansible_collections  # noqa: E402

if str(_ROOT / "ansible_collections") not in list(ansible_collections.__path__):
    ansible_collections.__path__.insert(0, str(_ROOT / "ansible_collections"))
