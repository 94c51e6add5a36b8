"""Document QA: real Tesseract OCR on a rendered invoice (and its PDF), word boxes that skip OCR, the
missing-tesseract message, the notes of a run in the browser's language, the bounds of its fields, the live
server and the CLI (LayoutLM on a tiny random model: structure only); the shown code executed and compared;
against transformers 4.57.6's document-question-answering pipeline (word boxes given, its own OCR, top_k, a long
document in several windows, impossible answers)."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from core.errors import UserError
from core.ui import jsonable
from demos.multimodal.common import INVOICE_NUMBER, INVOICE_TOTAL, picture, render_invoice
from demos.multimodal.document_question_answering import TASK, answer_boxes, draw_document, word_rows
from demos.multimodal.ocr import parse_word_boxes
from tests.tiny.multimodal import WORDS
from tests.v4 import image, run_v4, v4_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_QA = TASK
BOXES = "Total: 565 604 642 626\n$150.00 652 604 768 626"


@pytest.fixture(scope="module")
def invoice(tmp_path_factory) -> dict[str, str]:
    """The invoice as PNG, as a one-page PDF, and as a two-page PDF (a blank page after it)."""
    folder = tmp_path_factory.mktemp("invoice")
    png = render_invoice(folder / "invoice.png")
    pdf = render_invoice(folder / "invoice.pdf")
    two = folder / "two-pages.pdf"
    Image.open(png).save(two, save_all=True, append_images=[Image.new("RGB", (850, 1100), "white")], resolution=100.0)
    return {"png": str(png), "pdf": str(pdf), "two": str(two)}


@pytest.fixture
def no_tesseract(monkeypatch):
    """Tesseract made unfindable in this process (the live server's too)."""
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def run_code(code: str) -> object:
    """Execute a Code panel snippet in a fresh namespace; returns what it printed, parsed back."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {"__name__": "__snippet__"})
    return ast.literal_eval(out.getvalue().strip())


def ask(manager, tiny, document, question="What is the total amount?", **params):
    return manager.run(DOC_QA, str(tiny["layoutlm-docqa"]), {"image": document, "question": question},
                       {**DOC_QA.defaults(), **params})


def notes_text(result, lang: str = "en") -> str:
    return "\n\n".join(n.text(lang) for n in result.notes)


def check_answers(output: dict, top_k: int) -> None:
    words = [w["word"] for w in output["words"]]
    assert 1 <= len(output["answers"]) <= top_k
    for a in output["answers"]:
        assert 0 <= a["score"] <= 1
        assert 0 <= a["start"] <= a["end"] < len(words)
        assert a["answer"] == " ".join(words[a["start"]: a["end"] + 1])
    scores = [a["score"] for a in output["answers"]]
    assert scores == sorted(scores, reverse=True)


# ---- against transformers 4.57.6 ---------------------------------------------------------------------
def long_document(count: int = 700) -> list:
    """count words of the tiny tokenizer's vocabulary on a grid: more than one 512-token window."""
    return [[WORDS[(7 * i) % len(WORDS)], [40 + 90 * (i % 10), 20 + 10 * (i // 10), 120 + 90 * (i % 10),
                                             28 + 10 * (i // 10)]] for i in range(count)]


GIVEN = [["Total:", [565, 604, 642, 626]], ["$150.00", [652, 604, 768, 626]], ["Date:", [60, 160, 120, 180]],
         ["2024-03-15", [130, 160, 260, 180]], ["invoice", [60, 60, 300, 100]], ["number", [310, 60, 400, 100]]]
# (what, the document: "png" (OCR) or None, word boxes, question, top_k, handle_impossible_answer)
V4_CASES = (
    ("word boxes, no image", None, GIVEN, "What is the total?", 3, False),
    ("word boxes, top_k 1", None, GIVEN, "What is the date?", 1, False),
    ("word boxes over the page image", "png", GIVEN, "What is the invoice number?", 5, False),
    ("the pipeline's own OCR", "png", [], "What is the total amount?", 3, False),
    ("OCR, top_k 10", "png", [], "Who is the bill to?", 10, False),
    ("a long document, several windows", None, long_document(), "how many items are there?", 4, False),
    ("no answer allowed", None, GIVEN, "What is the colour of the sky?", 3, True),
    ("no answer allowed, one word: the empty answer ranks", None, GIVEN[:1], "What is the colour of the sky?", 5, True),
    ("no answer allowed, two words", None, GIVEN[:2], "total", 6, True),
    ("no answer allowed, long", None, long_document(300), "where is the road?", 2, True),
)


@pytest.fixture(scope="module")
def against_v4(manager, tiny, invoice):
    """[(case, the app's output, 4.57.6's answers)], all cases in one 4.x call; with no word boxes 4.x runs
    its own Tesseract OCR on the page."""
    model = str(tiny["layoutlm-docqa"])
    runs, cases = [], []
    for _, document, boxes, question, top_k, impossible in V4_CASES:
        page = invoice[document] if document else None
        runs.append(manager.run(DOC_QA, model, {"image": page, "question": question, "word_boxes": boxes},
                                {**DOC_QA.defaults(), "top_k": top_k, "handle_impossible_answer": impossible}))
        call = {"question": question, "top_k": top_k, **({"word_boxes": boxes} if boxes else {})}
        if impossible:
            call["handle_impossible_answer"] = True
        cases.append({"task": "document-question-answering", "model": str(v4_folder(model)),
                      "inputs": image(page) if page else None, "call": call})
    return list(zip(V4_CASES, runs, run_v4(cases)))


def same_answers(ours: list[dict], theirs: list[dict]) -> None:
    assert [(a["answer"], a.get("start"), a.get("end")) for a in ours] == \
        [(a["answer"], a.get("start"), a.get("end")) for a in theirs]
    for a, b in zip(ours, theirs):
        assert a["score"] == pytest.approx(b["score"], rel=1e-4, abs=1e-6)


@pytest.mark.v4
def test_answers_equal_4x(against_v4):
    nulls = 0
    for case, result, v4 in against_v4:
        v4 = v4 if isinstance(v4, list) else [v4]
        try:
            same_answers(result.output["answers"], v4)
        except AssertionError as err:
            raise AssertionError(f"{case[0]}: {err}") from None
        nulls += sum(a["answer"] == "" for a in v4)
        assert "matches transformers 4.57.6's document-question-answering pipeline" in result.code
    assert nulls >= 2, "the empty answer ranks in no case: the impossible-answer cases test nothing"


@pytest.mark.v4
def test_ocr_reads_the_words_4x_read(against_v4):
    """With no word boxes 4.x ran Tesseract itself: the app's OCR words are the ones its answers index."""
    for case, result, v4 in against_v4:
        if case[1] and not case[2]:
            words = [w["word"] for w in result.output["words"]]
            assert INVOICE_TOTAL in words
            for a in v4:
                assert a["answer"] == " ".join(words[a["start"]: a["end"] + 1]), case[0]


def test_impossible_answer_code_gives_the_same_answers(manager, tiny):
    result = manager.run(DOC_QA, str(tiny["layoutlm-docqa"]), {"image": None, "question": "Why?", "word_boxes": GIVEN[:1]},
                         {**DOC_QA.defaults(), "top_k": 5, "handle_impossible_answer": True})
    assert "" in [a["answer"] for a in result.output["answers"]]
    assert "handle_impossible_answer=True" in result.code
    assert jsonable(run_code(result.code)) == jsonable(result.output)


# ---- real OCR ----------------------------------------------------------------------------------------
def test_invoice_ocr_feeds_the_pipeline_and_the_code_repeats_it(manager, tiny, invoice):
    result = ask(manager, tiny, invoice["png"], top_k=3)
    out = result.output
    words = [w["word"] for w in out["words"]]
    assert INVOICE_TOTAL in words and INVOICE_NUMBER in words and "Total:" in words
    total = out["words"][words.index(INVOICE_TOTAL)]
    assert total["conf"] > 50
    x0, y0, x1, y1 = total["box"]  # drawn at (480 px + "Total: ", 574 px) on an 850x1100 page
    assert 600 < x0 < x1 < 800 and 500 < y0 < y1 < 560
    check_answers(out, 3)
    assert "pytesseract.image_to_data(" in result.code and "word_boxes=word_boxes" in result.code
    assert jsonable(run_code(result.code)) == jsonable(out)
    assert f"Tesseract OCR (eng) read {len(words)} words" in notes_text(result)
    assert result.facts["image"].size == (850, 1100)  # the page as read, for the drawing


def test_pdf_first_page_is_rendered_and_read(manager, tiny, invoice):
    result = ask(manager, tiny, invoice["two"], top_k=1)
    words = [w["word"] for w in result.output["words"]]
    assert INVOICE_TOTAL in words
    check_answers(result.output, 1)
    assert "pdfium.PdfDocument(" in result.code and "the first page of 2" in result.code
    note = notes_text(result)
    assert "first page of this 2-page PDF" in note
    assert "2쪽짜리 PDF에서 첫 쪽만 읽었습니다" in notes_text(result, "ko")
    assert jsonable(run_code(result.code)) == jsonable(result.output)


def test_drawing_boxes_the_answer_on_the_page(manager, tiny, invoice):
    out = ask(manager, tiny, invoice["png"], top_k=2).output
    page = Image.open(invoice["png"]).convert("RGB")
    boxes = answer_boxes(out["answers"], out["words"], page.size)
    assert len(boxes) == len(out["answers"])
    for found, a in zip(boxes, out["answers"]):
        assert len(found["boxes"]) == a["end"] - a["start"] + 1
        assert all(0 <= x0 <= x1 <= 850 and 0 <= y0 <= y1 <= 1100 for x0, y0, x1, y1 in found["boxes"])
    drawn = draw_document(page, out["words"], out["answers"])
    assert drawn.size == page.size and drawn.tobytes() != page.tobytes()
    rows = word_rows(out["words"], out["answers"])
    assert len(rows) == len(out["words"]) and rows[out["answers"][0]["start"]][-1] == "#1"


def test_word_boxes_skip_ocr(manager, tiny, no_tesseract):
    given = [["Total:", [565, 604, 642, 626]], ["$150.00", [652, 604, 768, 626]]]
    forms = [json.dumps(given), BOXES, json.dumps({"words": [{"word": w, "box": b, "conf": 90.0} for w, b in given]}),
             given]  # a list, as a Python caller may pass it
    for form in forms:
        result = manager.run(DOC_QA, str(tiny["layoutlm-docqa"]),
                             {"image": None, "question": "What is the total?", "word_boxes": form}, DOC_QA.defaults())
        assert result.output["words"] == [{"word": w, "box": b} for w, b in given]
        check_answers(result.output, 3)
        assert "pytesseract" not in result.code
        assert jsonable(run_code(result.code)) == jsonable(result.output)
        assert notes_text(result) == "✍️ Your 2 word boxes were used: no OCR ran."
    for bad, detail in (("[[\"a\", [1, 2, 3]]]", "4 numbers"), ("a 1 2 3 2000", "0-1000"), ("[oops", "JSON"),
                        ("a 5 5 1 1", "must not exceed"), ("a 1 2 inf 4", "4 numbers"), ("a 1 2 nan 4", "4 numbers")):
        with pytest.raises(UserError, match=detail) as err:
            parse_word_boxes(bad)
        assert err.value.key == "bad_param"


def test_missing_tesseract_and_language_are_one_clear_line(manager, tiny, invoice, monkeypatch):
    with pytest.raises(UserError) as err:
        ask(manager, tiny, invoice["png"], lang="xyz")
    assert err.value.key == "bad_param" and "sudo apt install tesseract-ocr-xyz" in str(err.value)
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(UserError) as err:
        ask(manager, tiny, invoice["png"])
    assert err.value.key == "no_tesseract" and "apt install tesseract-ocr" in str(err.value)


def test_document_qa_input_errors(manager, tiny, tmp_path):
    with pytest.raises(UserError) as err:
        ask(manager, tiny, None)
    assert err.value.key == "empty_input" and "Document" in str(err.value)
    with pytest.raises(UserError) as err:
        ask(manager, tiny, picture("chelsea"), question="  ")
    assert err.value.key == "empty_input"
    fake = tmp_path / "scan.pdf"
    fake.write_bytes(b"%PDF-1.4 nothing useful")
    with pytest.raises(UserError, match="not a readable PDF") as err:
        ask(manager, tiny, str(fake))
    assert err.value.key == "bad_file"


def test_bounds_are_one_line_errors(manager, tiny):
    """Every field is bounded before the model runs: top_k, the OCR language, the question, the word boxes."""
    for inputs, params, key in (
        ({}, {"top_k": 11}, "bad_param"),
        ({}, {"top_k": 0}, "bad_param"),
        ({}, {"top_k": "nan"}, "bad_param"),
        ({}, {"lang": "eng; rm -rf /"}, "bad_param"),
        ({"question": "x" * 2001}, {}, "too_large"),
        ({"word_boxes": "w 1 2 3 4\n" * 5001}, {}, "too_large"),
        ({"word_boxes": "w 1 2 3 4 " * 20_001}, {}, "too_large"),
    ):
        call = {"image": None, "question": "What is the total?", "word_boxes": BOXES, **inputs}
        with pytest.raises(UserError) as err:
            manager.run(DOC_QA, str(tiny["layoutlm-docqa"]), call, {**DOC_QA.defaults(), **params})
        assert err.value.key == key, (inputs, params)
        assert "\n" not in str(err.value)
    assert DOC_QA.parse({"image": None, "question": "q", "document": None}, {"lang": "eng+kor"})[1]["lang"] == "eng+kor"


# ---- the live server ------------------------------------------------------------------------------
def test_api_reads_the_invoice(client, tiny, invoice):
    from gradio_client import handle_file

    label, drawn, table, note, raw, code, details = map(value_of, client.predict(
        image=handle_file(invoice["png"]), question="What is the total amount?", word_boxes="", top_k=2, lang="eng",
        model=str(tiny["layoutlm-docqa"]), api_name="/document_question_answering"))
    assert INVOICE_TOTAL in [w["word"] for w in raw["words"]] and len(raw["answers"]) <= 2
    assert Image.open(drawn).size == (850, 1100) and "Tesseract OCR (eng) read" in note
    assert INVOICE_TOTAL in [row[1] for row in table["data"]]
    assert label["label"] == raw["answers"][0]["answer"] and details["pipeline_class"] == "DocumentQuestionAnsweringPipeline"


def test_document_notes_follow_the_browsers_language(base_url, tiny):
    """The note under a document answer is made per request: Korean for a Korean browser, English otherwise."""
    from gradio_client import Client

    call = dict(image=None, question="What is the total?", word_boxes=BOXES,
                top_k=1, lang="eng", model=str(tiny["layoutlm-docqa"]), api_name="/document_question_answering")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    note = value_of(korean.predict(**call)[3])
    assert "단어 상자 2개를 사용했습니다" in note and "word boxes" not in note
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Your 2 word boxes were used: no OCR ran." in value_of(english.predict(**call)[3])


def test_server_without_tesseract_explains_and_keeps_serving(client, tiny, invoice, no_tesseract):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as err:
        client.predict(image=handle_file(invoice["png"]), question="What is the total?", word_boxes="", top_k=1,
                       lang="eng", model=str(tiny["layoutlm-docqa"]), api_name="/document_question_answering")
    assert "tesseract was not found" in str(err.value) and "apt install tesseract-ocr" in str(err.value)
    *_, raw, code, details = client.predict(  # typed word boxes need no OCR
        image=None, question="What is the total?", word_boxes="Total: 565 604 642 626", top_k=1, lang="eng",
        model=str(tiny["layoutlm-docqa"]), api_name="/document_question_answering")
    assert raw["answers"][0]["answer"] == "Total:"
    label, *_ = client.predict(image=handle_file(picture("chelsea")), question="What is it?", top_k=1,
                               model=str(tiny["vilt-vqa"]), api_name="/visual_question_answering")
    assert label["label"]


# ---- the CLI --------------------------------------------------------------------------------------
def test_cli_reads_an_invoice(tiny, tiny_root, invoice):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    ok = subprocess.run([sys.executable, "app.py", "run", "document-question-answering", invoice["pdf"],
                         "--model", str(tiny["layoutlm-docqa"]), "--offline", "--models-dir", str(tiny_root), "--param", "question=What is the total?",
                         "--param", "top_k=2"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert INVOICE_TOTAL in [w["word"] for w in out["words"]] and 1 <= len(out["answers"]) <= 2
    assert "note: 🔎 Tesseract OCR (eng) read" in ok.stderr  # the run's notes on stderr
