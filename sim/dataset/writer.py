"""Writes datasets in format version 1 (see DESIGN.md): scenes, views, refer.json and qa.json."""

from __future__ import annotations

import json
import multiprocessing as mp
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.dataset.io import as_written, instance_image, write_json, write_npz, write_png
from sim.dataset.language_hook import language_generators
from sim.dataset.splits import SPLITS, plan_splits
from sim.errors import SimConfigError, SimError
from sim.scene.categories import CATEGORY_NAMES
from sim.scene.colors import COLOR_NAMES
from sim.scene.scene import Scene, SceneConfig, generate_scene
from sim.scene_object import SceneObject, ViewPose
from sim.sensors.camera import RGBDCamera, RGBDCameraConfig
from sim.sensors.raycaster import SceneRaycaster
from sim.sensors.trajectory import TrajectoryConfig, look_at_pose, walk_trajectory

FORMAT = "ground3d-dataset"
VERSION = 1


@dataclass
class DatasetConfig:
    """What ``write_dataset`` generates."""

    scenes: int = 10
    """Number of scenes."""
    seed: int = 0
    """Master seed; scene i uses a seed derived from (seed, i), so scenes do not depend on worker count."""
    views: int = 0
    """RGB-D views per scene, along a walked trajectory."""
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    """Fractions of scenes in train, val and test."""
    held_out_pairs: int = 4
    """Colour-category pairs that appear only in val and test scenes."""
    workers: int = 1
    """Worker processes (1 writes in this process)."""
    with_language: bool = True
    """Write refer.json and qa.json through ``sim.language`` (empty lists when that package is absent)."""
    scene: SceneConfig = field(default_factory=SceneConfig)
    """Scene generation (its forbidden and required pairs are set per split)."""
    camera: RGBDCameraConfig = field(default_factory=RGBDCameraConfig)
    """Camera of the views."""
    trajectory: TrajectoryConfig = field(default_factory=TrajectoryConfig)
    """Walk along which views are taken."""

    def __post_init__(self) -> None:
        if self.scenes < 1:
            raise SimConfigError(f"DatasetConfig.scenes: expected >= 1, got {self.scenes}")
        if self.views < 0:
            raise SimConfigError(f"DatasetConfig.views: expected >= 0, got {self.views}")
        fr = self.split_fractions
        if len(fr) != 3 or min(fr) < 0 or abs(sum(fr) - 1.0) > 1e-6:
            raise SimConfigError(f"DatasetConfig.split_fractions: expected 3 fractions >= 0 summing to 1, got {fr}")
        if self.held_out_pairs < 0:
            raise SimConfigError(f"DatasetConfig.held_out_pairs: expected >= 0, got {self.held_out_pairs}")
        if self.workers < 1:
            raise SimConfigError(f"DatasetConfig.workers: expected >= 1, got {self.workers}")


@dataclass
class SceneJob:
    """Everything one worker needs to write one scene."""

    index: int
    scene_id: str
    split: str
    config: DatasetConfig
    forbidden: frozenset[tuple[str, str]]
    required: tuple[tuple[str, str], ...]


@dataclass
class SceneResult:
    """What a worker returns: the scene's language records."""

    scene_id: str
    refer: list[dict[str, Any]]
    qa: list[dict[str, Any]]


def scene_seed(seed: int, index: int) -> int:
    """The generation seed of scene ``index`` of a dataset with master ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def scene_config_for(job: SceneJob) -> SceneConfig:
    """The job's scene config with its split's forbidden and required pairs."""
    base = job.config.scene
    return SceneConfig(
        min_objects=base.min_objects, max_objects=base.max_objects, room_size_m=base.room_size_m,
        wall_probability=base.wall_probability, points_per_scene=base.points_per_scene,
        background_weight=base.background_weight, forbidden_pairs=job.forbidden, required_pairs=job.required,
    )


def scene_views(scene: Scene, n_views: int, seed: int, trajectory: TrajectoryConfig) -> dict[str, ViewPose]:
    """``n_views`` named view poses (``view000``, ...) along a walk through ``scene``."""
    if n_views == 0:
        return {}
    poses = walk_trajectory(scene, n_views, np.random.default_rng([seed, 2]), trajectory)
    return {f"view{i:03d}": p for i, p in enumerate(poses)}


def write_scene(root: Path, job: SceneJob) -> SceneResult:
    """Generate scene ``job.index`` and write ``scenes/ID/`` (scene.npz, objects.json, views/)."""
    cfg = job.config
    seed = scene_seed(cfg.seed, job.index)
    scene = generate_scene(scene_config_for(job), seed, job.scene_id)
    folder = root / "scenes" / job.scene_id
    folder.mkdir(parents=True, exist_ok=True)
    pts = scene.sample_points(cfg.scene.points_per_scene, np.random.default_rng([seed, 1]),
                              cfg.scene.background_weight)
    write_npz(folder / "scene.npz", points=pts.points, colors=pts.colors, instance=pts.instance)
    write_json(folder / "objects.json", [o.to_json() for o in scene.objects])
    # Language sees the objects and views exactly as the files hold them, so ``write_language`` on a
    # written dataset gives the same records as writing it in one go.
    objects = [SceneObject.from_json(as_written(o.to_json())) for o in scene.objects]
    views = scene_views(scene, cfg.views, seed, cfg.trajectory)
    if views:
        camera = RGBDCamera(cfg.camera)
        raycaster = SceneRaycaster(scene.mesh)
        noise_rng = np.random.default_rng([seed, 3])
        for name, pose in views.items():
            T = look_at_pose(pose.position, pose.look_at)
            render = camera.render(raycaster, T, noise_rng)
            vdir = folder / "views" / name
            vdir.mkdir(parents=True, exist_ok=True)
            write_png(vdir / "rgb.png", render.rgb)
            write_png(vdir / "depth.png", render.depth_mm)
            write_png(vdir / "instance.png", instance_image(render.instance))
            write_json(vdir / "camera.json", {
                **render.intrinsics.to_json(), "T_world_cam": T.tolist(), "depth_scale": 1000.0,
                **pose.to_json(),
            })
    written_views = {k: ViewPose(**{f: np.asarray(v) for f, v in as_written(p.to_json()).items()})
                     for k, p in views.items()}
    return scene_language(objects, written_views, job.scene_id, seed, cfg.with_language)


def scene_language(
    objects: list[SceneObject], views: dict[str, ViewPose], scene_id: str, seed: int, enabled: bool = True
) -> SceneResult:
    """Referring expressions and questions of one scene from ``sim.language`` (none when it is absent)."""
    gens = language_generators() if enabled else None
    if gens is None:
        return SceneResult(scene_id, [], [])
    lang_rng = np.random.default_rng([seed, 4])
    refer = gens[0](objects, views, scene_id, lang_rng)
    qa = gens[1](objects, views, scene_id, lang_rng)
    return SceneResult(scene_id, refer, qa)


def _run_job(args: tuple[str, SceneJob]) -> SceneResult:
    return write_scene(Path(args[0]), args[1])


@dataclass
class DatasetSummary:
    """What was written."""

    root: Path
    """Dataset folder."""
    splits: dict[str, list[str]]
    """Scene ids per split."""
    held_out_pairs: list[tuple[str, str]]
    """(colour, category) pairs absent from training scenes."""
    n_expressions: int
    """Records in refer.json."""
    n_questions: int
    """Records in qa.json."""


def write_dataset(out: Path | str, config: DatasetConfig, progress: bool = True) -> DatasetSummary:
    """Write a format-v1 dataset of ``config.scenes`` scenes to ``out``; same config gives identical bytes.

    Training scenes never contain a held-out (colour, category) pair; val and test scenes are asked to
    contain one or two of them. refer.json and qa.json come from ``sim.language`` and are empty lists,
    with a warning, when it is not available.
    """
    from tqdm import tqdm

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    plan = plan_splits(config.scenes, config.seed, config.split_fractions, config.held_out_pairs)
    held = frozenset(plan.held_out)
    pick = np.random.default_rng([config.seed, 0xE1A1])
    jobs = []
    for i, split in enumerate(plan.split_of):
        if split == "train" or not plan.held_out:
            required: tuple[tuple[str, str], ...] = ()
        else:
            k = int(pick.integers(1, min(2, len(plan.held_out)) + 1))
            required = tuple(plan.held_out[int(j)] for j in pick.permutation(len(plan.held_out))[:k])
        jobs.append(SceneJob(i, f"scene{i:04d}", split, config, held if split == "train" else frozenset(), required))
    if config.with_language and language_generators() is None:
        warnings.warn("sim.language has no generate_expressions/generate_questions: refer.json and qa.json "
                      "are written empty", stacklevel=2)
    results: list[SceneResult] = []
    bar = tqdm(total=len(jobs), desc="scenes", unit="scene", disable=not progress)
    if config.workers == 1:
        for job in jobs:
            results.append(write_scene(root, job))
            bar.update(1)
    else:
        with mp.get_context("spawn").Pool(config.workers) as pool:
            for res in pool.imap(_run_job, [(str(root), j) for j in jobs], chunksize=1):
                results.append(res)
                bar.update(1)
    bar.close()
    refer = [r for res in results for r in res.refer]
    qa = [q for res in results for q in res.qa]
    splits = {s: [j.scene_id for j in jobs if j.split == s] for s in SPLITS}
    write_json(root / "dataset.json", {
        "format": FORMAT, "version": VERSION, "categories": list(CATEGORY_NAMES), "colors": list(COLOR_NAMES),
        "splits": splits, "held_out_pairs": [list(p) for p in plan.held_out], "seed": config.seed,
        "views_per_scene": config.views,
    })
    write_json(root / "refer.json", refer, indent=None)
    write_json(root / "qa.json", qa, indent=None)
    return DatasetSummary(root, splits, list(plan.held_out), len(refer), len(qa))



def write_language(root: Path | str, progress: bool = True) -> tuple[int, int]:
    """(Re)write refer.json and qa.json of a dataset written by ``write_dataset`` from its files.

    Gives the same records that ``write_dataset`` writes when ``sim.language`` is present; returns the
    numbers of expressions and questions. Raises SimError when ``sim.language`` is absent.
    """
    from tqdm import tqdm

    if language_generators() is None:
        raise SimError("write_language: expected sim.language with generate_expressions and "
                       "generate_questions, got none")
    root = Path(root)
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    refer: list[dict[str, Any]] = []
    qa: list[dict[str, Any]] = []
    ids = [s for split in SPLITS for s in meta["splits"].get(split, [])]
    for scene_id in tqdm(sorted(ids), desc="language", unit="scene", disable=not progress):
        folder = root / "scenes" / scene_id
        objects = [SceneObject.from_json(d) for d in json.loads((folder / "objects.json").read_text("utf-8"))]
        views = {}
        for vdir in sorted((folder / "views").iterdir()) if (folder / "views").is_dir() else []:
            cam = json.loads((vdir / "camera.json").read_text("utf-8"))
            views[vdir.name] = ViewPose(np.asarray(cam["position"]), np.asarray(cam["look_at"]))
        res = scene_language(objects, views, scene_id, scene_seed(int(meta["seed"]), int(scene_id[5:])))
        refer.extend(res.refer)
        qa.extend(res.qa)
    write_json(root / "refer.json", refer, indent=None)
    write_json(root / "qa.json", qa, indent=None)
    return len(refer), len(qa)
