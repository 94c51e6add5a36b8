"""Widgets and wiring shared by every tab: widgets derived from declared fields, the model picker, result
panels, and the run handler. The only core module that imports gradio (and only the app imports it)."""

from __future__ import annotations

import contextvars
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from core import gradio_startup
from core.errors import UserError
from core.hardware import gpu_wrapped, zero_gpu
from core.i18n import Translator, language_of, speaking, translate, translate_detail
from core.jsonable import jsonable
from core.models import ModelManager, RunResult
from core.params import Bool, Choice, Data, Field, File, Float, Int, Labels, Lines, Text
from core.registry import TaskSpec
from core.settings import Settings

__all__ = ["Context", "Panels", "jsonable", "label_scores", "widget", "widgets", "model_picker", "result_panels", "wire",
           "examples", "new_rows", "follow_model", "korean_headers", "subtab_layout", "takes_request"]


def _signatures_once() -> None:
    """gradio takes inspect.signature of a component's __init__ each time it builds one and each time it
    serializes the page (four passes over ~1000 components before the page is served, and on every page load):
    a fifth of the start-up. A class's constructor never changes, so each gets its signature computed once
    (inspect returns a function's __signature__ when it has one)."""
    classes = [gr.blocks.Block]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        init = cls.__dict__.get("__init__")
        for fn in (init, getattr(init, "__wrapped__", None)):  # gradio's updateable wrapper and the function
            if inspect.isfunction(fn) and "__signature__" not in fn.__dict__:
                fn.__signature__ = inspect.signature(fn)


class _LazyConfigs(dict):
    """A session's per-block configs (gradio's SessionState.config_values), each computed when first read."""

    def __init__(self, blocks_config, keys):
        super().__init__()
        self._blocks_config, self._pending = blocks_config, dict.fromkeys(keys)

    def _compute(self, key) -> None:
        if self._pending.pop(key, 0) is None:
            dict.__setitem__(self, key, self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key]))

    def _fill(self) -> None:
        for key in list(self._pending):
            self._compute(key)

    def __missing__(self, key):
        if key not in self._pending:
            raise KeyError(key)
        self._compute(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in self._pending

    def __setitem__(self, key, value) -> None:
        self._pending.pop(key, None)
        dict.__setitem__(self, key, value)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._pending)

    def items(self):
        self._fill()
        return dict.items(self)

    def keys(self):
        self._fill()
        return dict.keys(self)

    def values(self):
        self._fill()
        return dict.values(self)


def _lazy_session_configs() -> None:
    """gradio 6.31 computes every block's config for each new session (kept for deep links), ~80 ms for this
    app's ~960 blocks, on each student's first request: with a class arriving at once that was most of the
    server's work. Each block's config is computed when first read instead (deep links read them all), which
    gives the same configs. Only for the gradio release whose SessionState.__init__ this mirrors."""
    from gradio import state_holder

    if gr.__version__ != "6.31.0":
        return
    import copy
    import os

    def __init__(self, blocks):
        self.blocks_config = copy.copy(blocks.default_config)
        self.config_values = _LazyConfigs(self.blocks_config, [k for k in self.blocks_config.blocks if k in blocks.blocks])
        self.state_data = {}
        self._state_ttl = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600

    state_holder.SessionState.__init__ = __init__


_signatures_once()
_lazy_session_configs()
gradio_startup.install()


@dataclass(frozen=True)
class Context:
    """Everything a tab's build(ctx) gets: settings, the model manager, the label translator, and the
    record of what got wired (task id -> {field name: component}), which tests read."""

    settings: Settings
    models: ModelManager
    tr: Translator
    wired: dict = field(default_factory=dict)
    example_tables: list = field(default_factory=list)  # (Examples' dataset, English headers)
    showing: list = field(default_factory=list)  # the tabs whose select shows the sub-tab being built
    compare: dict = field(default_factory=dict)  # core.compare_ui: switches by picker id, views by task id


@dataclass(frozen=True)
class Panels:
    """The panels under every result: notes, code, raw JSON, details."""

    notes: gr.Markdown
    raw: gr.JSON
    code: gr.Code
    details: gr.JSON
    hood: Any = None  # "Under the hood": (accordion, HTML), drawn by core.steps_ui when opened

    def values(self, result: RunResult, lang: str = "en") -> dict:
        notes = "\n\n".join(n.text(lang) for n in result.notes)
        return {self.notes: gr.update(value=notes, visible=bool(notes)), self.raw: jsonable(result.output),
                self.code: result.code, self.details: result.details}

    @property
    def components(self) -> list:
        return [self.notes, self.raw, self.code, self.details]


# ---- widgets from declared fields ------------------------------------------------------------------------
def label_scores(items: list[dict]) -> dict[str, float]:
    """gr.Label's value for a pipeline's [{"label", "score"}, ...]: label -> score."""
    return {d["label"]: float(d["score"]) for d in items}


def widget(ctx: Context, task: TaskSpec, name: str, **overrides) -> gr.components.Component:
    """The gradio component for the task's input or parameter `name`, derived from its declaration (kind,
    range, step, default, label, help); elem_id is "<api_name>_<name>". overrides are layout only (scale,
    visible, elem_id, height...): the value, bounds and label always come from the field."""
    f = task.inputs[name] if name in task.inputs else task.params[name]
    kwargs: dict[str, Any] = {"label": ctx.tr(f.title), "elem_id": f"{task.api_name}_{f.name}"}
    if f.help:
        kwargs["info"] = ctx.tr(f.help)
    kwargs.update(dict(f.widget))
    kwargs.update(overrides)
    kwargs["_tr"] = ctx.tr
    return _component(f, kwargs)


def _component(f: Field, kwargs: dict) -> gr.components.Component:
    component = kwargs.pop("component", None)
    tr = kwargs.pop("_tr")
    if isinstance(f, (Int, Float)):
        precision = 0 if isinstance(f, Int) else None
        if component == "number":
            return gr.Number(value=f.default, minimum=f.minimum, maximum=f.maximum, step=f.step,
                             precision=precision, **kwargs)
        return gr.Slider(f.minimum, f.maximum, value=f.default, step=f.step, **kwargs)
    if isinstance(f, Bool):
        return gr.Checkbox(value=f.default, **kwargs)
    if isinstance(f, Choice):
        # (label, value): a choice the catalog translates shows in the reader's language, the value sent stays
        # the transformers value
        choices = [(tr(c), c) if translate(c, "ko") != c else (c, c) for c in f.choices]
        if component == "radio":
            return gr.Radio(choices, value=f.default, **kwargs)
        return gr.Dropdown(choices, value=f.default, **kwargs)
    if isinstance(f, Labels):
        return gr.Textbox(value=", ".join(f.default), max_length=f.max_items * (f.max_chars + 2), **kwargs)
    if isinstance(f, (Text, Lines)):
        if f.placeholder and "placeholder" not in kwargs:
            kwargs["placeholder"] = tr(f.placeholder)
        kwargs.setdefault("lines", f.lines)
        kwargs.setdefault("max_lines", max(kwargs["lines"], 20) if kwargs["lines"] > 1 else 1)
        return gr.Textbox(value=f.default, max_length=f.max_chars, **kwargs)
    if isinstance(f, File):
        media = {"image": gr.Image, "audio": gr.Audio, "video": gr.Video}.get(f.media)
        if media is None:
            return gr.File(**kwargs)
        if media is not gr.Video:  # the app reads and decodes the file itself
            kwargs.setdefault("type", "filepath")
        return media(**kwargs)
    if isinstance(f, Data):
        return gr.JSON(value=f.default, **kwargs)
    raise TypeError(f"no widget for {type(f).__name__}")


def widgets(ctx: Context, task: TaskSpec, *names: str, **overrides) -> dict[str, gr.components.Component]:
    """widget() for each name, in order: {name: component}, ready for wire()'s fields."""
    return {name: widget(ctx, task, name, **overrides) for name in names}


def model_picker(ctx: Context, task: TaskSpec, label: str = "Model", *, slot: int = 0) -> gr.Dropdown:
    """A dropdown of the curated and local models for task that also accepts any Hub id or folder.
    slot > 0: an extra picker of a multi-model task (empty by default, elem_id ..._model_<slot+1>)."""
    choices, default = ctx.models.choices(task)
    picker = gr.Dropdown(
        choices=choices,
        value=default if slot == 0 else None,
        label=ctx.tr(label),
        info=ctx.tr("Pick one, or type a Hub id (owner/name, optionally @revision) or a local folder"),
        allow_custom_value=True,
        filterable=True,
        elem_id=f"{task.api_name}_model" + (f"_{slot + 1}" if slot else ""),
    )
    if slot == 0 and task.multi_model == 1:  # "Compare models": two more pickers under this one
        from core import compare_ui

        compare_ui.switch(ctx, task, picker)
    return picker


def result_panels(ctx: Context, task: TaskSpec, code_hint: str = "") -> Panels:
    """Notes (hidden until a run has some), the Code panel (open; code_hint, translated, as a comment until
    the first run), raw JSON and details (collapsed); above them the view a comparison of models is drawn in
    (hidden until one runs)."""
    from core import compare_ui

    compare_ui.view(ctx, task)
    notes = gr.Markdown(visible=False, elem_id=f"{task.api_name}_notes", elem_classes=["run-notes"])
    code = gr.Code("# " + ctx.tr(code_hint) if code_hint else None, language="python",
                   label=ctx.tr("Code (transformers 5)"), interactive=False, max_lines=40,
                   elem_id=f"{task.api_name}_code")
    with gr.Accordion(ctx.tr("Raw output (JSON)"), open=False):
        raw = gr.JSON(label=ctx.tr("Raw output"), elem_id=f"{task.api_name}_raw")
    with gr.Accordion(ctx.tr("Details"), open=False):
        details = gr.JSON(label=ctx.tr("Details"), elem_id=f"{task.api_name}_details")
    from core import steps_ui

    return Panels(notes, raw, code, details, steps_ui.panel(ctx, task))


def takes_request(fn: Callable, names: list[str], *, progress: bool = False, optional: tuple = ()) -> Callable:
    """Give fn the signature gradio reads: `names` as positional parameters (they name the API's parameters),
    then `request` annotated gr.Request, which gradio fills (for the browser's language). gradio injects the
    request only into a positional parameter, and reads the annotation as a class, not a string. progress:
    then a gr.Progress parameter too (gradio sends progress texts only for events that declare one). optional:
    names that default to None (the API's clients may leave them out, such as model_2); the request after them
    keeps no default, so the signature is not validated."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    tracker = [inspect.Parameter("progress", kind, default=gr.Progress())] if progress else []
    fn.__signature__ = inspect.Signature(
        [inspect.Parameter(n, kind, **({"default": None} if n in optional else {})) for n in names]
        + [inspect.Parameter("request", kind, annotation=gr.Request), *tracker], __validate_parameters__=False)
    fn.__annotations__ = {"request": gr.Request}
    return fn


def error_text(task: TaskSpec, err: UserError, lang: str) -> str:
    """A refused run's line in the browser. In English it is the API's and the CLI's line (a field named by
    its parameter name); in Korean the field is named by its Korean label, then its name, and the rule it
    broke is translated too."""
    if err.key != "bad_param" or lang == "en":
        return err.text(lang)
    params = dict(err.params)
    name = str(params.get("name", ""))
    f = task.inputs[name] if name in task.inputs else task.params[name] if name in task.params else None
    if f is not None and f.title != name:
        params["name"] = f"{translate(f.title, lang)} ({name})"
    params["detail"] = translate_detail(str(params.get("detail", "")), lang)
    return UserError(err.key, **params).text(lang)


class _Kept:
    """A bounded map, least recently put out beyond `size`: e.g. the last few runs' `later` makers (see wire),
    by (session, event), until the page's follow-up event takes them (API clients never ask)."""

    def __init__(self, size: int = 64):
        self.size = size
        self.items: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()

    def put(self, key: tuple, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def get(self, key: tuple) -> Any:
        with self.lock:
            return self.items.get(key)

    def pop(self, key: tuple) -> Any:
        with self.lock:
            return self.items.pop(key, None)


_LATER = _Kept()


def _made(value: Any) -> Any:
    """A `later` output's value: its maker called (and the maker it may give, in turn)."""
    while callable(value):
        value = value()
    return value


class _Shown:
    """Which sessions' notes panels are shown, so that a run without notes sends its (empty) value alone: an
    update that hides the panel makes gradio build a new component for it, several ms per answer. A session
    not remembered has its panel as the page built it, hidden; a run with notes always sends its update."""

    def __init__(self, size: int = 8192):
        self.size = size
        self.shown: OrderedDict[tuple, bool] = OrderedDict()
        self.lock = threading.Lock()

    def value(self, session: str | None, component: Any, update: dict) -> Any:
        key = (session, component._id)
        with self.lock:
            if session is None:
                return update
            if not update["visible"] and not self.shown.get(key, False):
                return update["value"]  # hidden already: no update needed
            self.shown[key] = bool(update["visible"])
            self.shown.move_to_end(key)
            while len(self.shown) > self.size:
                self.shown.popitem(last=False)
        return update


_NOTES = _Shown()


def wire(
    ctx: Context,
    task: TaskSpec,
    trigger: Any,
    fields: dict[str, gr.components.Component],
    model: gr.Dropdown | list[gr.Dropdown],
    render: Callable[[RunResult], dict],
    panels: Panels,
    outputs: list,
    *,
    triggers: list | None = None,
    concurrency_limit: int = 2,
    concurrency_id: str | None = None,
    later: list | None = None,
) -> None:
    """Connect trigger (e.g. a Run button) to the task, one event with api_name = task id with '_'.

    fields: argument name -> input component (the task's input and parameter names, which are also the
    API's parameter names); model: the picker, or a list of pickers for a multi-model task (the API then
    takes model, model_2, ...). render(result) -> {component: value} for the drawn result; result is the
    RunResult (output, parsed inputs and params, facts, notes); the notes and panels are filled here. A
    UserError becomes a one-line gr.Error in the browser's language.

    later: outputs made only for the browser, once the answer is out (files to download): render gives each a
    function of no arguments that makes its value, and a follow-up event of the page runs it. They are not
    outputs of the API (its clients would wait for, and download, files they have as JSON already).
    """
    names = list(fields)
    pickers = model if isinstance(model, list) else [model]
    model_names = ["model"] + [f"model_{i + 1}" for i in range(1, len(pickers))]
    components = [fields[n] for n in names] + pickers
    ctx.wired[task.id] = dict(fields)
    from core import compare_ui, steps_ui
    from core.compare import as_json, compare

    comparing = compare_ui.attached(ctx, task, pickers)  # (switch, view): model_2 / model_3 compare models
    if comparing is not None:  # the view is drawn for the page after the answer: the API gets the raw list
        components += list(comparing[0].pickers)
        model_names += list(compare_ui.SLOTS)
    # the comparison's view is drawn by a follow-up event of the page (the API answers with the raw list); a
    # ZeroGPU worker process keeps nothing for a follow-up, so there the comparison has no view
    view = comparing[1] if comparing is not None and not zero_gpu() else None

    # on ZeroGPU the handler runs in a worker process (spaces.GPU): what it keeps for a follow-up event stays
    # there, so the `later` outputs are made with the answer and sent as ordinary outputs
    eager = [c for c in outputs if c in (later or ())] if zero_gpu() else []
    deferred = [] if eager else [c for c in outputs if c in (later or ())]

    def call_of(args) -> tuple[Any, dict, dict, str, str | None]:
        """(model id or ids, inputs, params, language, session) from gradio's positional args (request last)."""
        *values, request, _ = args  # the last one is the gr.Progress (load_stages reports through it)
        given = dict(zip(names, values[:len(names)]))
        chosen = values[len(names):]
        model_id = chosen[0] if len(pickers) == 1 else [m for m in chosen if m]
        inputs = {k: v for k, v in given.items() if k in task.inputs}
        params = {k: v for k, v in given.items() if k not in task.inputs}
        session = getattr(request, "session_hash", None)
        steps_ui.remember(session, task, model_id, inputs, params)  # for "Under the hood" (core.steps_ui)
        return model_id, inputs, params, language_of(request), session

    def others_of(args) -> list[str]:
        """The compare pickers' models (model_2, model_3) that were given: none without a comparison."""
        if comparing is None:
            return []
        given = args[len(names) + 1:len(names) + 1 + len(compare_ui.SLOTS)]
        return [m for m in given if isinstance(m, str) and m.strip()]

    def shown(drawn: dict, lang: str) -> dict:
        return {c: localized_table(c, v, lang) if isinstance(c, gr.Dataframe) else v for c, v in drawn.items()}

    def outputs_for(result: RunResult, lang: str, session: str | None, compared: list | None = None) -> dict:
        with speaking(lang):  # texts made by render (core.i18n.say) follow the browser
            drawn = render(result)
            makers = {c: drawn.pop(c) for c in deferred if c in drawn}
            drawn.update({c: _made(drawn[c]) for c in eager if c in drawn})
            values = {**shown(drawn, lang), **panels.values(result, lang)}
            if compared:  # the raw JSON of a comparison: the CLI's list, one {model, output, details} per model
                values[panels.raw] = jsonable(as_json(compared))
        values[panels.notes] = _NOTES.value(session, panels.notes, values[panels.notes])
        if makers and session is not None:
            _LATER.put((session, id(deferred[0])), (lang, makers))
        # kept for a comparison, or to hide this page's view that one showed (not for every single run: the
        # kept makers are bounded, and other outputs' downloads wait in the same place)
        if view is not None and session is not None and (compared or _NOTES.shown.get((session, view._id))):
            _LATER.put((session, id(view)), (lang, {view: compare_ui.maker(
                compared, render, lang, lambda u: _NOTES.value(session, view, u))}))
        return values

    def fail(err: UserError, lang: str):
        ctx.models.log_user_error(task, err)
        raise gr.Error(error_text(task, err, lang), title=translate("Error", lang), print_exception=False) from None

    if task.stream is None:
        def handler(*args):
            model_id, inputs, params, lang, session = call_of(args)
            try:
                if others := others_of(args):
                    compared = compare(ctx.models, task, [model_id, *others], inputs, params, report=load_stages(lang))
                    return outputs_for(compared[0].result, lang, session, compared)
                result = ctx.models.run(task, model_id, inputs, params, report=load_stages(lang))
                return outputs_for(result, lang, session)
            except UserError as err:
                fail(err, lang)
    else:
        def handler(*args):
            model_id, inputs, params, lang, session = call_of(args)
            try:
                if others := others_of(args):  # each model's whole run, not streamed
                    compared = compare(ctx.models, task, [model_id, *others], inputs, params, report=load_stages(lang))
                    yield outputs_for(compared[0].result, lang, session, compared)
                    return
                for result in ctx.models.stream(task, model_id, inputs, params, report=load_stages(lang)):
                    yield outputs_for(result, lang, session)
            except UserError as err:
                fail(err, lang)

    takes_request(handler, [*names, *model_names], progress=True, optional=compare_ui.SLOTS if comparing else ())
    handler.__name__ = task.api_name

    all_outputs = [c for c in outputs if c not in deferred] + panels.components
    handler = gpu_wrapped(handler, all_outputs)  # under spaces.GPU on a ZeroGPU Space (core.hardware), else itself
    if ctx.models.batches(task) and concurrency_id is None:  # enough requests at once to fill a batch
        concurrency_limit = max(concurrency_limit, ctx.settings.max_batch)  # (a shared queue keeps its own)
    event = gr.on(
        triggers=[trigger] + list(triggers or []),
        fn=handler,
        inputs=components,
        outputs=all_outputs,
        api_name=task.api_name,
        concurrency_limit=concurrency_limit,
        concurrency_id=concurrency_id,
        # the fields parse what was sent (gradio's own preprocessing would answer out-of-range numbers and odd
        # files with its own untranslated messages before the app sees them); uploads still go through
        # gradio's upload-folder checks
        preprocess=False,
    )
    steps_ui.attach(ctx, task, event, panels.hood)
    if deferred:
        _follow_up(event, deferred, shown)
    if view is not None:
        _follow_up(event, [view], lambda drawn, lang: drawn)


def _follow_up(event: Any, deferred: list, shown: Callable[[dict, str], dict]) -> None:
    """The page's follow-up to a run's event: the `deferred` outputs, made by the makers the run kept."""
    def finish(request):
        made = _LATER.pop((getattr(request, "session_hash", None), id(deferred[0])))
        if made is None:  # a newer run of this page made them already
            return gr.skip()
        lang, makers = made
        with speaking(lang):
            values = shown({c: _made(makers[c]) for c in deferred if c in makers}, lang)
        values = [values.get(c, gr.skip()) for c in deferred]
        return values if len(values) > 1 else values[0]  # (one output: gradio takes a list for its value)

    takes_request(finish, [])
    event.success(finish, None, deferred, api_visibility="private", queue=False, show_progress="hidden")


LOAD_STAGES = {
    "download": "Downloading {model} ({done} of {total})",
    "load": "Loading model {model}…",
    "loaded": "Loaded {model} in {seconds:.1f} s; running…",
}


def megabytes(mb: float) -> str:
    return f"{mb * 1000:.0f} kB" if mb < 1 else f"{mb:.0f} MB" if mb < 1000 else f"{mb / 1000:.2f} GB"


def load_stages(lang: str) -> Callable[..., None]:
    """report(stage, **values) for the model manager: a model's download and load shown as the event's progress
    text in the browser's language (a cached model reports nothing, so gradio's own timer shows alone).
    Downloads report from huggingface_hub's threads: the event's context is carried along, one at a time."""
    tracker = gr.Progress()
    context = contextvars.copy_context()
    lock = threading.Lock()

    def report(stage: str, **values) -> None:
        fraction = 1.0 if stage == "loaded" else 0.0  # gradio's status shows a text only beside a level
        if stage == "download":
            fraction = min(1.0, values["done"] / values["total"]) if values["total"] else 0.0
            values = {**values, "done": megabytes(values["done"]), "total": megabytes(values["total"])}
        text = translate(LOAD_STAGES[stage], lang).format(**values)
        with lock:
            try:
                context.run(tracker, fraction, desc=text)
            except RuntimeError:  # the context is entered already (a report inside a report): skip this one
                pass

    return report


class _ClickTimeExamples(gr.helpers.Examples):
    """gr.Examples that prepares an example for its input (gradio probes every audio and video file with
    ffprobe and copies files into its cache) when the example is clicked, not at build: building all of them
    was most of the app's start-up. The table itself is built as gradio builds it."""

    _building = False

    def __init__(self, *args, **kwargs):
        self._building = True
        try:
            super().__init__(*args, **kwargs, _initiated_directly=False)
        finally:
            self._building = False
        self.non_none_processed_examples.clear()

    def _get_processed_example(self, example):
        if self._building:
            return []
        done = self.non_none_processed_examples
        if example in done:
            return done[example]
        processed = super()._get_processed_example(example)
        # the declared rows are kept; a session's own rows are not (deep_equal: rows may hold DataFrames)
        if any(gr.utils.deep_equal(example, row) for row in self.non_none_examples):
            done[example] = processed
        return processed


def examples(ctx: Context, rows: list[list], inputs: list, label: str = "Examples") -> gr.helpers.Examples:
    """gr.Examples whose column headers are the inputs' labels as text (gradio shows I18n keys raw there; a
    Korean page gets them translated on load, see korean_headers); an example is prepared when clicked."""
    ex = _ClickTimeExamples(examples=rows, inputs=inputs, label=ctx.tr(label))
    ex.create()
    headers = [ctx.tr.text(c.label) for c in inputs]
    ex.dataset.headers = headers
    ex.dataset.constructor_args["headers"] = headers  # kept when a session's rows change (new_rows)
    ctx.example_tables.append((ex.dataset, headers))
    return ex


def new_rows(rows: list[list]) -> gr.Dataset:
    """The update that replaces an Examples table's rows for this browser (an output that is ex.dataset)."""
    return gr.Dataset(samples=rows)


def follow_model(picker: gr.Dropdown, fn: Callable[[str], Any], outputs: list) -> None:
    """Call fn(model id) when the picker changes (examples and fields that depend on the model)."""
    picker.change(fn, [picker], outputs, api_visibility="private", show_progress="hidden")


def localized_table(component: gr.Dataframe, value: Any, lang: str) -> Any:
    """A result table's value with its column headers in lang: rows get the component's headers, a
    {"headers", "data"} dict or a DataFrame its own, translated (the API's English client sees no change)."""
    return _localized(value, component.headers, lang)


def _localized(value: Any, headers: list | None, lang: str) -> Any:
    if lang == "en" or value is None:
        return value
    if isinstance(value, dict) and value.get("__type__") == "update":  # its own headers win
        if "value" not in value:
            return value
        return {**value, "value": _localized(value["value"], value.get("headers") or headers, lang)}
    if isinstance(value, dict) and "headers" in value:
        return {**value, "headers": [translate(str(h), lang) for h in value["headers"]]}
    if isinstance(value, list) and headers and all(isinstance(row, list) and len(row) == len(headers)
                                                   for row in value):
        return {"headers": [translate(str(h), lang) for h in headers], "data": value}
    if hasattr(value, "rename") and hasattr(value, "columns"):  # a pandas DataFrame
        return value.rename(columns={c: translate(str(c), lang) for c in value.columns})
    return value


def korean_headers(ctx: Context, demo: gr.Blocks) -> None:
    """On page load, a Korean browser gets every Examples table's and empty result table's headers in Korean
    (gradio translates a component's label and info, not a table's headers)."""
    tables = [(dataset, [translate(h, "ko") for h in headers]) for dataset, headers in ctx.example_tables
              if len(headers) > 1]
    tables = [(dataset, korean) for dataset, korean in tables
              if korean != dataset.constructor_args["headers"]]
    results = [(frame, [translate(str(h), "ko") for h in frame.headers]) for frame in demo.blocks.values()
               if isinstance(frame, gr.Dataframe) and frame.headers and not _has_rows(frame.value)]
    results = [(frame, korean) for frame, korean in results if korean != list(frame.headers)]
    if not tables and not results:
        return

    def load(request):
        if language_of(request) != "ko":
            return [gr.skip()] * (len(tables) + len(results))
        return ([gr.Dataset(headers=korean) for _, korean in tables]
                + [gr.Dataframe(value={"headers": korean, "data": []}, headers=korean) for _, korean in results])

    takes_request(load, [])
    demo.load(load, None, [dataset for dataset, _ in tables] + [frame for frame, _ in results],
              api_visibility="private", queue=False, show_progress="hidden")


def _has_rows(value: Any) -> bool:
    data = value.get("data") if isinstance(value, dict) else value
    return bool(data) and any(any(cell not in ("", None) for cell in row) for row in data)


def subtab_layout(ctx: Context, tasks: tuple[TaskSpec, ...]) -> None:
    """Each task's build(ctx) in a sub-tab of its own, in order."""
    from gradio.context import get_render_context

    parent = get_render_context()  # the top-level tab: selecting it shows the first sub-tab
    with gr.Tabs(overflow_behavior="wrap"):  # every sub-tab stays visible: no "more tabs" menu
        for i, task in enumerate(tasks):
            with gr.Tab(ctx.tr(task.title), id=task.id, elem_id=f"task_{task.api_name}") as tab:
                ctx.showing[:] = [tab]
                if i == 0 and isinstance(parent, gr.Tab):
                    ctx.showing.append(parent)
                    if parent.parent is not None and parent.parent.children[0] is parent:
                        ctx.showing.append("load")  # the sub-tab the page opens on
                task.build(ctx)
        ctx.showing.clear()
        from core.dataset_ui import dataset_subtab

        dataset_subtab(ctx, tasks)  # one Dataset sub-tab per task tab, after its tasks (issue 15)
    ctx.showing.clear()


def when_shown(ctx: Context, fn: Callable, inputs: list, outputs: list) -> None:
    """Call fn when the sub-tab being built is opened (or, for the sub-tab the page opens on, when the page
    loads): for work its widgets need only once someone looks at them, never before the page is served."""
    from gradio.context import Context as Building

    if not ctx.showing:
        raise RuntimeError("when_shown is for a task built in a sub-tab of subtab_layout")
    if not ctx.showing:
        raise RuntimeError("when_shown is for a task built in a sub-tab of subtab_layout")
    options = dict(api_visibility="private", queue=False, show_progress="hidden")
    tabs = [tab for tab in ctx.showing if tab != "load"]
    gr.on([tab.select for tab in tabs], fn, inputs, outputs, **options)
    if "load" in ctx.showing:
        Building.root_block.load(fn, inputs, outputs, **options)



I18N_MARK = "__i18n__"


def readable_api_info(demo: gr.Blocks, tr: Translator) -> None:
    """The "Use via API" page and /gradio_api/info name parameters by their English labels: gradio puts an I18n
    label there as its "__i18n__{...}" marker (or the I18nData itself), which the API page draws as
    "[object Object]"."""
    import json

    from gradio.i18n import I18nData

    def plain(value):
        if isinstance(value, I18nData):
            return tr.en.get(value.key, value.key)
        if isinstance(value, str) and value.startswith(I18N_MARK):
            try:
                key = json.loads(value[len(I18N_MARK):]).get("key", "")
            except (ValueError, AttributeError):
                return value
            return tr.en.get(key, key)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    original = demo.get_api_info

    def get_api_info(all_endpoints: bool = False, page: str | None = None):
        return plain(original(all_endpoints=all_endpoints, page=page))

    demo.get_api_info = get_api_info
