"""object-detection: a tiny DETR's boxes lie inside the image and are drawn on the user's picture, a large
photo is downscaled for the model and drawn back (with a note), the shown code prints the app's result, the
API, the CLI and the threshold's bounds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from core import images
from demos.vision.boxes import draw_detections
from demos.vision.object_detection import TASK
from tests.conftest import ROOT
from tests.test_vision_common import (
    CAT,
    CAT_SIZE,
    LABELS,
    bad,
    close,
    image_file,
    inside,
    run,
    size_of,
    snippet,
    value_of,
    write_big_photo,
)


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    return write_big_photo(tmp_path_factory.mktemp("big"))


def test_object_detection_boxes_inside_and_drawn_on_the_original(manager, tiny):
    result = run(manager, tiny["detr"], TASK, {"image": CAT}, threshold=0.0)
    assert len(result.output) == 10 and {d["label"] for d in result.output} <= LABELS
    assert all(inside(d["box"], CAT_SIZE) for d in result.output)
    drawn = draw_detections(result.facts["picture"], result.output, result.facts["scale"])
    assert drawn.size == CAT_SIZE and result.notes == ()
    assert not np.array_equal(np.asarray(drawn), np.asarray(Image.open(CAT).convert("RGB")))
    assert close(snippet(result.code)["result"], result.output)
    assert run(manager, tiny["detr"], TASK, {"image": CAT}, threshold=1.0).output == []


def test_a_large_photo_is_downscaled_for_the_model_and_drawn_back(manager, tiny, big_photo):
    result = run(manager, tiny["detr"], TASK, {"image": big_photo}, threshold=0.0)
    (w, h) = images.model_size(big_photo)[1]
    assert w * h <= images.MAX_PIXELS
    assert all(inside(d["box"], (w, h)) for d in result.output)
    drawn = draw_detections(result.facts["picture"], result.output, result.facts["scale"])
    assert drawn.size == (1500, 1000) and "copy" in " ".join(n.text() for n in result.notes)
    assert ".resize(" in result.code  # the snippet downscales the same way
    assert close(snippet(result.code)["result"], result.output)


def test_threshold_is_bounded():
    for wrong in (-0.1, 1.5, "nan", "inf", "high"):
        bad(TASK, image=CAT, threshold=wrong)


def test_api_draws_boxes_on_the_input(client, tiny):
    drawn, table, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), threshold=0.0, model=str(tiny["detr"]), api_name="/object_detection"))
    assert size_of(drawn) == CAT_SIZE
    assert len(raw) == len(table["data"]) == 10
    for row in table["data"]:
        xmin, ymin, xmax, ymax = row[2:]
        assert 0 <= xmin <= xmax <= CAT_SIZE[0] and 0 <= ymin <= ymax <= CAT_SIZE[1]
    assert table["headers"] == ["label", "score", "xmin", "ymin", "xmax", "ymax"]
    drawn, table, notes, raw, *_ = map(value_of, client.predict(
        image=image_file(CAT), threshold=1.0, model=str(tiny["detr"]), api_name="/object_detection"))
    assert raw == [] and "lower the threshold" in notes and size_of(drawn) == CAT_SIZE


def cli(tiny_root, *args, timeout=300):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    return subprocess.run([sys.executable, "app.py", "run", *args, "--offline", "--models-dir", str(tiny_root)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout)


def test_cli_detects_objects(tiny, tiny_root):
    out = cli(tiny_root, "object-detection", CAT, "--model", str(tiny["detr"]), "--param", "threshold=0")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert len(result) == 10 and all(0 <= d["box"]["xmax"] <= CAT_SIZE[0] for d in result)


def test_cli_says_what_it_did_not_find_and_refuses_a_bad_threshold(tiny, tiny_root):
    out = cli(tiny_root, "object-detection", CAT, "--model", str(tiny["detr"]), "--param", "threshold=1")
    assert out.returncode == 0 and json.loads(out.stdout) == []
    assert "note: No object scored above 1.0: lower the threshold." in out.stderr
    out = cli(tiny_root, "object-detection", CAT, "--model", str(tiny["detr"]), "--param", "threshold=2")
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [
        "error: Invalid value for threshold: must be between 0 and 1, got 2"]


def test_a_run_opens_the_upload_once(manager, tiny, monkeypatch):
    """One decode serves the model, the drawing (facts) and the Code panel's loading lines."""
    opened = []
    real = images.Image.open
    monkeypatch.setattr(images.Image, "open", lambda fp, *a, **k: opened.append(fp) or real(fp, *a, **k))
    result = run(manager, tiny["detr"], TASK, {"image": CAT}, threshold=0.0)
    assert [str(p) for p in opened].count(CAT) == 1
    assert result.facts["picture"].size == CAT_SIZE and repr(CAT) in result.code
