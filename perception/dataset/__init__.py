"""Reader of the ground3d dataset format version 1, and of ScanRefer / ScanQA annotation files.

Lives in perception so that pointnet and grounding, which never import sim, can read datasets.
"""

from perception.dataset.annotations import load_qa, load_refer
from perception.dataset.errors import DatasetError
from perception.dataset.reader import Dataset, SceneData, ViewData
from perception.dataset.records import ObjectRecord, QARecord, ReferRecord

__all__ = [
    "Dataset",
    "DatasetError",
    "ObjectRecord",
    "QARecord",
    "ReferRecord",
    "SceneData",
    "ViewData",
    "load_qa",
    "load_refer",
]
