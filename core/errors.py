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
    if "GatedRepoError" in names or "gated repo" in text.lower():
        return UserError("gated", model=model)
    if "RevisionNotFoundError" in names or "is not a valid git identifier" in text:
        return UserError("bad_revision", model=model)
    if "RepositoryNotFoundError" in names or "is not a valid model identifier" in text or "HFValidationError" in names:
        return UserError("unknown_model", model=model)
    if "OutOfMemoryError" in names or "MemoryError" in names or _OOM.search(text):
        return UserError("oom", model=model)
    if "ffmpeg was not found" in text or "ffmpeg is not installed" in text.lower():
        return UserError("no_ffmpeg")
    if "TesseractNotFoundError" in names or "tesseract is not installed" in text.lower():
        return UserError("no_tesseract")
    if "trust_remote_code" in text:
        return UserError("remote_code", model=model)
    if "LocalEntryNotFoundError" in names or "offline mode" in text.lower() or "couldn't connect to" in text.lower() \
            or "ConnectError" in names or "ConnectionError" in names or "cannot find the requested files" in text.lower():
        return UserError("not_available", model=model)
    if "Unrecognized configuration class" in text or "Unrecognized model" in text or "does not recognize this architecture" in text:
        return UserError("wrong_task", model=model, task=task)
    if "does not appear to have a file named" in text or "does not appear to have files named" in text:
        return UserError("incomplete_model", model=model)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError("failed", error=f"{type(exc).__name__}: {first[:300]}")
