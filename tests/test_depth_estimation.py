"""depth-estimation: a tiny DPT's depth at the image's size, the shown code giving the same tensor and
picture; the API's coloured map at the input's size and the colour map's choices."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core import images
from demos.vision.depth_estimation import TASK
from tests.test_vision_common import CAT, CAT_SIZE, bad, image_file, run, size_of, snippet, value_of


def test_depth_estimation(manager, tiny):
    result = run(manager, tiny["dpt"], TASK, {"image": CAT})
    stats, depth = result.output["predicted_depth"], result.output["depth"]
    assert stats["shape"][-2:] == [CAT_SIZE[1], CAT_SIZE[0]] and stats["min"] <= stats["mean"] <= stats["max"]
    assert images.from_data_uri(depth["png"]).size == CAT_SIZE
    printed = snippet(result.code)["result"]
    assert float(printed["predicted_depth"].mean()) == pytest.approx(stats["mean"], rel=1e-4, abs=1e-12)
    assert np.array_equal(np.asarray(printed["depth"]), np.asarray(images.from_data_uri(depth["png"])))


def test_colormap_is_one_of_the_maps():
    assert TASK.parse({"image": CAT}, {"colormap": "Viridis"})[1]["colormap"] == "viridis"
    bad(TASK, image=CAT, colormap="rainbow")


def test_api(client, tiny):
    depth, stats, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), colormap="viridis", model=str(tiny["dpt"]), api_name="/depth_estimation"))
    assert size_of(depth) == CAT_SIZE and stats == raw["predicted_depth"]
    with Image.open(depth) as picture:
        assert picture.mode == "RGB"  # coloured, not the pipeline's greyscale
