"""visual-question-answering (alias vqa): a question about a photo, answered with scores.

transformers 5 removed `pipeline("visual-question-answering")` (it raises KeyError), so the app runs the
AutoClass code and shows it: AutoProcessor + AutoModelForVisualQuestionAnswering. Two kinds of models:
- ViLT classifies: one logit per answer of a fixed list (config.id2label, 3,129 answers for VQAv2), each
  scored on its own with a sigmoid (as the 4.x pipeline did); top_k are the k best.
- BLIP generates its answer word by word; with top_k > 1 a beam search keeps k answers. The score of an
  answer is the probability of its tokens (model.compute_transition_scores), answers sorted by it.

Matches transformers 4.57.6's visual-question-answering pipeline: ViLT's top_k answers and scores; BLIP's
answer at top_k=1 (greedy, as long as 4.57.6 let it be: the model's max_new_tokens, its max_length unless 20,
else 256 new tokens). 4.57.6 gave BLIP's answer without a score and ignored top_k; the score and the beam
search for top_k > 1 are the app's.
"""

from __future__ import annotations

from core.codegen import from_pretrained
from core.i18n import say
from core.params import Int, Text
from core.registry import Loader, TaskSpec
from demos.multimodal.common import autoclass_snippet, image_field, model_image, picture, rows_with_files
from demos.multimodal.image_to_text import length_kwargs

REMOVED_NOTE = ('transformers 5 removed pipeline("visual-question-answering"): the 4.x one-liner now raises KeyError.\n'
                "This is the AutoClass code the app runs instead (same result as the app's raw output).\n")
VILT_NOTE = "It matches transformers 4.57.6's visual-question-answering pipeline: the same answers and scores."
BLIP_NOTE = ("It matches transformers 4.57.6's visual-question-answering pipeline at top_k=1 (greedy, the same\n"
             "answer; 4.57.6 gave no score and ignored top_k: the score and the beams for top_k > 1 are the app's).")
EMPTY = "(empty)"  # an empty answer's label, in the browser's language


def answer_length(generation: dict) -> dict:
    """How long BLIP's answer may get, as in 4.57.6's pipeline ({"max_new_tokens": n} or {"max_length": n})."""
    kwargs = length_kwargs(0, generation)
    return kwargs.get("generate_kwargs", kwargs)


def generation_kwargs(top_k: int, generation: dict) -> dict:
    """BLIP: greedy for one answer, a beam search keeping top_k answers otherwise; always with the scores."""
    beams = {"num_beams": top_k, "num_return_sequences": top_k} if top_k > 1 else {}
    return {**answer_length(generation), **beams, "output_scores": True, "return_dict_in_generate": True}


def answers_of(bundle, images: list, questions: list[str], top_k: int) -> list[list[dict]]:
    """run's answers for each (image, question): one processor call (questions padded, ViLT's images padded with
    their pixel_mask) and one forward pass or generate call for all of them."""
    import torch

    model, processor = bundle.model, bundle.processor
    many = {"padding": True} if len(questions) > 1 else {}
    encoded = processor(images=images, text=questions, truncation=True, return_tensors="pt", **many).to(model.device)
    if encoded["pixel_values"].dtype != model.dtype:
        encoded["pixel_values"] = encoded["pixel_values"].to(model.dtype)
    with torch.no_grad():
        if not model.can_generate():
            probs = model(**encoded).logits.float().sigmoid()
            best = probs.topk(min(top_k, probs.shape[-1]), dim=-1)
            return [[{"score": s.item(), "answer": model.config.id2label[i.item()]} for s, i in zip(scores, ids)]
                    for scores, ids in zip(best.values, best.indices)]
        out = model.generate(**encoded, **generation_kwargs(top_k, model.generation_config.to_dict()))
        steps = model.compute_transition_scores(out.sequences, out.scores, getattr(out, "beam_indices", None),
                                                normalize_logits=top_k == 1)
    if top_k == 1 and len(questions) > 1:  # greedy pads the answers that ended first: their padding scores nothing
        ends = {model.config.text_config.sep_token_id, *as_ids(model.generation_config.eos_token_id)}
        new = out.sequences[:, -steps.shape[1]:]
        ended = torch.isin(new, torch.tensor(sorted(ends), device=new.device)).int()
        steps = steps.masked_fill(ended.cumsum(1) - ended > 0, 0.0)
    answers = processor.batch_decode(out.sequences, skip_special_tokens=True)
    scored = [{"score": p.item(), "answer": a.strip()} for a, p in zip(answers, steps.double().sum(-1).exp())]
    per_question = [scored[i:i + top_k] for i in range(0, len(scored), top_k)]
    return [sorted(result, key=lambda r: r["score"], reverse=True) for result in per_question]


def as_ids(value) -> list[int]:
    return [] if value is None else [value] if isinstance(value, int) else list(value)


def batch(bundle, inputs_list: list[dict], params: dict) -> list[list[dict]]:
    """run's result per request, answered together (answers_of). BLIP only merges questions of the same length
    in tokens: its generate lets the answer attend to every question token, padding included (an all-ones mask in
    BlipForQuestionAnswering.generate), so padding a question would change its answer."""
    model = bundle.model
    groups: dict[int, list[int]] = {}
    for i, inputs in enumerate(inputs_list):
        key = 0
        if model.can_generate():
            key = len(bundle.processor.tokenizer(inputs["question"], truncation=True)["input_ids"])
        groups.setdefault(key, []).append(i)
    results: list = [None] * len(inputs_list)
    for members in groups.values():
        answers = answers_of(bundle, [model_image(inputs_list[i]["image"]) for i in members],
                             [inputs_list[i]["question"] for i in members], params["top_k"])
        for i, answer in zip(members, answers):
            results[i] = answer
    return results


def run(bundle, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "answer"}, ...], best first."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    from demos.audio.common import model_json

    top_k = params["top_k"]
    encode = ["inputs = processor(images=image, text=question, truncation=True, return_tensors='pt').to(model.device)"]
    if place.dtype not in ("float32", "auto"):
        encode.append("inputs['pixel_values'] = inputs['pixel_values'].to(model.dtype)")
    if not _generates(ref):
        body = [
            "with torch.no_grad():",
            "    logits = model(**inputs).logits[0]",
            "# ViLT classifies over a fixed list of answers (model.config.id2label), each scored on its own (sigmoid)",
            "probs = logits.float().sigmoid()",
            f"scores, ids = probs.topk(min({top_k}, probs.numel()))",
            'result = [{"score": s.item(), "answer": model.config.id2label[i.item()]} for s, i in zip(scores, ids)]',
        ]
    else:
        beams = f"num_beams={top_k}, num_return_sequences={top_k}, " if top_k > 1 else ""
        what = f"a beam search keeps {top_k} answers" if top_k > 1 else "greedy decoding: one answer"
        length = ", ".join(f"{k}={v}" for k, v in answer_length(model_json(ref, "generation_config.json")).items())
        body = [
            f"# BLIP writes its answer token by token ({what})",
            "with torch.no_grad():",
            f"    out = model.generate(**inputs, {length}, {beams}output_scores=True,"
            " return_dict_in_generate=True)",
            "    # an answer's score: the probability of its tokens",
            "    steps = model.compute_transition_scores(out.sequences, out.scores, "
            f"{'out.beam_indices' if top_k > 1 else 'None'}, normalize_logits={top_k == 1})",
            "answers = processor.batch_decode(out.sequences, skip_special_tokens=True)",
            'result = [{"score": p.item(), "answer": a.strip()} for a, p in zip(answers, steps.double().sum(-1).exp())]',
            'result.sort(key=lambda r: r["score"], reverse=True)',
        ]
    return autoclass_snippet(
        ref, place, inputs["image"],
        imports=("import torch", "from transformers import AutoModelForVisualQuestionAnswering, AutoProcessor"),
        load=[from_pretrained("AutoProcessor", ref, var="processor"),
              from_pretrained("AutoModelForVisualQuestionAnswering", ref, place)],
        body=[f"question = {inputs['question']!r}", *encode, *body, "print(result)"],
        note=REMOVED_NOTE + (BLIP_NOTE if _generates(ref) else VILT_NOTE),
    )


def _generates(ref) -> bool:
    """Whether the model answers by generating (BLIP) rather than classifying (ViLT), from its config."""
    import json
    from pathlib import Path

    if ref.local:
        config_file = Path(ref.source) / "config.json"
    else:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(ref.source, "config.json", revision=ref.revision)
        config_file = Path(found) if isinstance(found, str) else None
    try:
        model_type = json.loads(config_file.read_text(encoding="utf-8")).get("model_type", "")
    except (AttributeError, OSError, ValueError):
        model_type = ""
    return model_type != "vilt"


EXAMPLES = (("chelsea", "What animal is this?"), ("bus", "What color is the bus?"),
            ("astronaut", "Is the person smiling?"), ("coffee", "What is in the cup?"))


def build(ctx) -> None:
    """Photo, question, model and top_k on the left; the scored answers on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"image": widget(ctx, TASK, "image"),
                      "question": widget(ctx, TASK, "question", placeholder=tr(TASK.inputs["question"].placeholder))}
            model = model_picker(ctx, TASK)
            fields["top_k"] = widget(ctx, TASK, "top_k")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="visual_question_answering_run")
            examples(ctx, rows_with_files(*([picture(name), q] for name, q in EXAMPLES)),
                     [fields["image"], fields["question"]])
        with gr.Column(scale=2):
            answers = gr.Label(label=tr("Answers"), elem_id="visual_question_answering_answers")
            gr.Markdown(tr("ViLT picks from a fixed list of answers (each scored on its own, so the scores need "
                           "not add up to 1); BLIP writes its answer, scored by the probability of its words."))
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        label: dict[str, float] = {}
        for a in reversed(result.output):
            label[a["answer"] or say(EMPTY)] = float(a["score"])
        return {answers: dict(sorted(label.items(), key=lambda kv: -kv[1]))}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [answers], triggers=[fields["question"].submit])


TASK = TaskSpec(
    id="visual-question-answering",
    title="Visual QA",
    aliases=("vqa",),
    loader=Loader.auto("AutoModelForVisualQuestionAnswering", "AutoProcessor"),
    default_model="dandelin/vilt-b32-finetuned-vqa",
    models=("Salesforce/blip-vqa-base",),
    run=run,
    batch=batch,
    code=code,
    inputs=(
        image_field(),
        Text("question", label="Question", required=True, max_chars=2000, placeholder="e.g. What animal is this?"),
    ),
    params=(Int("top_k", 3, 1, 10, help="How many answers to show"),),
    architectures=("ViltForQuestionAnswering", "BlipForQuestionAnswering"),
    description="Ask a question about a photo (removed from 5.x pipelines: AutoModelForVisualQuestionAnswering).",
    build=build,
)
