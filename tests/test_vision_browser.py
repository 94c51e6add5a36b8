"""Vision tab in a real browser (Debian's chromium through Playwright): upload an image (or a clip) to each
task, pick the tiny model, run, see the drawn result, and keep a screenshot for people to look at."""

from __future__ import annotations

import re

import pytest

from demos.vision.common import make_video, sample

pytestmark = pytest.mark.browser

CAT = sample("chelsea")  # 451×300

# api name -> (sub-tab title, input file (None: click the first example), tiny model, {label: value} to set,
#              selector of the drawn result, text expected in it, natural size of the drawn image or None)
CASES = {
    "image_classification": ("Image classification", CAT, "vit-imgcls", {"top_k": "3"}, "#image_classification_label",
                             re.compile("cat|dog|car|tree|person"), None),
    "object_detection": ("Object detection", CAT, "detr", {"Score threshold": "0"}, "#object_detection_table",
                         "car", (451, 300)),
    "image_segmentation": ("Image segmentation", CAT, "segformer", {}, "#image_segmentation_table", "sky",
                           (451, 300)),
    "depth_estimation": ("Depth estimation", CAT, "dpt", {}, "#depth_estimation_stats", "shape", (451, 300)),
    "zero_shot_image_classification": ("Zero-shot image classification", None, "clip", {},
                                       "#zero_shot_image_classification_label", "dog", None),
    "zero_shot_object_detection": ("Zero-shot object detection", CAT, "owlvit", {},
                                   "#zero_shot_object_detection_table", "a cat", (451, 300)),
    "image_to_image": ("Super-resolution (image-to-image)", sample("bus"), "swin2sr", {}, "#image_to_image_sizes",
                       "upscaled ×2 to 122×136", None),
    "image_feature_extraction": ("Image feature extraction", CAT, "dinov2", {}, "#image_feature_extraction_summary",
                                 "Vector of shape", None),
    "image_backbone": ("Backbone feature maps", CAT, "swin-backbone", {}, "#image_backbone_shapes",
                       "(1, 8, 8, 8)", None),
}


def open_task(page, title: str) -> None:
    """Open the Vision tab, then the task's sub-tab (every sub-tab is in sight: the row wraps)."""
    page.get_by_role("tab", name="Vision", exact=True).click()
    page.get_by_role("tab", name=title, exact=True).click()


def pick_model(page, api_name: str, folder) -> None:
    model = page.locator(f"#{api_name}_model input")
    model.fill(str(folder))
    model.press("Enter")


def natural_size(locator) -> tuple[int, int]:
    return tuple(locator.evaluate("img => [img.naturalWidth, img.naturalHeight]"))


@pytest.mark.parametrize("api_name", list(CASES))
def test_each_image_task_runs_and_draws(page, base_url, tiny, shoot, api_name):
    from playwright.sync_api import expect

    title, path, model, settings, result, expected, size = CASES[api_name]
    page.goto(base_url)
    open_task(page, title)
    tab = page.locator(f"#task_{api_name}")
    if path is None:  # the first example row: the study notes' cat (chelsea) with its labels
        tab.locator(".gallery-item, tr.tr-body").first.click()
    else:
        page.locator(f"#{api_name}_image input[type=file]").set_input_files(path)
    expect(page.locator(f"#{api_name}_image img").first).to_be_visible()
    pick_model(page, api_name, tiny[model])
    for label, value in settings.items():
        field = tab.get_by_label(label).first
        field.fill(value)
        field.press("Enter")
    page.locator(f"#{api_name}_run").click()
    expect(page.locator(result)).to_contain_text(expected, timeout=60_000)
    if size:
        drawn = page.locator(f"#{api_name}_result img, #{api_name}_depth img").first
        expect(drawn).to_be_visible()
        assert natural_size(drawn) == size
    expect(page.locator(f"#{api_name}_code")).to_contain_text(str(tiny[model]))
    shoot(page, f"vision_{api_name}")


def test_mask_generation_from_a_click(page, base_url, tiny, shoot):
    """Clicking the photo puts the point in the prompt box and runs SAM on it."""
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Mask generation (SAM)")
    page.locator("#mask_generation_image input[type=file]").set_input_files(CAT)
    pick_model(page, "mask_generation", tiny["sam"])
    picture = page.locator("#mask_generation_image img").first
    expect(picture).to_be_visible()
    picture.click(position={"x": 120, "y": 80})
    expect(page.locator("#mask_generation_point input")).not_to_have_value("")  # a one-line box
    expect(page.locator("#mask_generation_table")).to_contain_text("mask 3", timeout=60_000)
    expect(page.locator("#mask_generation_code")).to_contain_text("SamModel")
    assert natural_size(page.locator("#mask_generation_result img").first) == (451, 300)
    shoot(page, "vision_mask_generation")


def test_video_classification_shows_the_sampled_frames(page, base_url, tiny, shoot, tmp_path):
    from playwright.sync_api import expect

    clip = make_video(tmp_path / "clip.webm")  # VP8: Debian's chromium plays it
    page.goto(base_url)
    open_task(page, "Video classification")
    page.locator("#video_classification_video input[type=file]").set_input_files(str(clip))
    pick_model(page, "video_classification", tiny["videomae"])
    page.locator("#video_classification_run").click()
    expect(page.locator("#video_classification_frames")).to_contain_text("frame 36", timeout=60_000)
    expect(page.locator("#video_classification_frames img")).to_have_count(4)
    expect(page.locator("#video_classification_label")).to_contain_text(
        re.compile("running|jumping|cooking|swimming|dancing"))
    shoot(page, "vision_video_classification")


def test_a_bad_parameter_is_one_readable_line(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Backbone feature maps")
    page.locator("#image_backbone_image input[type=file]").set_input_files(CAT)
    pick_model(page, "image_backbone", tiny["swin-backbone"])
    indices = page.locator("#image_backbone_indices input")  # a one-line box
    indices.fill("9")
    page.locator("#image_backbone_run").click()
    expect(page.get_by_text("Invalid value for out_indices")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("9 is not a stage of this model; this model's stages: 0=stem, 1=stage1"))
           ).to_be_visible()
    page.wait_for_timeout(800)  # the toast fades in
    shoot(page, "vision_error")
