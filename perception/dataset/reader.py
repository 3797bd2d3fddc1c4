"""Reads a dataset in format version 1 (DESIGN.md) lazily: nothing heavy is loaded until a scene is asked for."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from perception.camera import CameraIntrinsics
from perception.dataset.annotations import load_qa, load_refer, read_json
from perception.dataset.errors import DatasetError
from perception.dataset.records import ObjectRecord, QARecord, ReferRecord
from perception.rgbd_frame import RGBDFrame

FORMAT = "ground3d-dataset"
VERSION = 1


@dataclass
class ViewData:
    """One RGB-D view of a scene; the images load on first access."""

    name: str
    """View name (the folder name)."""
    intrinsics: CameraIntrinsics
    """Pinhole intrinsics of both images."""
    T_world_cam: np.ndarray
    """(4, 4) camera optical frame (z forward, x right, y down) in the world frame."""
    folder: Path
    """views/NAME folder."""
    depth_scale: float = 1000.0
    """Depth image units per metre."""
    camera: dict[str, Any] = field(default_factory=dict)
    """The full camera.json (extra keys such as ``position`` and ``look_at``)."""

    def _image(self, name: str, dtype: type, channels: int) -> np.ndarray:
        from PIL import Image

        path = self.folder / name
        if not path.is_file():
            raise DatasetError(f"{path}: expected an image file, got nothing there")
        try:
            with Image.open(path) as img:
                arr = np.asarray(img)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            # PIL reports a corrupt or truncated file with any of these (SyntaxError from some decoders).
            raise DatasetError(f"{path}: expected a readable PNG image, got {type(exc).__name__}: {exc}") from exc
        h, w = self.intrinsics.height, self.intrinsics.width
        expected = (h, w, 3) if channels == 3 else (h, w)
        if arr.shape != expected or arr.dtype != np.dtype(dtype):
            raise DatasetError(f"{path}: expected {np.dtype(dtype).name} image of shape {expected} (from "
                               f"camera.json), got {arr.dtype.name} {arr.shape}")
        return arr

    @cached_property
    def rgb(self) -> np.ndarray:
        """(H, W, 3) uint8 colour."""
        return self._image("rgb.png", np.uint8, 3)

    @cached_property
    def depth_m(self) -> np.ndarray:
        """(H, W) float32 depth along the optical axis in metres, 0 where missing."""
        return self._image("depth.png", np.uint16, 1).astype(np.float32) / np.float32(self.depth_scale)

    @cached_property
    def instance(self) -> np.ndarray | None:
        """(H, W) int32 instance id of the surface each pixel's ray hit, as the sim's renderer knew it; -1 for
        background and no hit. A pixel whose depth the noise model dropped keeps its id. None for a view
        written without ``instance.png``."""
        if not (self.folder / "instance.png").is_file():
            return None
        return self._image("instance.png", np.uint16, 1).astype(np.int32) - 1

    def frame(self) -> RGBDFrame:
        """The view as a perception ``RGBDFrame`` (frame id ``camera_optical``)."""
        return RGBDFrame(self.rgb, self.depth_m, self.intrinsics, self.T_world_cam, frame_id="camera_optical")


@dataclass
class SceneData:
    """One scene: its ground-truth cloud, objects and views."""

    scene_id: str
    """Scene id."""
    points: np.ndarray
    """(N, 3) float32 metres, world frame, z up."""
    colors: np.ndarray
    """(N, 3) uint8."""
    instance: np.ndarray
    """(N,) int32 object id per point, -1 for background."""
    objects: list[ObjectRecord]
    """objects.json, in file order."""
    views: list[ViewData]
    """RGB-D views, sorted by name."""

    def object(self, object_id: int) -> ObjectRecord:
        """The object with ``object_id``; DatasetError when absent."""
        for o in self.objects:
            if o.object_id == object_id:
                return o
        raise DatasetError(f"scene {self.scene_id}: expected an object with id {object_id}, got ids "
                           f"{[o.object_id for o in self.objects]}")


class Dataset:
    """A format-v1 dataset folder. ``dataset.json`` is read and checked at once; scenes load on demand."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        meta = read_json(self.root / "dataset.json")
        where = self.root / "dataset.json"
        if not isinstance(meta, dict):
            raise DatasetError(f"{where}: expected a JSON object, got {type(meta).__name__}")
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise DatasetError(f"{where}: expected format {FORMAT!r} version {VERSION}, got "
                               f"{meta.get('format')!r} version {meta.get('version')!r}")
        splits = meta.get("splits")
        if not isinstance(splits, dict) or not all(
                isinstance(v, list) and all(isinstance(s, str) for s in v) for v in splits.values()):
            raise DatasetError(f"{where}: expected 'splits' as {{name: [scene ids]}}, got {splits!r}")
        for key in ("categories", "colors"):
            if not isinstance(meta.get(key), list):
                raise DatasetError(f"{where}: expected {key!r} as a list of names, got {meta.get(key)!r}")
        self.meta: dict[str, Any] = meta
        self.categories: list[str] = list(meta["categories"])
        self.colors: list[str] = list(meta["colors"])
        self.splits: dict[str, list[str]] = {k: list(v) for k, v in splits.items()}

    @property
    def scene_ids(self) -> list[str]:
        """All scene ids, split by split in file order."""
        return [s for ids in self.splits.values() for s in ids]

    def split_of(self, scene_id: str) -> str:
        """The split holding ``scene_id``; DatasetError when none does."""
        for name, ids in self.splits.items():
            if scene_id in ids:
                return name
        raise DatasetError(f"{self.root}: expected scene {scene_id!r} in a split, got none")

    def objects(self, scene_id: str) -> list[ObjectRecord]:
        """objects.json of a scene, checked (fields, types, unique ids, known labels)."""
        path = self.root / "scenes" / scene_id / "objects.json"
        data = read_json(path)
        if not isinstance(data, list):
            raise DatasetError(f"{path}: expected a JSON list of objects, got {type(data).__name__}")
        objs = [ObjectRecord.from_json(d, f"{path}[{i}]") for i, d in enumerate(data)]
        ids = [o.object_id for o in objs]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise DatasetError(f"{path}: expected unique object_id values, got duplicates {dup}")
        unknown = sorted({o.label for o in objs} - set(self.categories)) if self.categories else []
        if unknown:
            raise DatasetError(f"{path}: expected labels from dataset.json categories, got unknown {unknown}")
        return objs

    def scene(self, scene_id: str) -> SceneData:
        """Load and check one scene. Images of its views load when first accessed."""
        folder = self.root / "scenes" / scene_id
        if not folder.is_dir():
            raise DatasetError(f"{folder}: expected the folder of scene {scene_id!r}, got nothing there")
        objs = self.objects(scene_id)
        points, colors, instance = self._cloud(folder / "scene.npz")
        present = set(np.unique(instance).tolist()) - {-1}
        missing = sorted(present - {o.object_id for o in objs})
        if missing:
            raise DatasetError(f"{folder / 'objects.json'}: expected every instance id of scene.npz, got no "
                               f"record for ids {missing} (objects.json has {sorted(o.object_id for o in objs)})")
        views_dir = folder / "views"
        views = [self._view(d) for d in sorted(views_dir.iterdir()) if d.is_dir()] if views_dir.is_dir() else []
        return SceneData(scene_id, points, colors, instance, objs, views)

    @staticmethod
    def _cloud(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not path.is_file():
            raise DatasetError(f"{path}: expected scene.npz, got nothing there")
        need = {"points": (np.float32, 2), "colors": (np.uint8, 2), "instance": (np.int32, 1)}
        try:
            with np.load(path, allow_pickle=False) as z:
                missing = sorted(set(need) - set(z.files))
                if missing:
                    raise DatasetError(f"{path}: expected arrays {sorted(need)}, got {sorted(z.files)}")
                arrays = {k: z[k] for k in need}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            # A truncated zip, a member that is not .npy, or pickled object arrays (refused: allow_pickle=False).
            raise DatasetError(f"{path}: expected an npz of plain arrays, got {type(exc).__name__}: {exc}") from exc
        n = arrays["points"].shape[0] if arrays["points"].ndim else -1  # a 0-d array then fails the shape check
        shapes = {"points": (n, 3), "colors": (n, 3), "instance": (n,)}
        for k, (dtype, _) in need.items():
            a = arrays[k]
            if a.dtype != np.dtype(dtype) or a.shape != shapes[k]:
                raise DatasetError(f"{path}: expected {k} {np.dtype(dtype).name} {shapes[k]}, got "
                                   f"{a.dtype.name} {a.shape}")
        return arrays["points"], arrays["colors"], arrays["instance"]

    @staticmethod
    def _view(folder: Path) -> ViewData:
        path = folder / "camera.json"
        cam = read_json(path)
        if not isinstance(cam, dict):
            raise DatasetError(f"{path}: expected a JSON object, got {type(cam).__name__}")
        try:
            K = np.asarray(cam["K"], dtype=np.float64)
            T = np.asarray(cam["T_world_cam"], dtype=np.float64)
            width, height = int(cam["width"]), int(cam["height"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"{path}: expected K (3x3), width, height and T_world_cam (4x4), got keys "
                               f"{sorted(cam)} ({exc})") from exc
        if K.shape != (3, 3) or T.shape != (4, 4):
            raise DatasetError(f"{path}: expected K (3, 3) and T_world_cam (4, 4), got {K.shape} and {T.shape}")
        try:
            intr = CameraIntrinsics(K=K, width=width, height=height)
        except ValueError as exc:
            raise DatasetError(f"{path}: {exc}") from exc
        return ViewData(folder.name, intr, T, folder, float(cam.get("depth_scale", 1000.0)), cam)

    def _in_split(self, split: str | None) -> set[str] | None:
        if split is None:
            return None
        if split not in self.splits:
            raise DatasetError(f"{self.root}: expected a split in {sorted(self.splits)}, got {split!r}")
        return set(self.splits[split])

    def refer(self, split: str | None = None) -> list[ReferRecord]:
        """Referring expressions of ``split`` (all when None); [] when the dataset has no refer.json."""
        path = self.root / "refer.json"
        keep = self._in_split(split)
        recs = load_refer(path) if path.is_file() else []
        return [r for r in recs if keep is None or r.scene_id in keep]

    def qa(self, split: str | None = None) -> list[QARecord]:
        """Questions of ``split`` (all when None); [] when the dataset has no qa.json."""
        path = self.root / "qa.json"
        keep = self._in_split(split)
        recs = load_qa(path) if path.is_file() else []
        return [r for r in recs if keep is None or r.scene_id in keep]
