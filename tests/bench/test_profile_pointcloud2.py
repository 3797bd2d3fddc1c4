"""``python -m bench.profile_pointcloud2`` times every step of the writer on both bench clouds."""

from __future__ import annotations

import pytest

from bench.profile_pointcloud2 import main


def test_each_cloud_reports_every_step_against_memcpy(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--repeats", "1"])
    out = capsys.readouterr().out
    assert out.count("memcpy of the") == 2  # one heading per cloud
    rows = [line for line in out.splitlines() if "memcpy of the" not in line and not line.startswith("step")]
    steps = {line[:40].strip(): line[40:].split() for line in rows}
    assert {"x, y, z", "rgb word", "intensity", "ring", "whole cloud_to_pointcloud2"} <= set(steps)
    assert all(float(ms) > 0 and float(ratio) > 0 for ms, ratio in steps.values())
