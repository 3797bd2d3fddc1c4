"""Dataset writer (format version 1): scenes, RGB-D views, referring expressions and questions."""

from sim.dataset.writer import (
    DatasetConfig,
    DatasetSummary,
    scene_seed,
    write_dataset,
    write_language,
    write_scene,
)

__all__ = ["DatasetConfig", "DatasetSummary", "scene_seed", "write_dataset", "write_language", "write_scene"]
