"""image-to-image (super-resolution): a tiny Swin2SR doubles a palette PNG with transparency (put on white,
as the snippet does too), a large input is downscaled first (max_input_pixels, bounded); the API, and the
sizes line in the browser's language; against transformers 4.57.6's image-to-image pipeline: crop_padding=False
gives its padded image pixel for pixel, the default is that image cropped to input × scale."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core import images
from demos.vision.common import sample
from demos.vision.image_to_image import TASK
from tests.test_vision_common import CAT, bad, image_file, run, size_of, snippet, value_of
from tests.v4 import image, run_v4, v4_folder


def test_super_resolution(manager, tiny):
    bus = sample("bus")  # 61×68 palette PNG with transparency
    result = run(manager, tiny["swin2sr"], TASK, {"image": bus})
    out = result.output
    assert out["input_size"] == [61, 68] and out["scale"] == 2 and out["output_size"] == [122, 136]
    upscaled = images.from_data_uri(out["image"])
    assert upscaled.size == (122, 136)
    assert "AutoModelForImageToImage" in result.code and "KeyError" in result.code
    assert "rgba.getchannel('A')" in result.code  # the snippet puts the transparency on white, as the app did
    assert np.array_equal(np.asarray(snippet(result.code)["upscaled"]), np.asarray(upscaled))
    assert np.array_equal(np.asarray(result.facts["upscaled"]), np.asarray(upscaled))
    small = run(manager, tiny["swin2sr"], TASK, {"image": sample("lion")}, max_input_pixels=4096)
    assert small.output["original_size"] == [256, 256] and small.output["input_size"] == [64, 64]
    assert small.output["output_size"] == [128, 128] and ".resize((64, 64)" in small.code


# (name, the app's inputs and params, the file 4.x gets: None = the app's model input saved as PNG)
V4_CASES = (
    ("palette PNG with transparency, 61×68 (68 is a multiple of 4: still padded)", "bus", {}),
    ("downscaled first", "lion", {"max_input_pixels": 4096}),
    ("odd RGB crop, 37×29, given to 4.x as the same file", "odd", {}),
    ("a multiple of the padding, 32×24", "even", {}),
)


@pytest.fixture(scope="module")
def against_v4(manager, tiny, tmp_path_factory):
    """[(case name, the app's run with the padding kept, the app's default run, 4.57.6's image)], one 4.x call."""
    folder = tmp_path_factory.mktemp("i2i-v4")
    lion = Image.open(sample("lion")).convert("RGB")
    files = {"bus": sample("bus"), "lion": sample("lion")}
    for name, box in (("odd", (100, 80, 137, 109)), ("even", (10, 20, 42, 44))):
        files[name] = str(folder / f"{name}.png")
        lion.crop(box).save(files[name])
    runs, cases = [], []
    for label, name, params in V4_CASES:
        kept = run(manager, tiny["swin2sr"], TASK, {"image": files[name]}, crop_padding=False, **params)
        default = run(manager, tiny["swin2sr"], TASK, {"image": files[name]}, **params)
        given = files[name]
        if name != "odd":  # what the model got (transparency on white, downscaled), as 4.x's input
            given = str(folder / f"{name}-input.png")
            kept.facts["input"].save(given)
        runs.append((label, kept, default))
        cases.append({"task": "image-to-image", "model": str(v4_folder(tiny["swin2sr"])), "inputs": image(given)})
    return [(label, kept, default, v4) for (label, kept, default), v4 in zip(runs, run_v4(cases))]


def v4_pixels(output: dict) -> np.ndarray:
    picture = output["$image"]
    assert picture["mode"] == "RGB"
    return np.asarray(picture["pixels"], dtype=np.uint8)


@pytest.mark.v4
def test_padding_kept_is_the_4x_image_pixel_for_pixel(against_v4):
    for label, kept, _, v4 in against_v4:
        expected = v4_pixels(v4)
        got = np.asarray(images.from_data_uri(kept.output["image"]).convert("RGB"))
        assert got.shape == expected.shape, label
        assert np.array_equal(got, expected), (label, int(np.abs(got.astype(int) - expected).max()))
        assert kept.output["output_size"] == [expected.shape[1], expected.shape[0]]
        assert "4.57.6" in kept.code and "padding is kept" in kept.code
        assert np.array_equal(np.asarray(snippet(kept.code)["upscaled"]), got), label  # the Code panel too
        assert "kept, as transformers 4.57.6" in kept.notes[0].text()


@pytest.mark.v4
def test_the_default_crops_the_4x_image_to_input_times_scale(against_v4):
    for label, _, default, v4 in against_v4:
        w, h = default.output["input_size"]
        scale = default.output["scale"]
        expected = v4_pixels(v4)
        assert expected.shape[0] > h * scale and expected.shape[1] > w * scale, label  # 4.x's output is padded
        got = np.asarray(images.from_data_uri(default.output["image"]).convert("RGB"))
        assert np.array_equal(got, expected[: h * scale, : w * scale]), label
        assert default.output["output_size"] == [w * scale, h * scale]
        note = default.notes[0].text()
        assert f"{expected.shape[1]}×{expected.shape[0]}" in note and "untick crop_padding" in note
        assert "crop_padding=False gives its image pixel for pixel" in default.code
        assert "4.57.6" in default.notes[0].text("ko") and "패딩" in default.notes[0].text("ko")


def test_max_input_pixels_is_bounded():
    assert TASK.parse({"image": CAT}, {"max_input_pixels": "262144"})[1]["max_input_pixels"] == 512 * 512
    for wrong in (512 * 512 + 1, 16_000_000, 1023, "1e12", 1.5):
        bad(TASK, image=CAT, max_input_pixels=wrong)


def test_api(client, tiny):
    bus = sample("bus")  # 61×68 palette PNG with transparency
    compare, upscaled, sizes, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(bus), max_input_pixels=65536, crop_padding=True, model=str(tiny["swin2sr"]), api_name="/image_to_image"))
    assert size_of(upscaled) == (122, 136) and raw["output_size"] == [122, 136]
    assert [size_of(p) for p in compare] == [(122, 136), (122, 136)]  # bicubic and model, same size
    assert "61×68" in sizes and "122×136" in sizes
    assert details["model_class"] == "Swin2SRForImageSuperResolution"
    assert "the padding was cropped off, to 122×136" in notes
    *_, notes, raw, code, _ = map(value_of, client.predict(
        image=image_file(bus), max_input_pixels=65536, crop_padding=False, model=str(tiny["swin2sr"]),
        api_name="/image_to_image"))
    assert raw["output_size"] == [128, 144] and "padding is kept" in notes and "4.57.6" in code


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
