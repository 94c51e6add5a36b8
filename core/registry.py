"""What the app offers: tabs (one per demos/ module) and the tasks they run, found through specs.

A tab is a package in `demos/` whose `__init__` declares `SPEC = TabSpec(...)` (usually `subtabs(...)` over
its task files, one per task id); `discover()` imports every package and returns their specs ordered.
Adding a task touches one task file (and its tab's list of tasks) and one test file, never app.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.errors import UserError
from core.params import Fields, File


@dataclass(frozen=True)
class Loader:
    """How the model manager loads a task's model.

    kind "pipeline": `transformers.pipeline(pipeline_task, model=...)`.
    kind "auto": `model_class.from_pretrained(...)` (a transformers class name, or None for processor-only
    tasks such as tokenization) with `processor_class.from_pretrained(...)` beside it.
    """

    kind: str
    pipeline_task: str | None = None
    model_class: str | None = None
    processor_class: str | None = None
    model_kwargs: tuple[tuple[str, Any], ...] = ()

    @staticmethod
    def pipeline(task: str) -> Loader:
        return Loader("pipeline", pipeline_task=task)

    @staticmethod
    def auto(model_class: str | None, processor_class: str | None = "AutoTokenizer", **model_kwargs) -> Loader:
        return Loader("auto", model_class=model_class, processor_class=processor_class,
                      model_kwargs=tuple(sorted(model_kwargs.items())))


@dataclass(frozen=True)
class Output:
    """What a run returns when it knows more than the raw JSON: value (the API's and the CLI's output),
    notes (core.i18n.Note: what was cut, windowed, scaled; shown under the result and printed by the CLI)
    and facts (view-only data such as a decoded image, never in the JSON). A run may also return the bare
    value."""

    value: Any
    notes: tuple = ()
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TaskSpec:
    """One runnable task, declared in its own file (demos/<tab>/<task_id>.py).

    run(loaded, inputs, params) -> the JSON-ready result, or an Output with notes and facts; `loaded` is
      a pipeline or a Bundle (a list of them, one per model, when multi_model > 1). inputs and params
      arrive parsed by their fields: typed, within bounds, defaults filled in.
    stream(loaded, inputs, params) -> iterator of partial results (optional).
    code(ref, inputs, params, place) -> the transformers 5 snippet that reproduces the run (parsed values);
      ref has .source (Hub id or absolute folder) and .revision (a list of refs when multi_model > 1);
      place has .device/.dtype strings.
    inputs / params: the fields (core.params), each declared once; the first input is the CLI's positional
      INPUT. File fields are the file inputs.
    architectures: suffixes of config.architectures that fit the task (local model discovery).
    fits: an extra test a local model (core.local_models.LocalModel) must pass, for suffixes that other
      modalities share (LayoutLMForQuestionAnswering is not extractive text QA).
    postprocess(output, inputs, params) -> the final output (optional): model-free work on run's output that
      may take long (e.g. a t-SNE of the vectors); it runs after the model's lock is released.
    cli_lines: the CLI's `run` prints a list output as JSON Lines, one item per line.
    multi_model: how many models one run takes at most (tokenizer compare: several tokenizers at once).
    batched: (pipeline tasks) run's model work is calls of the loaded pipeline, `pipe(x, **kwargs)` with one
      input or a list, each item answered alone: the manager gives run a proxy that merges concurrent
      requests' calls with equal kwargs into one list call (core.batching); run itself stays as it is.
    batch(loaded, inputs_list, params) -> one result per inputs dict (a value or an Output, as run would give
      it): (AutoClass tasks) the manager merges concurrent requests with equal params into one call; run
      stays the single-request path. A batch that raises is retried request by request, so a bad input
      fails alone.
    build(ctx): the task's widgets (a sub-tab's content); it imports gradio itself, so importing a task file
      never imports gradio.
    """

    id: str
    title: str
    loader: Loader
    default_model: str
    run: Callable[..., Any]
    code: Callable[..., str]
    models: tuple[str, ...] = ()
    inputs: Fields = field(default_factory=Fields)
    params: Fields = field(default_factory=Fields)
    architectures: tuple[str, ...] = ()
    model_types: tuple[str, ...] = ()
    stream: Callable[..., Iterator[Any]] | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    postprocess: Callable[..., Any] | None = None
    cli_lines: bool = False
    fits: Callable[[Any], bool] | None = None
    multi_model: int = 1
    build: Callable[[Any], None] | None = None
    batched: bool = False
    batch: Callable[..., list] | None = None

    def __post_init__(self):
        for name in ("inputs", "params"):
            value = getattr(self, name)
            if not isinstance(value, Fields):
                object.__setattr__(self, name, Fields(tuple(value)))
        clash = set(self.inputs) & set(self.params)
        if clash:
            raise ValueError(f"{self.id}: {sorted(clash)} declared as input and parameter")

    @property
    def api_name(self) -> str:
        return self.id.replace("-", "_")

    @property
    def file_inputs(self) -> tuple[str, ...]:
        """The inputs that are files (given as paths)."""
        return tuple(n for n, f in self.inputs.items() if isinstance(f, File))

    def defaults(self) -> dict[str, Any]:
        """Every parameter's default (the Code panel's and the CLI's starting point)."""
        return self.params.defaults()

    def parse(self, inputs: dict, params: dict) -> tuple[dict, dict]:
        """(inputs, params) parsed by their fields: typed, bounded, defaults filled in. A value may come
        under either dict (an API call names them all alike) and under a transformers alias. UserError
        ("bad_param", "too_large", "empty_input") for the first value that does not fit."""
        given_inputs: dict[str, Any] = {}
        given_params: dict[str, Any] = {}
        for key, value in {**params, **inputs}.items():
            if key in self.inputs:
                given_inputs[self.inputs.canonical(key)] = value
            elif key in self.params:
                given_params[self.params.canonical(key)] = value
            else:
                known = ", ".join([*self.inputs, *self.params]) or "none"
                raise UserError("bad_param", name=key, detail=f"{self.id} takes: {known}")
        params = self.params.parse(given_params)  # first: a bad parameter is named even without an input
        return self.inputs.parse(given_inputs), params


@dataclass(frozen=True)
class TabSpec:
    """One top-level tab: a demos/ package's declaration of its tasks and its `build(ctx)`."""

    id: str
    title: str
    order: int
    tasks: tuple[TaskSpec, ...]
    build: Callable[[Any], None]


def subtabs(id: str, title: str, order: int, tasks: tuple[TaskSpec, ...] | list[TaskSpec]) -> TabSpec:
    """The TabSpec of a tab that shows each task as a sub-tab (its `build`), in the order given."""
    tasks = tuple(tasks)

    def build(ctx) -> None:
        from core.ui import subtab_layout

        subtab_layout(ctx, tasks)

    return TabSpec(id=id, title=title, order=order, tasks=tasks, build=build)


def _declared(package: str, name: str, kind: type) -> list:
    """The `name` attribute (a `kind`) of every public module of `package`, in file order."""
    pkg = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            value = getattr(importlib.import_module(f"{package}.{info.name}"), name, None)
            if isinstance(value, kind):
                found.append(value)
    return found


def task_modules(package: str, order: tuple[str, ...] = ()) -> tuple[TaskSpec, ...]:
    """The TASK of every module in `package` (one file per task, named by its id), in the order of task
    ids given; a task file the order does not name comes after, by id. So a new task is one new file."""
    rank = {task_id: i for i, task_id in enumerate(order)}
    return tuple(sorted(_declared(package, "TASK", TaskSpec), key=lambda t: (rank.get(t.id, len(rank)), t.id)))


def discover(package: str = "demos") -> list[TabSpec]:
    """The SPEC of every tab package in `package`, sorted by their order."""
    return sorted(_declared(package, "SPEC", TabSpec), key=lambda s: (s.order, s.id))


def all_tasks(tabs: list[TabSpec]) -> dict[str, tuple[TabSpec, TaskSpec]]:
    """task id and every alias -> (tab, task); duplicate ids are a programming error."""
    table: dict[str, tuple[TabSpec, TaskSpec]] = {}
    for tab in tabs:
        for task in tab.tasks:
            for name in (task.id, *task.aliases):
                if name in table:
                    raise ValueError(f"task id {name!r} declared twice")
                table[name] = (tab, task)
    return table
