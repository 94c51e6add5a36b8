"""document-question-answering: LayoutLM reads a document's words with their positions and points at the
words that answer a question.

The words come from Tesseract OCR, which the app runs itself with `pytesseract.image_to_data` (the call the
pipeline makes when it gets no `word_boxes`), so they can be shown in a table, drawn on the page, put in the
raw output and reused; they then go to the pipeline as `word_boxes` on LayoutLM's 0-1000 scale. Word boxes
typed by the user skip OCR. Documents are images or the first page of a PDF (pypdfium2), read once per run.
Without the tesseract binary the run fails with one line naming the fix; the other tasks are unaffected.
The answers match transformers 4.57.6's document-question-answering pipeline (its own OCR included).
"""

from __future__ import annotations

import json
from typing import Any

from core import drawing
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.i18n import note, say
from core.params import Bool, File, Int, Text
from core.registry import Loader, Output, TaskSpec
from demos.multimodal.common import (
    DOCUMENT,
    document_loading_code,
    invoice_example,
    load_document,
    read_document,
    rows_with_files,
    skimage_file,
)
from demos.multimodal.ocr import WORD_BOXES, OcrLanguage, WordBoxes, ocr_words, tesseract_languages

TABLE_HEADERS = ["#", "word", "x0", "y0", "x1", "y1", "conf", "answer"]

OWN_BOXES = "✍️ Your {count} word boxes were used: no OCR ran."
OCR_READ = ("🔎 Tesseract OCR ({lang}) read {count} words: each is boxed in blue; "
            "the table under the result lists them with their boxes (0-1000 scale).")
NO_OCR_MODEL = "🖼️ This model reads the pixels itself (no OCR)."
OCR_EMPTY = ("⚠️ OCR found no text in this document: try a sharper or larger scan, another OCR language, "
             "or type the word boxes yourself.")
FIRST_PAGE = "📄 Only the first page of this {pages}-page PDF was read."
NO_ANSWER = "(no answer)"
NO_WORDS_YET = "Run the task first: there are no OCR words to reuse yet."


# ---- the run ------------------------------------------------------------------------------------------
def reads_pixels_only(pipe) -> bool:
    """Donut-style models (VisionEncoderDecoder) read the pixels themselves: no OCR, no word boxes."""
    return getattr(getattr(pipe, "model_type", None), "value", "") == "vision_encoder_decoder"


def notes_of(given: list[dict], words: list[dict], answers: list, lang: str, pages: int) -> tuple:
    """What the run read the words with (the user's boxes, OCR, the pixels) and how much of a PDF."""
    if given:
        notes = [note(OWN_BOXES, count=len(words))]
    elif words:
        notes = [note(OCR_READ, lang=lang, count=len(words))]
    else:
        notes = [note(NO_OCR_MODEL if answers else OCR_EMPTY)]
    if pages > 1:
        notes.append(note(FIRST_PAGE, pages=pages))
    return tuple(notes)


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"answers": [{"score", "answer", "start", "end"}, ...] (start/end: indices into words),
    "words": [{"word", "box", "conf"?}, ...]} — the words OCR read (or the user gave), boxes on 0-1000.
    facts["image"]: the document as read (drawn on by render)."""
    question, given, top_k, lang = inputs["question"], inputs[WORD_BOXES], params["top_k"], params["lang"]
    extra = {"handle_impossible_answer": True} if params["handle_impossible_answer"] else {}
    image, pages = read_document(inputs["image"]) if inputs["image"] is not None else (None, 0)
    if image is None and (not given or reads_pixels_only(pipe)):
        raise UserError("empty_input", what=DOCUMENT)
    if reads_pixels_only(pipe):
        words, answers = [], pipe(image=image, question=question, top_k=top_k, **extra)
    else:
        words = given or ocr_words(image, lang)
        answers = pipe(image=image, question=question, word_boxes=[(w["word"], w["box"]) for w in words], top_k=top_k,
                       **extra)
    return Output({"answers": answers, "words": words}, notes=notes_of(given, words, answers, lang, pages),
                  facts={"image": image})


OCR_LINES = [
    "",
    "# OCR with Tesseract: the call the pipeline makes itself when it gets no word_boxes,",
    "# made here so that the words and their boxes can be looked at (and reused)",
    "data = pytesseract.image_to_data(image, lang={lang!r}, output_type=pytesseract.Output.DICT)",
    "width, height = image.size",
    "words = []",
    'for text, x, y, w, h, conf in zip(data["text"], data["left"], data["top"], data["width"], data["height"],',
    '                                  data["conf"]):',
    "    if text.strip():  # boxes on LayoutLM's 0-1000 scale, as the pipeline computes them",
    "        box = [int(1000 * (x / width)), int(1000 * (y / height)), int(1000 * ((x + w) / width)),",
    "               int(1000 * ((y + h) / height))]",
    '        words.append({{"word": text, "box": box, "conf": float(conf)}})',
    "",
    'word_boxes = [(w["word"], w["box"]) for w in words]',
]


def code(ref, inputs: dict, params: dict, place) -> str:
    given, top_k = inputs[WORD_BOXES], params["top_k"]
    if params["handle_impossible_answer"]:
        top_k = f"{top_k}, handle_impossible_answer=True"
    imports = {"from transformers import pipeline"}
    lines: list[str] = []
    if inputs["image"] is not None:
        more, load = document_loading_code(inputs["image"])
        imports.update(more)
        lines += load
    else:
        lines.append("image = None  # no document image: LayoutLM reads the words and boxes alone")
    ask = call_args(question=inputs["question"])
    if given:
        lines += ["# your words, with boxes on LayoutLM's 0-1000 scale: the pipeline runs no OCR",
                  f"word_boxes = {py([(w['word'], w['box']) for w in given])}",
                  f"answers = pipe(image=image, {ask}, word_boxes=word_boxes, top_k={top_k})",
                  'words = [{"word": word, "box": box} for word, box in word_boxes]']
    else:
        imports.add("import pytesseract")
        lines += [line.format(lang=params["lang"]) for line in OCR_LINES]
        lines.append(f"answers = pipe(image=image, {ask}, word_boxes=word_boxes, top_k={top_k})")
    load = call_args("document-question-answering", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    head = sorted(imports, key=lambda s: (not s.startswith("import "), s))
    out = ["# matches transformers 4.57.6's document-question-answering pipeline (which ran this OCR itself)",
           *head, "", f"pipe = pipeline({load})", *lines,
           'print({"answers": answers, "words": words})',
           "# answers[i]['start'] .. ['end'] are indices into words: the boxes to draw"]
    return "\n".join(out) + "\n"


# ---- drawing -------------------------------------------------------------------------------------------
OCR_BOX = (70, 130, 220)


def distinct_answers(answers: list[dict]) -> list[dict]:
    """Answers without repeats of one word span (overlapping document chunks can find it twice), best first."""
    seen, out = set(), []
    for a in answers:
        key = (a.get("start"), a.get("end"), a.get("answer"))
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def answer_boxes(answers: list[dict], words: list[dict], size: tuple[int, int]) -> list[dict]:
    """Per answer (in order): {"rank", "score", "boxes": [(x0, y0, x1, y1) of each of its words in the image's
    pixels]}; answers without word indices (Donut) are left out."""
    width, height = size
    found = []
    for rank, a in enumerate(answers, start=1):
        if a.get("start") is None or a.get("end") is None:
            continue
        boxes = [tuple(v * (width if k % 2 == 0 else height) / 1000 for k, v in enumerate(words[i]["box"]))
                 for i in range(a["start"], a["end"] + 1) if 0 <= i < len(words)]
        if boxes:
            found.append({"rank": rank, "score": float(a.get("score") or 0.0), "boxes": boxes})
    return found


def draw_document(image, words: list[dict], answers: list[dict]):
    """The page with every word's box in thin blue, and each answer's words filled and outlined in the
    answer's colour with a small "#rank score" tag (the best answer drawn last, on top)."""
    from PIL import Image, ImageDraw

    page = image.convert("RGB")
    width, height = page.size
    overlay = Image.new("RGBA", page.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for w in words:
        x0, y0, x1, y1 = w["box"]
        draw.rectangle((x0 * width / 1000, y0 * height / 1000, x1 * width / 1000, y1 * height / 1000),
                       outline=(*OCR_BOX, 200), width=1)
    fnt = drawing.font(max(12, round(height / 70)))
    line = max(2, round(min(width, height) / 300))
    for found in reversed(answer_boxes(answers, words, page.size)):
        color = drawing.PALETTE[(found["rank"] - 1) % len(drawing.PALETTE)]
        for x0, y0, x1, y1 in found["boxes"]:
            draw.rectangle((x0 - line, y0 - line, x1 + line, y1 + line), fill=(*color, 70), outline=(*color, 255),
                           width=line)
        x0, y0 = found["boxes"][0][:2]
        tag = f"#{found['rank']} {found['score']:.2f}"
        left, top, right, bottom = draw.textbbox((0, 0), tag, font=fnt)
        w, h = right - left + 6, bottom - top + 4
        tx = min(max(0, x0 - line), max(0, width - w))
        ty = y0 - line - h if y0 - line - h >= 0 else found["boxes"][0][3] + line
        draw.rectangle((tx, ty, tx + w, ty + h), fill=(*color, 255))
        draw.text((tx + 3 - left, ty + 2 - top), tag, font=fnt, fill=drawing.text_color(color))
    return Image.alpha_composite(page.convert("RGBA"), overlay).convert("RGB")


def word_rows(words: list[dict], answers: list[dict]) -> list[list]:
    rank_of: dict[int, str] = {}
    for rank, a in reversed(list(enumerate(answers, start=1))):
        if a.get("start") is not None:
            for i in range(a["start"], a["end"] + 1):
                rank_of[i] = f"#{rank}"
    return [[i, w["word"], *w["box"], w.get("conf", ""), rank_of.get(i, "")] for i, w in enumerate(words)]


# ---- the sub-tab ---------------------------------------------------------------------------------------
def words_as_boxes(raw: Any) -> str | None:
    """The last run's words as word-box text (one [word, box] per line), or None before a run."""
    words = (raw or {}).get("words") if isinstance(raw, dict) else None
    if not words:
        return None
    lines = [json.dumps([w["word"], w["box"]], ensure_ascii=False) for w in words]
    return "[" + ",\n ".join(lines) + "]"


EXAMPLE_QUESTIONS = ((".png", "What is the total amount?"), (".png", "What is the invoice number?"),
                     (".pdf", "What is the date?"))


def build(ctx) -> None:
    """Document, question, model, top_k, OCR language and optional word boxes on the left; the answers and
    the page with the answer boxed on the right; the OCR words in a table under them."""
    import gradio as gr

    from core.i18n import language_of, speaking
    from core.ui import examples, model_picker, result_panels, takes_request, when_shown, widget, widgets, wire

    tr = ctx.tr
    lang_field = TASK.params["lang"]
    installed: list[str] = []  # asked of tesseract (a process) when the sub-tab is first opened
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"image": widget(ctx, TASK, "image", elem_id="document_question_answering_document",
                                      file_types=["image", ".pdf"]),  # gradio wants a list: not in the frozen field
                      "question": widget(ctx, TASK, "question", placeholder=tr(TASK.inputs["question"].placeholder))}
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields["top_k"] = widget(ctx, TASK, "top_k")
                # the installed Tesseract languages are known only at run time: a dropdown built from the field
                fields["lang"] = gr.Dropdown(
                    [lang_field.default], value=lang_field.default, allow_custom_value=True,
                    label=tr(lang_field.title), info=tr(lang_field.help), elem_id=f"{TASK.api_name}_lang")
            fields["handle_impossible_answer"] = widget(ctx, TASK, "handle_impossible_answer")
            with gr.Accordion(tr("Word boxes (optional: skips OCR)"), open=False) as boxes_box:
                fields |= widgets(ctx, TASK, WORD_BOXES)
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="document_question_answering_run")
            examples(ctx, rows_with_files(*([invoice_example(suffix), q] for suffix, q in EXAMPLE_QUESTIONS),
                                          [skimage_file("page.png"), "What can we label?"]),
                     [fields["image"], fields["question"]])
        with gr.Column(scale=3):
            answers = gr.Label(label=tr("Answers"), elem_id="document_question_answering_answers")
            drawn = gr.Image(label=tr("Document with the answer boxed"), type="pil", format="png", interactive=False,
                             height=560, elem_id="document_question_answering_drawn")
    with gr.Accordion(tr("OCR words and boxes"), open=False):
        table = gr.Dataframe(headers=TABLE_HEADERS, label=tr("Words the model read (boxes on a 0-1000 scale)"),
                             interactive=False, elem_id="document_question_answering_words", max_height=360)
        reuse = gr.Button(tr("Use these words as word boxes (the next run skips OCR)"), size="sm")
    panels = result_panels(ctx, TASK)

    def languages(chosen: str):
        installed[:] = installed or tesseract_languages() or [lang_field.default]
        untouched = chosen == lang_field.default and chosen not in installed
        return gr.Dropdown(choices=installed, value=installed[0] if untouched else chosen)

    when_shown(ctx, languages, [fields["lang"]], [fields["lang"]])

    def render(result) -> dict:
        output, image = result.output, result.facts["image"]
        found = distinct_answers(output["answers"])
        label = {}
        for a in reversed(found):  # the best score wins when two spans read the same
            label[a.get("answer") or say(NO_ANSWER)] = float(a.get("score") or 0.0)
        return {answers: dict(sorted(label.items(), key=lambda kv: -kv[1])),
                drawn: draw_document(image, output["words"], found) if image is not None else None,
                table: word_rows(output["words"], found)}

    def preview(value: Any, request):
        """What the upload shows before a run: the page (a PDF's first page) or nothing."""
        if not value:
            return None
        try:
            return load_document(value)
        except UserError as err:
            raise gr.Error(err.text(language_of(request)), print_exception=False) from None

    def reuse_words(raw: Any, request):
        boxes = words_as_boxes(raw)
        if boxes is None:
            with speaking(language_of(request)):
                raise gr.Error(say(NO_WORDS_YET), print_exception=False)
        return boxes, gr.update(open=True)

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [answers, drawn, table],
         triggers=[fields["question"].submit])
    fields["image"].change(takes_request(preview, ["value"]), inputs=[fields["image"]], outputs=[drawn],
                           api_visibility="private", show_progress="minimal")
    reuse.click(takes_request(reuse_words, ["raw"]), inputs=[panels.raw], outputs=[fields[WORD_BOXES], boxes_box],
                api_visibility="private")


TASK = TaskSpec(
    id="document-question-answering",
    title="Document QA",
    loader=Loader.pipeline("document-question-answering"),
    default_model="impira/layoutlm-document-qa",
    models=("magorshunov/layoutlm-invoices",),
    run=run,
    code=code,
    inputs=(
        File("image", label="Document (image or PDF)", required=False, aliases=("document",),
             widget=(("height", 140),)),
        Text("question", label="Question", required=True, max_chars=2000, placeholder="e.g. What is the total amount?"),
        WordBoxes(WORD_BOXES, label="Word boxes", max_chars=200_000, lines=5,
                  placeholder='[["Total:", [565, 604, 642, 626]],\n ["$150.00", [652, 604, 768, 626]]]',
                  help="JSON [[word, [x0, y0, x1, y1]], ...] or one 'word x0 y0 x1 y1' per line, on a 0-1000 "
                       "scale (thousandths of the page width and height)"),
    ),
    params=(
        Int("top_k", 3, 1, 10, help="How many answers to show"),
        Bool("handle_impossible_answer", False, help="Allow \"no answer\" (an empty answer competes with the spans)"),
        OcrLanguage("lang", "eng", max_chars=100, label="OCR language (lang)",
                    help="Tesseract language codes, e.g. eng or eng+kor (each needs its tesseract-ocr-LANG package)"),
    ),
    architectures=("LayoutLMForQuestionAnswering", "LayoutLMv2ForQuestionAnswering", "LayoutLMv3ForQuestionAnswering"),
    description="Ask a question about a scanned document or invoice: OCR finds the words, LayoutLM points at the answer.",
    build=build,
)
