"""mask-generation: a tiny SAM's automatic masks (point grid) and its three masks for a clicked point, the
click mapped onto a downscaled copy, the shown code giving the same masks; the API and the fields' bounds."""

from __future__ import annotations

import numpy as np
import pytest

from core import drawing, images
from core.errors import UserError
from demos.vision.mask_generation import TASK
from tests.test_vision_common import (
    CAT,
    CAT_SIZE,
    bad,
    image_file,
    run,
    size_of,
    snippet,
    value_of,
    write_big_photo,
)


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    return write_big_photo(tmp_path_factory.mktemp("big"))


def test_mask_generation_automatic(manager, tiny):
    result = run(manager, tiny["sam"], TASK, {"image": CAT}, points_per_batch=16, points_per_crop=4,
                 pred_iou_thresh=0.0, stability_score_thresh=0.0)
    masks = result.output["masks"]
    assert masks and len(masks) == len(result.output["scores"])
    assert all(drawing.mask_array(m["png"]).shape == (CAT_SIZE[1], CAT_SIZE[0]) for m in masks)
    printed = snippet(result.code)["result"]
    assert [np.asarray(m).sum() for m in printed["masks"]] == [m["area"] for m in masks]


def test_mask_generation_with_a_clicked_point(manager, tiny, big_photo):
    result = run(manager, tiny["sam"], TASK, {"image": CAT, "point": "200, 150"})
    assert result.output["point"] == [200.0, 150.0] and len(result.output["masks"]) == 3
    assert "SamModel" in result.code
    ns = snippet(result.code)
    assert ns["masks"].shape[0] == 3
    for mine, theirs in zip(result.output["masks"], ns["masks"]):
        assert np.array_equal(drawing.mask_array(mine["png"]), theirs.numpy())
    assert ns["scores"].tolist() == pytest.approx(result.output["scores"], abs=1e-5)
    # a click on a large photo is in its own pixels: the model gets it scaled to its copy
    scaled = run(manager, tiny["sam"], TASK, {"image": big_photo, "point": [1000, 500]})
    factor = images.model_size(big_photo)[1][0] / 1500
    assert scaled.output["point"] == pytest.approx([1000 * factor, 500 * factor], abs=0.01)
    with pytest.raises(UserError) as err:
        run(manager, tiny["sam"], TASK, {"image": CAT, "point": "900, 10"})
    assert err.value.key == "bad_param" and "outside" in str(err.value)


def test_fields_are_bounded():
    assert TASK.parse({"image": CAT, "point": {"x": 3, "y": 4}}, {})[0]["point"] == (3.0, 4.0)
    bad(TASK, image=CAT, point="3")
    bad(TASK, image=CAT, point="inf, 2")
    bad(TASK, image=CAT, points_per_batch=257)
    bad(TASK, image=CAT, points_per_crop=65)
    bad(TASK, image=CAT, points_per_crop=1)
    bad(TASK, image=CAT, pred_iou_thresh=2)
    bad(TASK, image=CAT, stability_score_thresh=-1)


def test_api_automatic_and_with_a_point(client, tiny):
    common = dict(image=image_file(CAT), points_per_batch=16, points_per_crop=4, pred_iou_thresh=0.0,
                  stability_score_thresh=0.0, opacity=0.5, model=str(tiny["sam"]), api_name="/mask_generation")
    drawn, table, notes, raw, code, details = map(value_of, client.predict(point="", **common))
    assert size_of(drawn) == CAT_SIZE and raw["masks"] and "pipeline('mask-generation'" in code
    drawn, table, notes, raw, code, details = map(value_of, client.predict(point="120, 80", **common))
    assert size_of(drawn) == CAT_SIZE and raw["point"] == [120.0, 80.0] and len(table["data"]) == 3
    assert "SamModel" in code and "three candidate masks" in notes
