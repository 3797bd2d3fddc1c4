"""One torch thread for these tests: on the shared 2-core machine extra OpenMP threads spin and run
10x slower. Tests that need several threads (the spconv race check) set them themselves."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
