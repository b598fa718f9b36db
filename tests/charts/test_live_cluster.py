"""The k8s_live molecule scenario against a real cluster: skipped unless KUBECONFIG is set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="no cluster here: set KUBECONFIG to run molecule k8s_live")
def test_k8s_live_scenario():
    molecule = str(Path(sys.executable).parent / "molecule")
    done = subprocess.run([molecule, "test", "-s", "k8s_live"], cwd=str(ROOT), timeout=7200)
    assert done.returncode == 0
