"""The launch files and the params file: structure, executables = console scripts, parameter paths."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
import yaml

from ros_nodes.grounding_node import GroundingNode
from ros_nodes.params import ParamSpec, load_params_file, resolve_params
from ros_nodes.perception_node import PerceptionNode
from ros_nodes.sim_node import SimNode

REPO = Path(__file__).resolve().parents[2]
NODE_CLASSES = {"perception_node": PerceptionNode, "grounding_node": GroundingNode, "sim_node": SimNode}


def console_scripts() -> dict[str, str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def test_yaml_launch_starts_each_console_script_with_the_params_file() -> None:
    data = yaml.safe_load((REPO / "launch" / "ground3d.launch.yaml").read_text())
    items = data["launch"]
    args = {a["arg"]["name"]: a["arg"] for a in items if "arg" in a}
    assert args["params_file"]["default"] == "$(find-pkg-share ground3d)/config/ground3d.yaml"
    nodes = [i["node"] for i in items if "node" in i]
    scripts = console_scripts()
    assert sorted(n["exec"] for n in nodes) == ["grounding_node", "perception_node", "sim_node"]
    for node in nodes:
        assert node["pkg"] == "ground3d"
        assert scripts[node["exec"]] == f"ros_nodes.entry:{node['exec']}"
        assert node["param"] == [{"from": "$(var params_file)"}]
        assert node["name"] == node["exec"]


def test_params_file_is_installed_where_the_launch_file_looks() -> None:
    data_files = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert "config/ground3d.yaml" in data_files["share/ground3d/config"]
    assert "launch/ground3d.launch.yaml" in data_files["share/ground3d/launch"]
    assert "launch/ground3d.launch.py" in data_files["share/ground3d/launch"]


def test_python_launch_file_parses_and_names_the_same_executables() -> None:
    tree = ast.parse((REPO / "launch" / "ground3d.launch.py").read_text())
    funcs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert "generate_launch_description" in funcs
    executables = {
        kw.value.value
        for call in ast.walk(tree) if isinstance(call, ast.Call)
        for kw in call.keywords if kw.arg == "executable" and isinstance(kw.value, ast.Constant)
    }
    assert executables == {"perception_node", "grounding_node", "sim_node"}


@pytest.mark.parametrize("name", sorted(NODE_CLASSES))
def test_config_sections_match_the_declared_parameters(name: str) -> None:
    from ros_nodes.node_base import COMMON_PARAMS

    specs = [*COMMON_PARAMS, *NODE_CLASSES[name].PARAMS]
    values = resolve_params(specs, load_params_file(REPO / "config" / "ground3d.yaml", name))
    assert values["autostart"] is True
    assert set(values) == {s.name for s in specs}


def test_every_parameter_has_a_description_and_numeric_ones_a_range() -> None:
    for cls in NODE_CLASSES.values():
        for spec in cls.PARAMS:
            assert spec.description
            if isinstance(spec.default, int | float) and not isinstance(spec.default, bool):
                assert spec.low is not None and spec.high is not None, spec.name


def test_param_spec_checks_type_and_range() -> None:
    from ros_nodes.errors import ConfigError

    spec = ParamSpec("rate", 1.0, "speed", 0.1, 10.0)
    assert spec.check(2) == 2.0
    with pytest.raises(ConfigError, match="rate"):
        spec.check(50.0)
    with pytest.raises(ConfigError, match="rate"):
        spec.check("fast")
    with pytest.raises(ConfigError, match="mode"):
        ParamSpec("mode", "a", "m", choices=("a", "b")).check("c")
    with pytest.raises(ConfigError, match="unknown"):
        resolve_params([spec], {"speed": 1.0})
