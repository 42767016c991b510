"""Each child of the stack gets CANDOR_COMPUTE_THREADS inference threads, and MiniLM keeps to them."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit


def test_every_child_is_told_its_thread_count():
    from candor.settings import Settings
    from candor.supervisor import THREAD_VARS, child_env

    env = child_env(Settings(compute_threads=3))
    assert {var: env[var] for var in THREAD_VARS} == dict.fromkeys(THREAD_VARS, "3")


@pytest.mark.parametrize("given", ["1", "3"])
def test_the_embedding_model_uses_the_threads_it_was_given(given):
    """load_model once pinned torch to two threads whatever the environment said."""
    script = "import torch; from knowledge.embedder import load_model; load_model(); print(torch.get_num_threads())"
    run = subprocess.run([sys.executable, "-c", script], env={**os.environ, "OMP_NUM_THREADS": given},
                         capture_output=True, text=True, timeout=300, check=True)
    assert run.stdout.split()[-1] == given
