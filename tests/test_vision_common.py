"""Vision tab, shared: the helpers every vision test module uses (running a task, executing a snippet,
comparing results), the tab's declaration, its fields' bounds, clear errors for files that are not images,
the drawing helpers, and importing the tab without gradio."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from PIL import Image

from core import images
from core.errors import UserError
from core.i18n import translate
from demos import vision
from demos.vision import image_feature_extraction, masks
from demos.vision.boxes import draw_detections
from demos.vision.common import Ints, Point, decode, make_video, sample
from tests.conftest import ROOT

LABELS = {"cat", "dog", "car", "tree", "person"}
CAT = sample("chelsea")  # 451×300
CAT_SIZE = (451, 300)


def run(manager, model, task, inputs, **params):
    """task run on model (a folder) with its defaults and params."""
    return manager.run(task, str(model), inputs, {**task.defaults(), **params})


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


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def image_file(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def size_of(path) -> tuple[int, int]:
    with Image.open(path) as picture:
        return picture.size


def bad(task, key: str = "bad_param", **values) -> UserError:
    """The UserError task.parse raises for these values (inputs and params alike)."""
    with pytest.raises(UserError) as err:
        task.parse({}, values)
    assert err.value.key == key, err.value
    return err.value


def write_clip(folder) -> str:
    """A 2-second H.264 clip (48 frames, 160×120) written with PyAV at test time, in folder."""
    return str(make_video(folder / "clip.mp4"))


def write_big_photo(folder) -> str:
    """A 1500×1000 photo in folder: above the 1 MP limit, so the model gets a downscaled copy."""
    path = folder / "big.jpg"
    Image.open(CAT).resize((1500, 1000)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    return write_big_photo(tmp_path_factory.mktemp("big"))


# ---- the tab -------------------------------------------------------------------------------------------
def test_the_tab_declares_every_task():
    assert vision.SPEC.id == "vision" and vision.SPEC.order == 20
    ids = [t.id for t in vision.SPEC.tasks]
    assert ids == list(vision.ORDER) and len(ids) == 11
    assert {t.api_name for t in vision.SPEC.tasks} >= {"image_backbone", "mask_generation", "image_to_image"}
    import importlib

    assert set(ids) == {importlib.import_module(f"demos.vision.{i.replace('-', '_')}").TASK.id for i in ids}
    assert translate("Vision", "ko") == "비전"


def test_importing_the_tab_imports_neither_gradio_nor_torch():
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import demos.vision"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line}
    assert not imported & {"gradio", "torch", "transformers"}


def test_every_label_and_help_has_korean():
    from core.i18n import catalog

    korean = catalog("ko")
    for task in vision.SPEC.tasks:
        assert task.title in korean
        for f in [*task.inputs.values(), *task.params.values()]:
            if f.help:
                assert f.help in korean, f.help
            if f.title != f.name:
                assert f.title in korean, f.title


def test_image_and_video_inputs_are_required_files():
    for task in vision.SPEC.tasks:
        media = next(iter(task.inputs.values()))
        assert media.kind == "file" and media.required and media.media in ("image", "video")
        with pytest.raises(UserError) as err:
            task.parse({}, {})
        assert err.value.key == "empty_input"


def test_point_and_ints_fields_parse_every_spelling():
    point = Point("point")
    assert point.parse("200, 150") == (200.0, 150.0) == point.parse("(200, 150)") == point.parse([200, 150])
    assert point.parse({"x": 200, "y": 150}) == (200.0, 150.0)
    assert point.parse("") is None and point.parse(None) is None
    for wrong in ("1, 2, 3", "a, b", "nan, 1", "1e9, 1", "-1, 5", [1, float("inf")]):
        with pytest.raises(UserError) as err:
            point.parse(wrong)
        assert err.value.key == "bad_param"
    with pytest.raises(UserError) as err:
        point.parse("1" * 100)
    assert err.value.key == "too_large"
    ints = Ints("out_indices", "1, 2")
    assert ints.parse("1, 3") == [1, 3] == ints.parse("(3, 1)") == ints.parse("[1,3]") == ints.parse([3, 1, 3])
    assert ints.parse(2) == [2] and ints.parse("") == [] and ints.parse(None) == [1, 2]
    for wrong in ("1.5", "one", "65", "-65", True, "1e300", "nan"):
        with pytest.raises(UserError) as err:
            ints.parse(wrong)
        assert err.value.key == "bad_param"
    with pytest.raises(UserError) as err:
        ints.parse(list(range(17)))
    assert err.value.key == "too_large"


def test_a_file_that_is_not_an_image(manager, tiny, tmp_path):
    from demos.vision.image_backbone import TASK as BACKBONE
    from demos.vision.image_classification import TASK as CLASSIFICATION

    fake = tmp_path / "photo.png"
    fake.write_text("this is text")
    for task, model in ((CLASSIFICATION, "vit-imgcls"), (BACKBONE, "swin-backbone")):
        with pytest.raises(UserError) as err:
            run(manager, tiny[model], task, {"image": str(fake)})
        assert err.value.key == "bad_file" and "not an image" in str(err.value)


def test_an_upload_is_decoded_once_for_the_model_and_the_drawing(big_photo):
    picture, model = decode({"image": big_photo})
    again = images.load_image(big_photo)
    assert picture.size == (1500, 1000) and model.size == again.size
    assert np.array_equal(np.asarray(model), np.asarray(again))  # the very pixels load_image gives the model
    assert model.info["steps"] == again.info["steps"] and model.info["scale"] == pytest.approx(again.info["scale"])
    assert images.loading_code(big_photo) == images.loading_code(big_photo, loaded=model)


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
        original, _ = decode({"image": str(path)})
        assert draw_detections(original, output).size == size
    mask = [np.ones((CAT_SIZE[1], CAT_SIZE[0]), bool)]
    drawn = masks.draw_masks(decode({"image": CAT})[0], mask, ["sky"], 0.5, points=[(5, 5)])
    assert drawn.size == CAT_SIZE
    assert image_feature_extraction.vector_picture(list(np.linspace(-1, 1, 100))).size == (32 * 15, 4 * 15)
    assert image_feature_extraction.token_picture([1.0] * 17, (64, 32)).size == (64, 32)
