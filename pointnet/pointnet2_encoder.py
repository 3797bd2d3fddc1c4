"""PointNet++ (Qi et al., NeurIPS 2017), single- and multi-scale grouping, on packed batches.

Set abstraction = farthest point sampling + ball query (``pointnet.ops``) + torch-geometric's
``PointNetConv``, whose message MLP sees [x_j, pos_j - pos_i] and max-aggregates over the ball.
Feature propagation upsamples with inverse-distance kNN interpolation back to every input point.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch_geometric.nn import PointNetConv

from perception.spatial_tokens import SpatialTokens
from pointnet.config_utils import NORMS, require, require_widths
from pointnet.layers import check_encoder_inputs, max_pool, mean_pool, num_clouds, shared_mlp
from pointnet.ops import Backend, ball_query, farthest_point_sample, knn_interpolate
from pointnet.outputs import EncoderOutput


@dataclass
class PointNet2Config:
    """Hyper-parameters of a PointNet++ encoder. One radius per level is SSG, several are MSG."""

    in_channels: int = 3
    """C_in, per-point input features besides the position (3 for RGB in [0, 1]; 0 for positions only)."""
    ratios: tuple[float, ...] = (0.25, 0.25)
    """Fraction of each cloud's points that farthest point sampling keeps, per set-abstraction level."""
    radii: tuple[tuple[float, ...], ...] = ((0.2,), (0.4,))
    """Ball radii per level, in the units of pos; several radii at a level make it multi-scale (MSG)."""
    max_neighbors: tuple[int, ...] = (32, 32)
    """Most neighbours grouped per ball (the nearest are kept), per level."""
    sa_channels: tuple[tuple[int, ...], ...] = ((64, 64, 128), (128, 128, 256))
    """Widths of each level's message MLP (the same for every radius of an MSG level)."""
    global_channels: tuple[int, ...] = (256, 512)
    """Widths of the group-all MLP over the last level; its last width is D."""
    point_features: bool = True
    """Run feature propagation and return one feature per input point."""
    fp_channels: tuple[int, ...] = (256, 128)
    """Width of each feature-propagation stage, coarse to fine (one per level); the last is C_p."""
    relative: bool = True
    """No absolute coordinate enters the network (the group-all step sees positions relative to the
    cloud's mean), which makes the encoder translation invariant. False appends absolute xyz to the
    input features and to the group-all step, as in the paper (useful where height matters)."""
    norm: str = "batch"
    """Normalisation after each hidden layer: batch, layer or none."""
    backend: str = "auto"
    """Neighbour search backend: auto (KD-tree on CPU, torch on GPU), kdtree or torch."""

    def __post_init__(self) -> None:
        n = len(self.ratios)
        require(n >= 1, "PointNet2Config.ratios", "at least one level", self.ratios)
        require(all(0.0 < r <= 1.0 for r in self.ratios), "PointNet2Config.ratios", "values in (0, 1]",
                self.ratios)
        for name in ("radii", "max_neighbors", "sa_channels", "fp_channels"):
            value = getattr(self, name)
            require(len(value) == n, f"PointNet2Config.{name}", f"{n} entries (one per level)", value)
        require(all(len(r) >= 1 and all(v > 0 for v in r) for r in self.radii), "PointNet2Config.radii",
                "a non-empty tuple of positive radii per level", self.radii)
        require(all(k >= 1 for k in self.max_neighbors), "PointNet2Config.max_neighbors", "ints >= 1",
                self.max_neighbors)
        for widths in self.sa_channels:
            require_widths("PointNet2Config.sa_channels", widths)
        require_widths("PointNet2Config.global_channels", self.global_channels)
        require_widths("PointNet2Config.fp_channels", self.fp_channels)
        require(self.in_channels >= 0, "PointNet2Config.in_channels", "an int >= 0", self.in_channels)
        require(self.norm in NORMS, "PointNet2Config.norm", f"one of {NORMS}", self.norm)
        require(self.backend in ("auto", "kdtree", "torch"), "PointNet2Config.backend",
                "auto, kdtree or torch", self.backend)

    @property
    def variant(self) -> str:
        """"msg" when some level groups at several radii, else "ssg"."""
        return "msg" if any(len(r) > 1 for r in self.radii) else "ssg"

    @classmethod
    def msg(cls, **overrides: object) -> PointNet2Config:
        """A small multi-scale default: two radii per level, narrower MLPs to keep the width."""
        values: dict[str, object] = {
            "radii": ((0.1, 0.2), (0.3, 0.5)),
            "max_neighbors": (16, 32),
            "sa_channels": ((32, 32, 64), (64, 64, 128)),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class Level:
    """Packed points of one resolution: x (N_l, C_l), pos (N_l, 3), batch (N_l,)."""

    x: torch.Tensor | None
    pos: torch.Tensor
    batch: torch.Tensor


class SetAbstraction(nn.Module):
    """FPS centroids, ball grouping at one or more radii, PointNetConv per radius, channels concatenated."""

    def __init__(self, in_channels: int, ratio: float, radii: tuple[float, ...], max_neighbors: int,
                 channels: tuple[int, ...], norm: str, backend: Backend) -> None:
        super().__init__()
        self.ratio = ratio
        self.radii = radii
        self.max_neighbors = max_neighbors
        self.backend: Backend = backend
        # Ball query always returns the centroid itself (distance 0), so no extra self loop is needed.
        self.convs = nn.ModuleList(
            PointNetConv(local_nn=shared_mlp([in_channels + 3, *channels], norm), add_self_loops=False)
            for _ in radii
        )
        self.out_channels = channels[-1] * len(radii)

    def forward(self, level: Level) -> Level:
        idx = farthest_point_sample(level.pos, level.batch, ratio=self.ratio)  # (M,)
        pos_c, batch_c = level.pos[idx], level.batch[idx]  # (M, 3), (M,)
        x_c = None if level.x is None else level.x[idx]
        outs = []
        for radius, conv in zip(self.radii, self.convs, strict=True):
            edge = ball_query(level.pos, pos_c, radius, self.max_neighbors, level.batch, batch_c, self.backend)
            edge_index = torch.stack([edge[1], edge[0]])  # PyG flow: source (neighbour) -> target (centroid)
            outs.append(conv((level.x, x_c), (level.pos, pos_c), edge_index))  # (M, C_out)
        return Level(torch.cat(outs, dim=1), pos_c, batch_c)  # (M, C_out * radii)


class FeaturePropagation(nn.Module):
    """Interpolate coarse features onto the finer level (k=3 inverse distance), concat its skip, MLP."""

    def __init__(self, coarse_channels: int, skip_channels: int, channels: int, norm: str, backend: Backend):
        super().__init__()
        self.mlp = shared_mlp([coarse_channels + skip_channels, channels, channels], norm)
        self.backend: Backend = backend

    def forward(self, coarse: Level, fine: Level) -> Level:
        assert coarse.x is not None
        up = knn_interpolate(coarse.x, coarse.pos, fine.pos, coarse.batch, fine.batch, 3, self.backend)  # (N_f, C)
        h = up if fine.x is None else torch.cat([up, fine.x], dim=1)
        return Level(self.mlp(h), fine.pos, fine.batch)


class PointNet2Encoder(nn.Module):
    """PointNet++ over a packed batch: (x (N, C_in), pos (N, 3), batch (N,)) -> EncoderOutput.

    tokens: the last level's centroids with their features (C_t = sa_channels[-1][-1] * len(radii[-1]));
    global_feature (B, D = global_channels[-1]); point_features (N, fp_channels[-1]) when enabled.
    """

    def __init__(self, config: PointNet2Config) -> None:
        super().__init__()
        self.config = config
        backend: Backend = config.backend  # type: ignore[assignment]
        c_in = config.in_channels + (0 if config.relative else 3)
        self.levels = nn.ModuleList()
        skip = [c_in]
        for ratio, radii, k, widths in zip(config.ratios, config.radii, config.max_neighbors,
                                           config.sa_channels, strict=True):
            sa = SetAbstraction(c_in, ratio, radii, k, widths, config.norm, backend)
            self.levels.append(sa)
            c_in = sa.out_channels
            skip.append(c_in)
        self.token_channels = c_in
        self.global_mlp = shared_mlp([c_in + 3, *config.global_channels], config.norm)
        self.propagation = nn.ModuleList()
        if config.point_features:
            coarse = c_in + config.global_channels[-1]  # the global feature joins the coarsest level
            for stage, width in enumerate(config.fp_channels):
                fine_skip = skip[len(skip) - 2 - stage]
                self.propagation.append(FeaturePropagation(coarse, fine_skip, width, config.norm, backend))
                coarse = width

    def forward(self, x: torch.Tensor | None, pos: torch.Tensor, batch: torch.Tensor | None = None) -> EncoderOutput:
        x, batch = check_encoder_inputs("PointNet2Encoder", x, pos, batch, self.config.in_channels)
        size = num_clouds(batch)
        if not self.config.relative:
            x = pos if x is None else torch.cat([x, pos], dim=1)  # (N, C_in + 3)
        levels = [Level(x, pos, batch)]
        for sa in self.levels:
            levels.append(sa(levels[-1]))
        last = levels[-1]
        assert last.x is not None
        centre = mean_pool(last.pos, last.batch, size) if self.config.relative else torch.zeros_like(last.pos[:size])
        h = torch.cat([last.x, last.pos - centre[last.batch]], dim=1)  # (M_L, C_L + 3)
        glob = max_pool(self.global_mlp(h), last.batch, size)  # (B, D)
        point_features = None
        if self.config.point_features:
            coarse = Level(torch.cat([last.x, glob[last.batch]], dim=1), last.pos, last.batch)
            for stage, fp in enumerate(self.propagation):
                coarse = fp(coarse, levels[len(levels) - 2 - stage])
            point_features = coarse.x  # (N, C_p)
        return EncoderOutput(
            tokens=SpatialTokens(pos=last.pos, features=last.x, batch=last.batch),
            global_feature=glob,
            point_features=point_features,
        )
