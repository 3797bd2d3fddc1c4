"""``python -m bench.profile_extraction`` runs a short drive and reports every step of the chain."""

from __future__ import annotations

import pytest

from bench.profile_extraction import STEPS, main


def test_a_short_drive_reports_each_step(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--seconds", "3"])
    out = capsys.readouterr().out
    assert "extractions" in out
    rows = {line[:44].strip(): line[44:].split() for line in out.splitlines()[2:]}
    assert set(rows) == {label.strip() for label, _, _ in STEPS}
    assert float(rows["whole extraction"][0]) > 0  # the steps were found in the profile by their names
    assert float(rows["clustering and proposal rules"][0]) > 0
    assert float(rows["neighbour pairs (cKDTree)"][0]) > 0
