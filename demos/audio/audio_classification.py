"""audio-classification: labels for a sound (emotion, spoken keyword, sound event, music genre), best first,
on the first seconds of the clip or the whole of it."""

from __future__ import annotations

from core.i18n import note
from core.params import Float, Int
from core.registry import Loader, Output, TaskSpec
from demos.audio.common import AudioFile, clip, crop_lines, cropped, decode_lines, gradio_sample, pipeline_snippet

LONGEST_S = 600.0  # classifiers attend over the whole clip: memory grows with the square of its length


def run(pipe, inputs: dict, params: dict) -> Output:
    """[{"label", "score"}, ...], best first."""
    rate = pipe.feature_extractor.sampling_rate
    seconds = params["max_seconds"]
    samples, duration = cropped(inputs["audio"], rate, seconds)
    notes = (note("Classified the first {seconds} s of {duration} s.", seconds=f"{seconds:g}",
                  duration=f"{duration:.1f}"),) if seconds and duration > seconds else ()
    return Output(pipe({"raw": samples, "sampling_rate": rate}, top_k=params["top_k"]), notes=notes)


def code(ref, inputs: dict, params: dict, place) -> str:
    imports, lines = decode_lines(inputs["audio"])
    return pipeline_snippet("audio-classification", ref, place, imports=imports,
                            before=lines + crop_lines(params["max_seconds"]),
                            call_input='{"raw": audio, "sampling_rate": rate}', kwargs={"top_k": params["top_k"]})


def build(ctx) -> None:
    """Audio, model, top_k and the seconds to classify on the left; the label bars on the right."""
    import gradio as gr

    from core.ui import examples, label_scores, model_picker, result_panels, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "audio")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "top_k", "max_seconds")
            run_button = gr.Button(tr("Run"), variant="primary")
            rows = [[p] for p in (clip("dream.mp3"), gradio_sample("audio/cantina.wav"),
                                  gradio_sample("audio/sax.wav")) if p]
            if rows:
                examples(ctx, rows, [fields["audio"]])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="audio_classification_label")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {label: label_scores(result.output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label])


TASK = TaskSpec(
    id="audio-classification",
    title="Audio classification",
    loader=Loader.pipeline("audio-classification"),
    batched=True,
    default_model="superb/hubert-base-superb-er",
    models=("superb/wav2vec2-base-superb-ks", "MIT/ast-finetuned-audioset-10-10-0.4593",
            "ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition"),
    run=run,
    code=code,
    inputs=(AudioFile("audio", label="Audio", max_seconds=LONGEST_S),),
    params=(
        Int("top_k", 5, 1, 20, label="top_k", help="How many labels to show, best first"),
        Float("max_seconds", 30.0, 0.0, 120.0, step=1.0, help="Classify the first seconds only (0 = the whole clip)"),
    ),
    architectures=("ForAudioClassification", "Wav2Vec2ForSequenceClassification", "HubertForSequenceClassification",
                   "WavLMForSequenceClassification", "Data2VecAudioForSequenceClassification",
                   "UniSpeechSatForSequenceClassification", "UniSpeechForSequenceClassification",
                   "SEWForSequenceClassification", "SEWDForSequenceClassification",
                   "Wav2Vec2ConformerForSequenceClassification", "Wav2Vec2BertForSequenceClassification"),
    description="Labels for a sound: emotion, spoken keyword, sound event, music genre.",
    build=build,
)
