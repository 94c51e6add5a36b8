"""The Dataset sub-tab of a task tab (issue 15): run one of the tab's tasks over a file or a dataset.

One panel per top-level tab (audio, vision, text, multimodal), after the task sub-tabs, targets the tab's tasks
with one main input: a task and model picker, an upload or a typed dataset (Hub id or local folder, config,
split), a preview of the first rows with their types, the guessed column, a row limit and batch size, the
task's own declared parameters (drawn by gr.render from its fields when the sub-tab is opened or the task
changes), Run and Cancel, a progress bar, the last rows as they come, a summary that fits the task, downloads
(CSV, JSON Lines, Parquet, written while the run goes) and the Code panel (core.dataset_code).

The engine is core.datasets_run; this module is the gradio side only (core.ui hooks it in subtab_layout).
"""

from __future__ import annotations

import base64
import html
import json
import queue
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr

from core import limits
from core.errors import UserError
from core.files import fresh_dir
from core.i18n import language_of, translate
from core.params import Data, File, Text

TABS = ("audio", "vision", "text", "multimodal")
SHOWN_ROWS = 20          # the results table shows the last rows, never all of them
REFRESH_SECONDS = 0.5    # how often a running run sends the page its progress
KEEP_SECONDS = 3600      # downloads kept this long
GALLERY = 12
UPLOAD_TYPES = [".csv", ".tsv", ".jsonl", ".json", ".parquet", ".txt", ".arrow", ".zip"]
_CANCELS: dict[tuple, threading.Event] = {}
_CANCELS_LOCK = threading.Lock()


def tab_of(task) -> str:
    """The tab id of a task (its file is demos/<tab>/<task_id>.py)."""
    parts = task.run.__module__.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "demos" else ""


def dataset_tasks(tasks) -> list:
    """The tasks a column can feed: a text or file main input, other required inputs that a widget gives as
    one value for every row (labels, a context), one model."""
    from core.datasets_run import dataset_inputs

    usable = []
    for task in tasks:
        if not dataset_inputs(task):
            continue
        main = task.inputs[task.inputs.first]
        others = [f for n, f in task.inputs.items() if n != task.inputs.first]
        if not isinstance(main, (Text, File)) or isinstance(main, Data):
            continue
        if any(getattr(f, "required", False) and not _constant(f) for f in others):
            continue
        usable.append(task)
    return usable


def _constant(f) -> bool:
    """Whether a (secondary) input is given once for every row by its widget (labels, a context, a text)."""
    from core.params import Labels

    return isinstance(f, (Text, Labels))


def _row_widgets(task) -> list[str]:
    """The fields the render draws: the other inputs given once (labels, a context, a second text) and the
    task's parameters; batch_size is the panel's own."""
    names = [n for n, f in task.inputs.items() if n != task.inputs.first and _constant(f)]
    return names + [n for n in task.params if n != "batch_size"]


# ---- what the page shows ------------------------------------------------------------------------------
def progress_html(done: int, total: int | None, rate: float, eta: float | None, failed: int, lang: str,
                  state: str = "running") -> str:
    """A bar with items done (of total), items/s and the time left."""
    tr = lambda s: translate(s, lang)  # noqa: E731
    share = (done / total) if total else (1.0 if state != "running" else 0.0)
    pieces = [tr("{done} of {total} rows").format(done=f"{done:,}", total=f"{total:,}") if total is not None
              else tr("{done} rows").format(done=f"{done:,}"),
              tr("{rate} rows/s").format(rate=f"{rate:.1f}")]
    if eta is not None and state == "running":
        pieces.append(tr("about {eta} left").format(eta=_duration(eta)))
    if failed:
        pieces.append(tr("{failed} failed").format(failed=f"{failed:,}"))
    if state != "running":
        pieces.insert(0, tr({"done": "Done", "cancelled": "Cancelled"}[state]))
    text = " · ".join(pieces)
    return (f'<div class="dataset-progress" data-state="{state}" data-done="{done}">'
            '<div class="dataset-bar" style="height:12px;border-radius:6px;overflow:hidden;'
            'background:var(--neutral-200)">'
            f'<div style="height:100%;width:{min(100.0, share * 100):.1f}%;background:var(--color-accent)"></div></div>'
            f'<div class="dataset-progress-text" style="margin-top:4px">{html.escape(text)}</div></div>')


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def table_value(rows: list[dict], columns: list[str], lang: str = "en") -> dict:
    """The results table, newest row first: the row number, the input column(s) under their own names, the
    output (shortened) and the error, those two headed in lang (the exported files keep `output` / `error`)."""
    headers = ["#", *columns, translate("output", lang), translate("error", lang)]
    return {"headers": headers,
            "data": [[r["#"], *(_short(r.get(c, "")) for c in columns), _short(r.get("output")) if r.get("output")
                      is not None else "", r.get("error") or ""] for r in reversed(rows)]}


def preview_value(source, n: int = 5) -> dict:
    """The first rows with each column's type in its header."""
    columns = source.columns
    rows = source.preview(n)
    return {"headers": [f"{name} ({kind})" for name, kind in columns],
            "data": [[_short(_cell(row.get(name)), 80) for name, _ in columns] for row in rows]}


def _cell(value: Any) -> Any:
    if isinstance(value, dict) and "bytes" in value:  # a file's name, never where the server keeps it
        path = value.get("path") or ""
        return (Path(path).name if Path(path).is_absolute() else path) or "(bytes)"
    return "" if value is None else value


def summary_parts(summary: dict, lang: str) -> tuple[str, Any]:
    """(Markdown, the chart's data or None) of a run's summary (core.datasets_run's)."""
    import pandas as pd

    tr = lambda s: translate(s, lang)  # noqa: E731
    lines = [tr("**{rows} rows**, {failed} failed").format(rows=f"{summary.get('rows', 0):,}",
                                                          failed=f"{summary.get('failed', 0):,}")]
    chart = None
    kind = summary.get("kind")
    if kind == "wer":
        lines.append(tr("Word error rate against {column}: **{wer}** over {words} reference words").format(
            column=f"`{summary['reference']}`", wer=f"{summary['wer'] * 100:.1f} %", words=f"{summary['reference_words']:,}"))
    if kind in ("labels", "entities"):
        counts = list(summary["counts"].items())[:20]
        chart = pd.DataFrame({"label": [str(k) for k, _ in counts], "count": [int(v) for _, v in counts]})
        lines.append(tr("Top labels: {labels}" if kind == "labels" else "Entities found: {labels}").format(
            labels=", ".join(f"{k} ({v:,})" for k, v in counts[:5])))
    if kind == "images":
        lines.append(tr("{count} images made").format(count=f"{summary['count']:,}"))
    if kind == "texts":
        lines.append(tr("Mean output length: {chars} characters").format(chars=f"{summary['mean_chars']:.0f}"))
    if "mean_score" in summary:
        lines.append(tr("Mean score: {score}").format(score=f"{summary['mean_score']:.3f}"))
    return "\n\n".join(lines), chart


def _images_in(value: Any, found: list) -> None:
    """data:image/... URLs in an output (depth maps, masks, made pictures)."""
    if len(found) >= GALLERY:
        return
    if isinstance(value, str) and value.startswith("data:image/"):
        found.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _images_in(v, found)
    elif isinstance(value, list):
        for v in value:
            _images_in(v, found)


def _image_file(url: str, folder: Path, i: int) -> str:
    head, _, data = url.partition(",")
    ext = head.split("/", 1)[1].split(";", 1)[0] if "/" in head else "png"
    path = folder / f"image-{i}.{ext}"
    path.write_bytes(base64.b64decode(data))
    return str(path)


# ---- opening what the user gave -----------------------------------------------------------------------
def _upload_path(value: Any) -> tuple[str | None, str | None]:
    """(server path, the name the sender gave it) of a gr.File value sent raw (FileData) or a plain path."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return value.get("path"), value.get("orig_name") or None
    if isinstance(value, str) and value.strip():
        return value, None
    return None, None


def open_given(ctx, upload: Any, typed: str, config: str, split: str):
    """(Source, what the code calls it): an upload (inside gradio's upload folders only) or a typed dataset
    (a Hub id, or a local path inside the folders the server allows, unless --any-local-path)."""
    from core.datasets_run import open_source
    from core.loading import gradio_folders

    settings = ctx.settings
    path, name = _upload_path(upload)
    config = (config or "").strip() or None
    split = (split or "").strip() or None
    if path:
        if settings.max_file_size and Path(path).is_file() and Path(path).stat().st_size > settings.max_file_size:
            raise UserError("too_large", what=name or "Dataset file", detail=f"more than {settings.max_file_mb} MB")
        source = open_source(path, split=split, config=config, offline=settings.offline, allowed_roots=gradio_folders())
        return source, name or Path(path).name
    typed = (typed or "").strip()
    if not typed:
        raise UserError("empty_input", what="Dataset")
    roots = None if settings.any_local_path else ctx.models.allowed_roots()
    return open_source(typed, split=split, config=config, offline=settings.offline, allowed_roots=roots), typed


def where_of(source, shown_name: str):
    """The snippet's description of where the rows come from."""
    from core.dataset_code import Where

    if source.kind == "hub":
        return Where("hub", source.name, config=source.config, split=source.split, streaming=True)
    if source.kind == "saved":
        return Where("disk", shown_name)
    if source.kind == "files":
        media = next(iter(source.media.values()), "image")
        return Where("folder", shown_name.removesuffix(".zip"), media=media)
    return Where("file", shown_name)


def _cancel_key(request, tab: str) -> tuple:
    return getattr(request, "session_hash", None), tab


# ---- the panel ----------------------------------------------------------------------------------------
def dataset_subtab(ctx, tasks) -> None:
    """The Dataset sub-tab of the tab being built (inside its gr.Tabs); nothing for tabs without dataset tasks."""
    tasks = tuple(tasks)
    tab = tab_of(tasks[0]) if tasks else ""
    usable = dataset_tasks(tasks)
    if tab not in TABS or not usable:
        return
    from core.ui import takes_request, widget

    tr = ctx.tr
    by_id = {t.id: t for t in usable}
    first = usable[0]
    api = f"dataset_{tab}"
    with gr.Tab(tr("Dataset"), id=f"dataset-{tab}", elem_id=f"task_{api}") as subtab:
        with gr.Row():
            with gr.Column(scale=3):
                task_pick = gr.Dropdown([(tr(t.title), t.id) for t in usable], value=first.id, label=tr("Task"),
                                        elem_id=f"{api}_task")
                choices, default = ctx.models.choices(first)
                model = gr.Dropdown(choices, value=default, label=tr("Model"), allow_custom_value=True,
                                    filterable=True, elem_id=f"{api}_model",
                                    info=tr("Pick one, or type a Hub id (owner/name, optionally @revision) or a local folder"))
                upload = gr.File(label=tr("Dataset file (CSV, TSV, JSON Lines, Parquet, TXT or a ZIP of files)"),
                                 file_types=UPLOAD_TYPES, elem_id=f"{api}_upload", height=150)
                typed = gr.Textbox(label=tr("…or a Hugging Face dataset id or a local dataset folder"),
                                   placeholder="PolyAI/minds14", elem_id=f"{api}_dataset", max_length=500)
                with gr.Row():
                    config = gr.Textbox(label=tr("Config"), elem_id=f"{api}_config", max_length=200)
                    split = gr.Textbox(label=tr("Split"), placeholder="train", elem_id=f"{api}_split", max_length=200)
                # no table before a file is chosen (an empty one would show gradio's headers 1 2 3): a line
                hint = gr.Markdown(tr("Choose a file or a dataset: its first rows and columns show here."),
                                   elem_id=f"{api}_hint")
                preview = gr.Dataframe(label=tr("First rows (column types in the headers)"), interactive=False,
                                       wrap=True, max_height=260, visible=False, elem_id=f"{api}_preview")
                with gr.Row():
                    column = gr.Dropdown([], label=tr("Input column"), allow_custom_value=True,
                                         elem_id=f"{api}_column")
                    reference = gr.Dropdown([], label=tr("Reference column (word error rate)"), allow_custom_value=True,
                                            visible=tab == "audio", elem_id=f"{api}_reference")
                with gr.Row():
                    cap = ctx.settings.limits.dataset_rows
                    row_limit = gr.Number(value=0, label=tr("Row limit (0: every row)"), precision=0,
                                          minimum=0, maximum=None if cap == float("inf") else int(cap),
                                          elem_id=f"{api}_limit")
                    batch = gr.Slider(1, 64, value=8, step=1, label=tr("Batch size"), elem_id=f"{api}_batch_size",
                                      info=tr("Rows per forward pass: pipe(KeyDataset(ds, column), batch_size=N)"))
                # what the fields below changed: the run's (and the API's) params, never shown as raw JSON
                params = gr.JSON({}, label=tr("Task parameters changed from their defaults"), visible=False,
                                 elem_id=f"{api}_params")

                @gr.render(inputs=[task_pick], triggers=[subtab.select, task_pick.change])
                def task_fields(task_id):
                    task = by_id.get(task_id, first)
                    with gr.Row(equal_height=False):
                        for name in _row_widgets(task):
                            w = widget(ctx, task, name, elem_id=f"{api}_param_{name}")
                            w.change(lambda v, given, name=name: {**(given or {}), name: v}, [w, params], params,
                                     api_visibility="private", queue=False, show_progress="hidden")

                with gr.Row():
                    run = gr.Button(tr("Run"), variant="primary", elem_id=f"{api}_run")
                    cancel = gr.Button(tr("Cancel"), variant="stop", elem_id=f"{api}_cancel")
            with gr.Column(scale=2):
                bar = gr.HTML(elem_id=f"{api}_progress")
                summary = gr.Markdown(elem_id=f"{api}_summary")
                chart = gr.BarPlot(x="label", y="count", label=tr("Counts"), visible=False, elem_id=f"{api}_chart")
                gallery = gr.Gallery(label=tr("Images made"), visible=False, columns=4, height=240,
                                     elem_id=f"{api}_gallery")
                results = gr.Dataframe(headers=["#", "input", "output", "error"], label=tr("Last rows, newest first"),
                                       interactive=False, wrap=True, max_height=420,
                                       elem_id=f"{api}_results")
                files = gr.File(label=tr("Downloads: inputs and outputs"), file_count="multiple",
                                interactive=False, height=200, elem_id=f"{api}_files")
        code = gr.Code("# " + tr("Press Run: the code that runs the task over every row shows here."),
                       language="python", label=tr("Code (transformers 5)"), interactive=False, max_lines=40,
                       elem_id=f"{api}_code")

    def fail(err: UserError, lang: str):
        raise gr.Error(err.text(lang), title=translate("Error", lang), print_exception=False) from None

    def on_task(task_id):
        task = by_id.get(task_id, first)
        options, value = ctx.models.choices(task)
        return gr.update(choices=options, value=value), {}

    task_pick.change(on_task, [task_pick], [model, params], api_visibility="private", queue=False,
                     show_progress="hidden")

    def look(task_id, given, dataset, config_, split_, request):
        """The preview and the guessed columns of what was given."""
        from core.datasets_run import guess_columns

        lang = language_of(request)
        try:
            source, _ = open_given(ctx, given, dataset, config_, split_)
        except UserError as err:
            fail(err, lang)
        try:
            names = [c for c, _ in source.columns]
            guess = guess_columns(by_id.get(task_id, first), source)
            value = preview_value(source)
        finally:
            source.close()
        main = guess.get(by_id.get(task_id, first).inputs.first)
        refs = [c for c in names if c != main]
        ref_guess = next((c for c in refs if c.lower() in ("reference", "transcript", "transcription", "sentence",
                                                             "text", "label_text")), None)
        return (gr.update(value=value, visible=True), gr.update(visible=False), gr.update(choices=names, value=main),
                gr.update(choices=["", *refs], value=ref_guess if tab == "audio" else ""))

    takes_request(look, ["task", "upload", "dataset", "config", "split"])
    gr.on([upload.upload, typed.submit, split.submit, config.submit], look, [task_pick, upload, typed, config, split],
          [preview, hint, column, reference], api_visibility="private", preprocess=False, concurrency_limit=2,
          show_progress="minimal")

    def go(task_id, model_id, given, dataset, config_, split_, column_, reference_, limit_, batch_, params_,
           request):
        """Run the task over the rows; yields the page's outputs as rows come."""
        from core.dataset_code import Plan, dataset_code
        from core.datasets_run import check_columns, guess_columns, open_writer, run_dataset

        lang = language_of(request)
        task = by_id.get(task_id)
        try:
            if task is None:
                raise UserError("bad_param", name="task", detail=f"one of: {', '.join(by_id)}")
            batch_size = _whole(batch_, "batch_size", 1, 256) or 8
            limit = _whole(limit_, "limit", 0, None) or None  # 0: every row (up to the server's ceiling)
            cap = ctx.settings.limits.dataset_rows
            with limits.active(ctx.settings.limits):
                if limit is not None:
                    limits.check("dataset_rows", limit, "rows")
            given_params = dict(params_ or {}) if isinstance(params_, dict) else _json_dict(params_)
            source, shown_name = open_given(ctx, given, dataset, config_, split_)
        except UserError as err:
            fail(err, lang)
        if limit is None and cap != float("inf"):
            total = source.num_rows if source.num_rows is not None else getattr(source, "total", None)
            if total is None or total > cap:
                limit = int(cap)  # a streamed dataset of unknown size (or a big one): the server's ceiling
        try:
            columns = {task.inputs.first: column_} if column_ else guess_columns(task, source)
            columns = check_columns(task, source, columns)
            reference_ = (reference_ or "").strip() or None
            model_id = (model_id or "").strip() or ctx.models.choices(task)[1]
            ref = ctx.models.resolve(model_id)
            plan = Plan(column=columns[task.inputs.first], batch_size=batch_size, limit=limit,
                        keep=(reference_,) if reference_ else ())
            runs_params = {**given_params, **({"batch_size": batch_size} if "batch_size" in task.params else {})}
            snippet = dataset_code(task, ref, ctx.models.place, where_of(source, shown_name), plan,
                                   {k: v for k, v in runs_params.items()})
        except UserError as err:
            source.close()
            fail(err, lang)

        folder = fresh_dir("playground-datasets", KEEP_SECONDS)
        stem = f"{task.api_name}-{Path(shown_name).stem or 'dataset'}"[:80]
        paths = [folder / f"{stem}.{ext}" for ext in ("csv", "jsonl", "parquet")]
        writers = [open_writer(p) for p in paths]
        events: queue.Queue = queue.Queue()
        cancel_event = threading.Event()
        key = _cancel_key(request, tab)
        with _CANCELS_LOCK:
            _CANCELS[key] = cancel_event
        shown_cols = list(dict.fromkeys([*columns.values(), *([reference_] if reference_ else [])]))
        last: list[dict] = []
        images: list[str] = []
        counter = [0]

        def sink(rows: list[dict]) -> None:
            for w in writers:
                w.write(rows)
            for r in rows:
                counter[0] += 1
                last.append({"#": counter[0], **r})
                if r.get("output") is not None:
                    _images_in(r["output"], images)
            del last[:-SHOWN_ROWS]

        def work() -> None:
            try:
                run = run_dataset(ctx.models, task, model_id, source, columns=columns, params=runs_params,
                                  batch_size=batch_size, limit=limit, reference=reference_, sink=sink,
                                  progress=events.put, cancel=cancel_event)
                events.put(("done", run))
            except UserError as err:
                events.put(("error", err))
            except Exception as exc:  # noqa: BLE001 - one line for the page, whatever broke
                from core.errors import explain

                events.put(("error", explain(exc, model=model_id, task=task.id)))
            finally:
                for w in writers:
                    w.close()
                source.close()

        worker = threading.Thread(target=work, name=f"dataset-{tab}", daemon=True)
        started = time.perf_counter()
        worker.start()
        total = source.num_rows if source.num_rows is not None else getattr(source, "total", None)
        if limit is not None:
            total = min(total, limit) if total is not None else limit
        nothing = gr.skip()
        yield {bar: progress_html(0, total, 0.0, None, 0, lang), code: snippet, summary: "", files: None,
               results: table_value([], shown_cols, lang), chart: gr.update(visible=False), gallery: gr.update(visible=False)}
        finished = None
        try:
            while finished is None:
                try:
                    item = events.get(timeout=REFRESH_SECONDS)
                except queue.Empty:
                    continue
                p = None
                while item is not None and finished is None:  # only the newest progress is shown
                    if isinstance(item, tuple):
                        finished = item
                    else:
                        p = item
                    try:
                        item = events.get_nowait()
                    except queue.Empty:
                        item = None
                if p is not None:
                    yield {bar: progress_html(p.done, p.total, p.items_per_s, p.eta_s, p.failed, lang),
                           results: table_value(list(last), shown_cols, lang), code: nothing, summary: nothing,
                           files: nothing, chart: nothing, gallery: nothing}
        finally:
            cancel_event.set()  # the page went away (or the run ended): stop the worker at its next chunk
            with _CANCELS_LOCK:
                if _CANCELS.get(key) is cancel_event:
                    del _CANCELS[key]
        worker.join()
        kind, value = finished
        if kind == "error":
            if counter[0] == 0:
                fail(value, lang)
            gr.Warning(value.text(lang))
            run_summary, state, seconds = {"rows": counter[0], "failed": 0, "kind": "rows"}, "cancelled", \
                time.perf_counter() - started
        else:
            run_summary, state, seconds = value.summary, "cancelled" if value.cancelled else "done", value.seconds
        text, data = summary_parts(run_summary, lang)
        pictures = [_image_file(u, folder, i) for i, u in enumerate(images)]
        done = run_summary.get("rows", counter[0])
        yield {bar: progress_html(done, total if total is not None and state != "done" else done,
                                  done / seconds if seconds else 0.0,
                                  None, run_summary.get("failed", 0), lang, state),
               results: table_value(list(last), shown_cols, lang), summary: text, code: snippet,
               chart: gr.update(value=data, visible=True, y_lim=[0, int(data["count"].max()) * 1.1],
                                x_title=translate("Label", lang), y_title=translate("Rows", lang))
               if data is not None else gr.update(visible=False),
               gallery: gr.update(value=pictures, visible=bool(pictures)),
               files: [str(p) for p in paths if p.exists()]}

    takes_request(go, ["task", "model", "upload", "dataset", "config", "split", "column", "reference", "limit",
                       "batch_size", "params"])
    go.__name__ = api
    run.click(go, [task_pick, model, upload, typed, config, split, column, reference, row_limit, batch, params],
              [bar, summary, chart, gallery, results, files, code], api_name=api, preprocess=False,
              concurrency_limit=2, concurrency_id="dataset", show_progress="minimal")

    def stop(request):
        with _CANCELS_LOCK:
            event = _CANCELS.get(_cancel_key(request, tab))
        if event is not None:
            event.set()

    takes_request(stop, [])
    cancel.click(stop, None, None, api_visibility="private", queue=False, show_progress="hidden")


def _whole(value: Any, name: str, low: int, high: int | None) -> int | None:
    """A whole number from a widget or an API client; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError("bad_param", name=name, detail=f"expected a whole number, got {str(value)[:40]!r}") from None
    if not number.is_integer() or number < low or (high is not None and number > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise UserError("bad_param", name=name, detail=f"must be a whole number {span}, got {value!r}")
    return int(number)


def _json_dict(value: Any) -> dict:
    if value in (None, ""):
        return {}
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise UserError("bad_param", name="params", detail="expected a JSON object") from None
    if not isinstance(parsed, dict):
        raise UserError("bad_param", name="params", detail="expected a JSON object")
    return parsed
