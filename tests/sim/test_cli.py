"""``ground3d sim``: dataset, bag and preview through the command line."""

from __future__ import annotations

from perception.dataset import Dataset
from ros_nodes.cli.main import main


def test_sim_out_writes_a_readable_dataset(tmp_path, capsys):
    rc = main(["sim", "--out", str(tmp_path / "ds"), "--scenes", "3", "--seed", "2", "--views", "1",
               "--width", "32", "--height", "24", "--points", "500", "--max-objects", "8", "--no-progress"])
    assert rc == 0 and "wrote" in capsys.readouterr().out
    ds = Dataset(tmp_path / "ds")
    assert len(ds.scene_ids) == 3 and ds.scene(ds.scene_ids[0]).views[0].rgb.shape == (24, 32, 3)


def test_sim_bag_and_bad_config(tmp_path, capsys):
    rc = main(["sim", "--bag", str(tmp_path / "bag"), "--format", "sqlite3", "--seconds", "0.2", "--width", "32",
               "--height", "24", "--max-objects", "8"])
    assert rc == 0 and (tmp_path / "bag" / "metadata.yaml").is_file()
    assert main(["sim", "--bag", str(tmp_path / "bag2"), "--seconds", "-1"]) == 2
    assert "seconds" in capsys.readouterr().out


def test_sim_preview_writes_a_png(tmp_path):
    assert main(["sim", "--preview", str(tmp_path / "p.png"), "--max-objects", "10"]) == 0
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
