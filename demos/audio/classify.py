"""Audio classification (emotion, keyword spotting, sound events, genres) and zero-shot audio
classification with CLAP (any labels you type)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.audio import MAX_SECONDS
from core.errors import UserError
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.audio.common import clip, decode_for, decode_lines, gradio_sample, pipeline_snippet

LONGEST_S = 600.0  # classifiers attend over the whole clip: memory grows with the square of its length


def _crop_lines(seconds: float) -> list[str]:
    return [f"audio = audio[: int({seconds:g} * rate)]  # the first {seconds:g} s"] if seconds else []


def _decoded(pipe, inputs: dict, params: dict):
    """The audio at the model's rate, cut to the first max_seconds (0 = whole clip)."""
    seconds = float(params.get("max_seconds") or 0)
    if seconds < 0:
        raise UserError("bad_param", name="max_seconds", detail="must be 0 (whole clip) or more")
    audio = decode_for(pipe, inputs.get("audio"), max_seconds=MAX_SECONDS if seconds else LONGEST_S)
    samples = audio.samples[: int(seconds * audio.sampling_rate)] if seconds else audio.samples
    return samples, audio.sampling_rate


# ---- audio-classification ------------------------------------------------------------------------
def classification_kwargs(params: dict) -> dict:
    top_k = int(params.get("top_k") or 5)
    if top_k < 1:
        raise UserError("bad_param", name="top_k", detail="must be 1 or more")
    return {"top_k": top_k}


def run_audio_classification(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"label", "score"}, ...], best first."""
    samples, rate = _decoded(pipe, inputs, params)
    return pipe({"raw": samples, "sampling_rate": rate}, **classification_kwargs(params))


def code_audio_classification(ref, inputs: dict, params: dict, place) -> str:
    imports, lines = decode_lines(inputs.get("audio"))
    return pipeline_snippet("audio-classification", ref, place, imports=imports,
                            before=lines + _crop_lines(float(params.get("max_seconds") or 0)),
                            call_input='{"raw": audio, "sampling_rate": rate}', kwargs=classification_kwargs(params))


AUDIO_CLASSIFICATION = TaskSpec(
    id="audio-classification",
    title="Audio classification",
    loader=Loader.pipeline("audio-classification"),
    default_model="superb/hubert-base-superb-er",
    models=("superb/wav2vec2-base-superb-ks", "MIT/ast-finetuned-audioset-10-10-0.4593",
            "ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition"),
    run=run_audio_classification,
    code=code_audio_classification,
    inputs=("audio",),
    file_inputs=("audio",),
    params={"top_k": 5, "max_seconds": 30.0},
    architectures=("ForAudioClassification", "Wav2Vec2ForSequenceClassification", "HubertForSequenceClassification",
                   "WavLMForSequenceClassification", "Data2VecAudioForSequenceClassification",
                   "UniSpeechSatForSequenceClassification", "UniSpeechForSequenceClassification",
                   "SEWForSequenceClassification", "SEWDForSequenceClassification",
                   "Wav2Vec2ConformerForSequenceClassification", "Wav2Vec2BertForSequenceClassification"),
    description="Labels for a sound: emotion, spoken keyword, sound event, music genre.",
)


# ---- zero-shot-audio-classification --------------------------------------------------------------
def labels_of(text: Any) -> list[str]:
    """Candidate labels from a comma- or newline-separated string (or a list); at least one."""
    items = text if isinstance(text, list) else str(text or "").replace("\n", ",").split(",")
    labels = list(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))
    if not labels:
        raise UserError("empty_input", what="Candidate labels")
    return labels


def zero_shot_kwargs(inputs: dict, params: dict) -> dict:
    template = params.get("hypothesis_template") or "This is a sound of {}."
    if "{}" not in template:
        raise UserError("bad_param", name="hypothesis_template", detail="must contain {} where each label goes")
    return {"candidate_labels": labels_of(inputs.get("candidate_labels")), "hypothesis_template": template}


def run_zero_shot_audio(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "label"}, ...] over the candidate labels, best first (the scores sum to 1)."""
    kwargs = zero_shot_kwargs(inputs, params)
    samples, _ = _decoded(pipe, inputs, params)
    # This pipeline takes a bare array (already at the model's rate), not {"raw", "sampling_rate"}.
    return pipe(samples, **kwargs)


def code_zero_shot_audio(ref, inputs: dict, params: dict, place) -> str:
    imports, lines = decode_lines(inputs.get("audio"))
    try:
        kwargs = zero_shot_kwargs(inputs, params)
    except UserError:
        kwargs = {}
    return pipeline_snippet("zero-shot-audio-classification", ref, place, imports=imports,
                            before=lines + _crop_lines(float(params.get("max_seconds") or 0)),
                            call_input="audio", kwargs=kwargs)


ZERO_SHOT_AUDIO = TaskSpec(
    id="zero-shot-audio-classification",
    title="Zero-shot audio classification",
    loader=Loader.pipeline("zero-shot-audio-classification"),
    default_model="laion/clap-htsat-fused",
    models=("laion/clap-htsat-unfused", "laion/larger_clap_general", "laion/larger_clap_music_and_speech"),
    run=run_zero_shot_audio,
    code=code_zero_shot_audio,
    inputs=("audio", "candidate_labels"),
    file_inputs=("audio",),
    params={"hypothesis_template": "This is a sound of {}.", "max_seconds": 10.0},
    architectures=("ClapModel",),
    model_types=("clap",),
    description="Scores for labels you choose (CLAP compares the sound with each sentence).",
)


# ---- the tab -------------------------------------------------------------------------------------
def render_labels(label: gr.Label):
    def render(output, inputs, params):
        return {label: {d["label"]: float(d["score"]) for d in output}}

    return render


def _audio_input(ctx: Context, task: TaskSpec) -> gr.Audio:
    return gr.Audio(sources=["upload", "microphone"], type="filepath", label=ctx.tr("Audio"),
                    elem_id=f"{task.api_name}_audio")


def build_audio_classification(ctx: Context) -> None:
    task = AUDIO_CLASSIFICATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            audio = _audio_input(ctx, task)
            model = model_picker(ctx, task)
            with gr.Row():
                top_k = gr.Slider(1, 20, value=5, step=1, label=tr("top_k"))
                seconds = gr.Slider(0, 120, value=30, step=1, label=tr("max_seconds"),
                                    info=tr("Classify the first seconds only (0 = the whole clip)"))
            run = gr.Button(tr("Run"), variant="primary")
            rows = [[p] for p in (clip("dream.mp3"), gradio_sample("audio/cantina.wav"),
                                  gradio_sample("audio/sax.wav")) if p]
            if rows:
                examples(ctx, rows, [audio])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="audio_classification_label")
    panels = result_panels(ctx, task)
    wire(ctx, task, run.click, {"audio": audio, "top_k": top_k, "max_seconds": seconds},
         model, render_labels(label), panels, [label])


def build_zero_shot_audio(ctx: Context) -> None:
    task = ZERO_SHOT_AUDIO
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            audio = _audio_input(ctx, task)
            labels = gr.Textbox(label=tr("Candidate labels"), value="music, speech, dog barking, rain",
                                info=tr("Comma-separated"), elem_id="zero_shot_audio_classification_labels")
            model = model_picker(ctx, task)
            with gr.Row():
                template = gr.Textbox(label=tr("hypothesis_template"), value="This is a sound of {}.")
                seconds = gr.Slider(0, 60, value=10, step=1, label=tr("max_seconds"),
                                    info=tr("Classify the first seconds only (0 = the whole clip)"))
            run = gr.Button(tr("Run"), variant="primary")
            rows = [[p, lab] for p, lab in (
                (gradio_sample("audio/sax.wav"), "saxophone, piano, drums, speech"),
                (gradio_sample("audio/cantina.wav"), "jazz band, rock concert, birds singing, rain"),
                (clip("dream.mp3"), "a man speaking, a woman singing, a dog barking"),
            ) if p]
            if rows:
                examples(ctx, rows, [audio, labels])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="zero_shot_audio_classification_label")
    panels = result_panels(ctx, task)
    wire(ctx, task, run.click, {"audio": audio, "candidate_labels": labels, "hypothesis_template": template,
                                "max_seconds": seconds},
         model, render_labels(label), panels, [label])


TASKS = ((AUDIO_CLASSIFICATION, build_audio_classification), (ZERO_SHOT_AUDIO, build_zero_shot_audio))

KOREAN = {
    "Audio classification": "오디오 분류",
    "Zero-shot audio classification": "제로샷 오디오 분류",
    "Classify the first seconds only (0 = the whole clip)": "앞부분 몇 초만 분류합니다 (0 = 전체)",
    "Labels": "레이블",
    "Candidate labels": "후보 레이블",
    "Comma-separated": "쉼표로 구분",
}
