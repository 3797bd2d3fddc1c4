"""Byte-deterministic file writers: the same content always gives the same bytes on disk."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sim.errors import SimError

_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """An uncompressed ``.npz`` that ``np.load`` reads, with fixed zip timestamps.

    ``np.savez`` stamps each member with the current time, so two runs would differ byte for byte.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def write_json(path: Path, obj: Any, indent: int | None = 1) -> None:
    """JSON with floats rounded to 6 decimals (micrometres), so float noise never changes the bytes."""
    path.write_text(json.dumps(_round(obj), indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


def as_written(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as it reads back from a file written by ``write_json`` (floats rounded)."""
    return dict(_round(record))


def write_png(path: Path, image: np.ndarray) -> None:
    """A PNG of (H, W, 3) uint8 colour or (H, W) uint16 depth; PIL writes no timestamp, so bytes are stable."""
    # Level 1: sensor noise makes the images nearly incompressible, so higher levels cost time for little.
    Image.fromarray(image).save(path, format="PNG", compress_level=1)


def instance_image(instance: np.ndarray) -> np.ndarray:
    """(H, W) uint16 image of per-pixel instance ids (H, W) int: id + 1, 0 for background and no hit."""
    if instance.size and (instance.min() < -1 or instance.max() >= np.iinfo(np.uint16).max):
        raise SimError(f"instance ids: expected -1 .. {np.iinfo(np.uint16).max - 2}, got "
                         f"{instance.min()} .. {instance.max()}")
    return (instance.astype(np.int64) + 1).astype(np.uint16)
