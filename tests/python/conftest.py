import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def xpulse():
    """Runs the xpulse binary under test; raises with its stderr on failure."""
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")

    def run(*args):
        r = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"xpulse {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
        return r.stdout

    return run
