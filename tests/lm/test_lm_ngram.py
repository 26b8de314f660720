import subprocess
import sys

import kenlm
import pytest

from unspin.errors import UnspinError
from unspin.lm import NgramLM


@pytest.fixture(scope="module")
def lm():
    return NgramLM.default()


def test_default_model_loads_without_reading_it_whole_in_a_fresh_process():
    # CPU time, not wall time: the machines are shared. Reading all 50 MB into memory would cost more than
    # the memory-mapped load does, and it would show in the process's resident memory.
    code = (
        "import re, time; t = time.process_time(); from unspin.lm import NgramLM; "
        "m = NgramLM.default(); m.score(['the']); "
        "print(time.process_time() - t, re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    cpu, peak_kb = out.stdout.split()  # VmHWM: this process's own peak (ru_maxrss outlives exec)
    assert float(cpu) < 1.0
    assert int(peak_kb) < 75_000  # about 35 MB of interpreter and modules; read whole, the model adds 50 MB


def test_default_model_is_order_4_or_more(lm):
    assert lm.order >= 3
    assert lm.path.name == "lm.bin"


def test_default_prefers_original_phrases(lm):
    assert lm.score("the white house said".split(), eos=False) > lm.score(
        "the white home said".split(), eos=False
    )
    assert lm.score("the stock market".split(), eos=False) > lm.score(
        "the inventory market".split(), eos=False
    )
    assert lm.score("in order to".split(), bos=False, eos=False) > lm.score(
        "so as to".split(), bos=False, eos=False
    )


def test_lm_forms_are_in_vocabulary(lm):
    assert lm.contains("the") and lm.contains(",") and lm.contains("0000") and lm.contains("don't")
    assert not lm.contains("The")
    assert not lm.contains("qwzxv")


def test_model_exposes_kenlm_states(lm):
    state, out = kenlm.State(), kenlm.State()
    lm.model.BeginSentenceWrite(state)
    first = lm.model.BaseScore(state, "the", out)
    assert -3 < first < 0
    assert lm.score(["the"], eos=False) == pytest.approx(first, abs=1e-4)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(UnspinError, match="E006"):
        NgramLM(tmp_path / "missing.bin")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a language model\n", b"mmap lm http://kheafield.com/code format version 5\0" + b"\0" * 64],
)
def test_corrupt_file_is_a_clear_error(tmp_path, content):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    lm = NgramLM(bad)  # loading is lazy: the error comes on first use
    with pytest.raises(UnspinError, match="E006"):
        lm.score(["the"])


def test_truncated_binary_is_a_clear_error(tmp_path, lm):
    bad = tmp_path / "cut.bin"
    bad.write_bytes(lm.path.read_bytes()[:100_000])
    with pytest.raises(UnspinError, match="E006"):
        NgramLM(bad).contains("the")
