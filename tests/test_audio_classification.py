"""audio-classification on a tiny random wav2vec2 classifier: ranked labels, the shown code executed, a
microphone recording, the first seconds only (with a note), the bounds, the live server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.audio.audio_classification import TASK as AUDIO_CLS
from tests.audio_files import run_code, shared_speech_files


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    return shared_speech_files(tmp_path_factory)


def test_audio_classification_labels(manager, tiny, speech):
    model = str(tiny["wav2vec2-audiocls"])
    config = json.loads((tiny["wav2vec2-audiocls"] / "config.json").read_text())
    labels = set(config["id2label"].values())
    result = manager.run(AUDIO_CLS, model, {"audio": str(speech["mp3"])}, {**AUDIO_CLS.defaults(), "top_k": 2})
    out = result.output
    assert len(out) == min(2, len(labels))
    assert {d["label"] for d in out} <= labels
    assert all(0 <= d["score"] <= 1 for d in out) and out[0]["score"] >= out[-1]["score"]
    assert jsonable(run_code(result.code)) == jsonable(out)
    assert result.notes == ()  # 3.5 s: nothing cut


def test_recording_from_an_array(manager, tiny):
    """A microphone value (rate, int16 samples (n, 2)) at 48 kHz goes through the same decoding."""
    rate = 48000
    noise = (np.random.default_rng(0).standard_normal((rate, 2)) * 3000).astype(np.int16)
    out = manager.run(AUDIO_CLS, str(tiny["wav2vec2-audiocls"]), {"audio": (rate, noise)}, AUDIO_CLS.defaults()).output
    assert out and all("label" in d for d in out)


def test_the_first_seconds_only_with_a_note(manager, tiny, speech):
    model = str(tiny["wav2vec2-audiocls"])
    result = manager.run(AUDIO_CLS, model, {"audio": str(speech["long"])}, {**AUDIO_CLS.defaults(), "max_seconds": 5})
    assert [n.text() for n in result.notes] == ["Classified the first 5 s of 40.0 s."]
    assert "audio = audio[: int(5 * rate)]" in result.code
    assert jsonable(run_code(result.code)) == jsonable(result.output)
    whole = manager.run(AUDIO_CLS, model, {"audio": str(speech["long"])}, {**AUDIO_CLS.defaults(), "max_seconds": 0})
    assert whole.notes == () and "int(" not in whole.code.split("rate = ")[1].split("\n")[1]


@pytest.mark.parametrize("name, value", [("top_k", 0), ("top_k", 21), ("top_k", "1e9"), ("max_seconds", 121),
                                         ("max_seconds", -1), ("max_seconds", "inf")])
def test_out_of_range_parameters_are_bad_params(name, value):
    with pytest.raises(UserError) as err:
        AUDIO_CLS.parse({"audio": "x.wav"}, {name: value})
    assert err.value.key == "bad_param" and name in str(err.value)


def test_clips_longer_than_ten_minutes_are_refused(manager, tiny, tmp_path):
    import soundfile as sf

    long = tmp_path / "long11min.wav"
    sf.write(str(long), np.full(11 * 60 * 100, 0.1, np.float32), 100)
    with pytest.raises(UserError) as err:
        manager.run(AUDIO_CLS, str(tiny["wav2vec2-audiocls"]), {"audio": str(long)}, AUDIO_CLS.defaults())
    assert err.value.key == "too_large" and "limit is 10:00" in str(err.value)


def test_client_audio_classification(client, tiny, speech):
    from gradio_client import handle_file

    label, notes, raw, code, details = client.predict(
        handle_file(str(speech["mp3"])), 3, 30, str(tiny["wav2vec2-audiocls"]), api_name="/audio_classification")
    assert len(raw) == len(label["confidences"]) >= 1
