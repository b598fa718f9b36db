# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes the collection importable when a CLI runs as a file, the one command the docs give:

    python3 <collection>/cli/<tool>.py ...

<collection> is the collection's directory: installed by ansible-galaxy it is
<path>/ansible_collections/privateai/deepseek, and <path> goes on sys.path; in a checkout
it is the repository, which `make setup` links as .build/collections/ansible_collections/
privateai/deepseek, and .build/collections goes on sys.path. With python3 -m (and
PYTHONPATH set by the caller) this file is not used.
"""

import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_ANSIBLE_COLLECTIONS = os.path.dirname(os.path.dirname(_ROOT))
if os.path.basename(_ANSIBLE_COLLECTIONS) == "ansible_collections":
    COLLECTIONS_PATH = os.path.dirname(_ANSIBLE_COLLECTIONS)
else:
    COLLECTIONS_PATH = os.path.join(_ROOT, ".build", "collections")
    if not os.path.isdir(os.path.join(COLLECTIONS_PATH, "ansible_collections", "privateai", "deepseek")):
        sys.exit("%s is a checkout without its collection link: run `make setup` there first" % _ROOT)
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)
