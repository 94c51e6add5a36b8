"""Document question answering: LayoutLM reads a document's words with their positions and points at the
words that answer a question.

The words come from Tesseract OCR, which the app runs itself with `pytesseract.image_to_data` (the call the
pipeline makes when it gets no `word_boxes`), so they can be shown in a table, drawn on the page, put in the
raw output and reused; they then go to the pipeline as `word_boxes` on LayoutLM's 0-1000 scale. Word boxes
typed by the user skip OCR. Documents are images or the first page of a PDF (pypdfium2). Without the
tesseract binary the run fails with one line naming the fix; the other tasks are unaffected.
"""

from __future__ import annotations

import json
import re
from typing import Any

import gradio as gr

from core import images
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.i18n import language_of, say, speaking
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.multimodal.common import (
    DOCUMENT,
    document_loading_code,
    int_param,
    invoice_example,
    is_pdf,
    load_document,
    path_of,
    pdf_first_page,
    required_text,
    rows_with_files,
    skimage_file,
)

PARAMS = {"top_k": 3, "lang": "eng"}
WORD_BOXES = "word_boxes"
TABLE_HEADERS = ["#", "word", "x0", "y0", "x1", "y1", "conf", "answer"]


# ---- words: typed by the user, or read by Tesseract ------------------------------------------------------
def _bad_boxes(detail: str) -> UserError:
    return UserError("bad_param", name=WORD_BOXES, detail=detail)


def _box(value: Any, n: int) -> list[int]:
    try:
        box = [int(round(float(v))) for v in value]
    except (TypeError, ValueError):
        raise _bad_boxes(f"word {n}: the box must be 4 numbers [x0, y0, x1, y1], got {value!r}") from None
    if len(box) != 4:
        raise _bad_boxes(f"word {n}: the box must be 4 numbers [x0, y0, x1, y1], got {value!r}")
    if not all(0 <= v <= 1000 for v in box):
        raise _bad_boxes(f"word {n}: box numbers are on a 0-1000 scale (thousandths of the page), got {box}")
    if box[0] > box[2] or box[1] > box[3]:
        raise _bad_boxes(f"word {n}: x0 must not exceed x1, nor y0 y1, got {box}")
    return box


def parse_word_boxes(value: Any) -> list[dict]:
    """[{"word", "box"}, ...] from the user's word boxes; [] when none are given.

    Accepted: a JSON list of [word, [x0, y0, x1, y1]] pairs or of {"word", "box"} dicts (this task's own
    raw output, or its "words" list, can be pasted back), or one `word x0 y0 x1 y1` per line. Boxes are on
    the 0-1000 scale LayoutLM uses. UserError("bad_param") for anything else.
    """
    if value is None or value == "" or value == []:
        return []
    items = value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text[0] in "[{":
            try:
                items = json.loads(text)
            except ValueError as exc:
                raise _bad_boxes(f"not valid JSON ({exc})") from None
        else:
            items = []
            for n, line in enumerate(text.splitlines(), start=1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) < 5:
                    raise _bad_boxes(f"line {n}: expected 'word x0 y0 x1 y1', got {line.strip()!r}")
                items.append([" ".join(parts[:-4]), parts[-4:]])
    if isinstance(items, dict) and "words" in items:
        items = items["words"]
    if not isinstance(items, list):
        raise _bad_boxes("expected a list of [word, [x0, y0, x1, y1]] pairs")
    words = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict):
            word, box = item.get("word"), item.get("box")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            word, box = item
        else:
            raise _bad_boxes(f"word {n}: expected [word, [x0, y0, x1, y1]], got {item!r}")
        if not str(word or "").strip():
            raise _bad_boxes(f"word {n} is empty")
        words.append({"word": str(word).strip(), "box": _box(box, n)})
    return words


def tesseract_languages() -> list[str]:
    """Installed Tesseract languages (without 'osd'); [] when tesseract is missing."""
    try:
        import pytesseract

        return [lang for lang in pytesseract.get_languages(config="") if lang != "osd"]
    except Exception:  # no binary, or an unexpected answer: the dropdown falls back to eng
        return []


def lang_of(params: dict) -> str:
    lang = str(params.get("lang") or "eng").strip()
    if not re.fullmatch(r"[A-Za-z_]+(\+[A-Za-z_]+)*", lang):
        raise UserError("bad_param", name="lang",
                        detail=f"Tesseract language codes look like eng, kor or eng+kor, got {lang!r}")
    return lang


def _missing_language(lang: str) -> UserError:
    installed = tesseract_languages()
    missing = [code for code in lang.split("+") if code not in installed] or lang.split("+")
    packages = " ".join(f"tesseract-ocr-{code.lower().replace('_', '-')}" for code in missing)
    return UserError("bad_param", name="lang",
                     detail=f"Tesseract has no data for {', '.join(missing)} here (installed: "
                            f"{', '.join(installed) or 'none'}): install it (sudo apt install {packages})")


def ocr_words(image, lang: str) -> list[dict]:
    """Tesseract's words: [{"word", "box" (0-1000 scale, as the pipeline computes it), "conf"}, ...]."""
    import pytesseract

    try:
        data = pytesseract.image_to_data(image, lang=lang, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError as exc:
        if "Failed loading language" in str(exc) or "Error opening data file" in str(exc):
            raise _missing_language(lang) from None
        raise
    width, height = image.size
    words = []
    for text, x, y, w, h, conf in zip(data["text"], data["left"], data["top"], data["width"], data["height"],
                                      data["conf"]):
        if text.strip():
            box = [int(1000 * (x / width)), int(1000 * (y / height)), int(1000 * ((x + w) / width)),
                   int(1000 * ((y + h) / height))]
            words.append({"word": text, "box": box, "conf": float(conf)})
    return words


# ---- the run ------------------------------------------------------------------------------------------
def reads_pixels_only(pipe) -> bool:
    """Donut-style models (VisionEncoderDecoder) read the pixels themselves: no OCR, no word boxes."""
    return getattr(getattr(pipe, "model_type", None), "value", "") == "vision_encoder_decoder"


def has_document(inputs: dict) -> bool:
    value = inputs.get("image")
    return value is not None and not (isinstance(value, str) and not value.strip())


def run_document_question_answering(pipe, inputs: dict, params: dict) -> dict:
    """{"answers": [{"score", "answer", "start", "end"}, ...] (start/end: indices into words),
    "words": [{"word", "box", "conf"?}, ...]} — the words OCR read (or the user gave), boxes on 0-1000."""
    question = required_text(inputs.get("question"), "Question")
    given = parse_word_boxes(inputs.get(WORD_BOXES))
    image = load_document(inputs["image"]) if has_document(inputs) else None
    if image is None and (not given or reads_pixels_only(pipe)):
        raise UserError("empty_input", what=DOCUMENT)
    top_k = int_param(params, "top_k", PARAMS["top_k"], 1, 20)
    if reads_pixels_only(pipe):
        return {"answers": pipe(image=image, question=question, top_k=top_k), "words": []}
    words = given or ocr_words(image, lang_of(params))
    word_boxes = [(w["word"], w["box"]) for w in words]
    answers = pipe(image=image, question=question, word_boxes=word_boxes, top_k=top_k)
    return {"answers": answers, "words": words}


def code_document_question_answering(ref, inputs: dict, params: dict, place) -> str:
    question = required_text(inputs.get("question"), "Question")
    given = parse_word_boxes(inputs.get(WORD_BOXES))
    top_k = int_param(params, "top_k", PARAMS["top_k"], 1, 20)
    imports = {"from transformers import pipeline"}
    lines: list[str] = []
    if has_document(inputs):
        more, load = document_loading_code(inputs["image"])
        imports.update(more)
        lines += load
    else:
        lines.append("image = None  # no document image: LayoutLM reads the words and boxes alone")
    ask = call_args(question=question)
    if given:
        lines += ["# your words, with boxes on LayoutLM's 0-1000 scale: the pipeline runs no OCR",
                  f"word_boxes = {py([(w['word'], w['box']) for w in given])}",
                  f"answers = pipe(image=image, {ask}, word_boxes=word_boxes, top_k={top_k})",
                  'words = [{"word": word, "box": box} for word, box in word_boxes]']
    else:
        imports.add("import pytesseract")
        lines += [
            "",
            "# OCR with Tesseract: the call the pipeline makes itself when it gets no word_boxes,",
            "# made here so that the words and their boxes can be looked at (and reused)",
            f"data = pytesseract.image_to_data(image, lang={lang_of(params)!r}, output_type=pytesseract.Output.DICT)",
            "width, height = image.size",
            "words = []",
            'for text, x, y, w, h, conf in zip(data["text"], data["left"], data["top"], data["width"], data["height"],',
            '                                  data["conf"]):',
            "    if text.strip():  # boxes on LayoutLM's 0-1000 scale, as the pipeline computes them",
            "        box = [int(1000 * (x / width)), int(1000 * (y / height)), int(1000 * ((x + w) / width)),",
            "               int(1000 * ((y + h) / height))]",
            '        words.append({"word": text, "box": box, "conf": float(conf)})',
            "",
            'word_boxes = [(w["word"], w["box"]) for w in words]',
            f"answers = pipe(image=image, {ask}, word_boxes=word_boxes, top_k={top_k})",
        ]
    load = call_args("document-question-answering", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    head = sorted(imports, key=lambda s: (not s.startswith("import "), s))
    out = [*head, "", f"pipe = pipeline({load})", *lines,
           'print({"answers": answers, "words": words})',
           "# answers[i]['start'] .. ['end'] are indices into words: the boxes to draw"]
    return "\n".join(out) + "\n"


DOCUMENT_QA = TaskSpec(
    id="document-question-answering",
    title="Document QA",
    loader=Loader.pipeline("document-question-answering"),
    default_model="impira/layoutlm-document-qa",
    models=("magorshunov/layoutlm-invoices",),
    run=run_document_question_answering,
    code=code_document_question_answering,
    inputs=("image", "question", WORD_BOXES),
    file_inputs=("image",),
    params=dict(PARAMS),
    architectures=("LayoutLMForQuestionAnswering", "LayoutLMv2ForQuestionAnswering", "LayoutLMv3ForQuestionAnswering"),
    description="Ask a question about a scanned document or invoice: OCR finds the words, LayoutLM points at the answer.",
)


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
    fnt = images.font(max(12, round(height / 70)))
    line = max(2, round(min(width, height) / 300))
    for found in reversed(answer_boxes(answers, words, page.size)):
        color = images.PALETTE[(found["rank"] - 1) % len(images.PALETTE)]
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
        draw.text((tx + 3 - left, ty + 2 - top), tag, font=fnt, fill=images.text_color(color))
    return Image.alpha_composite(page.convert("RGBA"), overlay).convert("RGB")


def word_rows(words: list[dict], answers: list[dict]) -> list[list]:
    rank_of: dict[int, str] = {}
    for rank, a in reversed(list(enumerate(answers, start=1))):
        if a.get("start") is not None:
            for i in range(a["start"], a["end"] + 1):
                rank_of[i] = f"#{rank}"
    return [[i, w["word"], *w["box"], w.get("conf", ""), rank_of.get(i, "")] for i, w in enumerate(words)]


OWN_BOXES = "✍️ Your {count} word boxes were used: no OCR ran."
OCR_READ = ("🔎 Tesseract OCR ({lang}) read {count} words: each is boxed in blue; "
            "the table under the result lists them with their boxes (0-1000 scale).")
NO_OCR_MODEL = "🖼️ This model reads the pixels itself (no OCR)."
OCR_EMPTY = ("⚠️ OCR found no text in this document: try a sharper or larger scan, another OCR language, "
             "or type the word boxes yourself.")
FIRST_PAGE = "📄 Only the first page of this {pages}-page PDF was read."
NO_ANSWER = "(no answer)"
NO_WORDS_YET = "Run the task first: there are no OCR words to reuse yet."


def notes_for(output: dict, inputs: dict, params: dict) -> str:
    words = output["words"]
    notes = []
    if parse_word_boxes(inputs.get(WORD_BOXES)):
        notes.append(say(OWN_BOXES, count=len(words)))
    elif words:
        notes.append(say(OCR_READ, lang=lang_of(params), count=len(words)))
    elif output["answers"]:
        notes.append(say(NO_OCR_MODEL))
    else:
        notes.append(say(OCR_EMPTY))
    if has_document(inputs) and is_pdf(inputs["image"]):
        pages = pdf_first_page(path_of(inputs["image"]))[1]
        if pages > 1:
            notes.append(say(FIRST_PAGE, pages=pages))
    return "\n\n".join(notes)


def render_document_qa(components: dict):
    def render(output: dict, inputs: dict, params: dict) -> dict:
        answers = distinct_answers(output["answers"])
        label = {}
        for a in reversed(answers):  # the best score wins when two spans read the same
            label[a.get("answer") or say(NO_ANSWER)] = float(a.get("score") or 0.0)
        drawn = draw_document(load_document(inputs["image"]), output["words"], answers) \
            if has_document(inputs) else None
        return {
            components["answers"]: dict(sorted(label.items(), key=lambda kv: -kv[1])),
            components["drawn"]: drawn,
            components["note"]: notes_for(output, inputs, params),
            components["table"]: word_rows(output["words"], answers),
        }

    return render


def preview_document(value: Any):
    """What the upload shows before a run: the page (a PDF's first page) or nothing."""
    if not value:
        return None
    try:
        return load_document(value)
    except UserError as err:
        raise gr.Error(err.text(), print_exception=False) from None


def words_as_boxes(raw: Any, request: gr.Request = None) -> tuple[str, Any]:
    """The last run's words as word-box text (one [word, box] per line), for the Word boxes field."""
    words = (raw or {}).get("words") if isinstance(raw, dict) else None
    if not words:
        with speaking(language_of(request), KOREAN):
            raise gr.Error(say(NO_WORDS_YET), print_exception=False)
    lines = [json.dumps([w["word"], w["box"]], ensure_ascii=False) for w in words]
    return "[" + ",\n ".join(lines) + "]", gr.update(open=True)


def build_document_qa(ctx: Context) -> None:
    task = DOCUMENT_QA
    tr = ctx.tr
    languages = tesseract_languages() or ["eng"]
    with gr.Row():
        with gr.Column(scale=3):
            document = gr.File(label=tr("Document (image or PDF)"), file_types=["image", ".pdf"], type="filepath",
                               elem_id="document_question_answering_document", height=140)
            question = gr.Textbox(label=tr("Question"), lines=1, elem_id="document_question_answering_question",
                                  placeholder=tr("e.g. What is the total amount?"))
            model = model_picker(ctx, task)
            with gr.Row():
                top_k = gr.Slider(1, 10, value=PARAMS["top_k"], step=1, label="top_k",
                                  info=tr("How many answers to show"))
                lang = gr.Dropdown(languages, value="eng" if "eng" in languages else languages[0],
                                   allow_custom_value=True, label=tr("OCR language (lang)"),
                                   info=tr("Tesseract language codes, e.g. eng or eng+kor (each needs its "
                                           "tesseract-ocr-LANG package)"))
            with gr.Accordion(tr("Word boxes (optional: skips OCR)"), open=False) as boxes_box:
                word_boxes = gr.Textbox(
                    label=tr("Word boxes"), lines=5, elem_id="document_question_answering_word_boxes",
                    placeholder='[["Total:", [565, 604, 642, 626]],\n ["$150.00", [652, 604, 768, 626]]]',
                    info=tr("JSON [[word, [x0, y0, x1, y1]], ...] or one 'word x0 y0 x1 y1' per line, on a "
                            "0-1000 scale (thousandths of the page width and height)"))
            run = gr.Button(tr("Run"), variant="primary", elem_id="document_question_answering_run")
            examples(
                ctx,
                rows_with_files(
                    [invoice_example(".png"), "What is the total amount?"],
                    [invoice_example(".png"), "What is the invoice number?"],
                    [invoice_example(".pdf"), "What is the date?"],
                    [skimage_file("page.png"), "What can we label?"],
                ),
                [document, question],
            )
        with gr.Column(scale=3):
            answers = gr.Label(label=tr("Answers"), elem_id="document_question_answering_answers")
            drawn = gr.Image(label=tr("Document with the answer boxed"), type="pil", format="png", interactive=False,
                             height=560, elem_id="document_question_answering_drawn")
            note = gr.Markdown(elem_id="document_question_answering_note")
    with gr.Accordion(tr("OCR words and boxes"), open=False):
        table = gr.Dataframe(headers=TABLE_HEADERS, label=tr("Words the model read (boxes on a 0-1000 scale)"),
                             interactive=False, elem_id="document_question_answering_words", max_height=360)
        reuse = gr.Button(tr("Use these words as word boxes (the next run skips OCR)"), size="sm")
    panels = result_panels(ctx, task)
    components = {"answers": answers, "drawn": drawn, "note": note, "table": table}
    fields = {"image": document, "question": question, WORD_BOXES: word_boxes, "top_k": top_k, "lang": lang}
    wire(ctx, task, run.click, fields, model, render_document_qa(components), panels, [answers, drawn, note, table],
         triggers=[question.submit])
    document.change(preview_document, inputs=[document], outputs=[drawn], api_visibility="private",
                    show_progress="minimal")
    reuse.click(words_as_boxes, inputs=[panels.raw], outputs=[word_boxes, boxes_box], api_visibility="private")


TASKS = ((DOCUMENT_QA, build_document_qa),)

KOREAN = {
    "Document QA": "문서 질의응답",
    "Document (image or PDF)": "문서 (이미지 또는 PDF)",
    "Question": "질문",
    "e.g. What is the total amount?": "예: What is the total amount?",
    "How many answers to show": "보여 줄 답의 수",
    "OCR language (lang)": "OCR 언어 (lang)",
    "Tesseract language codes, e.g. eng or eng+kor (each needs its tesseract-ocr-LANG package)":
        "Tesseract 언어 코드, 예: eng 또는 eng+kor (언어마다 tesseract-ocr-LANG 패키지가 필요합니다)",
    "Word boxes (optional: skips OCR)": "단어 상자 (선택: 입력하면 OCR을 건너뜁니다)",
    "Word boxes": "단어 상자",
    "JSON [[word, [x0, y0, x1, y1]], ...] or one 'word x0 y0 x1 y1' per line, on a 0-1000 scale "
    "(thousandths of the page width and height)":
        "JSON [[단어, [x0, y0, x1, y1]], ...] 또는 한 줄에 'word x0 y0 x1 y1' 하나, 0-1000 척도 "
        "(페이지 너비와 높이의 천분율)",
    "Answers": "답",
    "Document with the answer boxed": "답이 표시된 문서",
    "OCR words and boxes": "OCR 단어와 상자",
    "Words the model read (boxes on a 0-1000 scale)": "모델이 읽은 단어 (상자는 0-1000 척도)",
    "Use these words as word boxes (the next run skips OCR)": "이 단어들을 단어 상자로 사용 (다음 실행은 OCR 생략)",
    # texts made when a result is shown (core.i18n.say)
    OWN_BOXES: "✍️ 직접 준 단어 상자 {count}개를 사용했습니다: OCR은 실행하지 않았습니다.",
    OCR_READ: "🔎 Tesseract OCR({lang})이 단어 {count}개를 읽었습니다: 각 단어는 파란 상자로 표시했고, "
              "결과 아래 표에 상자 좌표(0-1000 척도)와 함께 나옵니다.",
    NO_OCR_MODEL: "🖼️ 이 모델은 픽셀을 직접 읽습니다 (OCR 없음).",
    OCR_EMPTY: "⚠️ OCR이 이 문서에서 글자를 찾지 못했습니다: 더 선명하거나 큰 스캔, 다른 OCR 언어를 써 보거나 "
               "단어 상자를 직접 입력하세요.",
    FIRST_PAGE: "📄 {pages}쪽짜리 PDF에서 첫 쪽만 읽었습니다.",
    NO_ANSWER: "(답 없음)",
    NO_WORDS_YET: "먼저 작업을 실행하세요: 다시 쓸 OCR 단어가 아직 없습니다.",
}
