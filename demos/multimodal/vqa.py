"""Visual question answering: a question about a photo, answered with scores.

transformers 5 removed `pipeline("visual-question-answering")` (it raises KeyError), so the app runs the
AutoClass code and shows it: AutoProcessor + AutoModelForVisualQuestionAnswering. Two kinds of models:
- ViLT classifies: one logit per answer of a fixed list (config.id2label, 3,129 answers for VQAv2), each
  scored on its own with a sigmoid (as the 4.x pipeline did); top_k are the k best.
- BLIP generates its answer word by word; with top_k > 1 a beam search keeps k answers. The score of an
  answer is the probability of its tokens (model.compute_transition_scores), answers sorted by it.
"""

from __future__ import annotations

import gradio as gr

from core.codegen import from_pretrained
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.multimodal.common import int_param, picture, required_text, rows_with_files
from demos.vision.common import autoclass_snippet, image_input, model_image

PARAMS = {"top_k": 3}
ANSWER_TOKENS = 20
REMOVED_NOTE = ('transformers 5 removed pipeline("visual-question-answering"): the 4.x one-liner now raises KeyError.\n'
                "This is the AutoClass code the app runs instead (same result as the app's raw output).")


def vqa_inputs(bundle, image, question: str):
    """The processor's tensors on the model's device (pixels in the model's dtype)."""
    model = bundle.model
    inputs = bundle.processor(images=image, text=question, truncation=True, return_tensors="pt").to(model.device)
    if inputs["pixel_values"].dtype != model.dtype:
        inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    return inputs


def generation_kwargs(top_k: int) -> dict:
    """BLIP: greedy for one answer, a beam search keeping top_k answers otherwise; always with the scores.
    Answers are short: at most ANSWER_TOKENS tokens."""
    beams = {"num_beams": top_k, "num_return_sequences": top_k} if top_k > 1 else {}
    return {"max_new_tokens": ANSWER_TOKENS, **beams, "output_scores": True, "return_dict_in_generate": True}


def run_visual_question_answering(bundle, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "answer"}, ...], best first."""
    import torch

    question = required_text(inputs.get("question"), "Question")
    top_k = int_param(params, "top_k", PARAMS["top_k"], 1, 20)
    model, processor = bundle.model, bundle.processor
    encoded = vqa_inputs(bundle, model_image(inputs), question)
    with torch.no_grad():
        if not model.can_generate():
            probs = model(**encoded).logits[0].float().sigmoid()
            scores, ids = probs.topk(min(top_k, probs.numel()))
            return [{"score": s.item(), "answer": model.config.id2label[i.item()]} for s, i in zip(scores, ids)]
        out = model.generate(**encoded, **generation_kwargs(top_k))
        steps = model.compute_transition_scores(out.sequences, out.scores, getattr(out, "beam_indices", None),
                                                normalize_logits=top_k == 1)
    answers = processor.batch_decode(out.sequences, skip_special_tokens=True)
    result = [{"score": p.item(), "answer": a.strip()} for a, p in zip(answers, steps.double().sum(-1).exp())]
    result.sort(key=lambda r: r["score"], reverse=True)
    return result


def code_visual_question_answering(ref, inputs: dict, params: dict, place) -> str:
    question = required_text(inputs.get("question"), "Question")
    top_k = int_param(params, "top_k", PARAMS["top_k"], 1, 20)
    generates = _generates(ref)
    encode = ["inputs = processor(images=image, text=question, truncation=True, return_tensors='pt').to(model.device)"]
    if place.dtype not in ("float32", "auto"):
        encode.append("inputs['pixel_values'] = inputs['pixel_values'].to(model.dtype)")
    if not generates:
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
        body = [
            f"# BLIP writes its answer token by token ({what})",
            "with torch.no_grad():",
            f"    out = model.generate(**inputs, max_new_tokens={ANSWER_TOKENS}, {beams}output_scores=True,"
            " return_dict_in_generate=True)",
            "    # an answer's score: the probability of its tokens",
            "    steps = model.compute_transition_scores(out.sequences, out.scores, "
            f"{'out.beam_indices' if top_k > 1 else 'None'}, normalize_logits={top_k == 1})",
            "answers = processor.batch_decode(out.sequences, skip_special_tokens=True)",
            'result = [{"score": p.item(), "answer": a.strip()} for a, p in zip(answers, steps.double().sum(-1).exp())]',
            'result.sort(key=lambda r: r["score"], reverse=True)',
        ]
    return autoclass_snippet(
        ref, place, inputs.get("image"),
        imports=("import torch", "from transformers import AutoModelForVisualQuestionAnswering, AutoProcessor"),
        load=[from_pretrained("AutoProcessor", ref, var="processor"),
              from_pretrained("AutoModelForVisualQuestionAnswering", ref, place)],
        body=[f"question = {question!r}", *encode, *body, "print(result)"],
        note=REMOVED_NOTE,
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


VQA = TaskSpec(
    id="visual-question-answering",
    title="Visual QA",
    aliases=("vqa",),
    loader=Loader.auto("AutoModelForVisualQuestionAnswering", "AutoProcessor"),
    default_model="dandelin/vilt-b32-finetuned-vqa",
    models=("Salesforce/blip-vqa-base",),
    run=run_visual_question_answering,
    code=code_visual_question_answering,
    inputs=("image", "question"),
    file_inputs=("image",),
    params=dict(PARAMS),
    architectures=("ViltForQuestionAnswering", "BlipForQuestionAnswering"),
    description="Ask a question about a photo (removed from 5.x pipelines: AutoModelForVisualQuestionAnswering).",
)


EMPTY = "(empty)"  # an empty answer's label, in the browser's language


def render_vqa(components: dict):
    def render(output: list[dict], inputs: dict, params: dict) -> dict:
        label: dict[str, float] = {}
        for a in reversed(output):
            label[a["answer"] or say(EMPTY)] = float(a["score"])
        return {components["answers"]: dict(sorted(label.items(), key=lambda kv: -kv[1]))}

    return render


def build_vqa(ctx: Context) -> None:
    task = VQA
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            image = image_input(ctx, task)
            question = gr.Textbox(label=tr("Question"), lines=1, elem_id="visual_question_answering_question",
                                  placeholder=tr("e.g. What animal is this?"))
            model = model_picker(ctx, task)
            top_k = gr.Slider(1, 10, value=PARAMS["top_k"], step=1, label="top_k", info=tr("How many answers to show"))
            run = gr.Button(tr("Run"), variant="primary", elem_id="visual_question_answering_run")
            examples(
                ctx,
                rows_with_files(
                    [picture("chelsea"), "What animal is this?"],
                    [picture("bus"), "What color is the bus?"],
                    [picture("astronaut"), "Is the person smiling?"],
                    [picture("coffee"), "What is in the cup?"],
                ),
                [image, question],
            )
        with gr.Column(scale=2):
            answers = gr.Label(label=tr("Answers"), elem_id="visual_question_answering_answers")
            gr.Markdown(tr("ViLT picks from a fixed list of answers (each scored on its own, so the scores need "
                           "not add up to 1); BLIP writes its answer, scored by the probability of its words."))
    panels = result_panels(ctx, task)
    components = {"answers": answers}
    wire(ctx, task, run.click, {"image": image, "question": question, "top_k": top_k}, model, render_vqa(components),
         panels, [answers], triggers=[question.submit])


TASKS = ((VQA, build_vqa),)

KOREAN = {
    "Visual QA": "시각 질의응답",
    "e.g. What animal is this?": "예: What animal is this?",
    "ViLT picks from a fixed list of answers (each scored on its own, so the scores need not add up to 1); BLIP "
    "writes its answer, scored by the probability of its words.":
        "ViLT는 정해진 답 목록에서 고릅니다 (답마다 따로 점수를 매기므로 합이 1이 아닐 수 있습니다); "
        "BLIP은 답을 직접 생성하며, 점수는 그 단어들의 확률입니다.",
    # texts made when a result is shown (core.i18n.say)
    EMPTY: "(빈 답)",
}
