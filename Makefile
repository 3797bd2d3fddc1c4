# ground3d: `make demo` runs the main job, `make test` the tests. Both set up .venv first when needed.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ground3d-installed
PKGS := perception pointnet grounding ros_nodes sim
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Tests that use rclpy pick their own ROS_DOMAIN_ID; this keeps a stray default one off the graph.
export ROS_DOMAIN_ID ?= 77
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint bench fuzz install apt clean-venv

demo: $(STAMP)
	$(VENV)/bin/ground3d demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check $(PKGS) tests bench
	$(VENV)/bin/mypy $(PKGS)

bench: $(STAMP)
	$(VENV)/bin/ground3d bench

fuzz: $(STAMP)
	GROUND3D_FUZZ_EXAMPLES=2000 $(PY) -m pytest -q -p no:cacheprovider -m fuzz tests

install: $(STAMP)

# open3d needs libusb at import time; install it only when it is absent.
apt:
	@dpkg -s libusb-1.0-0 >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libusb-1.0-0; }

$(STAMP): pyproject.toml | apt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[ros,dev]'
	@touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
