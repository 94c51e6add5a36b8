"""core.images: reading any image the way the app needs it, writing the code that repeats it, and the
drawings (boxes, masks, legend, colour maps). No models: fast."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from core import drawing, images
from core.errors import UserError
from demos.vision.common import package_file, sample

CHEETAH = package_file("gradio", "media_assets", "images", "cheetah.jpg")
BUS = package_file("gradio", "media_assets", "images", "bus.png")  # palette PNG with transparency
GIF = package_file("gradio", "media_assets", "images", "screenshot.gif")  # 33 frames, 2184×1280


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Images in the formats users upload, made from a shipped photo."""
    d = tmp_path_factory.mktemp("images")
    photo = Image.open(CHEETAH).convert("RGB")  # 502×343
    out = {}
    rotated = photo.copy()
    exif = rotated.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    rotated.save(d / "rotated.jpg", exif=exif)
    out["rotated"] = d / "rotated.jpg"
    rgba = photo.convert("RGBA")
    alpha = np.full((photo.height, photo.width), 255, np.uint8)
    alpha[:, :100] = 0  # left strip fully transparent
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(d / "alpha.png")
    out["alpha"] = d / "alpha.png"
    photo.convert("L").save(d / "grey.png")
    out["grey"] = d / "grey.png"
    photo.convert("CMYK").save(d / "cmyk.jpg")
    out["cmyk"] = d / "cmyk.jpg"
    wide = (np.arange(40 * 60).reshape(40, 60) * 27).astype(np.uint16)
    Image.fromarray(wide).save(d / "grey16.png")
    out["grey16"] = d / "grey16.png"
    photo.save(d / "photo.webp")
    out["webp"] = d / "photo.webp"
    (d / "notes.txt").write_text("not an image")
    out["text"] = d / "notes.txt"
    (d / "empty.png").write_bytes(b"")
    out["empty"] = d / "empty.png"
    (d / "cut.jpg").write_bytes(open(CHEETAH, "rb").read()[:3000])
    out["truncated"] = d / "cut.jpg"
    Image.new("RGB", (3000, 2000), "red").save(d / "big.png")
    out["big"] = d / "big.png"
    return out


def test_plain_photo_is_untouched():
    image = images.load_image(CHEETAH)
    assert image.mode == "RGB" and image.size == (502, 343)
    assert image.info["original_size"] == (502, 343) and image.info["scale"] == 1.0 and image.info["steps"] == []
    assert np.array_equal(np.asarray(image), np.asarray(Image.open(CHEETAH).convert("RGB")))


def test_exif_rotation_is_applied(files):
    image = images.load_image(files["rotated"])
    assert image.size == (343, 502) and "exif" in image.info["steps"]
    assert images.upright_size(Image.open(files["rotated"])) == (343, 502)


def test_transparency_lands_on_white_not_black(files):
    image = images.load_image(files["alpha"])
    pixels = np.asarray(image)
    assert image.mode == "RGB" and "alpha" in image.info["steps"]
    assert (pixels[:, :100] == 255).all()  # was transparent
    assert not (pixels[:, 200:] == 255).all()  # the photo is still there


@pytest.mark.parametrize("name", ["grey", "cmyk", "webp"])
def test_other_modes_become_rgb(files, name):
    image = images.load_image(files[name])
    assert image.mode == "RGB" and image.size == (502, 343)


def test_palette_gif_and_16_bit(files):
    bus = images.load_image(BUS)
    assert bus.mode == "RGB" and bus.size == Image.open(BUS).size
    gif = images.load_image(GIF)
    assert gif.mode == "RGB" and "first_frame" in gif.info["steps"]
    grey16 = np.asarray(images.load_image(files["grey16"]))
    assert grey16.min() == 0 and grey16.max() == 255  # scaled, not clipped to white
    assert len(np.unique(grey16[..., 0])) > 100


def test_large_images_are_downscaled_with_the_scale_kept(files):
    image = images.load_image(files["big"])
    w, h = image.size
    assert w * h <= images.MAX_PIXELS and abs(w / h - 1.5) < 0.01
    assert image.info["original_size"] == (3000, 2000)
    assert image.info["scale"] == pytest.approx(w / 3000)
    assert images.model_size(str(files["big"])) == ((3000, 2000), (w, h))
    full = images.load_image(files["big"], max_pixels=None)
    assert full.size == (3000, 2000) and full.info["scale"] == 1.0


def test_too_many_pixels_is_refused_before_decoding(files):
    with pytest.raises(UserError) as err:
        images.load_image(files["big"], hard_limit=5_000_000)
    assert err.value.key == "too_large" and "3000×2000" in str(err.value)


@pytest.mark.parametrize("name, key", [("text", "bad_file"), ("empty", "bad_file"), ("truncated", "bad_file")])
def test_unreadable_files_are_clear_errors(files, name, key):
    with pytest.raises(UserError) as err:
        images.load_image(files[name])
    assert err.value.key == key
    assert "Image could not be read" in str(err.value)


def test_missing_and_empty_inputs(tmp_path):
    with pytest.raises(UserError) as err:
        images.load_image(None)
    assert err.value.key == "empty_input"
    with pytest.raises(UserError) as err:
        images.load_image(tmp_path / "nope.png")
    assert err.value.key == "bad_file" and "no such file" in str(err.value)
    with pytest.raises(UserError) as err:
        images.load_image(np.zeros((4, 4, 7)))
    assert err.value.key == "bad_file"


def test_arrays_pil_and_gradio_dicts():
    floats = images.load_image(np.linspace(0, 1, 200).reshape(10, 20))
    assert floats.mode == "RGB" and np.asarray(floats).max() == 255
    rgba = images.load_image(np.zeros((10, 20, 4), np.uint8))
    assert (np.asarray(rgba) == 255).all()  # fully transparent -> white
    assert images.load_image({"path": CHEETAH}).size == (502, 343)
    assert images.load_image(Image.open(CHEETAH)).size == (502, 343)


@pytest.mark.parametrize("name", ["rotated", "alpha", "grey16", "big", "cmyk"])
def test_loading_code_repeats_load_image(files, name):
    """The Code panel's image lines give exactly the pixels the model got."""
    expr, lines = images.loading_code(str(files[name]))
    namespace: dict = {}
    if lines:
        exec("\n".join(lines), namespace)
        got = namespace[expr]
    else:  # a bare path: the pipelines' own load_image opens it
        from transformers.image_utils import load_image

        got = load_image(eval(expr))
    assert np.array_equal(np.asarray(got), np.asarray(images.load_image(files[name])))


def test_loading_code_is_a_bare_path_when_nothing_more_is_needed(files):
    expr, lines = images.loading_code(CHEETAH)
    assert lines == [] and eval(expr) == CHEETAH
    expr, lines = images.loading_code(str(files["big"]))
    assert expr == "image" and any(".resize(" in line for line in lines)


def test_data_uri_round_trip_and_mask_summary():
    mask = np.zeros((30, 40), bool)
    mask[5:10, 3:9] = True
    summary = drawing.mask_summary(mask)
    assert summary["area"] == 30 and summary["size"] == [40, 30]
    assert summary["box"] == {"xmin": 3, "ymin": 5, "xmax": 8, "ymax": 9}
    assert np.array_equal(drawing.mask_array(summary["png"]), mask)
    assert drawing.mask_summary(np.zeros((3, 3), bool))["box"] is None
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 255, (7, 9, 3), dtype=np.uint8))
    assert np.array_equal(np.asarray(images.from_data_uri(images.to_data_uri(picture))), np.asarray(picture))


def test_boxes_are_drawn_in_the_label_colour_and_scaled():
    base = Image.new("RGB", (400, 300), "white")
    detections = [{"label": "cat", "score": 0.9, "box": {"xmin": 50, "ymin": 60, "xmax": 100, "ymax": 120}},
                  {"label": "dog", "score": 0.8, "box": {"xmin": -20, "ymin": 10, "xmax": 500, "ymax": 90}}]
    colors = drawing.label_colors(["cat", "dog"])
    drawn = drawing.draw_boxes(base, detections, scale=2.0, colors=colors)
    assert drawn.size == base.size and base.getpixel((0, 0)) == (255, 255, 255)  # a copy
    pixels = np.asarray(drawn)
    assert tuple(pixels[200, 100]) == colors["cat"]  # left edge of the cat box, at x = 50 * 2
    assert tuple(pixels[150, 399]) == colors["dog"]  # the dog box reaches past the border: clipped
    assert colors["cat"] != colors["dog"]


def test_mask_overlay_opacity_outline_and_legend():
    base = Image.new("RGB", (100, 80), (0, 0, 0))
    mask = np.zeros((40, 50), bool)  # half size: resized to the picture
    mask[10:30, 10:40] = True
    colors = {"sky": (200, 100, 0)}
    half = np.asarray(drawing.overlay_masks(base, [mask], ["sky"], opacity=0.5, colors=colors, outline=False))
    assert tuple(half[40, 50]) == (100, 50, 0) and tuple(half[2, 2]) == (0, 0, 0)
    full = np.asarray(drawing.overlay_masks(base, [mask], ["sky"], opacity=1.0, colors=colors))
    assert tuple(full[40, 50]) == colors["sky"]
    legend = drawing.draw_legend(Image.fromarray(full), [("sky", colors["sky"])], corner="top-left")
    assert legend.size == (100, 80)
    assert (np.asarray(legend)[:20, :40] > 200).all(axis=-1).any()  # the white legend box


def test_colour_maps():
    ramp = np.linspace(0, 1, 256).reshape(1, 256)
    for name, anchors in drawing.COLORMAPS.items():
        picture = np.asarray(drawing.colorize(ramp, name))
        assert picture.shape == (1, 256, 3)
        assert tuple(picture[0, 0]) == anchors[0] and tuple(picture[0, -1]) == anchors[-1]
    flat = np.asarray(drawing.colorize(np.ones((4, 4)), "gray"))
    assert (flat == flat[0, 0]).all()
    assert drawing.colorize(np.arange(5.0), "magma").size == (5, 1)  # a vector is one row
    with pytest.raises(UserError):
        drawing.colorize(ramp, "rainbow")


def test_samples_are_found_in_installed_packages():
    for name in ("cheetah", "lion", "chelsea", "coffee"):
        assert sample(name) and Image.open(sample(name)).size[0] > 100
    assert package_file("no_such_package_xyz", "a.png") is None


def test_example_video_is_generated_once_when_no_package_ships_one(tmp_path, monkeypatch):
    from demos.vision import common
    from demos.vision.video_classification import probe

    monkeypatch.setattr(common, "package_file", lambda *parts: None)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    path = common.example_video()
    assert path and path.endswith(".webm") and probe(path)["total_frames"] == 48
    stamp = os.path.getmtime(path)
    assert common.example_video() == path and os.path.getmtime(path) == stamp  # reused, not rewritten
