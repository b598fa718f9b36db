"""Stand-in for ansible-test's pip bootstrap script when ci-files.testing.ansible.com is unreachable.

ansible-test downloads get-pip-<version>.py from ci-files.testing.ansible.com to put pip
into each sanity-test virtualenv. Closed networks (ours, and our users') cannot reach
it, but can reach a Python package index. This script does the same job: pip from the
interpreter's own ensurepip, then `pip install` of what ansible-test asked for.
run.sh copies it into ansible-test's cache; ansible-test runs it with pip's install
arguments in sys.argv.
"""

import ensurepip
import os
import subprocess
import sys

# ensurepip sets PIP_CONFIG_FILE=/dev/null in os.environ; the install below must see
# the site's pip configuration (index mirror, CA bundle) again.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=False)
arguments = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments], env=environment))
