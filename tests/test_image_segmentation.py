"""image-segmentation: tiny DETR-panoptic, MaskFormer and SegFormer give masks of the image's size, the
shown code prints the same masks, a subtask the model lacks is a clear error; the API, the CLI and the
fields' bounds."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from core import drawing
from core.errors import UserError
from demos.vision.image_segmentation import TASK
from tests.conftest import ROOT
from tests.test_vision_common import CAT, CAT_SIZE, bad, image_file, run, size_of, snippet, value_of


@pytest.mark.parametrize("model, subtask, scored", [("detr-panoptic", "auto", True), ("maskformer", "instance", True),
                                                    ("segformer", "semantic", False)])
def test_image_segmentation_masks(manager, tiny, model, subtask, scored):
    result = run(manager, tiny[model], TASK, {"image": CAT}, subtask=subtask, threshold=0.0,
                 mask_threshold=0.0, overlap_mask_area_threshold=0.0)
    assert result.output
    for segment in result.output:
        assert (segment["score"] is not None) == scored
        mask = drawing.mask_array(segment["mask"]["png"])
        assert mask.shape == (CAT_SIZE[1], CAT_SIZE[0]) and int(mask.sum()) == segment["mask"]["area"]
    printed = snippet(result.code)["result"]
    assert [s["label"] for s in printed] == [s["label"] for s in result.output]
    for mine, theirs in zip(result.output, printed):
        assert np.array_equal(drawing.mask_array(mine["mask"]["png"]), np.asarray(theirs["mask"]) > 127)
    if not scored:
        assert "threshold" not in result.code  # semantic segmentation has no thresholds to pass


def test_segmentation_subtask_the_model_lacks(manager, tiny):
    with pytest.raises(UserError) as err:
        run(manager, tiny["segformer"], TASK, {"image": CAT}, subtask="panoptic")
    assert err.value.key == "bad_param" and "semantic" in str(err.value)


def test_fields_are_bounded():
    assert TASK.parse({"image": CAT}, {"subtask": "Semantic"})[1]["subtask"] == "semantic"
    assert "one of auto, panoptic, instance, semantic" in str(bad(TASK, image=CAT, subtask="everything"))
    for name in ("threshold", "mask_threshold", "overlap_mask_area_threshold", "opacity"):
        bad(TASK, image=CAT, **{name: 1.5})
        bad(TASK, image=CAT, **{name: "nan"})


def test_api(client, tiny):
    drawn, table, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), subtask="panoptic", threshold=0.0, mask_threshold=0.0, overlap_mask_area_threshold=0.0,
        opacity=0.6, model=str(tiny["detr-panoptic"]), api_name="/image_segmentation"))
    assert size_of(drawn) == CAT_SIZE and raw and len(table["data"]) == len(raw)
    assert all(s["mask"]["size"] == list(CAT_SIZE) for s in raw)
    assert "subtask='panoptic'" in code


def test_cli_refuses_a_file_that_is_not_an_image(tiny, tiny_root, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("plain text")
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "app.py", "run", "image-segmentation", str(fake), "--model",
                          str(tiny["segformer"]), "--offline", "--models-dir", str(tiny_root)], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "error: Image could not be read: photo.jpg is not an image (PNG, JPEG, WebP, GIF, BMP, TIFF...)"]
