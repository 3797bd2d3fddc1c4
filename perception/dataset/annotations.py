"""Readers for referring-expression and question files: ground3d's refer.json / qa.json and real ScanRefer /
ScanQA JSON, which share field names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perception.dataset.errors import DatasetError
from perception.dataset.records import QARecord, ReferRecord


def read_json(path: Path) -> Any:
    """Parsed JSON of ``path``; DatasetError when missing or malformed."""
    if not path.is_file():
        raise DatasetError(f"{path}: expected a JSON file, got nothing there")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: expected valid JSON, got a parse error: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: expected UTF-8 JSON, got byte 0x{exc.object[exc.start]:02x} at offset "
                           f"{exc.start}") from exc


def _records(path: Path) -> list[Any]:
    data = read_json(path)
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return data


def load_refer(path: Path | str) -> list[ReferRecord]:
    """Referring expressions from a ground3d refer.json or a ScanRefer file (e.g. ScanRefer_filtered_val.json).

    ScanRefer's string ids ("27") become ints; its extra fields (``token``) land in ``extra``.
    """
    p = Path(path)
    return [ReferRecord.from_json(r, f"{p}[{i}]") for i, r in enumerate(_records(p))]


def load_qa(path: Path | str) -> list[QARecord]:
    """Questions from a ground3d qa.json or a ScanQA file (e.g. ScanQA_v1.0_val.json)."""
    p = Path(path)
    return [QARecord.from_json(r, f"{p}[{i}]") for i, r in enumerate(_records(p))]
