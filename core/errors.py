"""User-facing failures: every exception a run can raise becomes one clear, translated line."""

from __future__ import annotations

import re

from core.i18n import message


class UserError(Exception):
    """A failure the user can act on; `key` names its message in core.i18n.MESSAGES."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params
        super().__init__(message(key, "en", **params))

    def text(self, lang: str = "en") -> str:
        return message(self.key, lang, **self.params)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for e in _chain(exc) for cls in type(e).__mro__}


_OOM = re.compile(r"out of memory|can't allocate memory|cannot allocate memory|DefaultCPUAllocator|MPS backend out of memory", re.I)


def explain(exc: BaseException, *, model: str = "", task: str = "") -> UserError:
    """Map any exception raised while loading or running a model to a UserError."""
    if isinstance(exc, UserError):
        return exc
    names = _names(exc)
    text = " ".join(str(e) for e in _chain(exc))
    lowered = text.lower()
    # Exception types first: messages quote each other (a RepoNotFound message mentions gated repos).
    by_type = (
        ("RunTimeout", "timeout"),
        ("GatedRepoError", "gated"),
        ("RevisionNotFoundError", "bad_revision"),
        ("RepositoryNotFoundError", "unknown_model"),
        ("HFValidationError", "unknown_model"),
        ("OutOfMemoryError", "oom"),
        ("MemoryError", "oom"),
        ("TesseractNotFoundError", "no_tesseract"),
    )
    for name, key in by_type:
        if name in names:
            seconds = next((getattr(e, "seconds", 0) for e in _chain(exc) if hasattr(e, "seconds")), 0)
            return UserError(key, model=model, task=task, seconds=f"{seconds:g}")
    by_text = (
        ("you are trying to access a gated repo", "gated"),
        ("is not a valid git identifier", "bad_revision"),
        ("is not a valid model identifier", "unknown_model"),
        ("ffmpeg was not found", "no_ffmpeg"),
        ("ffmpeg is not installed", "no_ffmpeg"),
        ("tesseract is not installed", "no_tesseract"),
        ("trust_remote_code", "remote_code"),
        ("unrecognized configuration class", "wrong_task"),
        ("unrecognized model", "wrong_task"),
        ("does not recognize this architecture", "wrong_task"),
        ("does not appear to have a file named", "incomplete_model"),
        ("does not appear to have files named", "incomplete_model"),
    )
    if _OOM.search(text):
        return UserError("oom", model=model, task=task)
    for needle, key in by_text:
        if needle in lowered:
            return UserError(key, model=model, task=task)
    if "LocalEntryNotFoundError" in names or "offline mode" in lowered or "couldn't connect to" in lowered \
            or "ConnectError" in names or "ConnectionError" in names:
        return UserError("not_available", model=model, task=task)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError("failed", error=f"{type(exc).__name__}: {first[:300]}")
