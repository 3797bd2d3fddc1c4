"""The soak run: sim frames streamed through the same sessions the nodes use, a query every 10 frames.

``run_soak(n)`` renders ``n`` RGB-D frames of a looping sim walk (small 160x120 images), feeds each as
messages through ``PerceptionSession`` (fuse, proposals, stable ids) and hands every scene update to a
``GroundingSession`` (the engine of grounding_node), asking a query or a question every 10th frame. It
records resident memory (RSS) and the object count along the way.

    .venv/bin/python -m tests.reliability.soak     # 2000 frames; prints one JSON report
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

QUERIES = ["the red mug", "the chair next to the table", "the biggest box", "how many chairs are there?",
           "is there a lamp?", "what color is the table?", "the object left of the sofa", "a plant"]
QUERY_EVERY = 10
DEFAULT_FRAMES = 2000
"""Frames of the soak (issue 9); GROUND3D_SOAK_FRAMES overrides it for a quick local run."""


@dataclass
class SoakReport:
    frames: int
    warmup_frames: int
    queries: int = 0
    query_errors: list[str] = field(default_factory=list)
    frame_errors: list[str] = field(default_factory=list)
    scene_updates: int = 0
    rss_mb: list[float] = field(default_factory=list)
    """RSS sampled every 10 frames, MiB."""
    objects: list[int] = field(default_factory=list)
    """Proposal count sampled every 10 frames."""
    tracks: list[int] = field(default_factory=list)
    """Tracker tracks sampled every 10 frames."""
    tracks_created: int = 0
    """Tracks the tracker started over the run; those not alive at the end were aged out."""
    map_points: list[int] = field(default_factory=list)
    """Fused map size sampled every 10 frames."""
    max_tracks: int = 0
    wall_s: float = 0.0

    @property
    def rss_after_warmup_mb(self) -> float:
        """Median RSS over the first quarter of the samples after warm-up."""
        return float(statistics.median(self._after_warmup()[: self._quarter()]))

    @property
    def rss_end_mb(self) -> float:
        """Median RSS over the last quarter of the samples."""
        return float(statistics.median(self._after_warmup()[-self._quarter():]))

    @property
    def rss_growth(self) -> float:
        """Relative RSS growth after warm-up: the last quarter's median against the first quarter's. Medians
        of many samples, so one sample taken while a large scene was in flight does not decide it either way;
        a leak still shows, as a rise from the first quarter to the last."""
        return (self.rss_end_mb - self.rss_after_warmup_mb) / self.rss_after_warmup_mb

    def _after_warmup(self) -> list[float]:
        return self.rss_mb[self.warmup_frames // QUERY_EVERY:]

    def _quarter(self) -> int:
        return max(1, len(self._after_warmup()) // 4)


def run_soak(num_frames: int, workdir: Path, proposal_every: int = 20, progress: bool = False) -> SoakReport:
    from grounding.model import save_model
    from grounding.model.checkpoint import default_checkpoint_dir
    from ros_nodes.query_request import Request
    from ros_nodes.scene_session import (
        GroundingSession,
        GroundingSessionConfig,
        PerceptionSession,
        PerceptionSessionConfig,
    )
    from ros_nodes.sim_stream import TOPICS, SimStream, SimStreamConfig
    from tests.grounding._engine_scene import tiny_model

    # The shipped checkpoint is used when it exists; otherwise a small untrained model of the same class,
    # since what is measured here is memory, not accuracy.
    ckpt = default_checkpoint_dir()
    if not (ckpt / "model.safetensors").is_file():
        ckpt = save_model(tiny_model(), workdir / "ckpt")
    stream = SimStream(SimStreamConfig(width=160, height=120, lidar=False, num_frames=40))
    perception = PerceptionSession(PerceptionSessionConfig(
        input_mode="rgbd", update_period_s=0.0, fusion_voxel_size=0.05, proposal_every=proposal_every))
    perception.load()
    grounding = GroundingSession(GroundingSessionConfig(checkpoint=str(ckpt)))
    grounding.load()
    process = psutil.Process()
    report = SoakReport(frames=num_frames, warmup_frames=max(num_frames // 4, 2 * proposal_every))
    report.max_tracks = perception._perception.tracker.config.max_tracks
    start = time.perf_counter()
    for k in range(num_frames):
        msgs = dict(stream.messages(k))
        try:
            perception.add_odometry(msgs[TOPICS["odom"]])
            update = perception.add_rgbd(msgs[TOPICS["color"]], msgs[TOPICS["depth"]], msgs[TOPICS["camera_info"]])
        except ValueError as err:  # what a node would count and log
            report.frame_errors.append(f"frame {k}: {type(err).__name__}: {err}")
            update = None
        if update is not None:
            report.scene_updates += 1
            grounding.set_proposals(update.proposals, update.version, update.T_world_sensor)
        if k % QUERY_EVERY == QUERY_EVERY - 1:
            text = QUERIES[(k // QUERY_EVERY) % len(QUERIES)]
            kind = "ask" if text.endswith("?") else "ground"
            result = grounding.handle(Request(f"q{k}", text, kind))
            report.queries += 1
            if result["status"] == "error":
                report.query_errors.append(f"{text}: {result['error']}")
        if k % QUERY_EVERY == 0:
            del msgs
            gc.collect()
            report.rss_mb.append(process.memory_info().rss / 2**20)
            report.objects.append(len(perception.proposals))
            report.tracks.append(len(perception._perception.tracker.tracks))
            report.map_points.append(perception._perception.map.num_voxels)
            if progress and k % 100 == 0:
                print(f"frame {k}: rss {report.rss_mb[-1]:.1f} MiB, objects {report.objects[-1]}, tracks "
                      f"{report.tracks[-1]}, map {report.map_points[-1]}, {time.perf_counter() - start:.0f} s",
                      file=sys.stderr, flush=True)
    report.wall_s = time.perf_counter() - start
    report.tracks_created = perception._perception.tracker.num_created
    return report


def frames_from_env() -> int:
    return int(os.environ.get("GROUND3D_SOAK_FRAMES", str(DEFAULT_FRAMES)))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        rep = run_soak(frames_from_env(), Path(tmp), progress=True)
    out = asdict(rep)
    out.update(rss_after_warmup_mb=round(rep.rss_after_warmup_mb, 1), rss_end_mb=round(rep.rss_end_mb, 1),
               rss_growth_percent=round(100 * rep.rss_growth, 2),
               rss_max_mb=round(max(rep.rss_mb), 1), objects_max=max(rep.objects), tracks_max=max(rep.tracks))
    for key in ("rss_mb",):
        out[key] = [round(v, 1) for v in out[key]]
    print(json.dumps(out))
