"""The core that nodes, ``ground3d launch``, ``ground3d replay`` and the demo share: messages in, results out.

``PerceptionSession`` turns sensor messages (PointCloud2, or colour + depth + CameraInfo, plus Odometry for
the pose) into arrays with ``perception.convert`` and feeds them to one ``ScenePerception``, which keeps the
fused scene and its object proposals. ``GroundingSession`` holds one ``SceneQueryEngine`` and answers
queries and questions on the current proposals. Neither imports rclpy: the nodes wrap them, and replay
calls them directly, so a bag and a live robot go through the same code.

Between processes the scene travels as the JSON summary of ``PerceptionSession.summary`` (each proposal's
id, boxes, mean colour, colour histogram and an evenly spaced sample of its points and colours); the
grounding side rebuilds ``ObjectProposal`` objects from it (``proposals_from_summary``). A compact sample
rather than the fused cloud keeps the message small (about 5 kB per object at 128 points).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from perception import Box3D, FrameOrderError, ObjectProposal, PointCloud, RGBDFrame
from perception.frame_guard import FrameGuard, FrameGuardConfig
from ros_nodes import wire
from ros_nodes.errors import RosNodesError
from ros_nodes.memory import release_free_memory
from ros_nodes.pose_buffer import PoseBuffer, transform_to_matrix
from ros_nodes.query_request import Request, error_result

if TYPE_CHECKING:
    from perception.pipeline import MapSnapshot, PerceptionResult

INPUT_MODES = ("cloud", "rgbd")
FUSION_METHODS = ("voxel_hash", "tsdf")
WORLD_FRAMES = ("world", "map", "odom")


@dataclass
class PerceptionSessionConfig:
    """How sensor messages become scene updates."""

    input_mode: str = "rgbd"
    """``rgbd``: colour + depth + CameraInfo matched by time, fused into one map with stable object ids;
    ``cloud``: each PointCloud2 on its own (ScenePerception.from_cloud: no fusion, ids not kept)."""
    world_frame: str = "map"
    """Frame the fused scene is kept in."""
    T_world_sensor: np.ndarray = field(default_factory=lambda: np.eye(4))
    """(4, 4) sensor pose used when neither TF nor Odometry gives one."""
    update_period_s: float = 1.0
    """Least sensor time between two scene updates; frames in between are skipped (not integrated)."""
    scene_sample_points: int = 128
    """Points per object in the scene summary (evenly spaced over the object's points)."""
    depth_scale: float = 1000.0
    """Units per metre of a 16UC1 depth image."""
    fusion_method: str = "voxel_hash"
    """How RGB-D frames are fused: ``voxel_hash`` (running means of points) or ``tsdf`` (open3d VoxelBlockGrid,
    several times slower per frame on a 2-core CPU)."""
    fusion_voxel_size: float = 0.02
    """Voxel edge of the fused map, metres."""
    depth_denoise: bool = True
    """Take each frame's depth through the guarded 3x3 median before fusion (``SceneMapConfig.denoise``)."""
    proposal_every: int = 1
    """Recompute proposals on every n-th accepted frame (each frame is still fused)."""
    min_map_growth: float = 0.0
    """Recompute proposals only once the fused map has grown by this fraction of its voxels since the last
    time (voxel_hash fusion; 0: on every accepted frame)."""
    incremental_proposals: bool = True
    """Recompute proposals only where the map changed (``perception.geometry.incremental``); False cuts the
    whole map on every recomputation."""
    max_speed_m_s: float = 10.0
    """Fastest believable sensor motion between two updates; a faster pose change is a jump (FrameOrderError)."""

    def __post_init__(self) -> None:
        if self.input_mode not in INPUT_MODES:
            raise RosNodesError(f"input_mode: expected one of {INPUT_MODES}, got {self.input_mode!r}")
        self.T_world_sensor = np.asarray(self.T_world_sensor, dtype=np.float64).reshape(4, 4)
        if not np.allclose(self.T_world_sensor[3], [0, 0, 0, 1]):
            raise RosNodesError(f"T_world_sensor: expected last row [0, 0, 0, 1], got {self.T_world_sensor[3]}")
        if not 0.0 <= self.update_period_s <= 3600.0:
            raise RosNodesError(f"update_period_s: expected in [0, 3600], got {self.update_period_s}")
        if not 0 <= self.scene_sample_points <= 100_000:
            raise RosNodesError(f"scene_sample_points: expected in [0, 100000], got {self.scene_sample_points}")
        if not self.depth_scale > 0:
            raise RosNodesError(f"depth_scale: expected > 0, got {self.depth_scale}")
        if self.fusion_method not in FUSION_METHODS:
            raise RosNodesError(f"fusion_method: expected one of {FUSION_METHODS}, got {self.fusion_method!r}")
        if not 0.001 <= self.fusion_voxel_size <= 1.0:
            raise RosNodesError(f"fusion_voxel_size: expected in [0.001, 1], got {self.fusion_voxel_size}")
        if self.proposal_every < 1:
            raise RosNodesError(f"proposal_every: expected >= 1, got {self.proposal_every}")
        if not 0.0 <= self.min_map_growth <= 1.0:
            raise RosNodesError(f"min_map_growth: expected in [0, 1], got {self.min_map_growth}")
        if not 0.0 < self.max_speed_m_s < math.inf:
            raise RosNodesError(f"max_speed_m_s: expected a finite value > 0, got {self.max_speed_m_s}")


@dataclass
class SceneUpdate:
    """What one accepted sensor frame changed."""

    stamp_ns: int
    """Sensor stamp of the frame."""
    version: int
    """Scene version after the update (starts at 1)."""
    T_world_sensor: np.ndarray
    """(4, 4) pose the frame was taken from."""
    extraction: Future[list[ObjectProposal]]
    """The proposals' extraction: done, unless the session extracts in the background."""

    @property
    def proposals(self) -> list[ObjectProposal]:
        """All current proposals, ids stable across updates. Waits for a background extraction, and raises
        its error."""
        return self.extraction.result()

    @property
    def ready(self) -> bool:
        """Whether ``proposals`` returns at once."""
        return self.extraction.done()


class PerceptionSession:
    """Sensor messages -> one ``ScenePerception`` -> proposals with stable ids."""

    def __init__(self, config: PerceptionSessionConfig | None = None) -> None:
        self.config = config or PerceptionSessionConfig()
        self.poses = PoseBuffer()
        self.guard = FrameGuard(FrameGuardConfig(max_speed_m_s=self.config.max_speed_m_s))
        """Refuses frames whose pose jumped since the last update (a wrong pose would smear the fused map)."""
        self.tf_lookup: Callable[[str, int], np.ndarray | None] | None = None
        """Set by a node when tf2_ros is available: (frame, stamp_ns) -> T_world_frame or None."""
        self._perception: Any = None
        self._last_update_ns: int | None = None
        self.version = 0
        self.proposals: list[ObjectProposal] = []
        self.last_pose: np.ndarray | None = None
        self.skipped = 0
        self._waiting: tuple[tuple[str, tuple[Any, ...]], str, int] | None = None
        self._extraction: Future[list[ObjectProposal]] = _done([])
        """The latest proposal extraction: an update without one of its own shows this one's proposals."""
        self._worker: ThreadPoolExecutor | None = None

    # --- lifecycle ----------------------------------------------------------------------------------
    def load(self) -> None:
        """Build the perception core (and load its models)."""
        from perception.geometry.depth_filter import DepthDenoiseConfig
        from perception.geometry.fusion import SceneMapConfig
        from perception.geometry.incremental import IncrementalConfig
        from perception.pipeline import ScenePerception, ScenePerceptionConfig

        fusion = SceneMapConfig(method=self.config.fusion_method, voxel_size=self.config.fusion_voxel_size,
                                denoise=DepthDenoiseConfig(enabled=self.config.depth_denoise))
        self._perception = ScenePerception(ScenePerceptionConfig(
            fusion=fusion, proposal_every=self.config.proposal_every, min_map_growth=self.config.min_map_growth,
            incremental=IncrementalConfig(enabled=self.config.incremental_proposals)))

    def unload(self) -> None:
        """Free the core and forget the scene."""
        self._perception = None
        self.reset()

    def reset(self) -> None:
        """Forget the scene and the poses; the next frame starts a new scene."""
        wait([self._extraction])  # the worker's extractions run in order: the latest is the last one
        if self._perception is not None:
            self._perception.reset()
        self.poses.clear()
        self.guard.reset()
        self._last_update_ns = None
        self.version = 0
        self.proposals = []
        self.last_pose = None
        self._waiting = None
        self._extraction = _done([])

    @contextmanager
    def background_extraction(self) -> Iterator[None]:
        """Within the block, a frame's proposals are extracted on one worker thread while the next frames are
        decoded and fused: ``SceneUpdate.proposals`` then waits for them. The extractions keep their order,
        and each works on the map as it was when it was due (``ScenePerception.perceive``), so the proposals
        are those of the plain way; only when they are ready changes. ``ros_nodes.replay`` uses it and hands
        the updates on in order. Leaving the block waits for the worker."""
        if self._worker is not None:
            raise RosNodesError("PerceptionSession.background_extraction: expected no enclosing block, got one")
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extraction")
        self._worker = worker
        try:
            yield
        finally:
            worker.shutdown(wait=True)
            self._worker = None

    @property
    def loaded(self) -> bool:
        return self._perception is not None

    @property
    def num_extractions(self) -> int:
        """Proposal extractions of the fused scene so far, whole-map or regional (fewer than updates with
        ``proposal_every`` or ``min_map_growth``)."""
        return 0 if self._perception is None else int(self._perception.num_extractions)

    @property
    def num_full_extractions(self) -> int:
        """Those of ``num_extractions`` that cut the whole map rather than the region that changed."""
        return 0 if self._perception is None else int(self._perception.extractor.num_full)

    @property
    def extraction_s(self) -> float:
        """Wall seconds spent in those extractions (the live map's proposal step, id tracking included)."""
        return 0.0 if self._perception is None else float(self._perception.extraction_s)

    # --- inputs ------------------------------------------------------------------------------------
    def add_odometry(self, msg: Any) -> SceneUpdate | None:
        """Remember the pose an Odometry message gives for its ``child_frame_id``; integrates a frame that
        was waiting for this pose (returns its update)."""
        self.poses.add_odometry(msg)
        return self._retry_waiting()

    def add_tf(self, msg: Any) -> SceneUpdate | None:
        """Remember the world-frame transforms of a ``tf2_msgs/TFMessage`` (how sim bags give the LiDAR pose)."""
        for t in msg.transforms:
            if str(t.header.frame_id) == self.config.world_frame:
                T = transform_to_matrix(t.transform)
                self.poses.add(str(t.child_frame_id), wire.stamp_to_ns(t.header.stamp), T)
        return self._retry_waiting()

    def add_cloud(self, msg: Any) -> SceneUpdate | None:
        """Integrate a PointCloud2; None when skipped (too soon) or waiting for its pose."""
        stamp_ns = wire.stamp_to_ns(msg.header.stamp)
        if not self._due(stamp_ns):
            return None
        return self._integrate(("cloud", (msg,)), str(msg.header.frame_id), stamp_ns)

    def add_rgbd(self, color: Any, depth: Any, info: Any) -> SceneUpdate | None:
        """Integrate one matched colour + depth + CameraInfo triple; None when skipped or waiting for its pose."""
        stamp_ns = wire.stamp_to_ns(depth.header.stamp)
        if not self._due(stamp_ns):
            return None
        return self._integrate(("rgbd", (color, depth, info)), str(depth.header.frame_id), stamp_ns)

    def _integrate(self, frame_msgs: tuple[str, tuple[Any, ...]], frame: str, stamp_ns: int) -> SceneUpdate | None:
        T = self.sensor_pose(frame, stamp_ns)
        if T is None:
            # Odometry for this frame exists but not yet for this stamp (topics arrive in any order): keep the
            # newest such frame until its pose comes, rather than place it with a wrong pose.
            self._waiting = (frame_msgs, frame, stamp_ns)
            return None
        self.guard.check(stamp_ns, T)
        kind, msgs = frame_msgs
        if kind == "cloud":
            from perception.convert import pointcloud2_to_cloud

            # A copy of the points that this frame owns, moved in place: one copy of the cloud held, not two.
            data: PointCloud | RGBDFrame = pointcloud2_to_cloud(msgs[0], copy=True).transformed(
                T, self.config.world_frame, in_place=True)
        else:
            from perception.convert import rgbd_messages_to_frame

            data = rgbd_messages_to_frame(msgs[0], msgs[1], msgs[2], self.config.depth_scale, T_world_cam=T)
        return self._update(data, stamp_ns, T)

    def _retry_waiting(self) -> SceneUpdate | None:
        if self._waiting is None:
            return None
        frame_msgs, frame, stamp_ns = self._waiting
        if self.sensor_pose(frame, stamp_ns) is None:
            return None
        self._waiting = None
        if self._last_update_ns is not None and stamp_ns - self._last_update_ns < self.config.update_period_s * 1e9:
            return None  # a later frame was integrated meanwhile
        return self._integrate(frame_msgs, frame, stamp_ns)

    def sensor_pose(self, frame: str, stamp_ns: int) -> np.ndarray | None:
        """(4, 4) T_world_frame: identity for the world frame, else TF, else Odometry, else the static pose.

        None when Odometry has been seen for ``frame`` but none yet near ``stamp_ns``.
        """
        if frame == self.config.world_frame or (not frame and self.config.world_frame in WORLD_FRAMES):
            return np.eye(4)
        if self.tf_lookup is not None:
            T = self.tf_lookup(frame, stamp_ns)
            if T is not None:
                return T
        T = self.poses.lookup(frame, stamp_ns)
        if T is not None:
            return T
        return None if self.poses.knows(frame) else self.config.T_world_sensor

    def is_due(self, stamp_ns: int | None) -> bool:
        """Whether a frame stamped ``stamp_ns`` would be integrated (older frames are, to raise their error)."""
        last = self._last_update_ns
        return stamp_ns is None or last is None or not 0 <= stamp_ns - last < self.config.update_period_s * 1e9

    def skip_raw(self, raw: bytes | memoryview) -> bool:
        """True (and counted as skipped) when CDR bytes of a frame are not due, judged by their header stamp
        alone, so a throttled frame is never decoded."""
        if self.is_due(wire.peek_stamp_ns(raw)):
            return False
        self.skipped += 1
        return True

    def _due(self, stamp_ns: int) -> bool:
        if self._perception is None:
            raise RosNodesError("perception: expected a configured session, got an unloaded one")
        last = self._last_update_ns
        if last is not None and stamp_ns < last:
            raise FrameOrderError(f"frame stamp: expected >= the last update's {last} ns, got {stamp_ns} ns")
        if not self.is_due(stamp_ns):
            self.skipped += 1
            return False
        return True

    def _update(self, data: PointCloud | RGBDFrame, stamp_ns: int, T: np.ndarray) -> SceneUpdate:
        self.guard.admit(stamp_ns, T)
        self._last_update_ns = stamp_ns
        if isinstance(data, RGBDFrame):  # into the live map (ids kept by its tracker)
            snapshot = self._perception.integrate(data)
            if snapshot is not None:
                self._extraction = self._extract(snapshot)
        else:  # a cloud is perceived on its own
            # ``result`` outlives the trim, so the next cloud reuses its freed memory instead of faulting in
            # fresh pages: freed before the trim, one frame's peak-RSS growth (the ROS 2 bench row) rose by
            # about 1.5 MiB.
            result = self._perception.from_cloud(data)
            self._extraction = _done(self._perceived(result))
        release_free_memory()
        self.version += 1
        self.last_pose = T
        return SceneUpdate(stamp_ns, self.version, T, self._extraction)

    def _extract(self, snapshot: MapSnapshot) -> Future[list[ObjectProposal]]:
        def job() -> list[ObjectProposal]:
            return self._perceived(self._perception.perceive(snapshot))

        return _done(job()) if self._worker is None else self._worker.submit(job)

    def _perceived(self, result: PerceptionResult) -> list[ObjectProposal]:
        self.proposals = list(result.proposals)
        return self.proposals

    # --- output ------------------------------------------------------------------------------------
    def fused_cloud(self) -> PointCloud:
        """The fused RGB-D map as a coloured cloud in ``world_frame`` (empty before the first frame)."""
        if self._perception is None:
            raise RosNodesError("PerceptionSession.fused_cloud: expected a loaded session (call load first)")
        return self._perception.map.cloud()

    def summary(self, stamp_ns: int, update: SceneUpdate | None = None) -> dict[str, Any]:
        """JSON-ready scene summary of ``update`` (default: the latest scene); also all the grounding side
        needs to rebuild the proposals."""
        n = self.config.scene_sample_points
        proposals = self.proposals if update is None else update.proposals
        version = self.version if update is None else update.version
        pose = self.last_pose if update is None else update.T_world_sensor
        objects = []
        for p in sorted(proposals, key=lambda q: q.object_id):
            idx = np.linspace(0, p.num_points - 1, num=min(n, p.num_points)).round().astype(np.int64)
            objects.append({
                "object_id": int(p.object_id),
                "num_points": p.num_points,
                "box": p.obb.to_json(),
                "aabb": p.aabb.to_json(),
                "mean_color": [round(float(v), 2) for v in p.mean_color],
                "color_hist": [round(float(v), 5) for v in p.color_hist],
                "points": np.round(p.points[idx].astype(np.float64), 4).tolist(),
                "colors": p.colors[idx].astype(int).tolist(),
            })
        return {
            "format": "ground3d-scene",
            "version": version,
            "stamp_ns": int(stamp_ns),
            "frame_id": self.config.world_frame,
            "T_world_sensor": None if pose is None else np.round(pose, 6).tolist(),
            "objects": objects,
        }


def _done(proposals: list[ObjectProposal]) -> Future[list[ObjectProposal]]:
    """A finished extraction."""
    future: Future[list[ObjectProposal]] = Future()
    future.set_result(proposals)
    return future


def proposals_from_summary(summary: dict[str, Any]) -> list[ObjectProposal]:
    """Rebuild proposals (with their point samples) from ``PerceptionSession.summary``; bad JSON raises."""
    if not isinstance(summary, dict) or summary.get("format") != "ground3d-scene":
        raise RosNodesError(f"scene: expected a ground3d-scene summary, got {str(summary)[:100]}")
    out = []
    for obj in summary.get("objects", []):
        try:
            points = np.asarray(obj["points"], dtype=np.float32).reshape(-1, 3)
            colors = np.asarray(obj["colors"], dtype=np.uint8).reshape(-1, 3)
            out.append(ObjectProposal(
                object_id=int(obj["object_id"]), points=points, colors=colors,
                indices=np.arange(points.shape[0], dtype=np.int64),
                aabb=Box3D.from_json(obj["aabb"]), obb=Box3D.from_json(obj["box"]),
                mean_color=np.asarray(obj["mean_color"], dtype=np.float32),
                color_hist=np.asarray(obj["color_hist"], dtype=np.float32),
            ))
        except (KeyError, TypeError, ValueError) as err:
            raise RosNodesError(f"scene object: expected object_id, points, colors, box, aabb, mean_color, "
                                f"color_hist, got {type(err).__name__}: {err}") from err
    return out


@dataclass
class GroundingSessionConfig:
    """How queries are answered."""

    checkpoint: str = ""
    """Grounding checkpoint directory; empty for the checkpoint shipped in the package."""
    lazy_scene: bool = False
    """Encode a new scene when the next request comes rather than when it arrives (replay: only the scenes
    that are queried get encoded; a node keeps it eager so a query pays only for its text)."""


class GroundingSession:
    """One ``SceneQueryEngine`` over the latest proposals; requests in, result dicts out."""

    def __init__(self, config: GroundingSessionConfig | None = None) -> None:
        self.config = config or GroundingSessionConfig()
        self._engine: Any = None
        self._pending: list[ObjectProposal] | None = None
        self.scene_version = 0
        self.num_objects = 0
        self.view_T_world_cam: np.ndarray | None = None

    def load(self) -> None:
        """Load the engine (text encoder, model, calibration)."""
        from grounding.engine.engine import SceneQueryEngine

        self._engine = SceneQueryEngine.from_checkpoint(self.config.checkpoint or None)

    def unload(self) -> None:
        self._engine = None
        self._pending = None
        self.scene_version = 0
        self.num_objects = 0

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def set_proposals(self, proposals: list[ObjectProposal], version: int, T_world_cam: np.ndarray | None) -> None:
        """Use ``proposals`` as the scene (encoded once here, then cached by the engine)."""
        if self._engine is None:
            raise RosNodesError("grounding: expected a configured session, got an unloaded one")
        if self.config.lazy_scene:
            self._pending = proposals
        else:
            self._engine.update_scene(proposals)  # an unchanged scene keeps the engine's caches
        self.scene_version = version
        self.num_objects = len(proposals)
        if T_world_cam is not None:
            self.view_T_world_cam = np.asarray(T_world_cam, dtype=np.float64)

    def set_summary(self, summary: dict[str, Any]) -> None:
        """Use a scene summary received from a perception node in another process."""
        pose = summary.get("T_world_sensor")
        self.set_proposals(proposals_from_summary(summary), int(summary.get("version", 0)),
                           None if pose is None else np.asarray(pose))

    def handle(self, request: Request) -> dict[str, Any]:
        """Answer ``request``; never raises on a bad request: the result then has status ``error``."""
        from grounding.engine.errors import GroundingError as EngineError
        from grounding.errors import GroundingError
        from perception.errors import PerceptionError

        if self._engine is None:
            return error_result(request.request_id, request.kind, "grounding engine is not configured")
        if self.scene_version == 0:
            return error_result(request.request_id, request.kind, "no scene yet: no perception update received")
        view: Any = request.view if request.view is not None else self.view_T_world_cam
        try:
            if self._pending is not None:
                self._engine.update_scene(self._pending)
                self._pending = None
            if request.kind == "ground":
                result = self._engine.ground(request.text, view=view, request_id=request.request_id)
            else:
                result = self._engine.ask(request.text, view=view, request_id=request.request_id)
        except (EngineError, GroundingError, PerceptionError) as err:
            return error_result(request.request_id, request.kind, str(err))
        out = _finite(result.to_json())
        # The perception scene version, which a client matches against ~/scene summaries; the engine's own
        # counter only counts distinct scenes installed in this process.
        out["scene_version"] = self.scene_version
        return out


def _finite(data: Any) -> Any:
    """JSON has no NaN or infinity; such a float (never expected) becomes None rather than invalid JSON."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return data
