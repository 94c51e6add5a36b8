"""image-backbone: a tiny Swin's AutoBackbone feature maps for chosen stages (by number or by name), the
shown code giving the same maps, clear errors for a stage the model lacks or a model without stages; the
API and the fields' bounds."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.models import Bundle
from demos.vision.image_backbone import TASK, backbone_for
from tests.test_vision_common import CAT, bad, image_file, run, snippet, value_of


def test_backbone_feature_maps(manager, tiny):
    result = run(manager, tiny["swin-backbone"], TASK, {"image": CAT}, out_indices="1, 3", channels=2)
    out = result.output
    assert out["stage_names"] == ["stem", "stage1", "stage2", "stage3", "stage4"]
    assert out["out_features"] == ["stage1", "stage3"] and out["out_indices"] == [1, 3]
    shapes = [m["shape"] for m in out["feature_maps"]]
    assert [s[1] for s in shapes] == [8, 32] and shapes[0][2] > shapes[1][2]  # more channels, smaller maps
    assert all(len(m["channels"]) == 2 for m in out["feature_maps"])
    assert [caption for _, caption in result.facts["gallery"]][0].startswith("stage1 · ch ")
    ns = snippet(result.code)
    assert [tuple(f.shape) for f in ns["outputs"].feature_maps] == [tuple(s) for s in shapes]
    for mine, theirs in zip(out["feature_maps"], ns["outputs"].feature_maps):  # same maps as AutoBackbone's
        channel = mine["channels"][0]
        assert float(theirs[0, channel["channel"]].min()) == pytest.approx(channel["min"], abs=1e-5)
        assert float(theirs[0, channel["channel"]].max()) == pytest.approx(channel["max"], abs=1e-5)
    named = run(manager, tiny["swin-backbone"], TASK, {"image": CAT}, out_features="stage2").output
    assert named["out_indices"] == [2]


def test_backbone_errors(manager, tiny):
    with pytest.raises(UserError) as err:
        run(manager, tiny["swin-backbone"], TASK, {"image": CAT}, out_indices="7")
    assert err.value.key == "bad_param" and "stage4" in str(err.value)
    with pytest.raises(UserError) as err:
        run(manager, tiny["vit-imgcls"], TASK, {"image": CAT})
    assert err.value.key == "misfit"  # the model manager refuses a model of another kind before loading it
    from transformers import AutoModel

    vit = Bundle(model=AutoModel.from_pretrained(str(tiny["vit-imgcls"])), processor=None)
    with pytest.raises(UserError) as err:  # a model without stages, however it got here
        backbone_for(vit, [], [1])
    assert err.value.key == "wrong_task"


def test_empty_stages_mean_every_stage_after_the_stem(manager, tiny):
    """The default fits every backbone: Swin's four stages, the tiny DINOv2's two (1, 2, 3, 4 would fail)."""
    for name, indices in (("swin-backbone", [1, 2, 3, 4]), ("dinov2", [1, 2])):
        result = run(manager, tiny[name], TASK, {"image": CAT}, out_indices="", out_features="", channels=1)
        assert result.output["out_indices"] == indices
        assert f"out_indices={indices}" in result.code
        ns = snippet(result.code)
        assert [tuple(f.shape) for f in ns["outputs"].feature_maps] == \
            [tuple(m["shape"]) for m in result.output["feature_maps"]]
    with pytest.raises(UserError) as err:
        run(manager, tiny["dinov2"], TASK, {"image": CAT}, out_indices="1, 2, 3, 4")
    assert err.value.key == "bad_param" and "0=stem, 1=stage1, 2=stage2" in str(err.value)


def test_stage_examples_and_hint_follow_the_model(tiny):
    from demos.vision.image_backbone import config_of, stage_examples, stage_names_of, stages_hint

    names = stage_names_of(config_of(str(tiny["dinov2"])))
    assert names == ["stem", "stage1", "stage2"]
    assert stages_hint(names) == "1, 2   (0=stem, 1=stage1, 2=stage2)"
    assert [row[1:] for row in stage_examples(names)] == [["1", ""], ["1, 2", ""], ["", "stage1, stage2"]]
    assert stage_names_of({"depths": [2, 2, 6, 2]}) == ["stem", "stage1", "stage2", "stage3", "stage4"]
    assert stage_names_of(config_of("nobody/not-cached")) == [] and stages_hint([]) == ""
    assert [row[1:] for row in stage_examples([])] == [["1", ""], ["", ""]]


def test_fields_are_bounded():
    assert TASK.parse({"image": CAT}, {"out_indices": "[1, 2]", "channels": "16"})[1]["out_indices"] == [1, 2]
    bad(TASK, image=CAT, out_indices="1, two")
    bad(TASK, image=CAT, out_indices="100")
    bad(TASK, "too_large", image=CAT, out_indices=",".join(str(i) for i in range(20)))
    bad(TASK, "too_large", image=CAT, out_features=[f"stage{i}" for i in range(17)])
    bad(TASK, image=CAT, channels=17)
    bad(TASK, image=CAT, channels=0)


def test_api(client, tiny):
    shapes, gallery, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), out_indices="1, 2", out_features="", channels=3, model=str(tiny["swin-backbone"]),
        api_name="/image_backbone"))
    assert raw["out_features"] == ["stage1", "stage2"] and len(gallery) == 6
    assert "| stage1 | (1, 8, 8, 8)" in shapes and "SwinBackbone.from_pretrained" in code
    assert gallery[0]["caption"].startswith("stage1 · ch ")


def test_a_refused_field_is_named_by_its_korean_label_in_korean():
    from core.ui import error_text

    with pytest.raises(UserError) as err:
        TASK.parse({"image": CAT}, {"channels": 17})
    assert error_text(TASK, err.value, "ko") == \
        "단계마다 그릴 채널 수 (channels)의 값이 잘못되었습니다: 1에서 16 사이여야 합니다. 받은 값: 17"
    assert error_text(TASK, err.value, "en") == err.value.text("en") == \
        "Invalid value for channels: must be between 1 and 16, got 17"  # the API's and the CLI's line
