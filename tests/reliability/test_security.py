"""Security: nothing in the five packages unpickles, evals or execs; a crafted pickle is refused by every
weights loader and never runs; output paths cannot escape the folder the user chose.

The scan reads the syntax tree, so a call split over lines or aliased (``import pickle as p``) is still found.
"""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("perception", "pointnet", "grounding", "ros_nodes", "sim")
BANNED_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
UNSAFE_YAML = {"unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all"}
LOADERS_WITHOUT_WEIGHTS = ("Tokenizer", "Config", "Processor")


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def unsafe_calls(source: str, filename: str = "<src>") -> list[str]:
    """Every unsafe deserialisation or code execution in ``source``, as ``file:line: what``."""
    tree = ast.parse(source, filename)
    aliases: dict[str, str] = {}  # local name -> module, for `import pickle as p` and `from yaml import load`
    found: list[str] = []

    def hit(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name] = a.name
                if a.name.split(".")[0] in BANNED_MODULES:
                    hit(node, f"import {a.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in BANNED_MODULES:
                hit(node, f"from {node.module} import ...")
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):
            full = aliases.get(f.id, f.id)
        elif isinstance(f, ast.Attribute):
            base = f.value
            owner = aliases.get(base.id, base.id) if isinstance(base, ast.Name) else ast.unparse(base)
            full = f"{owner}.{f.attr}"
        else:
            continue
        if full in ("eval", "exec", "builtins.eval", "builtins.exec", "compile", "__import__"):
            hit(node, f"{full}(...)")
        elif full == "torch.load" and not _is_true(_keyword(node, "weights_only")):
            hit(node, "torch.load without weights_only=True")
        elif full.startswith("yaml.") and full.split(".")[-1] in UNSAFE_YAML:
            hit(node, full)
        elif full in ("yaml.load", "yaml.load_all"):
            loader = _keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or "Safe" not in ast.unparse(loader):
                hit(node, "yaml.load without SafeLoader")
        elif _is_true(_keyword(node, "allow_pickle")):
            hit(node, "allow_pickle=True")
        elif (full.endswith(".from_pretrained") and not any(w in full for w in LOADERS_WITHOUT_WEIGHTS)
              and not _is_true(_keyword(node, "use_safetensors"))):
            hit(node, f"{full} without use_safetensors=True (would torch.load a .bin)")
    return found


def test_scanner_finds_each_pattern() -> None:
    bad = (
        "import pickle as p\nimport torch, yaml, numpy as np\nfrom transformers import AutoModel\n"
        "p.loads(b'')\ntorch.load('x')\ntorch.load('x', weights_only=False)\neval('1')\nexec('x=1')\n"
        "np.load('a.npy', allow_pickle=True)\nyaml.load(s)\nyaml.load(s, Loader=yaml.Loader)\n"
        "yaml.unsafe_load(s)\nAutoModel.from_pretrained('d')\n"
    )
    found = unsafe_calls(bad)
    for what in ("import pickle", "torch.load without", "eval(", "exec(", "allow_pickle=True",
                 "yaml.load without SafeLoader", "yaml.unsafe_load", "from_pretrained without"):
        assert any(what in line for line in found), (what, found)
    assert sum("torch.load without" in line for line in found) == 2
    assert sum("yaml.load without" in line for line in found) == 2
    good = (
        "import torch, yaml, numpy as np\nmodel.eval()\ntorch.load('x', weights_only=True)\n"
        "yaml.safe_load(s)\nyaml.load(s, Loader=yaml.SafeLoader)\nnp.load('a', allow_pickle=False)\n"
        "AutoTokenizer.from_pretrained('d')\nAutoModel.from_pretrained('d', use_safetensors=True)\n"
    )
    assert unsafe_calls(good) == []


def test_packages_never_unpickle_eval_or_exec() -> None:
    found: list[str] = []
    files = [p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))]
    assert len(files) > 50  # the scan really read the packages
    for path in files:
        found += unsafe_calls(path.read_text(), str(path.relative_to(REPO)))
    assert found == []


# --- a crafted pickle ------------------------------------------------------------------------------------------
class _Payload:
    """Unpickling this runs a shell command that creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def crafted_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps({"weight": _Payload(marker)}))
    return path


def test_the_crafted_pickle_is_live(tmp_path: Path) -> None:
    """Guards the tests below: unpickled (here, in a child process), the file does create the marker."""
    marker = tmp_path / "proof"
    evil = crafted_pickle(tmp_path / "evil.pkl", marker)
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.loads(open({str(evil)!r}, 'rb').read())"],
                   check=True, timeout=60)
    assert marker.exists()


def test_grounding_checkpoint_with_a_pickle_payload_is_refused(tmp_path: Path) -> None:
    from grounding.engine.engine import resolve_checkpoint
    from grounding.errors import CheckpointError
    from grounding.model.checkpoint import load_weights
    from grounding.training.state import load_training_state

    marker = tmp_path / "PWNED"
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    crafted_pickle(ckpt / "model.safetensors", marker)  # a pickle under a safetensors name
    with pytest.raises(CheckpointError, match=r"not a readable safetensors file"):
        load_weights(ckpt / "model.safetensors")
    pt = crafted_pickle(tmp_path / "model.pt", marker)
    with pytest.raises(CheckpointError, match=r"expected a checkpoint folder or its \.safetensors file, got .*\.pt"):
        resolve_checkpoint(pt)
    with pytest.raises(CheckpointError, match=r"not a readable safetensors file"):
        load_training_state(ckpt / "model.safetensors", None, None)  # type: ignore[arg-type]  # refused first
    assert not marker.exists()


def test_pointnet_checkpoint_with_a_pickle_payload_is_refused(tmp_path: Path) -> None:
    from pointnet.checkpoint import load_encoder, read_weights
    from pointnet.errors import CheckpointError

    marker = tmp_path / "PWNED"
    evil = crafted_pickle(tmp_path / "weights.safetensors", marker)
    with pytest.raises(CheckpointError, match=r"not a complete safetensors file"):
        read_weights(evil)
    enc = tmp_path / "enc"
    enc.mkdir()
    (enc / "encoder.json").write_text("{}")
    for name in ("weights.safetensors", "model.safetensors", "encoder.safetensors", "model.pt"):
        crafted_pickle(enc / name, marker)
    with pytest.raises(CheckpointError):
        load_encoder(enc)
    assert not marker.exists()


def test_text_model_directory_with_only_a_pickled_bin_is_refused(tmp_path: Path) -> None:
    from grounding.errors import TextModelError
    from grounding.text.encoder import TextEncoder, TextEncoderConfig, default_text_model_dir

    marker = tmp_path / "PWNED"
    model_dir = tmp_path / "text_model"
    shutil.copytree(default_text_model_dir(), model_dir, ignore=shutil.ignore_patterns("*.safetensors"))
    crafted_pickle(model_dir / "pytorch_model.bin", marker)
    with pytest.raises(TextModelError, match="could not load"):
        TextEncoder(TextEncoderConfig(model_dir=str(model_dir)))
    assert not marker.exists()


# --- output paths ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("out", ["../escaped", "/tmp/ground3d-escaped-abs", "a/../../escaped", "."])
def test_replay_out_cannot_leave_out_dir(tmp_path: Path, out: str) -> None:
    from ros_nodes.cli.main import main

    out_dir = tmp_path / "outputs"
    out_dir.mkdir()
    bag = tmp_path / "in.mcap"
    bag.write_bytes(b"not read: the output path is refused first")
    before = set(tmp_path.parent.iterdir())
    code = main(["replay", str(bag), "--out", out, "--out-dir", str(out_dir), "--no-progress"])
    assert code == 2
    assert set(tmp_path.parent.iterdir()) == before
    assert not Path("/tmp/ground3d-escaped-abs").exists()
    assert list(out_dir.iterdir()) == []


def test_replay_out_through_a_symlink_cannot_escape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ros_nodes.cli.main import main

    out_dir, outside = tmp_path / "outputs", tmp_path / "outside"
    out_dir.mkdir()
    outside.mkdir()
    (out_dir / "link").symlink_to(outside, target_is_directory=True)
    code = main(["replay", str(tmp_path / "in.mcap"), "--out", "link/res", "--out-dir", str(out_dir)])
    assert code == 2
    assert "expected a path inside" in capsys.readouterr().err
    assert list(outside.iterdir()) == []


def test_request_ids_and_view_names_from_messages_never_become_paths() -> None:
    """A request id or view name is echoed in JSON only; no module builds a filesystem path from it."""
    from ros_nodes.query_request import dumps, error_result, parse_request

    req = parse_request(json.dumps({"id": "../../etc/passwd", "text": "x", "view": "../../secret"}), "ground", "f")
    assert req.request_id == "../../etc/passwd" and req.view == "../../secret"
    assert json.loads(dumps(error_result(req.request_id, "ground", "r")))["request_id"] == "../../etc/passwd"
    # Where ros_nodes opens or creates files, the path comes from the command line, never from a message.
    writers = [f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)[:100]}"
               for path in sorted((REPO / "ros_nodes").rglob("*.py"))
               for node in ast.walk(ast.parse(path.read_text())) if _writes_a_file(node)]
    assert writers, "the scan found no file writer at all"
    assert not [w for w in writers if any(s in w for s in ("msg", "request", "result[", "item."))], writers


def _writes_a_file(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Attribute) and f.attr in ("write_text", "write_bytes", "mkdir", "savefig", "open")) or (
        isinstance(f, ast.Name) and f.id in ("open", "bag_writer"))
