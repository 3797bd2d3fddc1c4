"""pointnet: PointNet, PointNet++ and sparse voxel conv (spconv) encoders that produce SpatialTokens."""
