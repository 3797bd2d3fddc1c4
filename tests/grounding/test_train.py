"""The training loop: a few steps on a tiny dataset, resume, resumable state, and 2-process gloo DDP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from grounding.errors import CheckpointError
from grounding.model import build_model, load_model
from grounding.model.checkpoint import CONFIG_FILE, WEIGHTS_FILE
from grounding.training import TrainConfig, train
from grounding.training.state import STATE_FILE, load_training_state, save_training_state
from grounding.training.trainer import LOG_FILE
from tests.grounding.test_train_data import TINY_MODEL, write_tiny_dataset

REPO = Path(__file__).resolve().parents[2]
TINY = {
    "model": TINY_MODEL,
    "epochs": 2,
    "pairs_per_step": 2,
    "queries_per_pair": 4,
    "warmup_steps": 1,
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny"))


def tiny_config(tmp: Path, **kw: object) -> TrainConfig:
    return TrainConfig.from_dict({**TINY, "cache_dir": str(tmp / "cache"), **kw})


def _log(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / LOG_FILE).read_text().splitlines()]


def test_train_writes_checkpoint_log_and_resumes(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "ckpt"
    first = train(tiny, out, tiny_config(tmp_path), progress=False)
    assert first.steps == 4  # 4 train groups / 2 per step = 2 steps per epoch, 2 epochs
    assert (out / WEIGHTS_FILE).is_file() and (out / CONFIG_FILE).is_file() and (out / STATE_FILE).is_file()
    assert first.best_val is not None and first.best_val.counts["refer"] > 0
    losses = [e for e in _log(out) if "total" in e]
    assert losses and all(set(e) >= {"grounding", "answer", "evidence", "contrastive"} for e in losses)
    model = load_model(out)
    assert model.answer_vocab and model.config.d_model == 16
    # resuming to 3 epochs runs only the third epoch
    again = train(tiny, out, tiny_config(tmp_path, epochs=3), progress=False)
    assert again.steps == 6
    assert [e["step"] for e in _log(out) if "total" in e][-1] == 6


def test_init_checkpoint_starts_from_its_weights_and_checks_the_vocabulary(tiny: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    train(tiny, base, tiny_config(tmp_path, epochs=1), progress=False)
    tuned = tmp_path / "tuned"
    # max_steps 0 and 0 epochs is not allowed; one step with no learning rate keeps the weights as loaded
    train(tiny, tuned, tiny_config(tmp_path, epochs=1, max_steps=1, lr=1e-12, init_checkpoint=str(base)),
          progress=False)
    a, b = load_model(base).state_dict(), load_model(tuned).state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    config = json.loads((base / CONFIG_FILE).read_text())
    config["answer_vocab"] = list(reversed(config["answer_vocab"]))
    (base / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="answer vocabulary"):
        train(tiny, tmp_path / "other", tiny_config(tmp_path, max_steps=1, init_checkpoint=str(base)), progress=False)


def test_training_state_round_trip(tiny: Path, tmp_path: Path) -> None:
    cfg = tiny_config(tmp_path)
    torch.manual_seed(0)
    model = build_model(cfg.model, ["a", "b"])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": params, "lr": 0.1, "base_lr": 0.1}])
    sum(p.sum() for p in params).backward()  # type: ignore[union-attr]
    opt.step()
    save_training_state(tmp_path / STATE_FILE, model, opt, {"epoch": 3, "step": 7})
    torch.manual_seed(1)
    fresh = build_model(cfg.model, ["a", "b"], text_encoder=model.text_encoder)
    fresh_params = [p for p in fresh.parameters() if p.requires_grad]
    fresh_opt = torch.optim.AdamW([{"params": fresh_params, "lr": 0.5, "base_lr": 0.5}])
    counters = load_training_state(tmp_path / STATE_FILE, fresh, fresh_opt)
    assert counters == {"epoch": 3, "step": 7}
    assert fresh_opt.param_groups[0]["lr"] == 0.1
    for p, q in zip(params, fresh_params, strict=True):
        assert torch.equal(p, q)
        assert torch.equal(opt.state[p]["exp_avg_sq"], fresh_opt.state[q]["exp_avg_sq"])


def test_two_process_gloo_ddp(tiny: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump({**TINY, "epochs": 1, "pairs_per_step": 1, "cache_dir": str(tmp_path / "c")}))
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(port),
        "-m",
        "ros_nodes.cli.main",
        "train",
        "--data",
        str(tiny),
        "--out",
        str(out),
        "--config",
        str(cfg),
        "--no-progress",
    ]
    # A session of its own, so a hung run is killed with its worker processes, not only the launcher.
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr[-3000:]
    assert stdout.count("checkpoint:") == 1  # only rank 0 reports
    log = _log(out)
    # 4 train groups over 2 processes with 1 group per step each: 2 steps, both logged by rank 0 as world 2
    assert [e["world"] for e in log if "total" in e] == [2, 2]
    assert (out / WEIGHTS_FILE).is_file()
