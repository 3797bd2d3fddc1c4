"""Shim for colcon's ament_python build, which runs setup.py. Everything is declared in pyproject.toml."""

from setuptools import setup

setup()
