"""zero-shot-image-classification: a tiny CLIP scores the labels you write (one per line or comma-separated),
the template must hold {}, the shown code prints the app's result, the API and the fields' bounds."""

from __future__ import annotations

import pytest

from core.errors import UserError
from demos.vision.zero_shot_image_classification import TASK
from tests.test_vision_common import CAT, bad, close, image_file, run, snippet, value_of


def test_zero_shot_image_classification(manager, tiny):
    result = run(manager, tiny["clip"], TASK, {"image": CAT, "candidate_labels": "a cat, a dog\n"},
                 hypothesis_template="a photo of {}")
    assert {d["label"] for d in result.output} == {"a cat", "a dog"}
    assert sum(d["score"] for d in result.output) == pytest.approx(1.0, abs=1e-4)
    assert close(snippet(result.code)["result"], result.output)
    with pytest.raises(UserError) as err:
        run(manager, tiny["clip"], TASK, {"image": CAT, "candidate_labels": " , "})
    assert err.value.key == "empty_input"
    with pytest.raises(UserError) as err:
        run(manager, tiny["clip"], TASK, {"image": CAT, "candidate_labels": "cat"}, hypothesis_template="a photo")
    assert err.value.key == "bad_param"


def test_labels_and_template_are_bounded():
    assert TASK.parse({"image": CAT, "candidate_labels": "cat\ndog"}, {})[0]["candidate_labels"] == ["cat", "dog"]
    assert bad(TASK, "too_large", image=CAT, candidate_labels=[f"label {i}" for i in range(51)])
    assert bad(TASK, "too_large", image=CAT, candidate_labels=["x" * 201])
    assert bad(TASK, "too_large", image=CAT, candidate_labels="cat", hypothesis_template="{}" * 251)


def test_api(client, tiny):
    label, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), candidate_labels="cat\ndog\nbird", hypothesis_template="a photo of a {}.",
        model=str(tiny["clip"]), api_name="/zero_shot_image_classification"))
    assert {c["label"] for c in label["confidences"]} == {"cat", "dog", "bird"}
