"""Widgets and wiring shared by every tab: model picker, result panels, and the run handler."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from core.errors import UserError
from core.i18n import Translator, language_of, speaking
from core.models import ModelManager, RunResult
from core.registry import TabSpec, TaskSpec
from core.settings import Settings


@dataclass(frozen=True)
class Context:
    """Everything a tab's build(ctx) gets: settings, the model manager, and the label translator."""

    settings: Settings
    models: ModelManager
    tr: Translator


@dataclass(frozen=True)
class Panels:
    """The panels under every result: raw JSON, code, details."""

    raw: gr.JSON
    code: gr.Code
    details: gr.JSON

    def values(self, result: RunResult) -> dict:
        return {self.raw: jsonable(result.output), self.code: result.code, self.details: result.details}


def jsonable(value: Any) -> Any:
    """value with numpy/torch scalars and arrays turned into plain Python (for gr.JSON)."""
    return json.loads(json.dumps(value, default=_default))


def _default(obj: Any):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def model_picker(ctx: Context, task: TaskSpec, label: str = "Model") -> gr.Dropdown:
    """A dropdown of the curated and local models for task that also accepts any Hub id or folder."""
    choices, default = ctx.models.choices(task)
    return gr.Dropdown(
        choices=choices,
        value=default,
        label=ctx.tr(label),
        info=ctx.tr("Pick one, or type a Hub id (owner/name, optionally @revision) or a local folder"),
        allow_custom_value=True,
        filterable=True,
        elem_id=f"{task.api_name}_model",
    )


def result_panels(ctx: Context, task: TaskSpec) -> Panels:
    """Code panel (open), raw JSON and details (collapsed)."""
    code = gr.Code(language="python", label=ctx.tr("Code (transformers 5)"), interactive=False, max_lines=40,
                   elem_id=f"{task.api_name}_code")
    with gr.Accordion(ctx.tr("Raw output (JSON)"), open=False):
        raw = gr.JSON(label=ctx.tr("Raw output"), elem_id=f"{task.api_name}_raw")
    with gr.Accordion(ctx.tr("Details"), open=False):
        details = gr.JSON(label=ctx.tr("Details"), elem_id=f"{task.api_name}_details")
    return Panels(raw, code, details)


def _split(task: TaskSpec, values: dict) -> tuple[dict, dict]:
    inputs = {k: v for k, v in values.items() if k in task.inputs}
    params = {k: v for k, v in values.items() if k not in task.inputs}
    return inputs, params


def takes_request(fn: Callable, names: list[str]) -> Callable:
    """Give fn the signature gradio reads: `names` as positional parameters (they name the API's parameters),
    then `request` annotated gr.Request, which gradio fills (for the browser's language). gradio injects the
    request only into a positional parameter, and reads the annotation as a class, not a string."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fn.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in names]
                                         + [inspect.Parameter("request", kind, annotation=gr.Request)])
    fn.__annotations__ = {"request": gr.Request}
    return fn


def wire(
    ctx: Context,
    task: TaskSpec,
    trigger: Any,
    fields: dict[str, gr.components.Component],
    model: gr.Dropdown,
    render: Callable[[Any, dict, dict], dict],
    panels: Panels,
    outputs: list,
    *,
    triggers: list | None = None,
    concurrency_limit: int = 2,
    concurrency_id: str | None = None,
) -> None:
    """Connect trigger (e.g. a Run button) to the task with api_name = task id with '_'.

    fields: argument name -> input component (names are the task's input and parameter names, and
    the API's parameter names). render(output, inputs, params) -> {component: value} for the drawn
    result. A UserError becomes a one-line gr.Error in the browser's language. concurrency_limit /
    concurrency_id: gradio's queue for the event (heavy work can get a queue of its own).
    """
    names = list(fields)
    components = [fields[n] for n in names] + [model]

    def values_of(args) -> tuple[str, dict, dict, str]:
        """(model id, inputs, params, language) from gradio's positional args (request last)."""
        *values, model_id, request = args
        inputs, params = _split(task, dict(zip(names, values)))
        return model_id, inputs, params, language_of(request)

    def outputs_for(result: RunResult, inputs: dict, params: dict, lang: str) -> dict:
        with speaking(lang, ctx.tr.korean):  # notes made by render (core.i18n.say) follow the browser
            return {**render(result.output, inputs, params), **panels.values(result)}

    if task.stream is None:
        def handler(*args):
            model_id, inputs, params, lang = values_of(args)
            try:
                result = ctx.models.run(task, model_id, inputs, params)
                return outputs_for(result, inputs, params, lang)
            except UserError as err:
                raise gr.Error(err.text(lang), print_exception=False) from None
    else:
        def handler(*args):
            model_id, inputs, params, lang = values_of(args)
            try:
                for result in ctx.models.stream(task, model_id, inputs, params):
                    yield outputs_for(result, inputs, params, lang)
            except UserError as err:
                raise gr.Error(err.text(lang), print_exception=False) from None

    takes_request(handler, [*names, "model"])
    handler.__name__ = task.api_name

    all_outputs = list(outputs) + [panels.raw, panels.code, panels.details]
    events = [trigger] + list(triggers or [])
    gr.on(
        triggers=events,
        fn=handler,
        inputs=components,
        outputs=all_outputs,
        api_name=task.api_name,
        concurrency_limit=concurrency_limit,
        concurrency_id=concurrency_id,
    )


def examples(ctx: Context, rows: list[list], inputs: list, label: str = "Examples") -> gr.Examples:
    """gr.Examples whose column headers are the inputs' labels as text (gradio shows I18n keys raw there)."""
    ex = gr.Examples(examples=rows, inputs=inputs, label=ctx.tr(label))
    ex.dataset.headers = [ctx.tr.text(c.label) for c in inputs]
    return ex


def subtab_spec(id: str, title: str, order: int, tasks, korean: dict[str, str]) -> TabSpec:
    """The TabSpec of a tab that shows each task as a sub-tab, in the order given.

    tasks: ((TaskSpec, build_fn(ctx)), ...); korean: the tab's Korean labels (title and sub-tabs)."""
    tasks = tuple(tasks)

    def build(ctx: Context) -> None:
        with gr.Tabs():
            for task, build_task in tasks:
                with gr.Tab(ctx.tr(task.title), id=task.id, elem_id=f"task_{task.api_name}"):
                    build_task(ctx)

    return TabSpec(id=id, title=title, order=order, tasks=tuple(task for task, _ in tasks), build=build,
                   korean=korean)
