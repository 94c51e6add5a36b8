"""zero-shot-object-detection: a tiny OWL-ViT finds boxes for text queries, drawn on the user's picture; the
shown code prints the app's result; the API and the queries' bounds."""

from __future__ import annotations

from demos.vision.boxes import draw_detections
from demos.vision.zero_shot_object_detection import TASK
from tests.test_vision_common import CAT, CAT_SIZE, bad, close, image_file, run, size_of, snippet, value_of


def test_zero_shot_object_detection(manager, tiny):
    result = run(manager, tiny["owlvit"], TASK, {"image": CAT, "candidate_labels": ["a cat", "a remote"]},
                 threshold=0.1)
    assert result.output and {d["label"] for d in result.output} <= {"a cat", "a remote"}
    drawn = draw_detections(result.facts["picture"], result.output, result.facts["scale"])
    assert drawn.size == CAT_SIZE
    assert close(snippet(result.code)["result"], result.output)


def test_queries_and_threshold_are_bounded():
    bad(TASK, "empty_input", image=CAT, candidate_labels=" , ")
    bad(TASK, "too_large", image=CAT, candidate_labels=",".join(f"thing {i}" for i in range(51)))
    bad(TASK, image=CAT, candidate_labels="a cat", threshold=1.01)


def test_api(client, tiny):
    drawn, table, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), candidate_labels="a cat, a dog", threshold=0.1, model=str(tiny["owlvit"]),
        api_name="/zero_shot_object_detection"))
    assert size_of(drawn) == CAT_SIZE and raw and {d["label"] for d in raw} <= {"a cat", "a dog"}
    assert "candidate_labels=['a cat', 'a dog']" in code
