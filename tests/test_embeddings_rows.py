"""The Embeddings tab's rows (typed 'label | text' lines, CSV/TSV/TXT uploads, images) and their bounds, and the
tab's build: importing it loads no gradio, one Run click is one event."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.errors import UserError
from demos.embeddings import rows as rows_module
from demos.embeddings.rows import MAX_CHARS, MAX_IMAGES, MAX_ROWS, Row, parse_lines, read_rows
from tests.test_embeddings_common import ROOT, pictures  # noqa: F401


def test_rows_from_lines_csv_tsv_txt_and_images(tmp_path, pictures):  # noqa: F811
    rows = parse_lines("animal | The cat sleeps.\n\n  plain line without label  \n| no label\nx | a | b\nlabel only |")
    assert [(r.text, r.label) for r in rows] == [
        ("The cat sleeps.", "animal"), ("plain line without label", ""), ("no label", ""), ("a | b", "x"),
        ("label only |", "")]

    csv_file = tmp_path / "data.csv"  # label column first, an extra column, an empty text row
    csv_file.write_text('category,id,sentence\nfood,1,"Bread, butter and jam."\nmoney,2,\nmoney,3,Stocks fell.\n',
                        encoding="utf-8")
    assert [(r.text, r.label) for r in read_rows({"file": str(csv_file)})] == [
        ("Bread, butter and jam.", "food"), ("Stocks fell.", "money")]

    korean = tmp_path / "korean.csv"  # Excel's Korean CSV: CP949, semicolons, header without known names
    korean.write_bytes("문장;분류\n고양이가 잔다.;동물\n주가가 떨어졌다.;경제\n".encode("cp949"))
    assert [(r.text, r.label) for r in read_rows({"file": str(korean)})] == [
        ("고양이가 잔다.", "동물"), ("주가가 떨어졌다.", "경제")]

    tsv = tmp_path / "data.tsv"
    tsv.write_text("text\tlabel\nOne, two.\tnumbers\n", encoding="utf-8")
    assert read_rows({"file": str(tsv)}) == [Row("One, two.", "numbers")]

    txt = tmp_path / "lines.txt"
    txt.write_text("\ufeffa | first\nsecond\n", encoding="utf-8")
    # an upload replaces the typed lines; images come after the texts
    rows = read_rows({"text": "typed | ignored", "file": {"path": str(txt)}, "images": pictures})
    assert [(r.text, r.label, r.kind) for r in rows] == [
        ("first", "a", "text"), ("second", "", "text"), ("red.png", "image", "image"),
        ("gradient.jpg", "image", "image")]
    assert rows[2].image.size == (40, 40)  # decoded once, when the field parsed it

    with pytest.raises(UserError) as err:
        read_rows({"text": " \n "})
    assert err.value.key == "empty_input"
    with pytest.raises(UserError) as err:
        read_rows({"text": "x\n" * (MAX_ROWS + 1)})
    assert err.value.key == "too_large"
    binary = tmp_path / "model.csv"
    binary.write_bytes(b"\x00\x01\x02PK")
    with pytest.raises(UserError) as err:
        read_rows({"file": str(binary)})
    assert err.value.key == "bad_file"


def test_rows_are_bounded(tmp_path, pictures, monkeypatch):  # noqa: F811
    def fails(values) -> str:
        with pytest.raises(UserError) as err:
            read_rows(values)
        assert err.value.key == "too_large"
        return err.value.text()

    assert "characters" in fails({"text": "a" * (MAX_CHARS + 1)})
    assert f"at most {MAX_IMAGES}" in fails({"images": pictures[:1] * (MAX_IMAGES + 1)})
    many = tmp_path / "many.csv"
    many.write_text("text\n" + "".join(f"row {i}\n" for i in range(MAX_ROWS + 1)), encoding="utf-8")
    assert f"{MAX_ROWS:,}" in fails({"file": str(many)})
    wide = tmp_path / "wide.txt"
    wide.write_text(("b" * 1000 + "\n") * (MAX_CHARS // 1000 + 1), encoding="utf-8")
    assert "characters" in fails({"file": str(wide)})
    monkeypatch.setattr(rows_module, "MAX_UPLOAD_BYTES", 10)
    assert "bytes" in fails({"file": str(wide)})
    with pytest.raises(UserError) as err:  # typed and image rows together are bounded too
        read_rows({"text": "x\n" * MAX_ROWS, "images": pictures[:1]})
    assert err.value.key == "too_large"


def test_importing_the_tab_loads_no_gradio_nor_torch():
    done = subprocess.run([sys.executable, "-c", "import sys, demos.embeddings; "
                           "print(sorted(m for m in ('gradio', 'torch', 'transformers') if m in sys.modules))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_one_click_is_one_event(app):
    """The Run button (and every other button of the tab) triggers one event: one error shows once."""
    by_trigger: dict = {}
    for fn in app.demo.fns.values():
        for block, event in fn.targets:
            if event == "click":
                by_trigger.setdefault(block, []).append(fn.api_name)
    ids = {app.demo.blocks[b].elem_id: names for b, names in by_trigger.items() if b in app.demo.blocks}
    assert ids["embeddings_run"] == ["project"]
    assert ids["similarity_run"] == ["similarity"] and ids["embed_run"] == ["embed"]
    assert ids["neighbors_run"] == ["neighbors"] and ids["attention_run"] == ["attention"]
    assert ids["project_update"] == ["project"]
