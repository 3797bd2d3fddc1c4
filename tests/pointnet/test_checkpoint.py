import json

import pytest
import torch

from pointnet import CheckpointError, ConfigError, build_encoder, load_encoder, load_weights, save_encoder, save_weights
from tests.pointnet.small_models import MODELS, SMALL, packed_input, small_encoder


@pytest.mark.parametrize("key", MODELS)
def test_encoder_round_trips_exactly_through_safetensors(key, tmp_path):
    enc = small_encoder(key, seed=3).train()
    x, pos, batch = packed_input([30, 50], seed=1)
    enc(x, pos, batch)  # one train-mode pass moves the BatchNorm running statistics off their defaults
    save_encoder(tmp_path, SMALL[key][0], enc, extra={"note": "test"})
    loaded = load_encoder(tmp_path)
    for (name, a), (_, b) in zip(enc.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    enc.eval()
    torch.testing.assert_close(enc(x, pos, batch).global_feature, loaded(x, pos, batch).global_feature,
                               atol=0, rtol=0)
    meta = json.loads((tmp_path / "encoder.json").read_text())
    assert meta["encoder"] == SMALL[key][0] and meta["extra"] == {"note": "test"}


def test_truncated_file_gives_a_clear_error(tmp_path):
    enc = small_encoder("pointnet")
    path = tmp_path / "w.safetensors"
    save_weights(enc, path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="not a complete safetensors file"):
        load_weights(enc, path)
    with pytest.raises(CheckpointError, match="expected a safetensors file"):
        load_weights(enc, tmp_path / "missing.safetensors")


def test_wrong_shapes_and_keys_are_named(tmp_path):
    path = tmp_path / "w.safetensors"
    save_weights(small_encoder("pointnet"), path)
    wider = build_encoder("pointnet", {**SMALL["pointnet"][1], "out_channels": 48})
    with pytest.raises(CheckpointError, match=r"global_mlp\.0\.weight: expected \(48, 32\), got \(32, 32\)"):
        load_weights(wider, path)
    with pytest.raises(CheckpointError, match=r"missing .*transform"):
        load_weights(small_encoder("pointnet_tnet"), path)


def test_prefix_loads_an_encoder_out_of_a_bigger_state_dict(tmp_path):
    enc = small_encoder("pointnet", seed=5)
    outer = torch.nn.ModuleDict({"encoder": enc, "head": torch.nn.Linear(32, 4)})
    save_weights(outer, tmp_path / "model.safetensors")
    fresh = small_encoder("pointnet", seed=6)
    load_weights(fresh, tmp_path / "model.safetensors", prefix="encoder.")
    assert all(torch.equal(a, b) for a, b in zip(enc.state_dict().values(), fresh.state_dict().values(), strict=True))


def test_bad_config_file_and_names(tmp_path):
    (tmp_path / "encoder.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not an encoder config"):
        load_encoder(tmp_path)
    with pytest.raises(ConfigError, match="expected one of"):
        build_encoder("pointnet3")
    with pytest.raises(ConfigError, match="unknown fields"):
        build_encoder("pointnet", {"widht": 3})
    with pytest.raises(ConfigError, match=r"PointNet2Config\.radii: expected 2 entries"):
        build_encoder("pointnet2_ssg", {"radii": ((0.1,),)})
    with pytest.raises(ConfigError, match=r"PointNetConfig\.norm"):
        build_encoder("pointnet", {"norm": "group"})


def test_pretrained_object_encoder_loads_and_encodes_an_object():
    from pointnet import PRETRAINED_OBJECT_ENCODER

    enc = load_encoder(PRETRAINED_OBJECT_ENCODER)
    assert enc.config.in_channels == 4
    x, pos, batch = packed_input([128, 128], seed=2)
    x = torch.cat([x, torch.full((256, 1), 0.2)], dim=1)  # RGB + radius in metres
    out = enc(x, pos * 2 - 1, batch)
    assert out.global_feature.shape == (2, enc.config.global_channels[-1])
    assert torch.isfinite(out.global_feature).all()
