import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytest.importorskip("ray")

SPUN = (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")
ORIGINAL = (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")


# Ray resolves 127.0.0.1 to the machine's outward address unless it runs in single-machine mode; this
# variable (read when ray is imported) keeps the head, the second node and the driver on loopback.
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
CLUSTER = """
import sys
from ray.cluster_utils import Cluster
args = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False}
c = Cluster(initialize_head=True, head_node_args=args)
c.add_node(num_cpus=1, node_ip_address="127.0.0.1")
c.wait_for_nodes()
print(c.address, flush=True)
sys.stdin.read()  # until the test closes our standard input
c.shutdown()
"""


@pytest.fixture(scope="module")
def cluster():
    """A Ray head and a second node on loopback, one CPU each (two workers), in a process of their own."""
    env = {**os.environ, **LOOPBACK}
    proc = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    address = proc.stdout.readline().strip()
    assert address.startswith("127.0.0.1:"), address
    yield address
    proc.stdin.close()
    proc.wait(timeout=120)


def test_batch_on_a_two_node_ray_cluster_equals_the_local_run(cluster, tmp_path):
    src = tmp_path / "in.jsonl"
    paras = [p for p in (SPUN + "\n\n" + ORIGINAL).split("\n") if len(p.split()) > 8]
    rows = [{"id": i, "text": paras[i % len(paras)]} for i in range(40)] + [{"id": 40, "text": None}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **LOOPBACK}
    ray_out, local_out = tmp_path / "ray.jsonl", tmp_path / "local.jsonl"
    p_ray = p = subprocess.run([sys.executable, "-m", "unspin", "-v", "batch", str(src), str(ray_out), "--task",
                                "detect", "--engine", "ray", "--ray-address", cluster, "--workers", "2",
                                "--shard-rows", "16"], capture_output=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    assert b"41 documents" in p.stderr and b"missing-text: 1" in p.stderr
    p = subprocess.run([sys.executable, "-m", "unspin", "batch", str(src), str(local_out), "--task", "detect",
                        "--workers", "1"], capture_output=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr
    assert ray_out.read_bytes() == local_out.read_bytes()

    assert b"on 2 Ray nodes" in p_ray.stderr  # the map actors ran on both nodes
