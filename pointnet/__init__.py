"""pointnet: PointNet, PointNet++ and sparse voxel conv (spconv) encoders that produce SpatialTokens.

Every encoder takes a packed batch ``(x (N, C_in) | None, pos (N, 3), batch (N,))`` and returns an
``EncoderOutput``. The spconv encoder lives in ``pointnet.sparse_voxel_encoder`` (imported on demand).
"""

from pointnet.checkpoint import (
    PRETRAINED_OBJECT_ENCODER,
    load_encoder,
    load_weights,
    save_encoder,
    save_weights,
)
from pointnet.errors import BatchError, CheckpointError, ConfigError, PointNetError
from pointnet.outputs import EncoderOutput
from pointnet.pointnet2_encoder import PointNet2Config, PointNet2Encoder
from pointnet.pointnet_encoder import PointNetConfig, PointNetEncoder
from pointnet.registry import ENCODER_NAMES, build_encoder, make_config

__all__ = [
    "ENCODER_NAMES",
    "PRETRAINED_OBJECT_ENCODER",
    "BatchError",
    "CheckpointError",
    "ConfigError",
    "EncoderOutput",
    "PointNet2Config",
    "PointNet2Encoder",
    "PointNetConfig",
    "PointNetEncoder",
    "PointNetError",
    "build_encoder",
    "load_encoder",
    "load_weights",
    "make_config",
    "save_encoder",
    "save_weights",
]
