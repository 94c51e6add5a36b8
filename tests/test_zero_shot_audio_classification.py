"""zero-shot-audio-classification on a tiny random CLAP: scores over typed labels, the shown code executed,
the template and label bounds, the live server."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.audio.zero_shot_audio_classification import TASK as ZERO_SHOT
from tests.audio_files import run_code, shared_speech_files


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    return shared_speech_files(tmp_path_factory)


def test_zero_shot_audio_scores_the_candidates(manager, tiny, speech):
    model = str(tiny["clap"])
    inputs = {"audio": str(speech["ogg"]), "candidate_labels": "speech, music,dog barking\nrain"}
    result = manager.run(ZERO_SHOT, model, inputs, ZERO_SHOT.defaults())
    out = result.output
    assert sorted(d["label"] for d in out) == ["dog barking", "music", "rain", "speech"]
    assert abs(sum(d["score"] for d in out) - 1) < 1e-4
    assert jsonable(run_code(result.code)) == jsonable(out)
    with pytest.raises(UserError) as err:
        manager.run(ZERO_SHOT, model, {"audio": str(speech["ogg"]), "candidate_labels": " , "}, ZERO_SHOT.defaults())
    assert err.value.key == "empty_input"


def test_labels_as_a_list_each_once(manager, tiny, speech):
    result = manager.run(ZERO_SHOT, str(tiny["clap"]), {"audio": str(speech["ogg"]),
                                                         "candidate_labels": ["rain", "speech", "rain"]},
                         ZERO_SHOT.defaults())
    assert sorted(d["label"] for d in result.output) == ["rain", "speech"]


def test_template_needs_braces_and_bounds():
    with pytest.raises(UserError) as err:
        ZERO_SHOT.parse({"audio": "x.wav"}, {"hypothesis_template": "This is a sound."})
    assert err.value.key == "bad_param" and "{}" in str(err.value)
    assert ZERO_SHOT.parse({"audio": "x.wav"}, {"hypothesis_template": ""})[1]["hypothesis_template"] == \
        "This is a sound of {}."
    with pytest.raises(UserError) as err:
        ZERO_SHOT.parse({"audio": "x.wav"}, {"hypothesis_template": "{}" + "x" * 300})
    assert err.value.key == "too_large"
    with pytest.raises(UserError) as err:
        ZERO_SHOT.parse({"audio": "x.wav", "candidate_labels": ",".join(f"l{i}" for i in range(51))}, {})
    assert err.value.key == "too_large"
    with pytest.raises(UserError) as err:
        ZERO_SHOT.parse({"audio": "x.wav"}, {"max_seconds": 61})
    assert err.value.key == "bad_param"


def test_client_zero_shot_audio_classification(client, tiny, speech):
    from gradio_client import handle_file

    label, notes, raw, code, details = client.predict(
        handle_file(str(speech["flac"])), "speech, music", "This is a sound of {}.", 10, str(tiny["clap"]),
        api_name="/zero_shot_audio_classification")
    assert {c["label"] for c in label["confidences"]} == {"speech", "music"}
