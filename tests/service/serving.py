"""Helpers for the service tests: a real `unspin serve` process on a loopback port."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
GOLD = ROOT / "src" / "unspin" / "bench" / "gold"
EXAMPLE = (ROOT / "src" / "unspin" / "data" / "example_spun.txt").read_text(encoding="utf-8")


def random_text(words: int, seed: int = 0) -> str:
    """Words of the gold news texts in random order: every context new, so restoring it takes real work."""
    import random

    vocab = " ".join(p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("news-*.txt"))).split()
    rng = random.Random(seed)
    return " ".join(rng.choice(vocab) for _ in range(words))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Server:
    """`unspin serve` in its own process on a free loopback port, its stderr (the access log) in a file."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        self._err = open(self.log, "wb")
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        self.proc = subprocess.Popen([sys.executable, "-m", "unspin", "serve", "--port", str(self.port), *args],
                                     stdout=subprocess.DEVNULL, stderr=self._err, env=env)
        self.wait_ready()

    def wait_ready(self, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"unspin serve exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                r = httpx.get(self.url + "/healthz", timeout=2)
                if r.status_code == 200 and r.json()["workers"] > 0:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"unspin serve not ready after {timeout} s")

    def worker_pids(self) -> list[int]:
        pids = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        # The engine workers, not multiprocessing's resource tracker.
        return [p for p in pids if b"spawn_main" in _cmdline(p)]

    def access_log(self) -> list[dict]:
        out = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
