"""image-classification: the real EfficientNet-Lite0 from the offline pack names gradio's photos, a tiny ViT
gives its labels, the shown code prints the app's result, the API and the bounds of top_k."""

from __future__ import annotations

import pytest

from demos.vision.common import sample
from demos.vision.image_classification import TASK
from tests.test_vision_common import CAT, LABELS, bad, close, image_file, run, snippet, value_of


@pytest.mark.parametrize("photo, label", [("cheetah", "cheetah"), ("lion", "lion")])
def test_efficientnet_names_gradios_photos(manager, pack_dir, photo, label):
    result = run(manager, pack_dir / "efficientnet_lite0", TASK, {"image": sample(photo)}, top_k=5)
    assert result.output[0]["label"] == label and result.output[0]["score"] > 0.4
    assert [d["score"] for d in result.output] == sorted((d["score"] for d in result.output), reverse=True)
    assert result.details["model_class"] == "TimmWrapperForImageClassification"
    printed = snippet(result.code)["result"]
    assert [d["label"] for d in printed] == [d["label"] for d in result.output]
    assert [d["score"] for d in printed] == pytest.approx([d["score"] for d in result.output], abs=1e-5)


def test_image_classification(manager, tiny):
    result = run(manager, tiny["vit-imgcls"], TASK, {"image": CAT}, top_k=3)
    assert len(result.output) == 3 and {d["label"] for d in result.output} <= LABELS
    assert close(snippet(result.code)["result"], result.output)


def test_top_k_is_bounded():
    assert TASK.parse({"image": CAT}, {"top_k": "100"})[1]["top_k"] == 100
    for wrong in (0, 101, 10**12, "nan", "inf", 2.5):
        bad(TASK, top_k=wrong)


def test_efficientnet_through_the_server(client, pack_dir):
    model = str(pack_dir / "efficientnet_lite0")
    for photo in ("cheetah", "lion"):
        label, notes, raw, code, details = map(value_of, client.predict(
            image=image_file(sample(photo)), top_k=3, model=model, api_name="/image_classification"))
        assert label["label"] == photo and raw[0]["label"] == photo
        assert "pipeline('image-classification'" in code and details["task"] == "image-classification"


def test_api(client, tiny):
    label, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), top_k=2, model=str(tiny["vit-imgcls"]), api_name="/image_classification"))
    assert len(raw) == 2 and [c["label"] for c in label["confidences"]] == [d["label"] for d in raw]
    assert details["model_class"] == "ViTForImageClassification"


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
