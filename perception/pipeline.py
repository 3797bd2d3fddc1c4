"""ScenePerception: the single entry point from sensor data to proposals and spatial tokens.

It takes a cloud (a ``PointCloud`` or any PointCloud2-like message, converted by ``perception.convert``) or
posed RGB-D frames (fused by ``perception.geometry.fusion``), and returns the scene's object proposals,
support planes, the processed cloud and its ``SpatialTokens``. ``update`` is the incremental form for a
live node: one frame at a time into a persistent map, its proposals cut again only where the map changed
(``perception.geometry.incremental``), with object ids kept stable by a tracker.

Tokens are voxel centroids with features [rgb / 255, normal] (C = 6). When frames come with images and a
camera encoder is configured (``camera``), the camera ViT's patch tokens lifted to 3D are returned as well
(``image_tokens``); nothing is loaded when ``camera`` is None.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from perception.convert import pointcloud2_to_cloud
from perception.geometry.errors import GeometryConfigError
from perception.geometry.fusion import SceneMap, SceneMapConfig
from perception.geometry.incremental import IncrementalConfig, IncrementalExtractor
from perception.geometry.planes import SupportPlane
from perception.geometry.preprocess import NormalConfig, estimate_normals
from perception.geometry.proposals import GeometryConfig, GeometryResult, extract_proposals
from perception.geometry.tracking import ObjectTracker, TrackerConfig
from perception.geometry.voxel import voxel_downsample
from perception.point_cloud import PointCloud
from perception.proposal import ObjectProposal
from perception.rgbd_frame import RGBDFrame
from perception.spatial_tokens import SpatialTokens
from perception.vit import CameraEncoder, CameraEncoderConfig, LiftConfig, lift_patch_tokens

TOKEN_CHANNELS = 6
"""C of the geometric tokens: r, g, b in [0, 1] and the unit normal."""


@dataclass
class TokenConfig:
    """Voxel-centroid tokens of the scene cloud."""

    voxel_size: float = 0.05
    """Token voxel edge in metres."""
    max_tokens: int = 8192
    """At most this many tokens; a larger scene is thinned evenly (deterministically)."""

    def __post_init__(self) -> None:
        if self.voxel_size <= 0 or self.max_tokens < 1:
            raise GeometryConfigError(
                f"TokenConfig: expected voxel_size > 0 and max_tokens >= 1, got {self.voxel_size}, {self.max_tokens}"
            )


@dataclass
class ScenePerceptionConfig:
    """Every stage of the entry point, one sub-config each."""

    geometry: GeometryConfig = field(default_factory=GeometryConfig)
    """Preprocessing, planes, clustering and proposal rules."""
    fusion: SceneMapConfig = field(default_factory=SceneMapConfig)
    """How RGB-D frames are fused."""
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    """How ids are kept across ``update`` calls."""
    incremental: IncrementalConfig = field(default_factory=IncrementalConfig)
    """``update`` cuts proposals again only where the map changed (whole map every ``full_every``-th time)."""
    tokens: TokenConfig = field(default_factory=TokenConfig)
    """Geometric spatial tokens."""
    camera: CameraEncoderConfig | None = None
    """Camera ViT for image tokens; None skips it (no model is loaded)."""
    lift: LiftConfig = field(default_factory=LiftConfig)
    """How camera patch tokens are placed in 3D."""
    proposal_every: int = 1
    """``update`` recomputes proposals on every n-th frame (the map integrates every frame)."""
    min_map_growth: float = 0.0
    """``update`` recomputes proposals only once the voxel-hash map has grown by this fraction of its voxels
    since the last recomputation (0: on every frame). A robot standing still, or looking again at what it
    has mapped, then costs a frame's fusion rather than a whole-map extraction."""

    def __post_init__(self) -> None:
        if self.proposal_every < 1:
            raise GeometryConfigError(f"ScenePerceptionConfig.proposal_every: expected >= 1, got {self.proposal_every}")
        if not 0.0 <= self.min_map_growth <= 1.0:
            raise GeometryConfigError(
                f"ScenePerceptionConfig.min_map_growth: expected in [0, 1], got {self.min_map_growth}"
            )


@dataclass
class PerceptionResult:
    """What the scene looks like to the models."""

    proposals: list[ObjectProposal]
    """Object proposals; ids are stable across ``update`` calls."""
    planes: list[SupportPlane]
    """Removed floor, wall and support patches (scene context)."""
    cloud: PointCloud
    """The preprocessed (downsampled) cloud, normals in ``fields["normal"]``; world frame for frames."""
    image_tokens: SpatialTokens | None = None
    """(K, D) lifted camera patch tokens of the frames, one batch, when a camera encoder is configured."""
    token_config: TokenConfig = field(default_factory=TokenConfig)
    """How ``tokens`` are cut from ``cloud``."""

    @functools.cached_property
    def tokens(self) -> SpatialTokens:
        """(N, 6) voxel-centroid tokens [rgb / 255, normal] of ``cloud``, one batch. Made on first use: a live
        map's updates and a bag's replay publish proposals, and most results are never read by a model."""
        return voxel_tokens(self.cloud, self.token_config)


@dataclass
class MapSnapshot:
    """The live map when its proposals were due: what ``ScenePerception.perceive`` works on."""

    cloud: PointCloud
    """(N,) the fused map, world frame; its own arrays, which later frames do not change."""
    image_tokens: SpatialTokens | None
    """The last views' lifted camera tokens, one batch, when a camera encoder is configured."""


class ScenePerception:
    """The entry point. Holds the map and tracker of the live ``update`` path; the one-shot paths keep none."""

    def __init__(self, config: ScenePerceptionConfig | None = None) -> None:
        self.config = config or ScenePerceptionConfig()
        self.map = SceneMap(self.config.fusion)
        self.tracker = ObjectTracker(self.config.tracker)
        self.extractor = IncrementalExtractor(self.config.geometry, self.config.incremental)
        self._encoder: CameraEncoder | None = None
        self._last: PerceptionResult | None = None
        self._snapshots = 0
        """Maps ``integrate`` has returned for ``perceive`` since the last reset."""
        self._image_tokens: list[SpatialTokens] = []
        self.extraction_s = 0.0
        """Wall seconds ``update`` (``perceive``) has spent in proposal extractions (with id tracking) since the
        last reset."""

    def from_cloud(self, cloud: PointCloud | Any, viewpoint: np.ndarray | None = None) -> PerceptionResult:
        """Proposals and tokens of one cloud: a ``PointCloud`` or a PointCloud2-like message (z up).

        ``viewpoint`` (3,): the sensor's position in the cloud's frame when the cloud is one scan (the origin
        for a scan in its sensor frame), so that pieces an occluder cut apart can be joined."""
        if not isinstance(cloud, PointCloud):
            cloud = pointcloud2_to_cloud(cloud)
        return self._result(cloud, extract_proposals(cloud, self.config.geometry, viewpoint), None)

    def from_frames(self, frames: Sequence[RGBDFrame]) -> PerceptionResult:
        """Fuse posed RGB-D frames into a fresh map and return its proposals and tokens (world frame). A single
        frame is one view, and its camera's position is the viewpoint of ``extract_proposals``."""
        scene_map = SceneMap(self.config.fusion)
        for frame in frames:
            scene_map.integrate(frame)
        cloud = scene_map.cloud()
        image_tokens = None
        if self.config.camera is not None and frames:
            image_tokens = SpatialTokens.cat([self._lift(f) for f in frames]) if len(frames) > 1 \
                else self._lift(frames[0])
            image_tokens = _one_batch(image_tokens)
        viewpoint = frames[0].T_world_cam[:3, 3] if len(frames) == 1 else None
        return self._result(cloud, extract_proposals(cloud, self.config.geometry, viewpoint), image_tokens)

    def update(self, frame: RGBDFrame) -> PerceptionResult:
        """Integrate one frame into the live map; every ``proposal_every`` frames, once the map has grown by
        ``min_map_growth``, recompute the proposals where the map changed (``incremental``) and carry object
        ids over by the tracker. Returns the latest result (the previous one when nothing was recomputed).
        ``integrate`` then ``perceive`` of what it returns, in one call."""
        snapshot = self.integrate(frame)
        if snapshot is None and self._last is None:  # the extractions so far raised: this frame tries again
            snapshot = self._snapshot()
        if snapshot is None:
            assert self._last is not None
            return self._last
        return self.perceive(snapshot)

    def integrate(self, frame: RGBDFrame) -> MapSnapshot | None:
        """The first half of ``update``: fuse one frame into the live map. Returns the map as it is now when
        its proposals are due (the first frame's always), for ``perceive``; None otherwise."""
        self.map.integrate(frame)
        if self.config.camera is not None:
            self._image_tokens = [*self._image_tokens[-31:], self._lift(frame)]  # the last 32 views
        if self._snapshots and (
            (self.map.num_frames - 1) % self.config.proposal_every
            or self.map.growth_since_mark() < self.config.min_map_growth
        ):
            return None
        return self._snapshot()

    def perceive(self, snapshot: MapSnapshot) -> PerceptionResult:
        """The second half of ``update``: the proposals of a map ``integrate`` returned, cut again where it
        changed since the last one, with ids carried over by the tracker. Snapshots go in the order
        ``integrate`` gave them. It reads nothing of the live map, so it may run on another thread while
        ``integrate`` fuses the next frames (``ros_nodes.replay`` does), though never two at once."""
        start = time.perf_counter()
        geometry = self.extractor.extract(snapshot.cloud)
        geometry.proposals = self.tracker.update(geometry.proposals)
        self.extraction_s += time.perf_counter() - start
        self._last = self._result(snapshot.cloud, geometry, snapshot.image_tokens)
        return self._last

    def _snapshot(self) -> MapSnapshot:
        """The map now, for ``perceive``; its growth is counted from here on."""
        self.map.mark()
        self._snapshots += 1
        image_tokens = _one_batch(SpatialTokens.cat(self._image_tokens)) if self._image_tokens else None
        return MapSnapshot(self.map.cloud(), image_tokens)

    @property
    def num_extractions(self) -> int:
        """Proposal extractions ``update`` (``perceive``) has run since the last reset, whole-map or regional
        (``extractor.num_full`` of them whole-map)."""
        return self.tracker.num_updates

    def reset(self) -> None:
        """Forget the live map, the tracks and the cached result."""
        self.map.reset()
        self.tracker = ObjectTracker(self.config.tracker)
        self.extractor = IncrementalExtractor(self.config.geometry, self.config.incremental)
        self._last = None
        self._snapshots = 0
        self._image_tokens = []
        self.extraction_s = 0.0

    def _lift(self, frame: RGBDFrame) -> SpatialTokens:
        if self._encoder is None:
            self._encoder = CameraEncoder(self.config.camera)
        patches = self._encoder.encode(frame.rgb, frame.depth_m, frame.intrinsics)
        return lift_patch_tokens(patches, frame.depth_m, frame.intrinsics, frame.T_world_cam, self.config.lift)

    def _result(
        self, source: PointCloud, geometry: GeometryResult, image_tokens: SpatialTokens | None
    ) -> PerceptionResult:
        cloud = geometry.cloud.to_cloud(frame_id=source.frame_id, stamp_ns=source.stamp_ns)
        return PerceptionResult(
            proposals=geometry.proposals,
            planes=geometry.planes,
            cloud=cloud,
            image_tokens=image_tokens,
            token_config=self.config.tokens,
        )


def voxel_tokens(cloud: PointCloud, config: TokenConfig | None = None) -> SpatialTokens:
    """(N, 6) tokens [rgb / 255, normal] at the voxel centroids of ``cloud`` (normals from
    ``fields["normal"]``, estimated with open3d when absent)."""
    config = config or TokenConfig()
    if len(cloud) == 0:
        return SpatialTokens.single(torch.zeros(0, 3), torch.zeros(0, TOKEN_CHANNELS), cloud.frame_id)
    grid = voxel_downsample(cloud.xyz, cloud.rgb, config.voxel_size)
    normals = cloud.fields.get("normal")
    if normals is None:
        voxel_normals = estimate_normals(grid.points, NormalConfig(radius=2.5 * config.voxel_size))
        assert voxel_normals is not None
    else:
        voxel_normals = np.zeros((len(grid.points), 3))
        for axis in range(3):
            voxel_normals[:, axis] = np.bincount(grid.point_to_voxel, weights=normals[:, axis],
                                                 minlength=len(grid.points))
        voxel_normals /= np.maximum(np.linalg.norm(voxel_normals, axis=1, keepdims=True), 1e-9)
    colors = grid.colors if grid.colors is not None else np.full((len(grid.points), 3), 128, dtype=np.uint8)
    features = np.concatenate([colors / 255.0, voxel_normals], axis=1).astype(np.float32)  # (N, 6)
    points = grid.points
    if len(points) > config.max_tokens:
        keep = np.linspace(0, len(points) - 1, config.max_tokens).astype(np.int64)
        points, features = points[keep], features[keep]
    return SpatialTokens.single(torch.from_numpy(points), torch.from_numpy(features), cloud.frame_id)


def _one_batch(tokens: SpatialTokens) -> SpatialTokens:
    """All rows as one cloud (several views of one scene are one scene)."""
    return SpatialTokens.single(tokens.pos, tokens.features, tokens.frame_id)
