"""text-to-audio (alias text-to-speech): MMS-TTS (VITS: English, Korean and 1,100 more languages), Bark,
MusicGen. The result is a playable, downloadable WAV; the raw output describes it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from core.audio import write_wav
from core.codegen import py
from core.errors import UserError
from core.i18n import note
from core.params import Float, Int, Text
from core.registry import Loader, Output, TaskSpec
from demos.audio.common import model_json, output_dir, pipeline_snippet

_NON_LATIN = re.compile(r"[^\x00-\x7f\u00c0-\u024f]")
GREETING = "Hello! I am a text to speech model from the Hugging Face Hub."


def tts_plan(text: str, params: dict, config: dict, can_generate: bool) -> tuple[str, dict, dict]:
    """(text, call kwargs, model attributes to set) for this run (parsed params).

    config: the model's config (VITS: speaking_rate and noise_scale are only passed when they differ from
    it); can_generate: Bark/MusicGen-style models take generate_kwargs (temperature, max_new_tokens).
    """
    kwargs: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    if config.get("model_type") == "vits":
        rate, noise = params["speaking_rate"], params["noise_scale"]
        if abs(rate - float(config.get("speaking_rate", 1.0))) > 1e-9:
            kwargs["forward_params"] = {"speaking_rate": rate}
        if abs(noise - float(config.get("noise_scale", 0.667))) > 1e-9:
            attributes["noise_scale"] = noise
    elif can_generate:
        generate: dict[str, Any] = {}
        if params["temperature"]:
            generate.update(do_sample=True, temperature=params["temperature"])
        if params["max_new_tokens"]:
            generate["max_new_tokens"] = params["max_new_tokens"]
        if generate:
            kwargs["generate_kwargs"] = generate
    return text.strip(), kwargs, attributes


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


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"audio_file": WAV path, "sampling_rate", "samples", "channels", "duration_s", "rms"}."""
    import torch

    config = pipe.model.config.to_dict()
    text, kwargs, attributes = tts_plan(inputs["text"], params, config, pipe.model.can_generate())
    spoken = romanize_if_needed(pipe, text)
    notes = (note("The model reads Latin letters: it read “{text}”.", text=spoken[:200]),) if spoken != text else ()
    if config.get("model_type") == "vits":
        ids = pipe.tokenizer(spoken)["input_ids"]
        if not any(ids):
            raise UserError("bad_param", name="text",
                            detail="none of its letters are in this model's alphabet: pick a model for this language "
                                   "(Korean: facebook/mms-tts-kor)")
    saved = {name: getattr(pipe.model, name) for name in attributes}
    try:
        for name, value in attributes.items():
            setattr(pipe.model, name, value)
        torch.manual_seed(params["seed"])
        speech = pipe(spoken, **kwargs)
    finally:
        for name, value in saved.items():
            setattr(pipe.model, name, value)
    path = write_wav(output_dir() / "speech.wav", speech["audio"], speech["sampling_rate"])
    return Output({"audio_file": str(path), **summary(speech["audio"], speech["sampling_rate"])}, notes=notes)


def code(ref, inputs: dict, params: dict, place) -> str:
    config = model_json(ref, "config.json")
    can_generate = config.get("model_type") != "vits"
    text, kwargs, attributes = tts_plan(inputs["text"], params, config, can_generate)
    before = [f"pipe.model.{name} = {py(value)}" for name, value in attributes.items()]
    if _NON_LATIN.search(text) and config.get("model_type") == "vits":
        before.append("# The tokenizer romanizes non-Latin text with the uroman package (pip install uroman).")
    before.append(f"torch.manual_seed({params['seed']})  # generation samples noise: fix it to repeat")
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


EXAMPLES = [
    [GREETING, "facebook/mms-tts-eng"],
    ["I have a dream that one day this nation will rise up.", "facebook/mms-tts-eng"],
    ["안녕하세요, 만나서 반갑습니다.", "facebook/mms-tts-kor"],
    ["Hello, my name is Suno. And, uh — and I like pizza. [laughs]", "suno/bark-small"],
]


def build(ctx) -> None:
    """Text, model and the VITS / Bark-MusicGen parameters on the left; the player on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "seed", "speaking_rate", "noise_scale")
            with gr.Row():
                fields |= widgets(ctx, TASK, "temperature", "max_new_tokens")
            run_button = gr.Button(tr("Run"), variant="primary")
            if ctx.settings.offline:  # Hub models cannot load offline: the examples keep the picked model
                examples(ctx, [row[:1] for row in EXAMPLES], [fields["text"]])
            else:
                examples(ctx, EXAMPLES, [fields["text"], model])
        with gr.Column(scale=2):
            player = gr.Audio(label=tr("Speech"), type="filepath", interactive=False, buttons=["download"],
                              elem_id="text_to_audio_audio")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {player: result.output["audio_file"]}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [player])


TASK = TaskSpec(
    id="text-to-audio",
    title="Text to speech",
    aliases=("text-to-speech",),
    loader=Loader.pipeline("text-to-audio"),
    default_model="facebook/mms-tts-eng",
    models=("facebook/mms-tts-kor", "suno/bark-small", "facebook/musicgen-small"),
    run=run,
    code=code,
    inputs=(Text("text", GREETING, label="Text", max_chars=2000, lines=3, required=True),),
    params=(
        Int("seed", 0, 0, 2**32 - 1, help="The models sample noise: the same seed gives the same audio",
            widget=(("component", "number"),)),
        Float("speaking_rate", 1.0, 0.5, 2.0, step=0.05, help="MMS-TTS (VITS) models"),
        Float("noise_scale", 0.667, 0.0, 1.5, step=0.01, help="MMS-TTS (VITS): how much the voice varies"),
        Float("temperature", 0.0, 0.0, 1.5, step=0.05, help="Bark, MusicGen: 0 = the model's default"),
        Int("max_new_tokens", 0, 0, 1024, step=8, limit="new_tokens", help="Bark, MusicGen: length (0 = the model's default)"),
    ),
    architectures=("VitsModel", "BarkModel", "MusicgenForConditionalGeneration",
                   "MusicgenMelodyForConditionalGeneration", "SpeechT5ForTextToSpeech"),
    model_types=("vits", "bark", "musicgen"),
    description="Speech (or music) from text, as a WAV you can play and download.",
    build=build,
)
