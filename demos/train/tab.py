"""The Train tab's page: data (an upload or a dataset) with its preview and column pickers, the base model and
the training parameters (core.training.PARAMS, as widgets), Train / Cancel, then the live progress, curves and
results, and the Code panel with the whole training script. gradio is imported here only, when the tab is built.

Events (all with an API name): train_data (the preview: columns, labels and counts), train (checks the data and
queues the job; answers with its id), train_status (the job's progress and results; the page polls it every
second while a job runs) and train_cancel.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from core.errors import UserError
from core.i18n import language_of, message, say, speaking, translate
from core.params import File, Text, fields

# the tab's own inputs (the training parameters are core.training.PARAMS)
INPUTS = fields(
    File("data_file", label="Training data (CSV, TSV, JSON Lines, Parquet)", required=False),
    Text("dataset", label="…or a dataset: Hub id or local dataset folder", max_chars=400,
         placeholder="e.g. stanfordnlp/imdb, or a folder saved with save_to_disk"),
    Text("split", "train", label="Split", max_chars=100),
    File("eval_file", label="Eval data (optional file)", required=False),
    Text("eval_split", label="Eval split (optional, of the dataset)", max_chars=100,
         help="Eval rows: the eval file if given, else this split, else the held-out share"),
    Text("text_column", "text", label="Text column", max_chars=200),
    Text("text_pair_column", label="Second text column (optional, for pairs)", max_chars=200),
    Text("label_column", "label", label="Label column", max_chars=200),
    Text("model", label="Base model", max_chars=400),
    Text("name", label="Name of the trained model", max_chars=64,
         help="A folder of that name in the trained-models folder; empty: the base model's name and the time"),
)
DATA_NAMES = ("data_file", "dataset", "split", "eval_file", "eval_split", "text_column", "text_pair_column",
              "label_column")
HUB_BASES = ("distilbert/distilbert-base-uncased", "google-bert/bert-base-cased",
             "sentence-transformers/all-MiniLM-L6-v2")
TEXT_NAMES = ("text", "sentence", "sentence1", "review", "content", "question", "premise", "document")
PAIR_NAMES = ("text_pair", "sentence2", "hypothesis", "text2", "answer")
LABEL_NAMES = ("label", "labels", "class", "category", "sentiment", "target", "y")
POLL_SECONDS = 1.0
DONE = ("done", "finished", "failed", "error", "cancelled", "canceled")


# ---- pure helpers (no gradio) -----------------------------------------------------------------------------
def base_models(ctx) -> tuple[list[tuple[str, str]], str]:
    """(label, value) choices for the base model and the default: local text models (the pack's MiniLM first)
    and, online, a few Hub checkpoints. Any folder or Hub id can be typed; core.training checks the head."""
    from demos.text.common import reads_plain_text

    local = [m for m in ctx.models.local_models() if reads_plain_text(m) and m.model_type
             and not any(a.endswith(("ForConditionalGeneration", "ForCausalLM", "ForQuestionAnswering"))
                         for a in m.architectures)]
    local.sort(key=lambda m: (not m.name.startswith("all-MiniLM"), m.name))  # the pack's real model first
    choices = [] if ctx.settings.offline else [(h, h) for h in HUB_BASES]
    choices += [(m.label, m.value) for m in local if m.value not in {v for _, v in choices}]
    return choices, (choices[0][1] if choices else "")


def guess(columns: list[str], names: tuple[str, ...], taken: tuple[str, ...] = ()) -> str | None:
    """The first column named like one of names (case-insensitive), not already taken."""
    lowered = {c.lower(): c for c in columns if c not in taken}
    return next((lowered[n] for n in names if n in lowered), None)


def data_source(values: dict) -> tuple[str, dict[str, str]]:
    """(what core.training reads: the uploaded file's path or the dataset text, {server path: shown name})."""
    upload = values.get("data_file")
    if upload:
        return upload["path"], {upload["path"]: upload["name"]}
    return values.get("dataset") or "", {}


def uploaded(value: Any) -> dict | None:
    """{"path", "name"} of a gr.File value sent with preprocessing off (a FileData dict, or a path)."""
    value = INPUTS["data_file"].parse(value)
    if value is None:
        return None
    if isinstance(value, dict):
        path = value.get("path") or ""
        return {"path": path, "name": value.get("orig_name") or Path(path).name}
    return {"path": str(value), "name": Path(str(value)).name}


def parsed(values: dict) -> dict:
    """The tab's inputs parsed by their fields (uploads as {"path", "name"})."""
    out = INPUTS.parse({k: v for k, v in values.items() if k in INPUTS and k not in ("data_file", "eval_file")})
    out["data_file"], out["eval_file"] = uploaded(values.get("data_file")), uploaded(values.get("eval_file"))
    return out


def server_roots(ctx) -> list[str]:
    """The server's folders a page must not see (views.private): model folders, the trained-models folder, the
    Hugging Face cache, gradio's uploads and the temporary folder."""
    import tempfile

    from core.loading import gradio_folders

    roots = [*ctx.models.allowed_roots(), *gradio_folders(), Path(tempfile.gettempdir())]
    return list(dict.fromkeys(p for r in roots for p in (str(r), str(Path(r).resolve()))))


def script_names(job: dict, shown: dict[str, str]) -> dict[str, str]:
    """shown (uploads' own names) with the job's local data folder and base model folder named by their last
    part, as the pickers name them: the Code panel shows no server path."""
    names = dict(shown)
    for value in (job.get("data"), job.get("eval"), job.get("model")):
        if value and value not in names and Path(str(value)).is_absolute():
            names[str(value)] = Path(str(value)).name
    return names


def label_lines(data) -> str:
    """The labels found and their counts in the training rows, and where the eval rows come from (markdown)."""
    counts = " · ".join(f"`{name}` {count}" for name, count in data.label_counts.items())
    where = {"file": say("the eval file"), "split": say("the eval split"),
             "percent": say("a held-out {percent}% of the rows", percent=data.spec.get("eval_percent"))}
    return say("**{n} labels** in {rows} training rows: {counts}", n=len(data.label_names), rows=data.train_rows,
               counts=counts) + "\n\n" + say("{rows} eval rows from {where}.", rows=data.eval_rows,
                                              where=where.get(data.eval_from, data.eval_from))


# ---- the page ------------------------------------------------------------------------------------------------
def build_tab(ctx) -> None:
    import gradio as gr
    from gradio.components.plot import PlotData

    from core import limits, training
    from core.ui import takes_request, widget
    from demos.train import views

    tr = ctx.tr
    form = SimpleNamespace(inputs=INPUTS, params=training.PARAMS, api_name="train")  # what core.ui.widget reads
    refreshed: set[str] = set()

    def queue():  # made by the manager with the first job, never before the page is served
        return ctx.models.training

    if not ctx.settings.training:
        gr.Markdown(tr(message("training_off")), elem_id="train_off")
        return

    with gr.Row():
        with gr.Column(scale=5, min_width=320):
            data_file = widget(ctx, form, "data_file", file_types=[".csv", ".tsv", ".jsonl", ".json", ".parquet"],
                               height=150)
            with gr.Row():
                dataset = widget(ctx, form, "dataset", scale=3)
                split = widget(ctx, form, "split", scale=1, min_width=90)
            with gr.Row():
                text_column = gr.Dropdown(["text"], value="text", label=tr(INPUTS["text_column"].title),
                                          allow_custom_value=True, elem_id="train_text_column")
                pair_column = gr.Dropdown([""], value="", label=tr(INPUTS["text_pair_column"].title),
                                          allow_custom_value=True, elem_id="train_text_pair_column")
                label_column = gr.Dropdown(["label"], value="label", label=tr(INPUTS["label_column"].title),
                                           allow_custom_value=True, elem_id="train_label_column")
            with gr.Row():
                eval_file = widget(ctx, form, "eval_file", file_types=[".csv", ".tsv", ".jsonl", ".json", ".parquet"],
                                   height=150)
                with gr.Column(min_width=160):
                    eval_split = widget(ctx, form, "eval_split")
                    eval_percent = widget(ctx, form, "eval_percent")
            labels_info = gr.Markdown(tr("Upload a file or name a dataset: its first rows, columns and labels show "
                                         "here."), elem_id="train_labels")
            # shown with the first rows (empty, gradio would draw headers 1 2 3); the line above says what comes
            preview = gr.Dataframe(label=tr("Preview (first rows)"), interactive=False, wrap=True, max_height=260,
                                   visible=False, elem_id="train_preview")
        with gr.Column(scale=4, min_width=300):
            choices, default = base_models(ctx)
            model = gr.Dropdown(choices, value=default or None, label=tr(INPUTS["model"].title),
                                info=tr("Pick one, or type a Hub id (owner/name) or a local folder; a new "
                                        "classification head is put on it"),
                                allow_custom_value=True, filterable=True, elem_id="train_model")
            name = widget(ctx, form, "name")
            params = {n: widget(ctx, form, n) for n in ("epochs", "learning_rate", "batch_size", "max_length")}
            with gr.Accordion(tr("More training settings"), open=False):
                params |= {n: widget(ctx, form, n) for n in ("weight_decay", "warmup_ratio", "seed",
                                                             "eval_each_epoch", "save_each_epoch", "lora", "lora_r")}
            params["eval_percent"] = eval_percent
            with gr.Row():
                train_button = gr.Button(tr("Train"), variant="primary", elem_id="train_button")
                cancel_button = gr.Button(tr("Cancel"), variant="stop", elem_id="train_cancel_button")
            status = gr.Markdown(elem_id="train_progress")
            job = gr.Textbox(label=tr("Training job"), visible=False, elem_id="train_job")
    # the plots stay shown: one that is drawn while hidden stays blank when shown (gradio 6.31)
    curves = gr.Plot(label=tr("Learning curve"), elem_id="train_curves")
    with gr.Row():
        confusion = gr.Plot(label=tr("Confusion matrix (eval rows)"), elem_id="train_confusion", scale=2)
        with gr.Column(scale=3):
            summary = gr.Markdown(elem_id="train_summary")
            wrong = gr.Dataframe(headers=list(views.WRONG_HEADERS), label=tr("Eval rows it got wrong"),
                                 interactive=False, wrap=True, max_height=300, visible=False, elem_id="train_wrong")
    code = gr.Code("# " + tr("Press Train: the whole script of the run shows here."), language="python",
                   label=tr("Code (transformers 5): the whole training script"), interactive=False, max_lines=40,
                   elem_id="train_code")
    raw = gr.JSON(label=tr("Raw status"), visible=False, elem_id="train_raw")  # the API's answer; the page draws it
    timer = gr.Timer(POLL_SECONDS, active=False)

    data_inputs = {"data_file": data_file, "dataset": dataset, "split": split, "eval_file": eval_file,
                   "eval_split": eval_split, "text_column": text_column, "text_pair_column": pair_column,
                   "label_column": label_column}

    def fail(err: UserError, lang: str):
        text = views.private(err.text(lang), server_roots(ctx))
        raise gr.Error(text, title=translate("Error", lang), print_exception=False) from None

    def prepared(values: dict, param_values: dict):
        """(TrainData, shown names) for the page's values, under the server's limits; UserError on bad data."""
        source, shown = data_source(values)
        eval_upload = values.get("eval_file")
        if eval_upload:
            shown[eval_upload["path"]] = eval_upload["name"]
        with limits.active(ctx.settings.limits):
            data = training.prepare_data(
                source, eval=eval_upload["path"] if eval_upload else None, text_column=values["text_column"],
                text_pair_column=values["text_pair_column"] or None, label_column=values["label_column"],
                split=values["split"] or None, eval_split=values["eval_split"] or None,
                eval_percent=param_values.get("eval_percent"), seed=param_values.get("seed"),
                offline=ctx.settings.offline, allowed_roots=ctx.models.data_roots())
        return data, shown

    # ---- the preview: columns, guessed pickers, labels and counts ------------------------------------------
    def show_data(*args):
        *given, eval_share, request = args
        lang = language_of(request)
        try:
            values = parsed(dict(zip(DATA_NAMES, given)))
            source, _ = data_source(values)
            if not source:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            with limits.active(ctx.settings.limits):
                table = training.read_source(source, values["split"] or None, offline=ctx.settings.offline,
                                             allowed_roots=ctx.models.data_roots())
            columns = list(table.column_names)
            text = values["text_column"] if values["text_column"] in columns else \
                guess(columns, TEXT_NAMES) or next(iter(columns), "")
            label = values["label_column"] if values["label_column"] in columns else \
                guess(columns, LABEL_NAMES, (text,)) or columns[-1]
            pair = values["text_pair_column"] if values["text_pair_column"] in columns else \
                guess(columns, PAIR_NAMES, (text, label)) or ""
            rows = table.select(range(min(training.PREVIEW_ROWS, len(table)))).to_list()
            head = {"headers": columns, "data": [[_cell(r.get(c)) for c in columns] for r in rows]}
            values.update(text_column=text, label_column=label, text_pair_column=pair)
            with speaking(lang):
                try:
                    data, _ = prepared(values, {"eval_percent": eval_share})
                    info = label_lines(data)
                except UserError as err:  # the preview still shows; the line says what to fix
                    info = "⚠️ " + views.private(err.text(lang), server_roots(ctx))
            return (gr.update(choices=columns, value=text), gr.update(choices=["", *columns], value=pair),
                    gr.update(choices=columns, value=label), info, gr.update(value=head, visible=True))
        except UserError as err:
            fail(err, lang)

    takes_request(show_data, [*DATA_NAMES, "eval_percent"])
    data_outputs = [text_column, pair_column, label_column, labels_info, preview]
    gr.on([data_file.change, dataset.submit, split.submit, eval_file.change, text_column.input, pair_column.input,
           label_column.input, eval_split.submit],
          show_data, [*data_inputs.values(), eval_percent], data_outputs, api_name="train_data",
          concurrency_limit=2, preprocess=False, show_progress="minimal")

    # ---- train: check, queue, answer with the job ------------------------------------------------------
    param_names = list(params)

    def start(*args):
        *given, request = args
        lang = language_of(request)
        values = dict(zip([*DATA_NAMES, "model", "name", *param_names], given))
        try:
            data_values = parsed({k: values[k] for k in (*DATA_NAMES, "model", "name")})
            source, shown = data_source(data_values)
            eval_upload = data_values["eval_file"]
            if eval_upload:
                shown[eval_upload["path"]] = eval_upload["name"]
            job = {"task": training.TASK, "model": data_values["model"], "name": data_values["name"],
                   "data": source, "eval": eval_upload["path"] if eval_upload else None,
                   **{k: data_values[k] or None for k in ("split", "eval_split", "text_pair_column")},
                   "text_column": data_values["text_column"], "label_column": data_values["label_column"],
                   "params": {n: values[n] for n in param_names}}
            checked, data = queue().check(job)  # the data's and the model's errors come at once, as one line
            job["name"] = Path(checked["output_dir"]).name  # the same folder, even a minute later
            job_id = queue().submit(job)
            script = training.training_script(checked["model"], data, checked["params"], job["name"],
                                              names=script_names(checked, shown))
        except UserError as err:
            fail(err, lang)
        with speaking(lang):
            line = say("Queued: waiting for the training worker…")
        return job_id, gr.Timer(active=True), line, script, None, None, "", gr.update(visible=False)

    takes_request(start, [*DATA_NAMES, "model", "name", *param_names])
    result_outputs = [status, curves, confusion, summary, wrong]
    train_button.click(start, [*data_inputs.values(), model, name, *params.values()],
                       [job, timer, status, code, curves, confusion, summary, wrong], api_name="train",
                       concurrency_limit=4, preprocess=False)

    # ---- status: polled while a job runs --------------------------------------------------------------
    def poll(job_id, request):
        lang = language_of(request)
        job_id = (job_id or "").strip()
        if not job_id:
            return gr.Timer(active=False), *[gr.skip()] * (len(result_outputs) + 1)
        try:
            current = queue().status(job_id)
        except UserError as err:
            fail(err, lang)
        running = current.get("state") not in DONE
        if current.get("error"):
            err = queue().error(job_id)
            current = {**current, "error": err.text(lang) if err else current["error"]}
        current = _public(current, server_roots(ctx))
        result = current.get("result") or {}
        if current.get("state") in ("done", "finished") and job_id not in refreshed:
            refreshed.add(job_id)
            ctx.models.local_models(refresh=True)  # the trained folder joins the pickers
        with speaking(lang):
            line = views.progress(current)
            started = bool(current.get("loss") or current.get("eval"))
            out = [gr.Timer(active=running), line,
                   PlotData(type="plotly", plot=views.as_json(views.curves(current))) if started else gr.skip()]
            if result.get("confusion"):
                rows = views.wrong_rows(result)
                out += [PlotData(type="plotly", plot=views.as_json(views.confusion(result["labels"],
                                                                                  result["confusion"]))),
                        views.summary(result),
                        gr.update(value={"headers": [say(h) for h in views.WRONG_HEADERS], "data": rows},
                                  visible=bool(rows))]
            else:
                out += [gr.skip(), gr.skip(), gr.skip()]
        return (*out, current)

    takes_request(poll, ["job"])
    gr.on([timer.tick], poll, [job], [timer, *result_outputs, raw], api_name="train_status",
          concurrency_limit=None, show_progress="hidden", show_progress_on=[job], queue=False)

    def cancel(job_id, request):
        lang = language_of(request)
        job_id = (job_id or "").strip()
        if not job_id:
            return gr.skip()
        try:
            queue().cancel(job_id)
        except UserError as err:
            fail(err, lang)
        with speaking(lang):
            return say("⏹ Cancelling…")

    takes_request(cancel, ["job"])
    cancel_button.click(cancel, [job], [status], api_name="train_cancel", queue=False, show_progress="hidden")


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) or len(value) < 300 else value[:299] + "…"
    return str(value)[:300]


def _public(status: dict, roots: list[str]) -> dict:
    """The status as the page and the API give it (JSON-ready): no server path in it, but the trained model's
    model_value (what the model pickers pass for it, as their choices do)."""
    from core.jsonable import jsonable
    from demos.train.views import private

    return private(jsonable(status), roots, keep=("model_value",))
