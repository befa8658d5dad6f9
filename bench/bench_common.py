"""Helpers shared by the comparison scripts under bench/."""
import subprocess
import sys
import time


def run(cmd):
    """Runs cmd; returns (stdout, wall seconds). Exits with the command's stderr if it fails."""
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed: {r.stderr}")
    return r.stdout, wall
