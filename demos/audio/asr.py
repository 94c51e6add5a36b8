"""Automatic speech recognition: Whisper (segments or word timestamps, language and translate for the
multilingual checkpoints) and CTC models (wav2vec2: word timestamps), chunked for long audio with a
progress bar; transcript, segment table, subtitles on the player, and .txt/.srt/.vtt downloads."""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr

from core.audio import duration_of
from core.errors import UserError
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.audio.common import (
    clip,
    decode_for,
    decode_lines,
    gradio_sample,
    model_json,
    output_dir,
    pipeline_snippet,
    progress,
)

TIMESTAMPS = ("none", "segments", "words")
TASKS_WHISPER = ("transcribe", "translate")
LANGUAGES = [("auto-detect", "")] + [(name, name) for name in (
    "english", "korean", "japanese", "chinese", "french", "german", "spanish", "italian", "portuguese", "russian",
    "arabic", "hindi", "vietnamese", "indonesian", "thai", "turkish")]
WHISPER_WINDOW_S = 30.0  # Whisper reads 30 s of audio at a time


# ---- the run -------------------------------------------------------------------------------------
def asr_kwargs(kind: str, multilingual: bool, duration: float, params: dict) -> tuple[dict, list[str]]:
    """The pipeline's keyword arguments for this run, and comments for the code panel.

    kind: the pipeline's model kind ("seq2seq_whisper", "ctc", "ctc_with_lm", "seq2seq");
    multilingual: whether a Whisper model takes a language and task.
    Chunking (chunk_length_s, stride_length_s, batch_size) is passed only when the audio is longer than
    one chunk; short audio then runs exactly like `pipe(audio)`.
    """
    whisper = kind == "seq2seq_whisper"
    notes: list[str] = []
    kwargs: dict[str, Any] = {}

    stamps = params.get("return_timestamps") or "none"
    if stamps not in TIMESTAMPS:
        raise UserError("bad_param", name="return_timestamps", detail=f"pick one of {', '.join(TIMESTAMPS)}")
    if stamps != "none":
        if kind in ("ctc", "ctc_with_lm"):
            kwargs["return_timestamps"] = "word"
            if stamps == "segments":
                notes.append("CTC models have no segments: word timestamps instead.")
        elif whisper:
            kwargs["return_timestamps"] = True if stamps == "segments" else "word"
        else:
            raise UserError("bad_param", name="return_timestamps",
                            detail="this model cannot give timestamps (only Whisper and CTC models such as wav2vec2 can)")

    chunk = float(params.get("chunk_length_s") or 0)
    stride = float(params.get("stride_length_s") or 0)
    batch = int(params.get("batch_size") or 1)
    if chunk < 0 or stride < 0 or batch < 1:
        raise UserError("bad_param", name="chunk_length_s", detail="lengths must be >= 0 and batch_size >= 1")
    if whisper and chunk > WHISPER_WINDOW_S:
        raise UserError("bad_param", name="chunk_length_s",
                        detail=f"Whisper reads at most {WHISPER_WINDOW_S:g} s at a time: use {WHISPER_WINDOW_S:g} or less")
    if chunk and duration > chunk:
        if 2 * stride >= chunk:
            raise UserError("bad_param", name="stride_length_s",
                            detail=f"the stride ({stride:g} s on each side) must be less than half the chunk ({chunk:g} s)")
        kwargs["chunk_length_s"] = chunk
        if stride:  # 0: the pipeline's own default, chunk_length_s / 6
            kwargs["stride_length_s"] = stride
        if batch > 1:
            kwargs["batch_size"] = batch
    elif whisper and duration > WHISPER_WINDOW_S and "return_timestamps" not in kwargs:
        raise UserError("bad_param", name="chunk_length_s",
                        detail=f"the audio lasts {duration:.0f} s and Whisper reads 30 s at a time: set "
                               "chunk_length_s (e.g. 30), or ask for timestamps (Whisper's own long-form mode)")

    language = (params.get("language") or "").strip()
    task = params.get("task") or "transcribe"
    if task not in TASKS_WHISPER:
        raise UserError("bad_param", name="task", detail="pick transcribe or translate")
    if language or task != "transcribe":
        if not whisper:
            raise UserError("bad_param", name="language" if language else "task",
                            detail="language and task apply to multilingual Whisper models only")
        if not multilingual:
            raise UserError("bad_param", name="language" if language else "task",
                            detail="this Whisper model is English-only: leave language empty and task on transcribe")
        generate: dict[str, Any] = {}
        if language:
            generate["language"] = language
        if task != "transcribe":
            generate["task"] = task
        kwargs["generate_kwargs"] = generate
    return kwargs, notes


def chunk_count(pipe, samples: int, kwargs: dict) -> int:
    """How many forward passes the pipeline will make (for the progress bar)."""
    if "chunk_length_s" not in kwargs:
        return 1
    rate = pipe.feature_extractor.sampling_rate
    chunk = int(round(kwargs["chunk_length_s"] * rate))
    stride = int(round(kwargs.get("stride_length_s", kwargs["chunk_length_s"] / 6) * rate))
    step = max(1, chunk - 2 * stride)
    chunks = 1 + max(0, math.ceil((samples - chunk) / step))
    return math.ceil(chunks / kwargs.get("batch_size", 1))


@contextmanager
def counting_forward(pipe, total: int, desc: str):
    """Report each forward pass of `pipe` to the progress bar while the block runs."""
    report = progress(desc)
    original = pipe.forward
    done = 0

    def forward(*args, **kwargs):
        nonlocal done
        out = original(*args, **kwargs)
        done += 1
        report(min(done, total), total)
        return out

    report(0, total)
    pipe.forward = forward
    try:
        yield
    finally:
        del pipe.forward  # the instance attribute goes; the class method is back


def model_kind(model_type: str, architectures: list[str]) -> str:
    """The ASR pipeline's `type` for a config (how it decodes and which timestamps it gives)."""
    if model_type == "whisper":
        return "seq2seq_whisper"
    if any(a.endswith("ForCTC") for a in architectures):
        return "ctc"
    return "seq2seq"


def is_multilingual(generation_config: dict) -> bool:
    """Whether a Whisper generation config takes a language and a task (not an English-only '.en' model)."""
    return generation_config.get("is_multilingual") is not False and bool(generation_config.get("lang_to_id"))


def run_asr(pipe, inputs: dict, params: dict) -> dict:
    """The pipeline's output: {"text": ..., "chunks": [{"text", "timestamp": (start, end)}, ...]} (chunks only
    with timestamps)."""
    audio = decode_for(pipe, inputs.get("audio"))
    generation = getattr(pipe.model, "generation_config", None)
    multilingual = is_multilingual(generation.to_dict()) if generation is not None else False
    kwargs, _ = asr_kwargs(pipe.type, multilingual, audio.duration, params)
    with counting_forward(pipe, chunk_count(pipe, len(audio.samples), kwargs), "Transcribing"):
        return pipe(audio.pipeline_input(), **kwargs)


def code_asr(ref, inputs: dict, params: dict, place) -> str:
    source = inputs.get("audio")
    config = model_json(ref, "config.json")
    kind = model_kind(config.get("model_type", ""), config.get("architectures") or [])
    multilingual = is_multilingual(model_json(ref, "generation_config.json"))
    try:
        kwargs, notes = asr_kwargs(kind, multilingual, _duration(source), params)
    except UserError:
        kwargs, notes = {}, []
    imports, lines = decode_lines(source)
    before = lines + [f"# {note}" for note in notes]
    return pipeline_snippet("automatic-speech-recognition", ref, place, imports=imports, before=before,
                            call_input='{"raw": audio, "sampling_rate": rate}', kwargs=kwargs)


def _duration(source: Any) -> float:
    path = source.get("path") if isinstance(source, dict) else source
    if isinstance(path, (str, Path)):
        return duration_of(path) or 0.0
    if isinstance(source, (tuple, list)) and len(source) == 2:
        try:
            return len(source[1]) / float(source[0])
        except (TypeError, ValueError, ZeroDivisionError):
            return 0.0
    return 0.0


ASR = TaskSpec(
    id="automatic-speech-recognition",
    title="Speech recognition",
    loader=Loader.pipeline("automatic-speech-recognition"),
    default_model="openai/whisper-small",
    models=("openai/whisper-large-v3", "openai/whisper-large-v2", "openai/whisper-tiny", "openai/whisper-base",
            "facebook/wav2vec2-base-960h"),
    run=run_asr,
    code=code_asr,
    inputs=("audio",),
    file_inputs=("audio",),
    params={"return_timestamps": "none", "chunk_length_s": 30.0, "stride_length_s": 0.0, "batch_size": 1,
            "language": "", "task": "transcribe"},
    architectures=("ForCTC", "WhisperForConditionalGeneration", "Speech2TextForConditionalGeneration",
                   "SpeechEncoderDecoderModel"),
    model_types=("whisper",),
    description="Speech to text with timestamps; long audio runs in chunks.",
)


# ---- drawing the result --------------------------------------------------------------------------
def segments_of(output: dict, duration: float | None = None) -> list[list]:
    """[[start, end, text], ...] from the pipeline's chunks; a missing end (Whisper's last segment when
    the audio stops mid-sentence) becomes the next start or the audio's end."""
    chunks = output.get("chunks") or []
    rows = []
    for i, chunk in enumerate(chunks):
        start, end = (list(chunk.get("timestamp") or (None, None)) + [None, None])[:2]
        start = float(start or 0.0)
        if end is None:
            following = next((c["timestamp"][0] for c in chunks[i + 1:] if c.get("timestamp")
                              and c["timestamp"][0] is not None), None)
            end = following if following is not None else (duration or start)
        rows.append([round(start, 2), round(max(float(end), start), 2), str(chunk.get("text", "")).strip()])
    return rows


def _clock(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def to_srt(rows: list[list]) -> str:
    return "\n".join(f"{i}\n{_clock(s, ',')} --> {_clock(e, ',')}\n{t}\n" for i, (s, e, t) in enumerate(rows, 1))


def to_vtt(rows: list[list]) -> str:
    return "WEBVTT\n\n" + "\n".join(f"{_clock(s, '.')} --> {_clock(e, '.')}\n{t}\n" for s, e, t in rows)


def transcript_files(text: str, rows: list[list], duration: float) -> list[str]:
    """transcript.txt, .srt and .vtt in a fresh temp folder (one cue for the whole audio without timestamps)."""
    cues = rows or [[0.0, round(duration, 2), text]]
    folder = output_dir()
    files = {"transcript.txt": text + "\n", "transcript.srt": to_srt(cues), "transcript.vtt": to_vtt(cues)}
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return [str(folder / name) for name in files]


def render_asr(components: dict):
    def render(output, inputs, params):
        source = inputs.get("audio")
        duration = _duration(source)
        text = str(output.get("text", "")).strip()
        rows = segments_of(output, duration)
        subtitles = [{"text": t, "timestamp": [s, e]} for s, e, t in rows] or None
        return {
            components["text"]: text,
            components["segments"]: gr.update(value=rows, visible=bool(rows)),
            components["player"]: gr.update(value=source, subtitles=subtitles),
            components["files"]: transcript_files(text, rows, duration),
        }

    return render


def build_asr(ctx: Context) -> None:
    task = ASR
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label=tr("Audio"),
                             elem_id="automatic_speech_recognition_audio")
            model = model_picker(ctx, task)
            with gr.Row():
                stamps = gr.Radio(list(TIMESTAMPS), value="none", label=tr("return_timestamps"),
                                  info=tr("segments: Whisper's phrases; words: one per word (CTC models give words)"))
                language = gr.Dropdown(LANGUAGES, value="", label=tr("language"), allow_custom_value=True,
                                       info=tr("Multilingual Whisper only; empty = detect"))
                whisper_task = gr.Radio(list(TASKS_WHISPER), value="transcribe", label=tr("task"),
                                        info=tr("translate = into English (multilingual Whisper)"))
            with gr.Accordion(tr("Long audio"), open=False):
                with gr.Row():
                    chunk = gr.Slider(0, 60, value=30, step=1, label=tr("chunk_length_s"),
                                      info=tr("Audio longer than this runs in chunks (0 = in one go; Whisper: 30 at most)"))
                    stride = gr.Slider(0, 10, value=0, step=0.5, label=tr("stride_length_s"),
                                       info=tr("Overlap on each side of a chunk (0 = chunk_length_s / 6)"))
                    batch = gr.Slider(1, 16, value=1, step=1, label=tr("batch_size"),
                                      info=tr("Chunks run together"))
            run = gr.Button(tr("Run"), variant="primary")
            rows = [[p] for p in (clip("dream.mp3"), clip("korean.ogg"), gradio_sample("audio/heath_ledger.mp3"),
                                  gradio_sample("audio/cate_blanch.mp3")) if p]
            if rows:
                examples(ctx, rows, [audio])
        with gr.Column(scale=2):
            text = gr.Textbox(label=tr("Transcript"), lines=4, interactive=False, buttons=["copy"],
                              elem_id="automatic_speech_recognition_text")
            player = gr.Audio(label=tr("Audio with subtitles"), type="filepath", interactive=False,
                              elem_id="automatic_speech_recognition_player")
            segments = gr.Dataframe(headers=["start", "end", "text"], label=tr("Transcript segments"), visible=False,
                                    interactive=False, wrap=True, column_widths=["15%", "15%", "70%"],
                                    elem_id="automatic_speech_recognition_segments")
            files = gr.File(label=tr("Download transcript"), file_count="multiple", interactive=False,
                            elem_id="automatic_speech_recognition_files")
    panels = result_panels(ctx, task)
    components = {"text": text, "segments": segments, "player": player, "files": files}
    wire(ctx, task, run.click, {"audio": audio, "return_timestamps": stamps, "chunk_length_s": chunk,
                                "stride_length_s": stride, "batch_size": batch, "language": language,
                                "task": whisper_task},
         model, render_asr(components), panels, [text, segments, player, files])


TASKS = ((ASR, build_asr),)

KOREAN = {
    "Speech recognition": "음성 인식",
    "Audio": "오디오",
    "segments: Whisper's phrases; words: one per word (CTC models give words)":
        "segments: Whisper의 구간, words: 단어마다 (CTC 모델은 단어 단위)",
    "language": "언어",
    "Multilingual Whisper only; empty = detect": "다국어 Whisper 전용; 비우면 자동 감지",
    "task": "작업",
    "translate = into English (multilingual Whisper)": "translate = 영어로 번역 (다국어 Whisper)",
    "Long audio": "긴 오디오",
    "Audio longer than this runs in chunks (0 = in one go; Whisper: 30 at most)":
        "이보다 긴 오디오는 청크로 나눠 처리합니다 (0 = 한 번에; Whisper는 최대 30)",
    "Overlap on each side of a chunk (0 = chunk_length_s / 6)": "청크 양쪽의 겹치는 길이 (0 = chunk_length_s / 6)",
    "Chunks run together": "함께 처리할 청크 수",
    "Transcript": "전사 결과",
    "Audio with subtitles": "자막이 있는 오디오",
    "Segments": "구간",
    "Download transcript": "전사 결과 내려받기",
}
