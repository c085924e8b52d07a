"""Lesson 07 with ``USE_PRETRAINED = True``: the ring AAE (section 4) and the label-informed AAE
(section 5) load the course's weights instead of training, and the whole solution notebook runs.

The PyTorch solution notebook runs in quick mode on a real kernel, with the flag's literal
flipped and a last cell that checks what the flag changed. The cells that read the flag are
shared by both tracks, and the Keras loader is checked against the numpy network in
test_pretrained.py; the Keras notebook is left out to keep the suite's time down (``TRACKS``).
With the flag at its default, False, the notebook tests run the notebooks as written.
"""

import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT
from lab_harness import use_pretrained

pytestmark = pytest.mark.slow

LESSON = ROOT / "notebooks" / "src" / "07_adversarial_autoencoder.py"

# appended after the last cell: what the flag changed, checked in the kernel
CHECK_LOADED = """
from aelab import pretrained
z = np.random.default_rng(0).normal(0, 3, (16, 2)).astype(np.float32)
for name, decode in (("aae_ring", decode_ring), ("aae_labelled", decode_labelled)):
    gap = np.abs(decode(z) - pretrained.numpy_model(name).decode(z)).max()
    assert gap < 1 / 255, (name, gap)   # the model the cell built holds the shipped weights
ring, roll = aae_histories["mixture of 10 Gaussians"], aae_histories["swiss roll"]
recorded = pretrained.training_history("aae_ring")
assert len(ring["val_energy"]) == 5 and ring["val_energy"] == recorded["val_energy"]   # full-mode record
assert len(roll["val_energy"]) == EPOCHS == 2   # the swiss roll was trained here, in quick mode
assert ring["batch_losses"].shape == recorded["batch_losses"].shape   # what the adversarial plot drew
assert len(history_labelled["val_energy"]) == 3
print("loaded")
"""


TRACKS = ["pytorch"]   # add "keras" to run its solution notebook the same way


@pytest.mark.parametrize("track", TRACKS)
def test_lesson07_solution_runs_with_the_pretrained_aaes(monkeypatch, track):
    sys.path.insert(0, str(ROOT / "tools"))
    import build_notebooks

    nb = build_notebooks.build(LESSON, track, "solution")
    use_pretrained(nb, "lesson 07")
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_LOADED))
    for name, value in {"AELAB_QUICK": "1", "AELAB_STRICT": "solutions", "AELAB_THREADS": "1",
                        "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}.items():
        monkeypatch.setenv(name, value)
    folder = ROOT / "notebooks" / track / "solutions"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    assert "loaded" in nb.cells[-1].outputs[0]["text"]
