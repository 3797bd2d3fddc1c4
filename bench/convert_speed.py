"""PointCloud2 conversion speed as ratios against peers measured in the same run.

Usage: ``.venv/bin/python bench/convert_speed.py [--points 131072] [--repeat 200]``

Prints, for a point_step 48 scan (x, y, z, intensity float32, ring uint16, time float64 and padding):
- PointCloud2 -> (N, 3) float32 (``pointcloud2_to_xyz``, with and without dropping NaN rows) over a numpy
  memcpy of the payload, and over pypcd4's ``PointCloud.from_msg(msg).numpy(("x", "y", "z"))`` (which keeps
  NaN rows and returns a Fortran-ordered array, where ours is C-contiguous);
- the same with a point_step 26 packed (unaligned) layout;
- (N, 3) float32 -> PointCloud2 (``cloud_to_pointcloud2``) over a memcpy of the payload it writes.
Each time is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

import numpy as np
from pypcd4 import PointCloud as PcdCloud

from perception import PointCloud
from perception.convert import (
    HeaderData,
    PointCloud2Data,
    PointFieldData,
    cloud_to_pointcloud2,
    pointcloud2_to_xyz,
)


def scan(n: int, point_step: int, rng: np.random.Generator) -> PointCloud2Data:
    """A synthetic lidar scan: x, y, z, intensity float32 at 0..12, ring uint16 at 16, time float64 at 18."""
    fields = [
        PointFieldData(name, 4 * i, PointFieldData.FLOAT32) for i, name in enumerate(("x", "y", "z", "intensity"))
    ]
    fields += [PointFieldData("ring", 16, PointFieldData.UINT16), PointFieldData("time", 18, PointFieldData.FLOAT64)]
    data = rng.integers(0, 256, n * point_step, dtype=np.uint8)
    np.ndarray((n, 3), np.float32, buffer=data, strides=(point_step, 4))[:] = rng.normal(size=(n, 3))
    return PointCloud2Data(HeaderData(), 1, n, fields, False, point_step, n * point_step, data, True)


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    return 1e3 * min(timeit.repeat(fn, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=131072)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for step in (48, 26):
        msg = scan(args.points, step, rng)
        memcpy = best_ms(msg.data.copy, args.repeat)
        peer = best_ms(lambda m=msg: PcdCloud.from_msg(m).numpy(("x", "y", "z")), args.repeat)
        for skip_nans in (True, False):
            ours = best_ms(lambda m=msg, s=skip_nans: pointcloud2_to_xyz(m, skip_nans=s), args.repeat)
            print(
                f"PointCloud2 -> xyz  N={args.points} point_step={step} skip_nans={skip_nans}: ours {ours:.3f} ms, "
                f"memcpy {memcpy:.3f} ms, pypcd4 {peer:.3f} ms | ours/memcpy {ours / memcpy:.2f} (target <= 4), "
                f"ours/pypcd4 {ours / peer:.2f} (target <= 1)"
            )
    cloud = PointCloud(xyz=rng.normal(size=(args.points, 3)).astype(np.float32))
    written = cloud_to_pointcloud2(cloud).data
    memcpy = best_ms(written.copy, args.repeat)
    ours = best_ms(lambda: cloud_to_pointcloud2(cloud), args.repeat)
    print(
        f"xyz -> PointCloud2  N={args.points} point_step=12: ours {ours:.3f} ms, memcpy {memcpy:.3f} ms | "
        f"ours/memcpy {ours / memcpy:.2f} (target <= 3)"
    )


if __name__ == "__main__":
    main()
