"""Shared test fixtures: where the real third-party data lives, and a private ROS domain per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXTDATA = REPO.parent / "shared" / "extdata"


@pytest.fixture(scope="session")
def extdata() -> Path:
    """``../shared/extdata`` beside the checkout (read in place, never copied). See its SOURCES.md."""
    if not EXTDATA.is_dir():
        pytest.fail(f"real test data expected at {EXTDATA}, not found")
    return EXTDATA


@pytest.fixture(scope="session")
def ros_domain_id() -> int:
    """A ROS_DOMAIN_ID for this test process, so parallel runs on one machine do not hear each other."""
    domain = 1 + os.getpid() % 100
    os.environ["ROS_DOMAIN_ID"] = str(domain)
    return domain
