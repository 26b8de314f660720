import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def engine():
    from unspin import Engine

    return Engine()


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed CLI the way a user does, in a fresh process."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "unspin", *args], input=stdin, capture_output=True,
                          timeout=timeout, env=env)
