"""Every task's declared fields against the built app: each widget is derived from its field (default,
minimum, maximum, choices, length limit), every field has a widget, and an out-of-range value gives the same
one line through the API and the CLI. Nothing here is kept equal by hand: the expectations are the
declarations themselves."""

from __future__ import annotations

import pytest

from core.params import Bool, Choice, Float, Int, Labels, Lines, Text
from core.registry import all_tasks, discover

TASKS = [task for tab in discover() for task in tab.tasks]


def _choice_values(component) -> list:
    return [c[1] if isinstance(c, (list, tuple)) else c for c in component.choices]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_widgets_are_the_declared_fields(app, task):
    wired = app.ctx.wired.get(task.id)
    assert wired is not None, f"{task.id} has no wired event"
    for name, field in [*task.inputs.items(), *task.params.items()]:
        assert name in wired, f"{task.id}: field {name} has no widget"
        component = wired[name]
        if isinstance(field, (Int, Float)):
            assert (component.value, component.minimum, component.maximum) == \
                (field.default, field.minimum, field.maximum), f"{task.id}.{name}"
        elif isinstance(field, Choice):
            assert component.value == field.default and _choice_values(component) == list(field.choices), \
                f"{task.id}.{name}"
        elif isinstance(field, Bool):
            assert component.value is field.default, f"{task.id}.{name}"
        elif isinstance(field, Labels):
            assert component.value == ", ".join(field.default), f"{task.id}.{name}"
        elif isinstance(field, (Text, Lines)):
            assert component.value == field.default and component.max_length == field.max_chars, f"{task.id}.{name}"


def test_every_numeric_and_text_field_is_bounded():
    for task in TASKS:
        for name, field in [*task.inputs.items(), *task.params.items()]:
            if isinstance(field, (Int, Float)):
                assert field.minimum <= field.default <= field.maximum, f"{task.id}.{name}"
                assert abs(field.maximum) <= 2**32, f"{task.id}.{name}: no real upper bound"
            if isinstance(field, (Text, Lines)):
                assert 0 < field.max_chars <= 200_000, f"{task.id}.{name}"


def _first_number(task):
    return next(((n, f) for n, f in task.params.items() if isinstance(f, (Int, Float))), (None, None))


NUMERIC = [t for t in TASKS if _first_number(t)[0]]


@pytest.mark.parametrize("task", NUMERIC, ids=lambda t: t.id)
def test_out_of_range_is_one_line_the_same_in_api_and_cli(client, settings, task, capsys):
    from gradio_client.exceptions import AppError

    import app

    name, field = _first_number(task)
    too_big = field.maximum + (1 if isinstance(field, Int) else abs(field.maximum) + 1)
    files = {f: None for f in task.file_inputs}  # gradio_client insists on every file argument
    with pytest.raises(AppError) as api_error:
        client.predict(**files, **{name: too_big}, api_name="/" + task.api_name)
    dirs = [arg for d in settings.models_dirs for arg in ("--models-dir", str(d))]
    code = app.main(["run", task.id, "--param", f"{name}={too_big}", "--offline", *dirs])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err
    assert str(api_error.value).strip() == err.removeprefix("error: ")
    assert name in err and str(field.maximum).rstrip("0").rstrip(".") in err


def test_a_junk_number_and_nan_are_refused_by_the_field():
    task = all_tasks(discover())["text-classification"][1]
    for junk in ("many", "nan", "inf", 2**70, 1e308, True):
        with pytest.raises(Exception) as err:
            task.parse({"text": "x"}, {"top_k": junk})
        assert getattr(err.value, "key", None) == "bad_param", junk
