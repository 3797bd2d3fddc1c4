"""The entry points run numpy's OpenBLAS on one thread unless the user chose otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ros_nodes import entry
from ros_nodes.blas_threads import VARIABLE, default_blas_threads

_NUMPY_BLAS_THREADS = (
    "import json, numpy, threadpoolctl; "
    "print(json.dumps([i['num_threads'] for i in threadpoolctl.threadpool_info() if 'numpy' in i['filepath']]))"
)


def _run(code: str, **env: str) -> str:
    # OpenBLAS also reads these two when its own variable is unset.
    base = {k: v for k, v in os.environ.items() if k not in (VARIABLE, "OMP_NUM_THREADS", "GOTO_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_numpy_loads_with_one_blas_thread_after_the_call() -> None:
    code = f"from ros_nodes.blas_threads import default_blas_threads; assert default_blas_threads(); " \
           f"{_NUMPY_BLAS_THREADS}"
    assert json.loads(_run(code)) == [1]
    if len(os.sched_getaffinity(0)) > 1:  # without the call, numpy's OpenBLAS takes more: the check means something
        assert json.loads(_run(_NUMPY_BLAS_THREADS))[0] > 1


def test_the_users_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "4")
    default_blas_threads()
    assert os.environ[VARIABLE] == "4"


def test_too_late_once_numpy_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy  # noqa: F401  (loaded here before the call, as in a process that imported it first)

    monkeypatch.delenv(VARIABLE, raising=False)
    assert not default_blas_threads()
    assert os.environ[VARIABLE] == "1"  # for the child processes


def test_the_ground3d_command_sets_it_before_numpy_loads() -> None:
    code = ("import sys\nfrom ros_nodes.cli.main import main\ntry:\n    main(['replay', '--help'])\n"
            "except SystemExit:\n    pass\nimport os\nprint(os.environ['" + VARIABLE + "'], 'numpy' in sys.modules)")
    assert _run(code) == "1 False"


@pytest.mark.parametrize("node", ["perception_node", "grounding_node", "sim_node"])
def test_each_node_entry_point_sets_it(node: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    monkeypatch.setattr(entry, "run_nodes", lambda factories: 0)
    with pytest.raises(SystemExit):
        getattr(entry, node)()
    assert os.environ[VARIABLE] == "1"
