"""English and Korean UI text: labels through gradio's I18n, messages translated on the server."""

from __future__ import annotations

import contextlib
import contextvars
import re

# the language of the request being rendered, with the Korean strings (set by core.ui.wire around render)
_SPEAKING: contextvars.ContextVar[tuple[str, dict]] = contextvars.ContextVar("speaking", default=("en", {}))


@contextlib.contextmanager
def speaking(lang: str, korean: dict[str, str]):
    """Within the block, say() answers in `lang` ('en' or 'ko') from these Korean strings."""
    token = _SPEAKING.set((lang, korean))
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def say(english: str, **values) -> str:
    """A result's text (a note, a summary) in the language of the request being rendered: the Korean
    template when the browser prefers Korean and the tab gave one, else the English; {name} fields are filled
    from values. For render functions: run_* results (the API's JSON) stay English."""
    lang, korean = _SPEAKING.get()
    template = korean.get(english, english) if lang == "ko" else english
    return template.format(**values) if values else template

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "gated": "{model} is a gated model: accept its license on https://huggingface.co/{model} and set the HF_TOKEN environment variable to a token of that account.",
        "bad_revision": "{model}: that revision (branch, tag or commit) does not exist.",
        "unknown_model": "{model} is not a model on the Hugging Face Hub nor a local folder: check the spelling (owner/name).",
        "not_available": "{model} is not available offline: it is not in the Hugging Face cache nor in a --models-dir folder. Run with network access once, pass --models-dir DIR, or build the offline pack (python app.py offline-pack DIR).",
        "hub_unreachable": "Could not reach the Hugging Face Hub to get {model}, and it is not in the local cache: check the network, or use a local model (--models-dir DIR, or the offline pack: python app.py offline-pack DIR).",
        "oom": "Out of memory while running {model}: try a smaller model, a lower dtype (--dtype float16/bfloat16) or --device-map auto.",
        "no_ffmpeg": "ffmpeg was not found but is required to load this audio file: install it (sudo apt install ffmpeg) or upload WAV/FLAC/OGG.",
        "no_tesseract": "tesseract was not found but is required for OCR: install it (sudo apt install tesseract-ocr) or give the word boxes yourself.",
        "remote_code": "{model} needs to run its own code from the Hub; the operator must start the app with --trust-remote-code to allow it.",
        "wrong_task": "{model} does not fit the task {task}: pick a model made for this task.",
        "incomplete_model": "{model} is missing files (weights, tokenizer or processor) needed for this task.",
        "no_chat_template": "{model} has no chat template (tokenizer.chat_template is None): pick an instruct/chat model such as HuggingFaceTB/SmolLM2-135M-Instruct.",
        "empty_input": "Please give some input first: {what} is empty.",
        "bad_file": "{what} could not be read: {detail}",
        "too_large": "{what} is too large: {detail}",
        "bad_param": "Invalid value for {name}: {detail}",
        "unknown_task": "Unknown task {task}; `python app.py tasks` lists them.",
        "no_model": "Please choose a model.",
        "failed": "The model failed: {error}",
    },
    "ko": {
        "gated": "{model}은(는) 접근이 제한된(gated) 모델입니다: https://huggingface.co/{model} 에서 라이선스에 동의하고 HF_TOKEN 환경 변수에 그 계정의 토큰을 설정하세요.",
        "bad_revision": "{model}: 해당 리비전(브랜치, 태그, 커밋)이 없습니다.",
        "unknown_model": "{model}은(는) Hugging Face Hub의 모델도 로컬 폴더도 아닙니다: 철자(owner/name)를 확인하세요.",
        "not_available": "{model}을(를) 오프라인으로 쓸 수 없습니다: Hugging Face 캐시에도 --models-dir 폴더에도 없습니다. 네트워크가 있을 때 한 번 실행하거나, --models-dir DIR을 지정하거나, 오프라인 팩을 만드세요 (python app.py offline-pack DIR).",
        "hub_unreachable": "{model}을(를) 받으려 했지만 Hugging Face Hub에 연결할 수 없고 로컬 캐시에도 없습니다: 네트워크를 확인하거나 로컬 모델을 쓰세요 (--models-dir DIR 또는 오프라인 팩: python app.py offline-pack DIR).",
        "oom": "{model} 실행 중 메모리가 부족합니다: 더 작은 모델, 더 낮은 dtype(--dtype float16/bfloat16) 또는 --device-map auto를 사용해 보세요.",
        "no_ffmpeg": "이 오디오 파일을 읽으려면 ffmpeg가 필요하지만 찾을 수 없습니다: 설치하세요 (sudo apt install ffmpeg). WAV/FLAC/OGG는 ffmpeg 없이도 됩니다.",
        "no_tesseract": "OCR에 tesseract가 필요하지만 찾을 수 없습니다: 설치하세요 (sudo apt install tesseract-ocr). 또는 단어 상자를 직접 입력하세요.",
        "remote_code": "{model}은(는) Hub의 자체 코드를 실행해야 합니다; 운영자가 --trust-remote-code로 앱을 시작해야 허용됩니다.",
        "wrong_task": "{model}은(는) {task} 작업에 맞지 않는 모델입니다: 이 작업용 모델을 고르세요.",
        "incomplete_model": "{model}에 이 작업에 필요한 파일(가중치, 토크나이저, 프로세서)이 없습니다.",
        "no_chat_template": "{model}에는 채팅 템플릿이 없습니다 (tokenizer.chat_template이 None): HuggingFaceTB/SmolLM2-135M-Instruct 같은 instruct/채팅 모델을 고르세요.",
        "empty_input": "먼저 입력을 주세요: {what}이(가) 비어 있습니다.",
        "bad_file": "{what}을(를) 읽을 수 없습니다: {detail}",
        "too_large": "{what}이(가) 너무 큽니다: {detail}",
        "bad_param": "{name}의 값이 잘못되었습니다: {detail}",
        "unknown_task": "알 수 없는 작업 {task}; `python app.py tasks`로 목록을 보세요.",
        "no_model": "모델을 선택하세요.",
        "failed": "모델 실행에 실패했습니다: {error}",
    },
}


def message(key: str, lang: str = "en", **params) -> str:
    """The message `key` in `lang` (falling back to English), formatted with params."""
    table = MESSAGES.get(lang) or MESSAGES["en"]
    template = table.get(key) or MESSAGES["en"][key]
    return template.format(**params)


def language_of(request) -> str:
    """'ko' when the browser prefers Korean (Accept-Language), else 'en'."""
    headers = getattr(request, "headers", None) or {}
    accept = headers.get("accept-language", "") if hasattr(headers, "get") else ""
    first = accept.split(",")[0].strip().lower()
    return "ko" if first.startswith("ko") else "en"


def _key(text: str) -> str:
    # svelte-i18n reads dots as nesting, so keys are slugs.
    return "t_" + re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:80]


class Translator:
    """Collects UI strings while tabs are built; `tr(english)` returns a gradio I18n key for it.

    Demo modules give their Korean strings in their spec (`korean={"Input text": "입력 텍스트"}`);
    strings without a Korean translation stay English.
    """

    def __init__(self, korean: dict[str, str] | None = None):
        self.en: dict[str, str] = {}
        self.ko: dict[str, str] = {}
        self.korean: dict[str, str] = dict(korean or {})

    def add_korean(self, pairs: dict[str, str]) -> None:
        self.korean.update(pairs)

    def __call__(self, english: str):
        from gradio.i18n import I18nData

        key = _key(english)
        self.en[key] = english
        if english in self.korean:
            self.ko[key] = self.korean[english]
        return I18nData(key)

    def text(self, label) -> str:
        """The English text of a label made by this translator (plain strings pass through)."""
        key = getattr(label, "key", None)
        return self.en.get(key, key) if key else str(label or "")

    def i18n(self):
        """The gr.I18n to pass to launch(), with every string seen so far."""
        import gradio as gr

        return gr.I18n(en=self.en, ko=self.ko)
