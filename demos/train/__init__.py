"""Train tab: fine-tune a text classifier with transformers' Trainer on your own labelled data (an upload or a
dataset), watch the loss curve and the eval metrics live, then use the trained model in the Text tab.

No tasks of its own: the training engine is core.training (data, script) and core.train_worker (the queue and
the worker process); this package is the page (tab.py, gradio imported when built) and its drawings (views.py).
"""

from __future__ import annotations

from core.registry import TabSpec


def build(ctx) -> None:
    from demos.train.tab import build_tab

    build_tab(ctx)


SPEC = TabSpec(id="train", title="Train", order=70, tasks=(), build=build)
