"""Dataset mode (core.datasets_run): every source kind opens with datasets' loaders, each row's output equals the
single run on that row, failing rows carry their error, bad input is one line, outputs stream to files."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import limits
from core.cli import tabs_for
from core.datasets_run import (
    Progress,
    Source,
    guess_columns,
    open_source,
    open_writer,
    parse_columns,
    run_dataset,
)
from core.errors import UserError
from core.jsonable import jsonable
from core.registry import all_tasks

TEXTS = ["the cat sat on the mat", "a dog ran in the park", "birds fly south", "the stock market fell",
         "we love this film", "john lives in paris", "mary works at google"]


def task(task_id: str):
    return all_tasks(tabs_for(task_id))[task_id][1]


def same(a, b, tol: float = 1e-4) -> bool:
    """Equal structures as JSON; floats within tol (a batch pads its texts: scores move in the 6th decimal)."""
    return _same(jsonable(a), jsonable(b), tol)


def _same(a, b, tol: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol
    return a == b


def ran(manager, task_id: str, model: Path, source: Source, columns=None, params=None, **kw):
    """(DatasetRun, output rows, progress reports)."""
    spec = task(task_id)
    rows: list[dict] = []
    chunks: list[int] = []
    reports: list[Progress] = []

    def sink(part):
        chunks.append(len(part))
        rows.extend(part)

    result = run_dataset(manager, spec, str(model), source, columns=columns or guess_columns(spec, source),
                         params=params or {}, sink=sink, progress=reports.append, **kw)
    return result, rows, reports, chunks


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The small datasets of this module, one of each kind."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("datasets")
    (folder / "texts.csv").write_text("id,review\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TEXTS)) + '7,""\n')
    (folder / "pairs.tsv").write_text("premise\thypothesis\n" + "".join(f"{t}\t{t[::-1]}\n" for t in TEXTS[:3]))
    (folder / "qa.jsonl").write_text("".join(json.dumps({"question": f"who is in {t.split()[-1]}?", "context": t}) + "\n"
                                             for t in TEXTS[:4]))
    (folder / "lines.txt").write_text("\n".join(TEXTS[:3]) + "\n")
    pq.write_table(pa.table({"sentence": TEXTS[5:], "n": [1, 2]}), folder / "ner.parquet")
    images = folder / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (30 + 7 * i, 40, 3), dtype=np.uint8)).save(images / f"im{i}.png")
    (images / "broken.png").write_text("this is not an image")
    with zipfile.ZipFile(folder / "images.zip", "w") as zf:
        for p in sorted(images.iterdir()):
            zf.write(p, f"pics/{p.name}")
    return folder


# ---- each input kind: every row equals the single run ------------------------------------------------------
def test_text_csv_rows_equal_single_runs_in_order(manager, tiny, files):
    source = open_source(str(files / "texts.csv"), offline=True)
    assert source.kind == "csv" and source.num_rows == 8
    assert dict(source.columns) == {"id": "int64", "review": "string"}
    assert source.preview(2) == [{"id": 0, "review": TEXTS[0]}, {"id": 1, "review": TEXTS[1]}]
    spec = task("text-classification")
    assert guess_columns(spec, source) == {"text": "review"}
    result, rows, reports, chunks = ran(manager, "text-classification", tiny["bert-seqcls"], source,
                                        params={"top_k": 2}, batch_size=2, chunk=3)
    assert [r["review"] for r in rows] == [*TEXTS, None]
    assert chunks == [3, 3, 2], "rows reach the sink a chunk at a time, in order"
    for text, row in zip(TEXTS, rows):
        single = manager.run(spec, str(tiny["bert-seqcls"]), {"text": text}, {"top_k": 2}).output
        assert row["error"] is None and same(row["output"], single)
    assert rows[-1]["output"] is None and "empty" in rows[-1]["error"]
    assert (result.done, result.failed, result.cancelled) == (8, 1, False)
    assert [p.done for p in reports] == [3, 6, 8] and {p.total for p in reports} == {8}
    assert reports[-1].eta_s == 0 and reports[-1].items_per_s > 0
    summary = result.summary
    assert summary["kind"] == "labels" and sum(summary["counts"].values()) == 7
    assert set(summary["counts"]) <= set(manager.loaded(spec, str(tiny["bert-seqcls"])).obj.model.config.id2label.values())
    assert 0 < summary["mean_score"] <= 1


def test_text_pair_tsv(manager, tiny, files):
    source = open_source(str(files / "pairs.tsv"), offline=True)
    spec = task("text-classification")
    columns = {"text": "premise", "text_pair": "hypothesis"}
    _, rows, _, _ = ran(manager, "text-classification", tiny["bert-seqcls"], source, columns=columns)
    assert [r["hypothesis"] for r in rows] == [t[::-1] for t in TEXTS[:3]]
    for t, row in zip(TEXTS, rows):
        single = manager.run(spec, str(tiny["bert-seqcls"]), {"text": t, "text_pair": t[::-1]}, {}).output
        assert same(row["output"], single)


def test_question_answering_jsonl_through_the_autoclass_batch(manager, tiny, files):
    source = open_source(str(files / "qa.jsonl"), offline=True)
    spec = task("question-answering")
    assert spec.batch is not None or spec.loader.kind == "auto"
    assert guess_columns(spec, source) == {"question": "question", "context": "context"}
    result, rows, _, _ = ran(manager, "question-answering", tiny["bert-qa"], source, batch_size=3)
    for row in rows:
        single = manager.run(spec, str(tiny["bert-qa"]), {"question": row["question"], "context": row["context"]},
                             {}).output
        assert same(row["output"], single)
    assert result.summary["kind"] == "answers" and result.summary["count"] == 4


def test_txt_lines_and_parquet_and_saved_dataset(manager, tiny, files, tmp_path):
    import datasets

    spec = task("token-classification")
    txt = open_source(str(files / "lines.txt"), offline=True)
    assert txt.kind == "txt" and dict(txt.columns) == {"text": "string"} and txt.num_rows == 3
    parquet = open_source(str(files / "ner.parquet"), offline=True)
    assert parquet.kind == "parquet" and guess_columns(spec, parquet) == {"text": "sentence"}
    datasets.Dataset.from_dict({"content": TEXTS[:2]}).save_to_disk(str(tmp_path / "saved"))
    saved = open_source(str(tmp_path / "saved"), offline=True)
    assert saved.kind == "saved" and saved.num_rows == 2
    for source, column in ((txt, "text"), (parquet, "sentence"), (saved, "content")):
        result, rows, _, _ = ran(manager, "token-classification", tiny["bert-tokcls"], source)
        assert result.failed == 0 and len(rows) == source.num_rows
        for row in rows:
            assert same(row["output"], manager.run(spec, str(tiny["bert-tokcls"]), {"text": row[column]}, {}).output)
        assert result.summary["kind"] in ("entities", "rows")


def test_image_folder_and_zip(manager, tiny, files):
    spec = task("image-classification")
    folder = open_source(str(files / "images"), offline=True)
    assert folder.kind == "files" and folder.columns == [("file", "image file")] and folder.num_rows == 6
    assert guess_columns(spec, folder) == {"image": "file"}
    result, rows, _, _ = ran(manager, "image-classification", tiny["vit-imgcls"], folder, batch_size=4)
    assert [r["file"] for r in rows] == ["broken.png", *[f"im{i}.png" for i in range(5)]]
    assert rows[0]["output"] is None and "broken.png" in rows[0]["error"] and "not an image" in rows[0]["error"]
    for row in rows[1:]:
        single = manager.run(spec, str(tiny["vit-imgcls"]), {"image": str(files / "images" / row["file"])}, {}).output
        assert same(row["output"], single)
    assert result.failed == 1 and result.summary["kind"] == "labels"
    zipped = open_source(str(files / "images.zip"), offline=True)
    extracted = zipped.path
    _, zrows, _, _ = ran(manager, "image-classification", tiny["vit-imgcls"], zipped, batch_size=4)
    assert [r["file"] for r in zrows] == [f"pics/{r['file']}" for r in rows]
    assert [r["output"] for r in zrows] == [r["output"] for r in rows]
    zipped.close()
    assert not extracted.exists(), "the extracted ZIP is removed"


def test_audio_folder_with_metadata_and_reference(manager, tiny, tmp_path):
    """(A CTC model: the tiny Whisper's random weights generate for seconds per clip; the pack's Whisper is below.)"""
    from demos.audio.clips import speak

    spec = task("automatic-speech-recognition")
    said = ["the quick brown fox", "hello world"]
    for i, sentence in enumerate(said):
        speak(sentence, tmp_path / f"clip{i}.wav")
    (tmp_path / "metadata.csv").write_text("file_name,transcript\n" + "".join(f"clip{i}.wav,{s}\n" for i, s in enumerate(said)))
    source = open_source(str(tmp_path), offline=True)
    assert dict(source.columns) == {"file_name": "audio file", "transcript": "string"}
    assert guess_columns(spec, source) == {"audio": "file_name"}
    result, rows, _, _ = ran(manager, "automatic-speech-recognition", tiny["wav2vec2-ctc"], source,
                             reference="transcript")
    assert [r["transcript"] for r in rows] == said
    for i, row in enumerate(rows):
        assert same(row["output"], manager.run(spec, str(tiny["wav2vec2-ctc"]), {"audio": str(tmp_path / f"clip{i}.wav")},
                                                 {}).output)
    summary = result.summary
    assert summary["kind"] == "wer" and summary["reference_words"] == 6 and summary["wer"] >= 0


# ---- running: cancel, streamed sources, params -------------------------------------------------------------
def test_cancel_stops_between_chunks(manager, tiny, files):
    source = open_source(str(files / "texts.csv"), offline=True)
    cancel = threading.Event()
    rows: list[dict] = []

    def sink(part):
        rows.extend(part)
        cancel.set()

    result = run_dataset(manager, task("text-classification"), str(tiny["bert-seqcls"]), source,
                         columns={"text": "review"}, params={}, sink=sink, cancel=cancel, chunk=3)
    assert result.cancelled and result.done == 3 and len(rows) == 3


def test_a_streamed_dataset_is_read_only_as_far_as_the_limit(manager, tiny):
    """A streamed (Hub) dataset under --limit pulls only the rows it runs, never the whole split."""
    import datasets

    pulled = []

    def rows():
        for i in range(10_000):
            pulled.append(i)
            yield {"text": f"row {i}"}

    ds = datasets.IterableDataset.from_generator(rows)
    source = Source("hub", "someone/stream", [("text", "string")], None, ds)
    result, out, reports, _ = ran(manager, "text-classification", tiny["bert-seqcls"], source, limit=5)
    assert result.done == 5 and [r["text"] for r in out] == [f"row {i}" for i in range(5)]
    assert len(pulled) < 100 and reports[-1].total == 5


def test_a_param_input_applies_to_every_row_and_bad_params_stop_before_the_model(manager, tiny, files):
    spec = task("text-classification")
    source = open_source(str(files / "texts.csv"), offline=True)
    _, rows, _, _ = ran(manager, "text-classification", tiny["bert-seqcls"], source, columns={"text": "review"},
                        params={"text_pair": "a fixed pair"}, limit=2)
    assert same(rows[1]["output"], manager.run(spec, str(tiny["bert-seqcls"]),
                                               {"text": TEXTS[1], "text_pair": "a fixed pair"}, {}).output)
    with pytest.raises(UserError) as err:
        ran(manager, "text-classification", tiny["bert-seqcls"], source, params={"top_k": 999})
    assert err.value.key == "bad_param" and "top_k" in err.value.text()
    with pytest.raises(UserError) as err:
        ran(manager, "text-classification", tiny["bert-seqcls"], source, params={"nonsense": 1})
    assert err.value.key == "bad_param" and "nonsense" in err.value.text()
    assert parse_columns(spec, ["review", "text_pair=hyp"]) == {"text": "review", "text_pair": "hyp"}


# ---- bad input: one line each ------------------------------------------------------------------------------
def test_bad_sources_are_one_line_each(files, tmp_path):
    def refused(spec, **kw) -> UserError:
        with pytest.raises(UserError) as err:
            open_source(spec, **{"offline": True, **kw})
        assert "\n" not in err.value.text()
        return err.value

    assert refused(str(tmp_path / "nothing.csv")).key == "dataset_missing"
    assert refused("someone/some-dataset").key == "dataset_offline"
    # online without a reachable Hub (CI): one line at once, not datasets' half a minute of retries
    assert refused("someone/no-such-dataset-here", offline=False).key in ("dataset_hub", "dataset_unreadable")
    (tmp_path / "empty.csv").write_text("")
    assert refused(str(tmp_path / "empty.csv")).key == "dataset_empty"
    (tmp_path / "header.csv").write_text("text,label\n")
    assert refused(str(tmp_path / "header.csv")).key == "dataset_empty"
    (tmp_path / "notes.docx").write_text("x")
    assert refused(str(tmp_path / "notes.docx")).key == "dataset_format"
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    assert refused(str(tmp_path / "broken.parquet")).key == "dataset_unreadable"
    (tmp_path / "fake.zip").write_text("not a zip")
    assert refused(str(tmp_path / "fake.zip")).key == "dataset_zip"
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../../etc/evil.png", b"x")
    assert refused(str(tmp_path / "evil.zip")).key == "dataset_zip"
    with limits.active(limits.Limits(zip_members=3)):
        assert refused(str(files / "images.zip")).key == "limit"
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.png", b"\0" * 3_000_000)
    with limits.active(limits.Limits(zip_mb=1)):
        err = refused(str(tmp_path / "bomb.zip"))
    assert err.key == "limit" and "--max-zip-mb" in err.text()
    assert refused(str(files / "texts.csv"), allowed_roots=[tmp_path]).key == "dataset_missing", \
        "a path outside the allowed folders is told like a missing one"


def test_bad_columns_and_values(manager, tiny, files, tmp_path):
    source = open_source(str(files / "texts.csv"), offline=True)
    with pytest.raises(UserError) as err:
        ran(manager, "text-classification", tiny["bert-seqcls"], source, columns={"text": "missing"})
    assert err.value.key == "dataset_column" and "review" in err.value.text()
    with pytest.raises(UserError) as err:
        ran(manager, "text-classification", tiny["bert-seqcls"], source, columns={"text_pair": "review"})
    assert err.value.key == "dataset_no_column"
    with pytest.raises(UserError) as err:
        ran(manager, "text-classification", tiny["bert-seqcls"], source, columns={"text": "review"},
            reference="nope")
    assert err.value.key == "dataset_column"
    (tmp_path / "lists.jsonl").write_text('{"text": ["a", "b"]}\n{"text": ["c"]}\n')
    _, rows, _, _ = ran(manager, "text-classification", tiny["bert-seqcls"],
                        open_source(str(tmp_path / "lists.jsonl"), offline=True), columns={"text": "text"})
    assert all(r["output"] is None and "list" in r["error"] for r in rows), "wrong types: a per-row error"
    (tmp_path / "names.csv").write_text("image\nnot-there.png\n../texts.csv\n")
    _, rows, _, _ = ran(manager, "image-classification", tiny["vit-imgcls"],
                        open_source(str(tmp_path / "names.csv"), offline=True), columns={"image": "image"})
    assert [r["error"] is not None for r in rows] == [True, True], "files are read only inside the dataset's folder"


# ---- writers ----------------------------------------------------------------------------------------------
def test_writers_stream_jsonl_csv_parquet_that_read_back(manager, tiny, files, tmp_path):
    import datasets
    import pyarrow.parquet as pq

    source = open_source(str(files / "texts.csv"), offline=True)
    paths = [tmp_path / f"out.{suffix}" for suffix in ("jsonl", "csv", "parquet")]
    writers = [open_writer(p) for p in paths]

    def sink(part):
        for w in writers:
            w.write(part)

    rows: list[dict] = []
    run_dataset(manager, task("text-classification"), str(tiny["bert-seqcls"]), source, columns={"text": "review"},
                params={}, chunk=3, sink=lambda part: (rows.extend(part), sink(part)))
    for w in writers:
        w.close()
    jsonl = [json.loads(line) for line in paths[0].read_text().splitlines()]
    assert jsonl == json.loads(json.dumps(rows))
    csv_rows = datasets.load_dataset("csv", data_files=str(paths[1]), split="train").to_list()
    assert [r["review"] for r in csv_rows] == [r["review"] for r in rows]
    assert [json.loads(r["output"]) if r["output"] else None for r in csv_rows] == [r["output"] for r in rows]
    table = pq.read_table(paths[2]).to_pylist()
    assert [r["review"] for r in table] == [r["review"] for r in rows]
    assert [json.loads(r["output"]) if r["output"] else None for r in table] == [r["output"] for r in rows]
    assert [r["error"] for r in table] == [r["error"] for r in rows]
    with pytest.raises(UserError) as err:
        open_writer(tmp_path / "out.xlsx")
    assert err.value.key == "dataset_output"


# ---- the pack's real models -------------------------------------------------------------------------------
@pytest.mark.slow
def test_minilm_and_rampart_over_a_csv(manager, pack_dir, tmp_path):
    (tmp_path / "s.csv").write_text('sentence\n"A man is eating food."\n"A man is eating pasta."\n'
                                    '"The stock market crashed today."\n"Write to john.smith@example.com"\n')
    source = open_source(str(tmp_path / "s.csv"), offline=True)
    _, rows, _, _ = ran(manager, "embed", pack_dir / "all-MiniLM-L6-v2", source)
    vectors = np.array([r["output"][0] for r in rows])
    cos = vectors @ vectors.T
    assert cos[0, 1] > 0.6 > cos[0, 2], "food is near pasta, far from the stock market"
    single = manager.run(task("embed"), str(pack_dir / "all-MiniLM-L6-v2"), {"text": "A man is eating pasta."}, {})
    assert same(rows[1]["output"], single.output, 1e-5)
    result, rows, _, _ = ran(manager, "token-classification", pack_dir / "rampart", source)
    assert "EMAIL" in result.summary["counts"]
    assert {e["entity_group"] for e in rows[3]["output"]} == {"EMAIL"}


@pytest.mark.slow
def test_whisper_over_espeak_clips_with_a_wer_summary(manager, pack_dir, tmp_path):
    from demos.audio.clips import speak

    said = ["The quick brown fox jumps over the lazy dog.", "I like green apples."]
    for i, sentence in enumerate(said):
        speak(sentence, tmp_path / f"c{i}.wav")
    (tmp_path / "metadata.csv").write_text("file_name,text\n" + "".join(f'c{i}.wav,"{s}"\n' for i, s in enumerate(said)))
    source = open_source(str(tmp_path), offline=True)
    result, rows, _, _ = ran(manager, "automatic-speech-recognition", pack_dir / "whisper-tiny.en", source,
                             columns={"audio": "file_name"}, reference="text", batch_size=2)
    assert "quick brown fox" in rows[0]["output"]["text"].lower()  # (equality with single runs: the tiny CTC above)
    assert result.summary["kind"] == "wer" and result.summary["reference_words"] == 13
    assert result.summary["wer"] < 0.35


def test_a_chunk_past_the_time_limit_fails_its_rows_and_the_run_goes_on(settings, tiny, files):
    import dataclasses

    from core.models import ModelManager

    hurried = ModelManager(dataclasses.replace(settings, timeout=1e-9))
    source = open_source(str(files / "texts.csv"), offline=True)
    result, rows, _, _ = ran(hurried, "text-classification", tiny["bert-seqcls"], source, chunk=4)
    assert result.done == 8 and result.failed == 8 and not result.cancelled
    assert all("longer than" in r["error"] for r in rows[:7])


def test_image_and_audio_features_are_read_by_the_app(manager, tiny, files, tmp_path):
    """A Hub-style dataset whose columns are Image/Audio features: rows come undecoded and the app reads each
    file itself, with its own checks (a Hub dataset streams the same way)."""
    import datasets
    import soundfile as sf

    images = [str(files / "images" / f"im{i}.png") for i in range(2)]
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    ds = datasets.Dataset.from_dict({"img": [*images, str(tmp_path / "bad.png")]})
    # stored as the files' bytes, not decoded (the broken one too)
    ds.cast_column("img", datasets.Image(decode=False)).cast_column("img", datasets.Image()).save_to_disk(
        str(tmp_path / "saved_images"))
    source = open_source(str(tmp_path / "saved_images"), offline=True)
    assert source.columns == [("img", "image")] and source.preview(1) == [{"img": "im0.png"}]
    spec = task("image-classification")
    result, rows, _, _ = ran(manager, "image-classification", tiny["vit-imgcls"], source)
    assert [r["img"] for r in rows] == ["im0.png", "im1.png", "bad.png"]
    for path, row in zip(images, rows):
        assert same(row["output"], manager.run(spec, str(tiny["vit-imgcls"]), {"image": path}, {}).output, 1e-5)
    assert result.failed == 1 and "not an image" in rows[2]["error"]
    clip = tmp_path / "tone.wav"
    sf.write(str(clip), (0.3 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440)).astype("float32"), 16000)
    datasets.Dataset.from_dict({"audio": [str(clip)]}).cast_column("audio", datasets.Audio(decode=False)).save_to_disk(
        str(tmp_path / "saved_audio"))
    source = open_source(str(tmp_path / "saved_audio"), offline=True)
    assert source.media == {"audio": "audio"}
    _, rows, _, _ = ran(manager, "audio-classification", tiny["wav2vec2-audiocls"], source)
    single = manager.run(task("audio-classification"), str(tiny["wav2vec2-audiocls"]), {"audio": str(clip)}, {}).output
    assert rows[0]["error"] is None and same(rows[0]["output"], single, 1e-5)


def test_every_dataset_message_reads_in_korean():
    from core.i18n import MESSAGES, message

    keys = [k for k in MESSAGES["en"] if k.startswith("dataset_")]
    assert len(keys) >= 10
    for key in keys:
        values = {name: "x" for name in ("name", "suffix", "split", "splits", "column", "columns", "what", "kind",
                                         "task", "suffixes")}
        values["detail"] = "no such file in the dataset's folder"  # (dataset_file's words are all its detail's)
        assert message(key, "ko", **values) != message(key, "en", **values), key
