"""Where numpy -> PointCloud2 spends its time: each step of ``cloud_to_pointcloud2`` on the bench's two clouds,
timed alone, against a memcpy of the payload it writes (the bench's peer).

    python -m bench.profile_pointcloud2 [--repeats 200]

A step above 3x memcpy alone rules out the bench's goal for the whole, however the other steps are written.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from ros_nodes.blas_threads import default_blas_threads

if TYPE_CHECKING:
    from perception import PointCloud


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per step (median)")
    args = parser.parse_args(argv)
    default_blas_threads()  # as the ground3d command does, before numpy is imported

    from bench.cases_convert import pointcloud2_write_inputs

    for label, cloud in pointcloud2_write_inputs(quick=False):
        _profile(label, cloud, args.repeats)


def _profile(label: str, cloud: PointCloud, repeats: int) -> None:
    """Print each step's median time and its ratio to the payload's memcpy."""
    import numpy as np

    from bench.harness import timed
    from perception.convert import cloud_to_pointcloud2, message_buffer
    from perception.convert.pointcloud2_write import _fill_packed_rgb, _put  # the writer's steps, one by one

    msg = cloud_to_pointcloud2(cloud)
    n, step = len(cloud), msg.point_step
    payload = msg.data.reshape(n, step)
    offsets = {f.name: f.offset for f in msg.fields}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("payload buffer (message_buffer)", lambda: message_buffer(n * step)),
        ("x, y, z", lambda: _put(payload, 0, cloud.xyz, np.dtype("<f4"))),
    ]
    rgb = cloud.rgb
    if rgb is not None:
        steps.append(("rgb word", lambda: _fill_packed_rgb(payload, offsets["rgb"], rgb, False)))
    columns = {**({} if cloud.intensity is None else {"intensity": cloud.intensity}), **cloud.fields}
    for name, values in columns.items():
        steps.append((name, lambda v=values, o=offsets[name]: _put(payload, o, v, v.dtype.newbyteorder("<"))))
    steps.append(("is_dense (np.isfinite(xyz).all())", lambda: np.isfinite(cloud.xyz).all()))
    steps.append(("whole cloud_to_pointcloud2", lambda: cloud_to_pointcloud2(cloud)))
    memcpy = timed(msg.data.copy, repeats).median_ms
    print(f"{label}: {n} points, point_step {step}; memcpy of the {msg.data.nbytes / 2**20:.1f} MiB payload "
          f"{memcpy:.3f} ms")
    print(f"{'step':40} {'ms':>8} {'x memcpy':>9}")
    for name, fn in steps:
        ms = timed(fn, repeats).median_ms
        print(f"{name:40} {ms:8.3f} {ms / memcpy:9.2f}")

if __name__ == "__main__":
    main()
