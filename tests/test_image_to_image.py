"""image-to-image (super-resolution): a tiny Swin2SR doubles a palette PNG with transparency (put on white,
as the snippet does too), a large input is downscaled first (max_input_pixels, bounded); the API, and the
sizes line in the browser's language."""

from __future__ import annotations

import numpy as np

from core import images
from demos.vision.common import sample
from demos.vision.image_to_image import TASK
from tests.test_vision_common import CAT, bad, image_file, run, size_of, snippet, value_of


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


def test_max_input_pixels_is_bounded():
    assert TASK.parse({"image": CAT}, {"max_input_pixels": "262144"})[1]["max_input_pixels"] == 512 * 512
    for wrong in (512 * 512 + 1, 16_000_000, 1023, "1e12", 1.5):
        bad(TASK, image=CAT, max_input_pixels=wrong)


def test_api(client, tiny):
    bus = sample("bus")  # 61×68 palette PNG with transparency
    compare, upscaled, sizes, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(bus), max_input_pixels=65536, model=str(tiny["swin2sr"]), api_name="/image_to_image"))
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
