"""Multimodal tab: document QA with real Tesseract OCR on a rendered invoice (and its PDF), word boxes that
skip OCR, the missing-tesseract message; visual QA (ViLT, BLIP), captioning and the image chat on tiny
random models (structure only); the shown code executed and compared; the live server and the CLI."""

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
from core.registry import all_tasks, discover
from core.ui import jsonable
from demos.multimodal import chat, document_qa
from demos.multimodal.common import INVOICE_NUMBER, INVOICE_TOTAL, picture, render_invoice

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {name: task for name, (_, task) in all_tasks(discover()).items()}
DOC_QA = TASKS["document-question-answering"]
VQA = TASKS["visual-question-answering"]
CAPTION = TASKS["image-to-text"]
CHAT = TASKS["image-text-to-text"]
CAT = picture("chelsea")


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


def run_code(code: str) -> object:
    """Execute a Code panel snippet in a fresh namespace; returns what it printed, parsed back."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {"__name__": "__snippet__"})
    return ast.literal_eval(out.getvalue().strip())


def ask(manager, tiny, document, question="What is the total amount?", **params):
    return manager.run(DOC_QA, str(tiny["layoutlm-docqa"]), {"image": document, "question": question},
                       {**DOC_QA.params, **params})


def check_answers(output: dict, top_k: int) -> None:
    words = [w["word"] for w in output["words"]]
    assert 1 <= len(output["answers"]) <= top_k
    for a in output["answers"]:
        assert 0 <= a["score"] <= 1
        assert 0 <= a["start"] <= a["end"] < len(words)
        assert a["answer"] == " ".join(words[a["start"]: a["end"] + 1])
    scores = [a["score"] for a in output["answers"]]
    assert scores == sorted(scores, reverse=True)


# ---- document QA: real OCR --------------------------------------------------------------------------
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


def test_pdf_first_page_is_rendered_and_read(manager, tiny, invoice):
    result = ask(manager, tiny, invoice["two"], top_k=1)
    words = [w["word"] for w in result.output["words"]]
    assert INVOICE_TOTAL in words
    check_answers(result.output, 1)
    assert "pdfium.PdfDocument(" in result.code and "the first page of 2" in result.code
    note = document_qa.notes_for(result.output, {"image": invoice["two"], "question": "q"}, DOC_QA.params)
    assert "first page of this 2-page PDF" in note
    assert jsonable(run_code(result.code)) == jsonable(result.output)


def test_drawing_boxes_the_answer_on_the_page(manager, tiny, invoice):
    out = ask(manager, tiny, invoice["png"], top_k=2).output
    page = Image.open(invoice["png"]).convert("RGB")
    boxes = document_qa.answer_boxes(out["answers"], out["words"], page.size)
    assert len(boxes) == len(out["answers"])
    for found, a in zip(boxes, out["answers"]):
        assert len(found["boxes"]) == a["end"] - a["start"] + 1
        assert all(0 <= x0 <= x1 <= 850 and 0 <= y0 <= y1 <= 1100 for x0, y0, x1, y1 in found["boxes"])
    drawn = document_qa.draw_document(page, out["words"], out["answers"])
    assert drawn.size == page.size and drawn.tobytes() != page.tobytes()
    rows = document_qa.word_rows(out["words"], out["answers"])
    assert len(rows) == len(out["words"]) and rows[out["answers"][0]["start"]][-1] == "#1"


def test_word_boxes_skip_ocr(manager, tiny, no_tesseract):
    given = [["Total:", [565, 604, 642, 626]], ["$150.00", [652, 604, 768, 626]]]
    forms = [json.dumps(given), "Total: 565 604 642 626\n$150.00 652 604 768 626",
             json.dumps({"words": [{"word": w, "box": b, "conf": 90.0} for w, b in given]})]
    for form in forms:
        result = manager.run(DOC_QA, str(tiny["layoutlm-docqa"]),
                             {"image": None, "question": "What is the total?", "word_boxes": form}, DOC_QA.params)
        assert result.output["words"] == [{"word": w, "box": b} for w, b in given]
        check_answers(result.output, 3)
        assert "pytesseract" not in result.code
        assert jsonable(run_code(result.code)) == jsonable(result.output)
    for bad, detail in (("[[\"a\", [1, 2, 3]]]", "4 numbers"), ("a 1 2 3 2000", "0-1000"), ("[oops", "JSON"),
                        ("a 5 5 1 1", "must not exceed")):
        with pytest.raises(UserError, match=detail) as err:
            document_qa.parse_word_boxes(bad)
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


# ---- visual QA, captioning, chat: tiny models --------------------------------------------------------
@pytest.mark.parametrize("name", ["vilt-vqa", "blip-vqa"])
def test_vqa_answers_with_scores_and_the_code_matches(manager, tiny, name):
    model = str(tiny[name])
    labels = set(json.loads((tiny[name] / "config.json").read_text()).get("id2label", {}).values())
    for top_k in (1, 3):
        result = manager.run(VQA, model, {"image": CAT, "question": "What animal is this?"}, {"top_k": top_k})
        out = result.output
        assert len(out) == top_k and all(0 <= a["score"] <= 1 and isinstance(a["answer"], str) for a in out)
        assert [a["score"] for a in out] == sorted((a["score"] for a in out), reverse=True)
        if name == "vilt-vqa":
            assert {a["answer"] for a in out} <= labels
        assert 'pipeline("visual-question-answering")' in result.code and "KeyError" in result.code
        assert ("model.generate(" in result.code) == (name == "blip-vqa")
        # random weights give near-equal scores: compare answers with scores to 1e-5, ties in any order
        def answers(items):
            return sorted((round(a["score"], 5), a["answer"]) for a in jsonable(items))

        assert answers(run_code(result.code)) == answers(out)


def test_captioning_with_and_without_a_prompt(manager, tiny):
    model = str(tiny["blip-caption"])
    for prompt in ("", "a picture of"):
        result = manager.run(CAPTION, model, {"image": CAT, "text": prompt}, {"max_new_tokens": 6})
        [out] = result.output
        assert out["input_text"] == prompt and out["generated_text"].startswith(prompt)
        assert "pipeline('image-text-to-text'" in result.code.replace('"', "'")
        assert jsonable(run_code(result.code)) == jsonable(result.output)


def test_chat_streams_over_several_turns(manager, tiny, invoice):
    model = str(tiny["vlm-chat"])
    params = {**CHAT.params, "max_new_tokens": 6}
    first = {"message": {"text": "What is this?", "files": [CAT]}}
    parts = [r.output for r in manager.stream(CHAT, model, first, params)]
    final = parts[-1][0]
    assert final["input_text"] == [{"role": "user", "content": [{"type": "image", "image": CAT},
                                                                {"type": "text", "text": "What is this?"}]}]
    assert isinstance(final["generated_text"], str)
    assert all(p[0]["generated_text"] for p in parts[:-1])  # partial replies grow before the final output
    assert manager.run(CHAT, model, first, params).output == parts[-1]  # greedy: streaming changes nothing
    # the browser sends the history as gr.Chatbot messages: an image bubble, a text bubble, the reply
    history = chat.chatbot_messages(final["input_text"], final["generated_text"])
    shown = [{"role": m["role"], "content": [{"type": "file", "file": c} if "path" in c else c for c in m["content"]]}
             if isinstance(m["content"], list) else {"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
             for m in history]
    second = {"message": {"text": "And this one?", "files": [invoice["png"]]}, "history": shown}
    result = manager.run(CHAT, model, second, params)
    messages = result.output[0]["input_text"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [{"type": "text", "text": final["generated_text"]}]
    assert messages[2]["content"][0] == {"type": "image", "image": invoice["png"]}
    assert jsonable(run_code(result.code)) == jsonable(result.output)
    sampled = manager.run(CHAT, model, second, {**params, "do_sample": True, "seed": 3})
    assert "set_seed(3)" in sampled.code and "generate_kwargs={'do_sample': True" in sampled.code
    assert jsonable(run_code(sampled.code)) == jsonable(sampled.output)


def test_chat_errors(manager, tiny, tmp_path):
    params = {**CHAT.params, "max_new_tokens": 3}
    with pytest.raises(UserError) as err:
        manager.run(CHAT, str(tiny["vlm-chat"]), {"message": {"text": " ", "files": []}}, params)
    assert err.value.key == "empty_input"
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an image")
    with pytest.raises(UserError) as err:
        manager.run(CHAT, str(tiny["vlm-chat"]), {"message": "hi", "image": str(text_file)}, params)
    assert err.value.key == "bad_file"
    with pytest.raises(UserError) as err:  # a captioner has no chat template
        manager.run(CHAT, str(tiny["blip-caption"]), {"message": "hi"}, params)
    assert err.value.key == "wrong_task"


# ---- the live server ------------------------------------------------------------------------------
def test_client_every_multimodal_endpoint(client, tiny, invoice):
    from gradio_client import handle_file

    label, drawn, note, table, raw, code, details = client.predict(
        image=handle_file(invoice["png"]), question="What is the total amount?", word_boxes="", top_k=2, lang="eng",
        model=str(tiny["layoutlm-docqa"]), api_name="/document_question_answering")
    assert INVOICE_TOTAL in [w["word"] for w in raw["words"]] and len(raw["answers"]) <= 2
    assert Image.open(drawn).size == (850, 1100) and "Tesseract OCR (eng) read" in note
    assert INVOICE_TOTAL in [row[1] for row in table["data"]]
    assert label["label"] == raw["answers"][0]["answer"] and details["pipeline_class"] == "DocumentQuestionAnsweringPipeline"

    label, raw, code, details = client.predict(
        image=handle_file(CAT), question="What animal is this?", top_k=2, model=str(tiny["vilt-vqa"]),
        api_name="/visual_question_answering")
    assert len(raw) == 2 and label["label"] == raw[0]["answer"] and details["model_class"] == "ViltForQuestionAnswering"

    caption, raw, code, details = client.predict(
        image=handle_file(CAT), text="a picture of", max_new_tokens=5, model=str(tiny["blip-caption"]),
        api_name="/image_to_text")
    assert raw[0]["generated_text"].startswith("a picture of") and caption[0]["token"] == "a picture of"

    conversation, message, raw, code, details = client.predict(
        message={"text": "What is this?", "files": [handle_file(CAT)]}, history=[], max_new_tokens=4,
        do_sample=False, temperature=0.7, top_p=0.95, top_k=50, seed=42, model=str(tiny["vlm-chat"]),
        api_name="/image_text_to_text")
    assert [m["role"] for m in conversation][-1] == "assistant" and raw[0]["input_text"][0]["role"] == "user"
    assert conversation[-1]["content"][0]["text"] == raw[0]["generated_text"].strip()


def test_document_notes_follow_the_browsers_language(base_url, tiny):
    """The note under a document answer is made per request: Korean for a Korean browser, English otherwise."""
    from gradio_client import Client

    call = dict(image=None, question="What is the total?", word_boxes="Total: 565 604 642 626\n$150.00 652 604 768 626",
                top_k=1, lang="eng", model=str(tiny["layoutlm-docqa"]), api_name="/document_question_answering")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    note = korean.predict(**call)[2]
    assert "단어 상자 2개를 사용했습니다" in note and "word boxes" not in note
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Your 2 word boxes were used: no OCR ran." in english.predict(**call)[2]


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
    label, *_ = client.predict(image=handle_file(CAT), question="What is it?", top_k=1, model=str(tiny["vilt-vqa"]),
                               api_name="/visual_question_answering")
    assert label["label"]


# ---- the CLI --------------------------------------------------------------------------------------
def test_cli_reads_an_invoice_and_fails_cleanly(tiny, invoice, tmp_path):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    ok = subprocess.run([sys.executable, "app.py", "run", "document-question-answering", invoice["pdf"],
                         "--model", str(tiny["layoutlm-docqa"]), "--offline", "--param", "question=What is the total?",
                         "--param", "top_k=2"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert INVOICE_TOTAL in [w["word"] for w in out["words"]] and 1 <= len(out["answers"]) <= 2
    broken = tmp_path / "photo.jpg"
    broken.write_bytes(b"\xff\xd8\xff this is no jpeg")
    bad = subprocess.run([sys.executable, "app.py", "run", "visual-question-answering", str(broken),
                          "--model", str(tiny["vilt-vqa"]), "--offline", "--param", "question=What is it?"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert bad.returncode == 2
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: Image could not be read:"), bad.stderr
