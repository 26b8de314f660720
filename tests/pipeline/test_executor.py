import json
import os
import random
import signal
import subprocess
import sys
import time

from conftest import run_cli

WORDS = ("the council said on monday that its plan for the river bridge would cost more than expected and "
         "residents asked why the work had stopped twice since the spring").split()


def _corpus(path, n=1200):
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            if i % 97 == 5:
                f.write(json.dumps({"id": i, "text": 12}) + "\n")  # a bad row, reported in place
                continue
            paras = ["\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."
                               for _ in range(rng.randint(2, 6)))]
            text = "Home | News | Sport | Contact\n\n" + "\n\n".join(paras) + "\n\nShare this article\nPrint"
            f.write(json.dumps({"id": i, "text": text}) + "\n")


def _cmd(src, out, *extra):
    return [sys.executable, "-m", "unspin", "batch", str(src), str(out), "--task", "clean", "--workers", "2",
            "--shard-rows", "61", "--progress", "off", *extra]


def _start(cmd):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)


def _kill_at(cmd, seconds):
    """Run `cmd`, SIGKILL the batch process after `seconds`; True if it was still running then."""
    proc = _start(cmd)
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return True
    finally:
        try:  # the pool workers die with their parent (PR_SET_PDEATHSIG); this only reaps stragglers
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.stderr.close()


def test_sigkill_at_20_random_points_then_rerun_gives_identical_output(tmp_path):
    src = tmp_path / "in.jsonl"
    _corpus(src)
    ref = tmp_path / "ref.jsonl.gz"
    t0 = time.perf_counter()
    first = _start(_cmd(src, ref))
    assert first.wait(timeout=300) == 0, first.stderr.read()
    first.stderr.close()
    full = time.perf_counter() - t0
    expected = ref.read_bytes()

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    interrupted = resumed = 0
    for k in range(20):
        out = tmp_path / f"out{k}.jsonl.gz"
        cmd = _cmd(src, out)
        interrupted += _kill_at(cmd, rng.uniform(0.0, full))
        if k % 4 == 3:  # now and then the resumed run is killed too
            interrupted += _kill_at(cmd, rng.uniform(0.0, full / 2))
        p = subprocess.run(cmd, capture_output=True, timeout=300)
        assert p.returncode == 0, (seed, k, p.stderr)
        resumed += b"done by an earlier run" in p.stderr
        assert out.read_bytes() == expected, f"kill point {k} (seed {seed}) changed the output"
        assert not (tmp_path / f"out{k}.jsonl.gz.parts").exists()
        out.unlink()
    assert interrupted >= 15, (seed, interrupted)  # the kills really landed while the run was going on
    assert resumed >= 5, (seed, resumed)  # and the reruns reused completed shards


def test_a_rerun_with_other_options_refuses_the_old_parts(tmp_path):
    src = tmp_path / "in.jsonl"
    _corpus(src, 3000)
    out = tmp_path / "out.jsonl"
    parts = tmp_path / "out.jsonl.parts"
    proc = _start(_cmd(src, out))
    for _ in range(400):
        if parts.exists() and any(n.endswith(".done") for n in os.listdir(parts)):
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert parts.exists()
    p = run_cli("batch", str(src), str(out), "--task", "clean", "--workers", "1", "--shard-rows", "50")
    assert p.returncode == 2 and b"E071" in p.stderr
    p = run_cli(*_cmd(src, out)[3:])
    assert p.returncode == 0, p.stderr
    assert len(out.read_text().splitlines()) == 3000 and not parts.exists()
