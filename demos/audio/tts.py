"""Text to speech / text to audio: MMS-TTS (VITS: English, Korean and 1,100 more languages), Bark,
MusicGen. The result is a playable, downloadable WAV; the raw output describes it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import gradio as gr

from core.audio import write_wav
from core.codegen import py
from core.errors import UserError
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.audio.common import model_json, output_dir, pipeline_snippet

MAX_CHARS = 2000
_NON_LATIN = re.compile(r"[^\x00-\x7f\u00c0-\u024f]")


def tts_plan(text: Any, params: dict, config: dict, can_generate: bool) -> tuple[str, dict, dict]:
    """(text, call kwargs, model attributes to set) for this run.

    config: the model's config (VITS: speaking_rate and noise_scale are only passed when they differ from
    it); can_generate: Bark/MusicGen-style models take generate_kwargs (temperature, max_new_tokens).
    """
    text = str(text or "").strip()
    if not text:
        raise UserError("empty_input", what="Text")
    if len(text) > MAX_CHARS:
        raise UserError("too_large", what="Text", detail=f"{len(text)} characters; the limit is {MAX_CHARS}")
    kwargs: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    if config.get("model_type") == "vits":
        rate = float(params.get("speaking_rate") or 1.0)
        noise = float(params.get("noise_scale") if params.get("noise_scale") is not None else 0.667)
        if rate <= 0:
            raise UserError("bad_param", name="speaking_rate", detail="must be more than 0")
        if noise < 0:
            raise UserError("bad_param", name="noise_scale", detail="must be 0 or more")
        if abs(rate - float(config.get("speaking_rate", 1.0))) > 1e-9:
            kwargs["forward_params"] = {"speaking_rate": rate}
        if abs(noise - float(config.get("noise_scale", 0.667))) > 1e-9:
            attributes["noise_scale"] = noise
    elif can_generate:
        generate: dict[str, Any] = {}
        temperature = float(params.get("temperature") or 0)
        tokens = int(params.get("max_new_tokens") or 0)
        if temperature < 0 or tokens < 0:
            raise UserError("bad_param", name="temperature", detail="temperature and max_new_tokens must be >= 0")
        if temperature:
            generate.update(do_sample=True, temperature=temperature)
        if tokens:
            generate["max_new_tokens"] = tokens
        if generate:
            kwargs["generate_kwargs"] = generate
    return text, kwargs, attributes


@lru_cache(maxsize=1)
def _romanizer():
    import uroman

    return uroman.Uroman()  # slow to build (seconds): once per process


def romanize_if_needed(pipe, text: str) -> str:
    """MMS-TTS models of non-Latin languages (Korean...) read romanized text. transformers romanizes with
    the `uroman` package when it is installed (building it on every call); this does it once and says
    what to install when it is not there."""
    if not getattr(pipe.tokenizer, "is_uroman", False) or not _NON_LATIN.search(text):
        return text
    try:
        return _romanizer().romanize_string(text)
    except ImportError:
        raise UserError("bad_param", name="text",
                        detail="this model reads Latin letters: install the uroman package (pip install uroman) "
                               "to romanize the text") from None


def summary(audio, rate: int) -> dict:
    """What the raw output says about generated audio (the WAV file itself is beside it)."""
    import numpy as np

    audio = np.asarray(audio, dtype=np.float32)
    samples = int(audio.shape[-1])
    return {"sampling_rate": int(rate), "samples": samples, "channels": 1 if audio.ndim == 1 else int(audio.shape[0]),
            "duration_s": round(samples / rate, 3), "rms": round(float(np.sqrt(np.mean(audio ** 2))), 5)}


def run_tts(pipe, inputs: dict, params: dict) -> dict:
    """{"audio_file": WAV path, "sampling_rate", "samples", "channels", "duration_s", "rms"}."""
    import torch

    config = pipe.model.config.to_dict()
    text, kwargs, attributes = tts_plan(inputs.get("text"), params, config, pipe.model.can_generate())
    text = romanize_if_needed(pipe, text)
    if config.get("model_type") == "vits":
        ids = pipe.tokenizer(text)["input_ids"]
        if not any(ids):
            raise UserError("bad_param", name="text",
                            detail="none of its letters are in this model's alphabet: pick a model for this language "
                                   "(Korean: facebook/mms-tts-kor)")
    saved = {name: getattr(pipe.model, name) for name in attributes}
    try:
        for name, value in attributes.items():
            setattr(pipe.model, name, value)
        torch.manual_seed(int(params.get("seed") or 0))
        speech = pipe(text, **kwargs)
    finally:
        for name, value in saved.items():
            setattr(pipe.model, name, value)
    target = params.get("output_file") or str(output_dir() / "speech.wav")
    path = write_wav(target, speech["audio"], speech["sampling_rate"])
    return {"audio_file": str(path), **summary(speech["audio"], speech["sampling_rate"])}


def code_tts(ref, inputs: dict, params: dict, place) -> str:
    config = model_json(ref, "config.json")
    can_generate = config.get("model_type") != "vits"
    try:
        text, kwargs, attributes = tts_plan(inputs.get("text"), params, config, can_generate)
    except UserError:
        text, kwargs, attributes = str(inputs.get("text") or ""), {}, {}
    before = [f"pipe.model.{name} = {py(value)}" for name, value in attributes.items()]
    if _NON_LATIN.search(text) and config.get("model_type") == "vits":
        before.append("# The tokenizer romanizes non-Latin text with the uroman package (pip install uroman).")
    before.append(f"torch.manual_seed({int(params.get('seed') or 0)})  # generation samples noise: fix it to repeat")
    after = [
        'audio = speech["audio"]  # (samples,) or (channels, samples)',
        'sf.write("speech.wav", audio.T, speech["sampling_rate"], subtype="PCM_16")',
        "print({",
        '    "audio_file": "speech.wav",',
        '    "sampling_rate": speech["sampling_rate"],',
        '    "samples": audio.shape[-1],',
        '    "channels": 1 if audio.ndim == 1 else audio.shape[0],',
        '    "duration_s": round(audio.shape[-1] / speech["sampling_rate"], 3),',
        '    "rms": round(float(np.sqrt(np.mean(audio ** 2))), 5),',
        "})",
    ]
    return pipeline_snippet("text-to-audio", ref, place, imports=["import numpy as np", "import soundfile as sf",
                                                                   "import torch"],
                            before=before, call_input=py(text), kwargs=kwargs, after=after, result="speech")


TTS = TaskSpec(
    id="text-to-audio",
    title="Text to speech",
    aliases=("text-to-speech",),
    loader=Loader.pipeline("text-to-audio"),
    default_model="facebook/mms-tts-eng",
    models=("facebook/mms-tts-kor", "suno/bark-small", "facebook/musicgen-small"),
    run=run_tts,
    code=code_tts,
    inputs=("text",),
    params={"seed": 0, "speaking_rate": 1.0, "noise_scale": 0.667, "temperature": 0.0, "max_new_tokens": 0,
            "output_file": ""},
    architectures=("VitsModel", "BarkModel", "MusicgenForConditionalGeneration",
                   "MusicgenMelodyForConditionalGeneration", "SpeechT5ForTextToSpeech"),
    model_types=("vits", "bark", "musicgen"),
    description="Speech (or music) from text, as a WAV you can play and download.",
)


def render_tts(player: gr.Audio):
    def render(output, inputs, params):
        return {player: output["audio_file"]}

    return render


def build_tts(ctx: Context) -> None:
    task = TTS
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Text"), lines=3, elem_id="text_to_audio_text",
                              value="Hello! I am a text to speech model from the Hugging Face Hub.")
            model = model_picker(ctx, task)
            with gr.Row():
                seed = gr.Number(value=0, precision=0, label=tr("seed"),
                                 info=tr("The models sample noise: the same seed gives the same audio"))
                rate = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label=tr("speaking_rate"),
                                 info=tr("MMS-TTS (VITS) models"))
                noise = gr.Slider(0.0, 1.5, value=0.667, step=0.01, label=tr("noise_scale"),
                                  info=tr("MMS-TTS (VITS): how much the voice varies"))
            with gr.Row():
                temperature = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label=tr("temperature"),
                                        info=tr("Bark, MusicGen: 0 = the model's default"))
                tokens = gr.Slider(0, 1500, value=0, step=10, label=tr("max_new_tokens"),
                                   info=tr("Bark, MusicGen: length (0 = the model's default)"))
            run = gr.Button(tr("Run"), variant="primary")
            rows = [
                ["Hello! I am a text to speech model from the Hugging Face Hub.", "facebook/mms-tts-eng"],
                ["I have a dream that one day this nation will rise up.", "facebook/mms-tts-eng"],
                ["안녕하세요, 만나서 반갑습니다.", "facebook/mms-tts-kor"],
                ["Hello, my name is Suno. And, uh — and I like pizza. [laughs]", "suno/bark-small"],
            ]
            if ctx.settings.offline:  # Hub models cannot load offline: the examples keep the picked model
                examples(ctx, [row[:1] for row in rows], [text])
            else:
                examples(ctx, rows, [text, model])
        with gr.Column(scale=2):
            player = gr.Audio(label=tr("Speech"), type="filepath", interactive=False, buttons=["download"],
                              elem_id="text_to_audio_audio")
    panels = result_panels(ctx, task)
    wire(ctx, task, run.click, {"text": text, "seed": seed, "speaking_rate": rate, "noise_scale": noise,
                                "temperature": temperature, "max_new_tokens": tokens},
         model, render_tts(player), panels, [player])


TASKS = ((TTS, build_tts),)

KOREAN = {
    "Text to speech": "텍스트 음성 변환",
    "Text": "텍스트",
    "seed": "시드",
    "The models sample noise: the same seed gives the same audio": "모델이 잡음을 샘플링합니다: 같은 시드면 같은 소리가 납니다",
    "MMS-TTS (VITS) models": "MMS-TTS (VITS) 모델",
    "MMS-TTS (VITS): how much the voice varies": "MMS-TTS (VITS): 목소리의 변화 정도",
    "Bark, MusicGen: 0 = the model's default": "Bark, MusicGen: 0 = 모델 기본값",
    "Bark, MusicGen: length (0 = the model's default)": "Bark, MusicGen: 길이 (0 = 모델 기본값)",
    "Speech": "음성",
}
