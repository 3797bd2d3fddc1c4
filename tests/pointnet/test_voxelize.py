import pytest
import torch

from pointnet import ConfigError
from pointnet.voxelize import voxelize
from tests.pointnet.small_models import packed_input


def test_voxelize_matches_a_brute_force_grouping():
    x, pos, batch = packed_input([60, 25, 90], seed=7)
    vox = voxelize(x, pos, batch, 0.25)
    ijk = torch.floor((pos - vox.origin) / 0.25).long()
    keys = {}
    for i in range(pos.shape[0]):
        keys.setdefault((int(batch[i]), *ijk[i].tolist()), []).append(i)
    assert vox.coords.shape[0] == len(keys)
    for row, coord in enumerate(vox.coords.tolist()):
        members = keys[tuple(coord)]
        torch.testing.assert_close(vox.features[row], x[members].mean(0))
        torch.testing.assert_close(vox.mean_pos[row], pos[members].mean(0))
        assert all(int(vox.point_to_voxel[m]) == row for m in members)
    # Voxels are sorted by cloud, and their centres lie within half a voxel of their points' mean.
    assert bool((vox.batch[1:] >= vox.batch[:-1]).all())
    assert float((vox.centres() - vox.mean_pos).abs().max()) <= 0.125 + 1e-6


def test_clouds_sharing_space_keep_separate_voxels():
    pos = torch.tensor([[0.1, 0.1, 0.1], [0.12, 0.1, 0.1], [0.11, 0.1, 0.1]])
    x = torch.tensor([[1.0], [3.0], [10.0]])
    vox = voxelize(x, pos, torch.tensor([0, 0, 1]), 0.5)
    assert vox.coords[:, 0].tolist() == [0, 1]
    assert vox.features.flatten().tolist() == [2.0, 10.0]


def test_voxel_size_is_checked():
    x, pos, batch = packed_input([5])
    with pytest.raises(ConfigError, match="voxel_size"):
        voxelize(x, pos, batch, 0.0)
