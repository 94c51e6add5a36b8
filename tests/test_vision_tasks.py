"""Vision tab, pure layer: every task's run function on tiny random models (structure only), the real
EfficientNet-Lite0 from the offline pack (real labels), the drawings mapped back onto the user's picture,
clear errors, and the Code panel's snippet executed and compared with the app's result."""

from __future__ import annotations

import contextlib
import io
import tempfile

import numpy as np
import pytest
from PIL import Image

from core import images
from core.errors import UserError
from demos import vision
from demos.vision import detection, features, segmentation, video
from demos.vision.common import make_video, sample

TASKS = {task.id: task for task, _ in vision.TASKS}
LABELS = {"cat", "dog", "car", "tree", "person"}
CAT = sample("chelsea")  # 451×300
CAT_SIZE = (451, 300)


def run(manager, model, task_id, inputs, **params):
    task = TASKS[task_id]
    return manager.run(task, str(model), inputs, {**task.params, **params})


def snippet(code: str) -> dict:
    """Execute a Code panel snippet in a fresh namespace (its prints swallowed); returns the namespace."""
    namespace: dict = {}
    # snippets save their pictures (depth.png, upscaled.png) next to themselves: not into the checkout
    with tempfile.TemporaryDirectory() as cwd, contextlib.chdir(cwd), contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace


def close(a, b, tol: float = 1e-5) -> bool:
    """a == b, numbers within tol, through nested lists and dicts."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= tol * max(1.0, abs(b))
    return a == b


def inside(box: dict, size: tuple[int, int]) -> bool:
    return 0 <= box["xmin"] <= box["xmax"] <= size[0] and 0 <= box["ymin"] <= box["ymax"] <= size[1]


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    """A 2-second H.264 clip (48 frames, 160×120) written with PyAV at test time."""
    return str(make_video(tmp_path_factory.mktemp("video") / "clip.mp4"))


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    """A 1500×1000 photo: above the 1 MP limit, so the model gets a downscaled copy."""
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    Image.open(CAT).resize((1500, 1000)).save(path)
    return str(path)


# ---- the tab -------------------------------------------------------------------------------------------
def test_the_tab_declares_every_task():
    assert vision.SPEC.id == "vision" and vision.SPEC.order == 20
    ids = [t.id for t in vision.SPEC.tasks]
    assert ids == list(vision.ORDER) and len(ids) == 11
    assert {t.api_name for t in vision.SPEC.tasks} >= {"image_backbone", "mask_generation", "image_to_image"}
    assert set(ids) == {t.id for group in vision.GROUPS for t, _ in group.TASKS}
    assert vision.SPEC.korean["Vision"] == "비전"


# ---- real outputs: EfficientNet-Lite0 from the offline pack --------------------------------------------
@pytest.mark.parametrize("photo, label", [("cheetah", "cheetah"), ("lion", "lion")])
def test_efficientnet_names_gradios_photos(manager, pack_dir, photo, label):
    result = run(manager, pack_dir / "efficientnet_lite0", "image-classification", {"image": sample(photo)}, top_k=5)
    assert result.output[0]["label"] == label and result.output[0]["score"] > 0.4
    assert [d["score"] for d in result.output] == sorted((d["score"] for d in result.output), reverse=True)
    assert result.details["model_class"] == "TimmWrapperForImageClassification"
    printed = snippet(result.code)["result"]
    assert [d["label"] for d in printed] == [d["label"] for d in result.output]
    assert [d["score"] for d in printed] == pytest.approx([d["score"] for d in result.output], abs=1e-5)


# ---- tiny models: structure ----------------------------------------------------------------------------
def test_image_classification(manager, tiny):
    result = run(manager, tiny["vit-imgcls"], "image-classification", {"image": CAT}, top_k=3)
    assert len(result.output) == 3 and {d["label"] for d in result.output} <= LABELS
    assert close(snippet(result.code)["result"], result.output)


def test_object_detection_boxes_inside_and_drawn_on_the_original(manager, tiny):
    result = run(manager, tiny["detr"], "object-detection", {"image": CAT}, threshold=0.0)
    assert len(result.output) == 10 and {d["label"] for d in result.output} <= LABELS
    assert all(inside(d["box"], CAT_SIZE) for d in result.output)
    drawn, note = detection.draw_detections({"image": CAT}, result.output)
    assert drawn.size == CAT_SIZE and note == ""
    assert not np.array_equal(np.asarray(drawn), np.asarray(Image.open(CAT).convert("RGB")))
    assert close(snippet(result.code)["result"], result.output)
    assert run(manager, tiny["detr"], "object-detection", {"image": CAT}, threshold=1.0).output == []


def test_a_large_photo_is_downscaled_for_the_model_and_drawn_back(manager, tiny, big_photo):
    result = run(manager, tiny["detr"], "object-detection", {"image": big_photo}, threshold=0.0)
    (w, h) = images.model_size(big_photo)[1]
    assert w * h <= images.MAX_PIXELS
    assert all(inside(d["box"], (w, h)) for d in result.output)
    drawn, note = detection.draw_detections({"image": big_photo}, result.output)
    assert drawn.size == (1500, 1000) and "copy" in note
    assert ".resize(" in result.code  # the snippet downscales the same way
    assert close(snippet(result.code)["result"], result.output)


@pytest.mark.parametrize("model, subtask, scored", [("detr-panoptic", "auto", True), ("maskformer", "instance", True),
                                                    ("segformer", "semantic", False)])
def test_image_segmentation_masks(manager, tiny, model, subtask, scored):
    result = run(manager, tiny[model], "image-segmentation", {"image": CAT}, subtask=subtask, threshold=0.0,
                 mask_threshold=0.0, overlap_mask_area_threshold=0.0)
    assert result.output
    for segment in result.output:
        assert (segment["score"] is not None) == scored
        mask = images.mask_array(segment["mask"]["png"])
        assert mask.shape == (CAT_SIZE[1], CAT_SIZE[0]) and int(mask.sum()) == segment["mask"]["area"]
    printed = snippet(result.code)["result"]
    assert [s["label"] for s in printed] == [s["label"] for s in result.output]
    for mine, theirs in zip(result.output, printed):
        assert np.array_equal(images.mask_array(mine["mask"]["png"]), np.asarray(theirs["mask"]) > 127)
    if not scored:
        assert "threshold" not in result.code  # semantic segmentation has no thresholds to pass


def test_segmentation_subtask_the_model_lacks(manager, tiny):
    with pytest.raises(UserError) as err:
        run(manager, tiny["segformer"], "image-segmentation", {"image": CAT}, subtask="panoptic")
    assert err.value.key == "bad_param" and "semantic" in str(err.value)


def test_depth_estimation(manager, tiny):
    result = run(manager, tiny["dpt"], "depth-estimation", {"image": CAT})
    stats, depth = result.output["predicted_depth"], result.output["depth"]
    assert stats["shape"][-2:] == [CAT_SIZE[1], CAT_SIZE[0]] and stats["min"] <= stats["mean"] <= stats["max"]
    assert images.from_data_uri(depth["png"]).size == CAT_SIZE
    printed = snippet(result.code)["result"]
    assert float(printed["predicted_depth"].mean()) == pytest.approx(stats["mean"], rel=1e-4, abs=1e-12)
    assert np.array_equal(np.asarray(printed["depth"]), np.asarray(images.from_data_uri(depth["png"])))


def test_zero_shot_image_classification(manager, tiny):
    result = run(manager, tiny["clip"], "zero-shot-image-classification",
                 {"image": CAT, "candidate_labels": "a cat, a dog\n"}, hypothesis_template="a photo of {}")
    assert {d["label"] for d in result.output} == {"a cat", "a dog"}
    assert sum(d["score"] for d in result.output) == pytest.approx(1.0, abs=1e-4)
    assert close(snippet(result.code)["result"], result.output)
    with pytest.raises(UserError) as err:
        run(manager, tiny["clip"], "zero-shot-image-classification", {"image": CAT, "candidate_labels": " , "})
    assert err.value.key == "empty_input"
    with pytest.raises(UserError) as err:
        run(manager, tiny["clip"], "zero-shot-image-classification", {"image": CAT, "candidate_labels": "cat"},
            hypothesis_template="a photo")
    assert err.value.key == "bad_param"


def test_zero_shot_object_detection(manager, tiny):
    result = run(manager, tiny["owlvit"], "zero-shot-object-detection",
                 {"image": CAT, "candidate_labels": ["a cat", "a remote"]}, threshold=0.1)
    assert result.output and {d["label"] for d in result.output} <= {"a cat", "a remote"}
    drawn, _ = detection.draw_detections({"image": CAT}, result.output)
    assert drawn.size == CAT_SIZE
    assert close(snippet(result.code)["result"], result.output)


def test_mask_generation_automatic(manager, tiny):
    result = run(manager, tiny["sam"], "mask-generation", {"image": CAT}, points_per_batch=16, points_per_crop=4,
                 pred_iou_thresh=0.0, stability_score_thresh=0.0)
    masks = result.output["masks"]
    assert masks and len(masks) == len(result.output["scores"])
    assert all(images.mask_array(m["png"]).shape == (CAT_SIZE[1], CAT_SIZE[0]) for m in masks)
    printed = snippet(result.code)["result"]
    assert [np.asarray(m).sum() for m in printed["masks"]] == [m["area"] for m in masks]


def test_mask_generation_with_a_clicked_point(manager, tiny, big_photo):
    result = run(manager, tiny["sam"], "mask-generation", {"image": CAT, "point": "200, 150"})
    assert result.output["point"] == [200.0, 150.0] and len(result.output["masks"]) == 3
    assert "SamModel" in result.code
    ns = snippet(result.code)
    assert ns["masks"].shape[0] == 3
    for mine, theirs in zip(result.output["masks"], ns["masks"]):
        assert np.array_equal(images.mask_array(mine["png"]), theirs.numpy())
    assert ns["scores"].tolist() == pytest.approx(result.output["scores"], abs=1e-5)
    # a click on a large photo is in its own pixels: the model gets it scaled to its copy
    scaled = run(manager, tiny["sam"], "mask-generation", {"image": big_photo, "point": [1000, 500]})
    factor = images.model_size(big_photo)[1][0] / 1500
    assert scaled.output["point"] == pytest.approx([1000 * factor, 500 * factor], abs=0.01)
    with pytest.raises(UserError) as err:
        run(manager, tiny["sam"], "mask-generation", {"image": CAT, "point": "900, 10"})
    assert err.value.key == "bad_param" and "outside" in str(err.value)


def test_super_resolution(manager, tiny):
    bus = sample("bus")  # 61×68 palette PNG with transparency
    result = run(manager, tiny["swin2sr"], "image-to-image", {"image": bus})
    out = result.output
    assert out["input_size"] == [61, 68] and out["scale"] == 2 and out["output_size"] == [122, 136]
    upscaled = images.from_data_uri(out["image"])
    assert upscaled.size == (122, 136)
    assert "AutoModelForImageToImage" in result.code and "KeyError" in result.code
    assert "rgba.getchannel('A')" in result.code  # the snippet puts the transparency on white, as the app did
    assert np.array_equal(np.asarray(snippet(result.code)["upscaled"]), np.asarray(upscaled))
    small = run(manager, tiny["swin2sr"], "image-to-image", {"image": sample("lion")}, max_input_pixels=4096)
    assert small.output["original_size"] == [256, 256] and small.output["input_size"] == [64, 64]
    assert small.output["output_size"] == [128, 128] and ".resize((64, 64)" in small.code


@pytest.mark.parametrize("pooling, shape", [("mean", [32]), ("cls", [32]), ("pooler", [32]), ("none", [1, 17, 32])])
def test_image_feature_extraction(manager, tiny, pooling, shape):
    result = run(manager, tiny["dinov2"], "image-feature-extraction", {"image": CAT}, pooling=pooling)
    out = result.output
    assert out["shape"] == shape and out["pooling"] == pooling
    ns = snippet(result.code)
    if pooling == "none":
        assert len(out["token_norms"]) == 17
        assert ns["features"].norm(dim=-1).tolist() == pytest.approx(out["token_norms"], abs=1e-4)
    else:
        assert len(out["vector"]) == 32 and out["norm"] == pytest.approx(np.linalg.norm(out["vector"]), rel=1e-4)
        assert ns["vector"].tolist() == pytest.approx(out["vector"], abs=1e-5)


def test_feature_extraction_of_a_cnn_and_its_limits(manager, pack_dir):
    folder = pack_dir / "efficientnet_lite0"
    out = run(manager, folder, "image-feature-extraction", {"image": CAT}, pooling="mean").output
    assert out["features_shape"][:2] == [1, 1280] and out["shape"] == [1280]
    with pytest.raises(UserError) as err:
        run(manager, folder, "image-feature-extraction", {"image": CAT}, pooling="cls")
    assert err.value.key == "bad_param"


def test_backbone_feature_maps(manager, tiny):
    result = run(manager, tiny["swin-backbone"], "image-backbone", {"image": CAT}, out_indices="1, 3", channels=2)
    out = result.output
    assert out["stage_names"] == ["stem", "stage1", "stage2", "stage3", "stage4"]
    assert out["out_features"] == ["stage1", "stage3"] and out["out_indices"] == [1, 3]
    shapes = [m["shape"] for m in out["feature_maps"]]
    assert [s[1] for s in shapes] == [8, 32] and shapes[0][2] > shapes[1][2]  # more channels, smaller maps
    assert all(len(m["channels"]) == 2 for m in out["feature_maps"])
    ns = snippet(result.code)
    assert [tuple(f.shape) for f in ns["outputs"].feature_maps] == [tuple(s) for s in shapes]
    for mine, theirs in zip(out["feature_maps"], ns["outputs"].feature_maps):  # same maps as AutoBackbone's
        channel = mine["channels"][0]
        assert float(theirs[0, channel["channel"]].min()) == pytest.approx(channel["min"], abs=1e-5)
        assert float(theirs[0, channel["channel"]].max()) == pytest.approx(channel["max"], abs=1e-5)
    named = run(manager, tiny["swin-backbone"], "image-backbone", {"image": CAT}, out_features="stage2").output
    assert named["out_indices"] == [2]


def test_backbone_errors(manager, tiny):
    with pytest.raises(UserError) as err:
        run(manager, tiny["swin-backbone"], "image-backbone", {"image": CAT}, out_indices="7")
    assert err.value.key == "bad_param" and "stage4" in str(err.value)
    with pytest.raises(UserError) as err:
        run(manager, tiny["vit-imgcls"], "image-backbone", {"image": CAT})
    assert err.value.key == "wrong_task"


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])  # WebM stores no frame count: the app counts them
def test_video_classification(manager, tiny, tmp_path, suffix):
    clip_file = str(make_video(tmp_path / f"clip{suffix}"))
    result = run(manager, tiny["videomae"], "video-classification", {"video": clip_file}, top_k=3)
    out = result.output
    assert len(out["labels"]) == 3 and {d["label"] for d in out["labels"]} <= {
        "running", "jumping", "cooking", "swimming", "dancing"}
    assert out["total_frames"] == 48 and out["frame_indices"] == [0, 12, 24, 36] and out["fps"] == 24.0
    assert video.read_frames(clip_file, out["frame_indices"], max_side=80).shape == (4, 60, 80, 3)
    ns = snippet(result.code)
    assert ns["indices"] == out["frame_indices"]
    assert close(ns["result"], out["labels"])


def test_video_errors(manager, tiny, clip_file, tmp_path):
    with pytest.raises(UserError) as err:
        run(manager, tiny["videomae"], "video-classification", {"video": clip_file}, num_frames=8)
    assert err.value.key == "bad_param" and "exactly 4 frames" in str(err.value)
    with pytest.raises(UserError) as err:
        run(manager, tiny["videomae"], "video-classification", {"video": clip_file}, num_frames=64)
    assert err.value.key == "bad_param" and "only 48 frames" in str(err.value)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(UserError) as err:
        run(manager, tiny["videomae"], "video-classification", {"video": str(text)})
    assert err.value.key == "bad_file"


def test_a_file_that_is_not_an_image(manager, tiny, tmp_path):
    fake = tmp_path / "photo.png"
    fake.write_text("this is text")
    for task_id, model in (("image-classification", "vit-imgcls"), ("image-backbone", "swin-backbone")):
        with pytest.raises(UserError) as err:
            run(manager, tiny[model], task_id, {"image": str(fake)})
        assert err.value.key == "bad_file" and "not an image" in str(err.value)


def test_render_helpers_keep_the_input_size(tmp_path):
    output = [{"label": "cat", "score": 0.5, "box": {"xmin": 10, "ymin": 10, "xmax": 60, "ymax": 40}}]
    for name in ("alpha", "rotated"):
        path = tmp_path / f"{name}.png"
        picture = Image.open(CAT).convert("RGBA" if name == "alpha" else "RGB")
        if name == "rotated":
            exif = picture.getexif()
            exif[0x0112] = 8
            picture.save(path, exif=exif)
            size = (CAT_SIZE[1], CAT_SIZE[0])
        else:
            picture.save(path)
            size = CAT_SIZE
        assert detection.draw_detections({"image": str(path)}, output)[0].size == size
    masks = [np.ones((CAT_SIZE[1], CAT_SIZE[0]), bool)]
    drawn = segmentation.draw_masks({"image": CAT}, masks, ["sky"], 0.5, points=[(5, 5)])
    assert drawn.size == CAT_SIZE
    assert features.vector_picture(list(np.linspace(-1, 1, 100))).size == (32 * 15, 4 * 15)
    assert features.token_picture([1.0] * 17, (64, 32)).size == (64, 32)
