"""zero-shot-audio-classification: CLAP scores the sound against a sentence made from each label you type
(hypothesis_template), on the first seconds of the clip or the whole of it."""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import note
from core.params import Float, Labels, Text
from core.registry import Loader, Output, TaskSpec
from demos.audio.common import AudioFile, clip, crop_lines, cropped, decode_lines, gradio_sample, pipeline_snippet

LONGEST_S = 600.0  # the whole clip is decoded before the first seconds are kept


@dataclass(frozen=True)
class Template(Text):
    """A text with {} where each label goes."""

    def parse(self, value) -> str:
        text = super().parse(value) or self.default
        if "{}" not in text:
            raise self.bad("must contain {} where each label goes")
        return text


def call_kwargs(inputs: dict, params: dict) -> dict:
    """The pipeline's keyword arguments: the labels (each once, in order) and the template."""
    return {"candidate_labels": list(dict.fromkeys(inputs["candidate_labels"])),
            "hypothesis_template": params["hypothesis_template"]}


def run(pipe, inputs: dict, params: dict) -> Output:
    """[{"score", "label"}, ...] over the candidate labels, best first (the scores sum to 1)."""
    seconds = params["max_seconds"]
    samples, duration = cropped(inputs["audio"], pipe.feature_extractor.sampling_rate, seconds)
    notes = (note("Classified the first {seconds} s of {duration} s.", seconds=f"{seconds:g}",
                  duration=f"{duration:.1f}"),) if seconds and duration > seconds else ()
    # This pipeline takes a bare array (already at the model's rate), not {"raw", "sampling_rate"}.
    return Output(pipe(samples, **call_kwargs(inputs, params)), notes=notes)


def code(ref, inputs: dict, params: dict, place) -> str:
    imports, lines = decode_lines(inputs["audio"])
    return pipeline_snippet("zero-shot-audio-classification", ref, place, imports=imports,
                            before=lines + crop_lines(params["max_seconds"]),
                            call_input="audio", kwargs=call_kwargs(inputs, params))


EXAMPLES = [
    ("audio/sax.wav", "saxophone, piano, drums, speech"),
    ("audio/cantina.wav", "jazz band, rock concert, birds singing, rain"),
    (None, "a man speaking, a woman singing, a dog barking"),
]


def build(ctx) -> None:
    """Audio, the labels, model, template and seconds on the left; the label bars on the right."""
    import gradio as gr

    from core.ui import examples, label_scores, model_picker, result_panels, widget, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "audio")
            fields["candidate_labels"] = widget(ctx, TASK, "candidate_labels",
                                                elem_id="zero_shot_audio_classification_labels")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "hypothesis_template", "max_seconds")
            run_button = gr.Button(tr("Run"), variant="primary")
            rows = [[p, labels] for p, labels in ((gradio_sample(name) if name else clip("dream.mp3"), labels)
                                                  for name, labels in EXAMPLES) if p]
            if rows:
                examples(ctx, rows, [fields["audio"], fields["candidate_labels"]])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="zero_shot_audio_classification_label")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {label: label_scores(result.output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label])


TASK = TaskSpec(
    id="zero-shot-audio-classification",
    title="Zero-shot audio classification",
    loader=Loader.pipeline("zero-shot-audio-classification"),
    batched=True,
    default_model="laion/clap-htsat-fused",
    models=("laion/clap-htsat-unfused", "laion/larger_clap_general", "laion/larger_clap_music_and_speech"),
    run=run,
    code=code,
    inputs=(
        AudioFile("audio", label="Audio", max_seconds=LONGEST_S),
        Labels("candidate_labels", ("music", "speech", "dog barking", "rain"), label="Candidate labels",
               help="Comma-separated", required=True, max_items=50, max_chars=200),
    ),
    params=(
        Template("hypothesis_template", "This is a sound of {}.", max_chars=300,
                 help="Each label goes where {} is"),
        Float("max_seconds", 10.0, 0.0, 60.0, step=1.0, help="Classify the first seconds only (0 = the whole clip)"),
    ),
    architectures=("ClapModel",),
    model_types=("clap",),
    description="Scores for labels you choose (CLAP compares the sound with each sentence).",
    build=build,
)
