"""``python -m bench.profile_extraction`` runs a short drive, or one bench frame, and reports every step of the
chain."""

from __future__ import annotations

import pytest

from bench.profile_extraction import FRAME_STEPS, STEPS, main


def test_a_short_drive_reports_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--seconds", "3"])
    out = capsys.readouterr().out
    assert "extractions" in out
    rows = {line[:44].strip(): line[44:].split() for line in out.splitlines()[2:]}
    assert set(rows) == {label.strip() for label, _, _ in STEPS}
    assert float(rows["whole extraction"][0]) > 0  # the steps were found in the profile by their names
    assert float(rows["clustering and proposal rules"][0]) > 0
    assert float(rows["neighbour pairs (cKDTree)"][0]) > 0


def test_a_frame_reports_each_step_of_its_extraction(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--frame", "lidar", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "LiDAR scan" in out and "1 extractions" in out
    rows = {line[:44].strip(): line[44:].split() for line in out.splitlines()[2:]}
    assert set(rows) == {label.strip() for label, _, _ in FRAME_STEPS}
    assert all(float(rows[label.strip()][0]) > 0 for label, _, _ in FRAME_STEPS if "colour split" not in label)
