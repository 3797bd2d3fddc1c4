"""Sparse voxel conv encoder (spconv): voxelize, a residual sparse U-Net, voxel tokens with metric centres.

Runs on whatever device the input is on: CPU with the ``spconv`` wheel, CUDA with ``spconv-cu12x``.
Importing this module applies the CPU fixes of ``pointnet.spconv_compat`` (backward shim, one thread).
"""

from __future__ import annotations

from dataclasses import dataclass

import spconv.pytorch as spconv
import torch
from torch import nn

from perception.spatial_tokens import SpatialTokens
from pointnet.config_utils import NORMS, require, require_widths
from pointnet.layers import check_encoder_inputs, max_pool, norm_layer, num_clouds, shared_mlp
from pointnet.outputs import EncoderOutput
from pointnet.spconv_compat import apply_spconv_cpu_fixes
from pointnet.voxelize import voxel_centres, voxelize

apply_spconv_cpu_fixes()


@dataclass
class SparseVoxelConfig:
    """Hyper-parameters of the sparse voxel conv encoder."""

    in_channels: int = 3
    """C_in, per-point input features besides the position (3 for RGB in [0, 1]; 0 for positions only)."""
    voxel_size: float = 0.05
    """Edge of a level-0 voxel in the units of pos (metres for scenes); level l has voxel_size * 2**l."""
    channels: tuple[int, ...] = (32, 64, 128)
    """Width per level; each level after the first halves the resolution with a stride-2 SparseConv3d."""
    blocks_per_level: int = 1
    """Residual SubMConv3d blocks at each level of the encoder."""
    out_channels: int = 256
    """D, width of the layer max-pooled over the coarsest voxels into the global feature."""
    point_features: bool = True
    """Run the U-Net decoder (SparseInverseConv3d) and return one feature per input point."""
    norm: str = "batch"
    """Normalisation after each convolution: batch, layer or none."""

    def __post_init__(self) -> None:
        require(self.in_channels >= 0, "SparseVoxelConfig.in_channels", "an int >= 0", self.in_channels)
        require(self.voxel_size > 0, "SparseVoxelConfig.voxel_size", "> 0", self.voxel_size)
        require_widths("SparseVoxelConfig.channels", self.channels)
        require(self.blocks_per_level >= 0, "SparseVoxelConfig.blocks_per_level", ">= 0", self.blocks_per_level)
        require(self.out_channels > 0, "SparseVoxelConfig.out_channels", "> 0", self.out_channels)
        require(self.norm in NORMS, "SparseVoxelConfig.norm", f"one of {NORMS}", self.norm)


class SparseResBlock(spconv.SparseModule):
    """Two 3x3x3 submanifold convs with a residual connection; keeps the active voxels.

    A SparseModule, so that SparseSequential hands it the sparse tensor rather than its features.
    """

    def __init__(self, channels: int, indice_key: str, norm: str) -> None:
        super().__init__()
        self.conv1 = spconv.SubMConv3d(channels, channels, 3, bias=False, indice_key=indice_key)
        self.norm1 = norm_layer(norm, channels)
        self.conv2 = spconv.SubMConv3d(channels, channels, 3, bias=False, indice_key=indice_key)
        self.norm2 = norm_layer(norm, channels)

    def forward(self, x: spconv.SparseConvTensor) -> spconv.SparseConvTensor:
        h = self.conv1(x)
        h = h.replace_feature(torch.relu(self.norm1(h.features)))
        h = self.conv2(h)
        return h.replace_feature(torch.relu(self.norm2(h.features) + x.features))


class SparseVoxelEncoder(nn.Module):
    """Sparse residual U-Net over a packed batch: (x (N, C_in), pos (N, 3), batch (N,)) -> EncoderOutput.

    Voxel inputs are [mean feature, mean offset of the points from the voxel centre / voxel_size].
    tokens: the coarsest voxels (C_t = channels[-1]) at their metric centres, sorted by cloud;
    global_feature (B, D = out_channels); point_features (N, channels[0]) from the decoder when enabled.
    """

    def __init__(self, config: SparseVoxelConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.stem = spconv.SparseSequential(
            spconv.SubMConv3d(config.in_channels + 3, c[0], 3, bias=False, indice_key="subm0"),
            norm_layer(config.norm, c[0]),
            nn.ReLU(),
        )
        self.encoder = nn.ModuleList()
        for level, width in enumerate(c):
            layers: list[nn.Module] = []
            if level > 0:
                layers += [
                    spconv.SparseConv3d(c[level - 1], width, 2, stride=2, bias=False, indice_key=f"down{level}"),
                    norm_layer(config.norm, width),
                    nn.ReLU(),
                ]
            layers += [SparseResBlock(width, f"subm{level}", config.norm) for _ in range(config.blocks_per_level)]
            self.encoder.append(spconv.SparseSequential(*layers))
        self.decoder_up = nn.ModuleList()
        self.decoder_fuse = nn.ModuleList()
        if config.point_features:
            for level in range(len(c) - 1, 0, -1):
                self.decoder_up.append(spconv.SparseSequential(
                    spconv.SparseInverseConv3d(c[level], c[level - 1], 2, bias=False, indice_key=f"down{level}"),
                    norm_layer(config.norm, c[level - 1]),
                    nn.ReLU(),
                ))
                self.decoder_fuse.append(shared_mlp([2 * c[level - 1], c[level - 1]], config.norm))
        self.global_mlp = shared_mlp([c[-1], config.out_channels], config.norm)

    def forward(self, x: torch.Tensor | None, pos: torch.Tensor, batch: torch.Tensor | None = None) -> EncoderOutput:
        x, batch = check_encoder_inputs("SparseVoxelEncoder", x, pos, batch, self.config.in_channels)
        size = num_clouds(batch)
        feats = pos.new_zeros(pos.shape[0], 0) if x is None else x
        vox = voxelize(feats, pos, batch, self.config.voxel_size)
        offset = (vox.mean_pos - vox.centres()) / vox.voxel_size  # (V, 3) in [-0.5, 0.5]
        h = spconv.SparseConvTensor(
            torch.cat([vox.features, offset], dim=1), vox.coords, list(vox.spatial_shape), size
        )
        h = self.stem(h)
        skips = []
        for stage in self.encoder:
            h = stage(h)
            skips.append(h)
        coarse = skips[-1]
        stride = 2 ** (len(self.config.channels) - 1)
        idx = coarse.indices.long()  # (V_L, 4)
        # spconv does not promise cloud-sorted output rows; SpatialTokens needs a packed (sorted) batch.
        order = torch.argsort(idx[:, 0], stable=True)
        token_pos = voxel_centres(coarse.indices[order], vox.origin, vox.voxel_size * stride)  # (V_L, 3)
        token_batch = idx[order, 0]
        token_feat = coarse.features[order]  # (V_L, C_t)
        glob = max_pool(self.global_mlp(token_feat), token_batch, size)  # (B, D)
        point_features = None
        if self.config.point_features:
            for step, (up, fuse) in enumerate(zip(self.decoder_up, self.decoder_fuse, strict=True)):
                skip = skips[len(skips) - 2 - step]
                h = up(h)
                # The inverse conv restores the finer level's voxels in that level's row order.
                h = skip.replace_feature(fuse(torch.cat([h.features, skip.features], dim=1)))
            point_features = h.features[vox.point_to_voxel]  # (N, channels[0])
        return EncoderOutput(
            tokens=SpatialTokens(pos=token_pos, features=token_feat, batch=token_batch),
            global_feature=glob,
            point_features=point_features,
        )
