"""What the app offers: tabs (one per demos/ module) and the tasks they run, found through specs.

A demo module declares `SPEC = TabSpec(...)`; `discover()` imports every module in `demos/` and returns
their specs ordered. Adding a task or a tab touches one module and its tests, never app.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


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
class TaskSpec:
    """One runnable task.

    run(loaded, inputs, params) -> JSON-ready result; `loaded` is a pipeline or a Bundle.
    stream(loaded, inputs, params) -> iterator of partial JSON-ready results (optional).
    code(ref, inputs, params, place) -> the transformers 5 snippet that reproduces the run;
      ref has .source (Hub id or absolute folder) and .revision; place has .device/.dtype strings.
    inputs: input names (the first is the CLI's positional INPUT); file_inputs: those that are paths.
    params: parameter defaults; their types coerce CLI --param values.
    architectures: suffixes of config.architectures that fit the task (local model discovery).
    fits: an extra test a local model (core.local_models.LocalModel) must pass, for suffixes that other
      modalities share (LayoutLMForQuestionAnswering is not extractive text QA).
    postprocess(output, inputs, params) -> the final output (optional): model-free work on run's output that
      may take long (e.g. a t-SNE of the vectors); it runs after the model's lock is released, so other
      runs of the same model do not wait for it.
    cli_lines: the CLI's `run` prints a list output as JSON Lines, one item per line (e.g. one vector per
      text, one matrix row per line), instead of one indented JSON document.
    """

    id: str
    title: str
    loader: Loader
    default_model: str
    run: Callable[..., Any]
    code: Callable[..., str]
    models: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ("text",)
    file_inputs: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    architectures: tuple[str, ...] = ()
    model_types: tuple[str, ...] = ()
    stream: Callable[..., Iterator[Any]] | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    postprocess: Callable[..., Any] | None = None
    cli_lines: bool = False
    fits: Callable[[Any], bool] | None = None

    @property
    def api_name(self) -> str:
        return self.id.replace("-", "_")


@dataclass(frozen=True)
class TabSpec:
    """One top-level tab: a demos/ module's declaration of its tasks and its `build(ctx)`."""

    id: str
    title: str
    order: int
    tasks: tuple[TaskSpec, ...]
    build: Callable[[Any], None]
    korean: dict[str, str] = field(default_factory=dict)


def discover(package: str = "demos") -> list[TabSpec]:
    """Import every module of `package` that defines SPEC; returns the specs sorted by order."""
    pkg = importlib.import_module(package)
    specs = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, TabSpec):
            specs.append(spec)
    specs.sort(key=lambda s: (s.order, s.id))
    return specs


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
