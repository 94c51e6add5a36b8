"""Headless commands sharing the app's code: `tasks`, `run`, `offline-pack`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from core.errors import UserError
from core.jsonable import jsonable
from core.local_models import fits
from core.models import ModelManager
from core.registry import TabSpec, TaskSpec, all_tasks


def tabs_for(task_id: str, package: str = "demos") -> list[TabSpec] | None:
    """[the tab whose folder holds task_id's file, `<package>/<tab>/<task_id>.py`], importing that tab alone (the
    CLI's `run` need not import the other tabs' tasks); None when no file is named so, e.g. an alias."""
    import importlib
    import importlib.util

    name = task_id.replace("-", "_")
    if not name.isidentifier():
        return None
    root = Path(importlib.util.find_spec(package).origin).parent
    for folder in sorted(root.iterdir()):
        if (folder / f"{name}.py").is_file() and (folder / "__init__.py").is_file():
            spec = getattr(importlib.import_module(f"{package}.{folder.name}"), "SPEC", None)
            if isinstance(spec, TabSpec) and any(t.id == task_id for t in spec.tasks):
                return [spec]
    return None


def task_table(tabs: list[TabSpec], manager: ModelManager) -> list[dict]:
    """One row per task: id, aliases, tab, API name, default model, local models that fit."""
    rows = []
    local = manager.local_models()
    for tab in tabs:
        for task in tab.tasks:
            rows.append({
                "task": task.id,
                "aliases": list(task.aliases),
                "tab": tab.id,
                "api_name": "/" + task.api_name,
                "default_model": manager.choices(task)[1],
                "local_models": [m.value for m in local if fits(task, m)],
                "inputs": [f.describe() for f in task.inputs.values()],
                "params": [f.describe() for f in task.params.values()],
            })
    return rows


def print_tasks(rows: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["task"]) for r in rows)
    tab_width = max(len(r["tab"]) for r in rows)
    for r in rows:
        local = f"  local: {', '.join(r['local_models'])}" if r["local_models"] else ""
        print(f"{r['task']:<{width}}  {r['tab']:<{tab_width}}  {r['default_model']}{local}")


def read_input(raw: str) -> str:
    """INPUT as given; '-' reads standard input."""
    return sys.stdin.read() if raw == "-" else raw


def build_call(task: TaskSpec, raw_input: str | None, raw_params: list[str]) -> tuple[dict, dict]:
    """(inputs, params) for task from the positional INPUT and KEY=VALUE pairs, as text: the task's fields
    parse them (core.params), exactly as they parse an API call. File inputs become absolute paths."""
    inputs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    if raw_input is not None and task.inputs:
        inputs[task.inputs.first] = read_input(raw_input)
    for pair in raw_params:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError("bad_param", name=pair, detail="expected KEY=VALUE")
        if key in task.inputs:
            inputs[task.inputs.canonical(key)] = read_input(value)
        elif key in task.params:
            params[task.params.canonical(key)] = value
        else:
            known = ", ".join([*task.inputs, *task.params]) or "none"
            raise UserError("bad_param", name=key, detail=f"{task.id} takes: {known}")
    for name in task.file_inputs:
        if inputs.get(name):
            path = Path(inputs[name]).expanduser()
            if not path.is_file():
                raise UserError("bad_file", what=name, detail=f"no such file: {path}")
            inputs[name] = str(path.resolve())
    return inputs, params


def run_command(tabs: list[TabSpec], manager: ModelManager, task_id: str, raw_input: str | None,
                models: list[str] | str | None, raw_params: list[str], show: str | None = None) -> int:
    """Run one task headless; prints the raw JSON on stdout (JSON Lines for `cli_lines` tasks) and the run's
    notes on stderr, or one error line on stderr (exit 2). models: the --model values (several for a
    multi-model task such as tokenizer-compare)."""
    table = all_tasks(tabs)
    if isinstance(models, str):
        models = [models]
    try:
        if task_id not in table:
            raise UserError("unknown_task", task=task_id)
        _, task = table[task_id]
        inputs, params = build_call(task, raw_input, raw_params)
        chosen = list(models or []) or [manager.choices(task)[1]]
        if task.multi_model == 1 and len(chosen) > 1:  # compare models (core.compare): one JSON list
            from core.compare import cli_compare

            return cli_compare(manager, task, chosen, inputs, params, show)
        model = chosen[0] if task.multi_model == 1 and len(chosen) == 1 else chosen
        if show == "steps":  # the same run, traced: its stages in facts["steps"] (core.steps)
            from core.steps import traced_run

            result = traced_run(manager, task, model, inputs, params)
        else:
            result = manager.run(task, model, inputs, params)
    except UserError as err:
        print(f"error: {err.text()}", file=sys.stderr)
        return 2
    output = jsonable(result.output)
    if task.cli_lines and isinstance(output, list):
        for item in output:
            print(json.dumps(item, ensure_ascii=False))
    else:
        print(json.dumps(output, indent=2, ensure_ascii=False))
    for note in result.notes:
        print(f"note: {note.text()}", file=sys.stderr)
    if show == "code":
        print(result.code, file=sys.stderr)
    elif show == "details":
        print(json.dumps(result.details, indent=2), file=sys.stderr)
    elif show == "steps":
        from core.steps import for_cli

        print(json.dumps(for_cli(result.facts["steps"]), indent=2, ensure_ascii=False), file=sys.stderr)
    return 0
