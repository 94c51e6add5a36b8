"""Audio tab in the browser: upload a file to each task, run it on a small model, see the result drawn."""

from __future__ import annotations

import re

import pytest

from tests.audio_files import make_speech_files

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return make_speech_files(tmp_path_factory.mktemp("speech_browser"))


def open_task(page, base_url: str, title: str, api_name: str):
    """The task's sub-tab of the Audio tab, opened; returns its panel."""
    page.goto(base_url)
    page.get_by_role("tab", name="Audio", exact=True).click()
    page.get_by_role("tab", name=title, exact=True).click()
    return page.locator(f"#task_{api_name}")


def pick_model(page, api_name: str, folder: str) -> None:
    box = page.locator(f"#{api_name}_model input")
    box.fill(folder)
    box.press("Enter")


def upload_and_run(page, panel, api_name: str, path) -> None:
    page.locator(f"#{api_name}_audio input[type=file]").set_input_files(str(path))
    page.locator(f"#{api_name}_audio audio").first.wait_for(state="attached", timeout=15000)
    panel.get_by_role("button", name="Run").click()


def test_speech_recognition_transcript_segments_subtitles(page, base_url, pack_dir, speech, shoot):
    from playwright.sync_api import expect

    panel = open_task(page, base_url, "Speech recognition", "automatic_speech_recognition")
    pick_model(page, "automatic_speech_recognition", str(pack_dir / "whisper-tiny.en"))
    panel.get_by_label("segments", exact=True).check()
    upload_and_run(page, panel, "automatic_speech_recognition", speech["mp3"])
    transcript = page.locator("#automatic_speech_recognition_text textarea")
    expect(transcript).to_have_value(re.compile(r"quick brown", re.IGNORECASE), timeout=90000)
    segments = page.locator("#automatic_speech_recognition_segments")
    expect(segments).to_contain_text("lazy dog")
    expect(page.locator("#automatic_speech_recognition_player audio, "
                        "#automatic_speech_recognition_player .waveform-container").first).to_be_attached()
    for suffix in ("txt", "srt", "vtt"):
        expect(page.locator(f"#automatic_speech_recognition_files a[href$='transcript.{suffix}']")).to_have_count(1)
    expect(page.locator("#automatic_speech_recognition_code")).to_contain_text("resample_poly")
    shoot(page, "audio_automatic_speech_recognition")


def test_speech_recognition_bad_file_shows_one_clear_line(page, base_url, tiny, speech, shoot):
    from playwright.sync_api import expect

    panel = open_task(page, base_url, "Speech recognition", "automatic_speech_recognition")
    pick_model(page, "automatic_speech_recognition", str(tiny["wav2vec2-ctc"]))
    page.locator("#automatic_speech_recognition_audio input[type=file]").set_input_files(str(speech["silent"]))
    page.wait_for_timeout(1000)
    panel.get_by_role("button", name="Run").click()
    expect(page.get_by_text("the audio is silent").first).to_be_visible(timeout=60000)
    shoot(page, "audio_automatic_speech_recognition_error")


def test_audio_classification_labels(page, base_url, tiny, speech, shoot):
    from playwright.sync_api import expect

    panel = open_task(page, base_url, "Audio classification", "audio_classification")
    pick_model(page, "audio_classification", str(tiny["wav2vec2-audiocls"]))
    upload_and_run(page, panel, "audio_classification", speech["flac"])
    label = page.locator("#audio_classification_label")
    expect(label).to_contain_text(re.compile(r"neu|hap|ang|sad"), timeout=60000)
    shoot(page, "audio_audio_classification")


def test_zero_shot_audio_classification_labels(page, base_url, tiny, speech, shoot):
    from playwright.sync_api import expect

    panel = open_task(page, base_url, "Zero-shot audio classification", "zero_shot_audio_classification")
    pick_model(page, "zero_shot_audio_classification", str(tiny["clap"]))
    page.locator("#zero_shot_audio_classification_labels textarea").fill("speech, music, rain")
    upload_and_run(page, panel, "zero_shot_audio_classification", speech["ogg"])
    label = page.locator("#zero_shot_audio_classification_label")
    expect(label).to_contain_text("speech", timeout=60000)
    expect(label).to_contain_text("rain")
    shoot(page, "audio_zero_shot_audio_classification")


def test_text_to_speech_player(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    panel = open_task(page, base_url, "Text to speech", "text_to_audio")
    pick_model(page, "text_to_audio", str(tiny["vits"]))
    page.locator("#text_to_audio_text textarea").fill("hello world, this is a test")
    panel.get_by_role("button", name="Run").click()
    expect(page.locator("#text_to_audio_raw, #text_to_audio_code").first).to_be_attached()
    expect(page.locator("#text_to_audio_code")).to_contain_text("torch.manual_seed", timeout=60000)
    expect(page.locator("#text_to_audio_audio audio, #text_to_audio_audio .waveform-container").first) \
        .to_be_attached()
    shoot(page, "audio_text_to_audio")
