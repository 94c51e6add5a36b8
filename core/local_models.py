"""Local models: folders under --models-dir and the Hugging Face cache, and which tasks they fit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocalModel:
    """A model folder on disk; `value` is what a model picker passes on (a Hub id for cached models)."""

    name: str
    value: str
    path: Path
    architectures: tuple[str, ...] = ()
    model_type: str = ""
    tasks: tuple[str, ...] = ()
    has_tokenizer: bool = False
    cached: bool = False
    labels: tuple[str, ...] = ()  # config.id2label, in id order

    @property
    def label(self) -> str:
        return f"{self.name} (cached)" if self.cached else f"{self.name} (local)"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def describe(folder: Path, *, value: str | None = None, name: str | None = None, cached: bool = False) -> LocalModel | None:
    """A LocalModel for `folder`, or None when it holds no config, tokenizer or pack manifest."""
    config = _read_json(folder / "config.json")
    pack = _read_json(folder / "pack.json")
    has_tok = any((folder / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json"))
    if not config and not pack and not has_tok:
        return None
    id2label = config.get("id2label") or {}
    try:
        labels = tuple(str(id2label[k]) for k in sorted(id2label, key=int))
    except (TypeError, ValueError):
        labels = tuple(str(v) for v in id2label.values())
    return LocalModel(
        name=name or folder.name,
        value=value or str(folder.resolve()),
        path=folder.resolve(),
        architectures=tuple(config.get("architectures") or ()),
        model_type=str(config.get("model_type", "")),
        tasks=tuple(pack.get("tasks", ())),
        has_tokenizer=has_tok,
        cached=cached,
        labels=labels,
    )


def scan_models_dirs(dirs) -> list[LocalModel]:
    """Every model folder directly in each dir (and the dir itself if it is one)."""
    found: list[LocalModel] = []
    for root in dirs:
        root = Path(root)
        if not root.is_dir():
            continue
        candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        for folder in candidates:
            model = describe(folder)
            if model is not None:
                found.append(model)
    return found


def scan_hf_cache() -> list[LocalModel]:
    """Models in the Hugging Face cache (their newest snapshot); empty when there is no cache."""
    try:
        from huggingface_hub import scan_cache_dir

        info = scan_cache_dir()
    except Exception:  # no cache folder, or an unreadable one: nothing cached to offer
        return []
    found = []
    for repo in info.repos:
        if repo.repo_type != "model" or not repo.revisions:
            continue
        newest = max(repo.revisions, key=lambda r: r.last_modified)
        model = describe(Path(newest.snapshot_path), value=repo.repo_id, name=repo.repo_id, cached=True)
        if model is not None:
            found.append(model)
    return found


def fits(task, model: LocalModel) -> bool:
    """Whether a local model can serve `task` (a TaskSpec)."""
    if task.loader.kind == "auto" and task.loader.model_class is None:
        # processor-only tasks (tokenizer inspector) fit any folder with a tokenizer
        return model.has_tokenizer
    if model.tasks:  # a pack manifest names task ids, aliases, or a whole tab (demos/<tab>: "embeddings")
        tab = getattr(task.run, "__module__", "").split(".")
        return (task.id in model.tasks or any(a in model.tasks for a in task.aliases)
                or (len(tab) > 2 and tab[0] == "demos" and tab[1] in model.tasks))
    matches = (bool(task.architectures) and any(a.endswith(s) for a in model.architectures for s in task.architectures)) \
        or (bool(task.model_types) and model.model_type in task.model_types)
    return matches and (task.fits is None or task.fits(model))
