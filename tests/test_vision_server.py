"""Vision tab through the real server (gradio_client, one endpoint per task) and the CLI: the drawn output
comes back at the input's size, boxes lie inside the image, and errors are one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from demos.vision.common import make_video, sample
from tests.conftest import ROOT

CAT = sample("chelsea")  # 451×300
CAT_SIZE = (451, 300)


def image_file(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def size_of(path) -> tuple[int, int]:
    with Image.open(path) as picture:
        return picture.size


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    return str(make_video(tmp_path_factory.mktemp("video") / "clip.mp4"))


def test_efficientnet_through_the_server(client, pack_dir):
    model = str(pack_dir / "efficientnet_lite0")
    for photo in ("cheetah", "lion"):
        label, raw, code, details = client.predict(image=image_file(sample(photo)), top_k=3, model=model,
                                                   api_name="/image_classification")
        assert label["label"] == photo and raw[0]["label"] == photo
        assert "pipeline('image-classification'" in code and details["task"] == "image-classification"


def test_image_classification(client, tiny):
    label, raw, code, details = client.predict(image=image_file(CAT), top_k=2, model=str(tiny["vit-imgcls"]),
                                               api_name="/image_classification")
    assert len(raw) == 2 and [c["label"] for c in label["confidences"]] == [d["label"] for d in raw]
    assert details["model_class"] == "ViTForImageClassification"


def test_object_detection_draws_boxes_on_the_input(client, tiny):
    drawn, note, table, raw, code, details = client.predict(
        image=image_file(CAT), threshold=0.0, model=str(tiny["detr"]), api_name="/object_detection")
    assert size_of(drawn) == CAT_SIZE
    assert len(raw) == len(table["data"]) == 10
    for row in table["data"]:
        xmin, ymin, xmax, ymax = row[2:]
        assert 0 <= xmin <= xmax <= CAT_SIZE[0] and 0 <= ymin <= ymax <= CAT_SIZE[1]
    assert table["headers"] == ["label", "score", "xmin", "ymin", "xmax", "ymax"]
    drawn, note, table, raw, *_ = client.predict(image=image_file(CAT), threshold=1.0, model=str(tiny["detr"]),
                                                 api_name="/object_detection")
    assert raw == [] and "lower the threshold" in note and size_of(drawn) == CAT_SIZE


def test_zero_shot_object_detection(client, tiny):
    drawn, note, table, raw, code, details = client.predict(
        image=image_file(CAT), candidate_labels="a cat, a dog", threshold=0.1, model=str(tiny["owlvit"]),
        api_name="/zero_shot_object_detection")
    assert size_of(drawn) == CAT_SIZE and raw and {d["label"] for d in raw} <= {"a cat", "a dog"}
    assert "candidate_labels=['a cat', 'a dog']" in code


def test_image_segmentation(client, tiny):
    drawn, note, table, raw, code, details = client.predict(
        image=image_file(CAT), subtask="panoptic", threshold=0.0, mask_threshold=0.0, overlap_mask_area_threshold=0.0,
        opacity=0.6, model=str(tiny["detr-panoptic"]), api_name="/image_segmentation")
    assert size_of(drawn) == CAT_SIZE and raw and len(table["data"]) == len(raw)
    assert all(s["mask"]["size"] == list(CAT_SIZE) for s in raw)
    assert "subtask='panoptic'" in code


def test_depth_estimation(client, tiny):
    depth, stats, raw, code, details = client.predict(image=image_file(CAT), colormap="viridis",
                                                      model=str(tiny["dpt"]), api_name="/depth_estimation")
    assert size_of(depth) == CAT_SIZE and stats == raw["predicted_depth"]
    with Image.open(depth) as picture:
        assert picture.mode == "RGB"  # coloured, not the pipeline's greyscale


def test_zero_shot_image_classification(client, tiny):
    label, raw, code, details = client.predict(image=image_file(CAT), candidate_labels="cat\ndog\nbird",
                                               hypothesis_template="a photo of a {}.", model=str(tiny["clip"]),
                                               api_name="/zero_shot_image_classification")
    assert {c["label"] for c in label["confidences"]} == {"cat", "dog", "bird"}


def test_mask_generation_automatic_and_with_a_point(client, tiny):
    common = dict(image=image_file(CAT), points_per_batch=16, points_per_crop=4, pred_iou_thresh=0.0,
                  stability_score_thresh=0.0, opacity=0.5, model=str(tiny["sam"]), api_name="/mask_generation")
    drawn, note, table, raw, code, details = client.predict(point="", **common)
    assert size_of(drawn) == CAT_SIZE and raw["masks"] and "pipeline('mask-generation'" in code
    drawn, note, table, raw, code, details = client.predict(point="120, 80", **common)
    assert size_of(drawn) == CAT_SIZE and raw["point"] == [120.0, 80.0] and len(table["data"]) == 3
    assert "SamModel" in code


def test_super_resolution(client, tiny):
    bus = sample("bus")  # 61×68 palette PNG with transparency
    compare, upscaled, sizes, raw, code, details = client.predict(
        image=image_file(bus), max_input_pixels=65536, model=str(tiny["swin2sr"]), api_name="/image_to_image")
    assert size_of(upscaled) == (122, 136) and raw["output_size"] == [122, 136]
    assert [size_of(p) for p in compare] == [(122, 136), (122, 136)]  # bicubic and model, same size
    assert "61×68" in sizes and "122×136" in sizes
    assert details["model_class"] == "Swin2SRForImageSuperResolution"


def test_result_texts_follow_the_browsers_language(base_url, tiny):
    """The sizes line under the upscaled picture is made per request: Korean for a Korean browser."""
    from gradio_client import Client

    call = dict(image=image_file(sample("bus")), max_input_pixels=65536, model=str(tiny["swin2sr"]),
                api_name="/image_to_image")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    sizes = korean.predict(**call)[2]
    assert "원본 이미지 **61×68**" in sizes and "확대" in sizes and "your image" not in sizes
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "upscaled ×2 to **122×136**" in english.predict(**call)[2]


def test_image_feature_extraction(client, tiny):
    summary, preview, raw, code, details = client.predict(image=image_file(CAT), pooling="none",
                                                          model=str(tiny["dinov2"]),
                                                          api_name="/image_feature_extraction")
    assert raw["shape"] == [1, 17, 32] and "(1, 17, 32)" in summary
    assert size_of(preview) == CAT_SIZE  # patch-norm heat map over the image


def test_image_backbone(client, tiny):
    shapes, gallery, raw, code, details = client.predict(
        image=image_file(CAT), out_indices="1, 2", out_features="", channels=3, model=str(tiny["swin-backbone"]),
        api_name="/image_backbone")
    assert raw["out_features"] == ["stage1", "stage2"] and len(gallery) == 6
    assert "| stage1 | (1, 8, 8, 8)" in shapes and "SwinBackbone.from_pretrained" in code
    assert gallery[0]["caption"].startswith("stage1 · ch ")


def test_video_classification(client, tiny, clip_file):
    from gradio_client import handle_file

    label, frames, raw, code, details = client.predict(
        video=handle_file(clip_file), num_frames=0, top_k=2, model=str(tiny["videomae"]),
        api_name="/video_classification")
    assert len(raw["labels"]) == 2 and len(frames) == 4 and frames[1]["caption"] == "frame 12 · 0.50 s"


def test_a_text_file_given_as_an_image_is_one_clear_error(client, tiny, tmp_path):
    from gradio_client import handle_file

    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    with pytest.raises(Exception) as err:  # gradio's own preprocessing opens the upload first
        client.predict(image=handle_file(str(fake)), top_k=2, model=str(tiny["vit-imgcls"]),
                       api_name="/image_classification")
    assert "Traceback" not in str(err.value)
    # the server still answers
    label, *_ = client.predict(image=image_file(CAT), top_k=1, model=str(tiny["vit-imgcls"]),
                               api_name="/image_classification")
    assert label["label"]


# ---- CLI -----------------------------------------------------------------------------------------------
def cli(*args, timeout=300):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    return subprocess.run([sys.executable, "app.py", "run", *args, "--offline"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_cli_detects_objects(tiny):
    out = cli("object-detection", CAT, "--model", str(tiny["detr"]), "--param", "threshold=0")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert len(result) == 10 and all(0 <= d["box"]["xmax"] <= CAT_SIZE[0] for d in result)


def test_cli_refuses_a_file_that_is_not_an_image(tiny, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("plain text")
    out = cli("image-segmentation", str(fake), "--model", str(tiny["segformer"]))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "error: Image could not be read: photo.jpg is not an image (PNG, JPEG, WebP, GIF, BMP, TIFF...)"]
