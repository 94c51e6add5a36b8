"""automatic-speech-recognition: Whisper (segments or word timestamps, language and translate for the
multilingual checkpoints) and CTC models (wav2vec2: word timestamps), chunked for long audio with a progress
bar; transcript, segment table, subtitles on the player, and .txt/.srt/.vtt downloads. Transcripts and timestamps
match transformers 4.57.6's pipeline (chunking is passed only for audio longer than a chunk, which gives 4.x's
result for shorter audio too)."""

from __future__ import annotations

import math
from contextlib import contextmanager, nullcontext
from typing import Any

from core.errors import UserError
from core.i18n import Note, note
from core.params import Choice, Float, Int
from core.registry import Loader, Output, TaskSpec
from demos.audio.common import (
    AudioFile,
    Clip,
    clip,
    decode_lines,
    gradio_sample,
    model_json,
    output_dir,
    pipeline_snippet,
    progress,
    report_progress_with,
)

WHISPER_WINDOW_S = 30.0  # Whisper reads 30 s of audio at a time
LONGEST_S = 1800.0  # half an hour: a public link must not be kept busy for much longer
AUTO = "auto-detect"
# Whisper's languages (code=name), as transformers' WhisperTokenizer takes them; the first ones lead the list.
_WHISPER = dict(pair.split("=") for pair in (
    "en=english zh=chinese de=german es=spanish ru=russian ko=korean fr=french ja=japanese pt=portuguese "
    "tr=turkish pl=polish ca=catalan nl=dutch ar=arabic sv=swedish it=italian id=indonesian hi=hindi "
    "fi=finnish vi=vietnamese he=hebrew uk=ukrainian el=greek ms=malay cs=czech ro=romanian da=danish "
    "hu=hungarian ta=tamil no=norwegian th=thai ur=urdu hr=croatian bg=bulgarian lt=lithuanian la=latin "
    "mi=maori ml=malayalam cy=welsh sk=slovak te=telugu fa=persian lv=latvian bn=bengali sr=serbian "
    "az=azerbaijani sl=slovenian kn=kannada et=estonian mk=macedonian br=breton eu=basque is=icelandic "
    "hy=armenian ne=nepali mn=mongolian bs=bosnian kk=kazakh sq=albanian sw=swahili gl=galician mr=marathi "
    "pa=punjabi si=sinhala km=khmer sn=shona yo=yoruba so=somali af=afrikaans oc=occitan ka=georgian "
    "be=belarusian tg=tajik sd=sindhi gu=gujarati am=amharic yi=yiddish lo=lao uz=uzbek fo=faroese "
    "ht=haitian_creole ps=pashto tk=turkmen nn=nynorsk mt=maltese sa=sanskrit lb=luxembourgish my=myanmar "
    "bo=tibetan tl=tagalog mg=malagasy as=assamese tt=tatar haw=hawaiian ln=lingala ha=hausa ba=bashkir "
    "jw=javanese su=sundanese yue=cantonese").split())
_COMMON = ("english", "korean", "japanese", "chinese", "french", "german", "spanish", "italian", "portuguese",
           "russian", "arabic", "hindi", "vietnamese", "indonesian", "thai", "turkish")
LANGUAGES = (AUTO, *_COMMON, *sorted(n.replace("_", " ") for n in _WHISPER.values() if n not in _COMMON))
# transformers also takes the language codes and these older names
LANGUAGE_SYNONYMS = (("auto", AUTO), ("none", AUTO),
                     *((code, name.replace("_", " ")) for code, name in _WHISPER.items()),
                     ("burmese", "myanmar"), ("valencian", "catalan"), ("flemish", "dutch"),
                     ("haitian", "haitian creole"), ("letzeburgesch", "luxembourgish"), ("pushto", "pashto"),
                     ("panjabi", "punjabi"), ("moldavian", "romanian"), ("moldovan", "romanian"),
                     ("sinhalese", "sinhala"), ("castilian", "spanish"), ("mandarin", "chinese"))


# ---- the run -------------------------------------------------------------------------------------
def asr_kwargs(kind: str, multilingual: bool, duration: float, params: dict) -> tuple[dict, list[Note]]:
    """The pipeline's keyword arguments for this run (parsed params), and notes about them.

    kind: the pipeline's model kind ("seq2seq_whisper", "ctc", "ctc_with_lm", "seq2seq");
    multilingual: whether a Whisper model takes a language and task.
    Chunking (chunk_length_s, stride_length_s, batch_size) is passed only when the audio is longer than
    one chunk; short audio then runs exactly like `pipe(audio)`.
    """
    whisper = kind == "seq2seq_whisper"
    notes: list[Note] = []
    kwargs: dict[str, Any] = {}

    stamps = params["return_timestamps"]
    if stamps != "none":
        if kind in ("ctc", "ctc_with_lm"):
            kwargs["return_timestamps"] = "word"
            if stamps == "segments":
                notes.append(note("CTC models have no segments: word timestamps instead."))
        elif whisper:
            kwargs["return_timestamps"] = True if stamps == "segments" else "word"
        else:
            raise UserError("bad_param", name="return_timestamps",
                            detail="this model cannot give timestamps (only Whisper and CTC models such as wav2vec2 can)")

    chunk, stride, batch = params["chunk_length_s"], params["stride_length_s"], params["batch_size"]
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

    language = "" if params["language"] == AUTO else params["language"]
    task = params["task"]
    if language or task != "transcribe":
        if not whisper:
            raise UserError("bad_param", name="language" if language else "task",
                            detail="language and task apply to multilingual Whisper models only")
        if not multilingual:
            raise UserError("bad_param", name="language" if language else "task",
                            detail="this Whisper model is English-only: leave language on auto-detect and task on transcribe")
        generate: dict[str, Any] = {}
        if language:
            generate["language"] = language
        if task != "transcribe":
            generate["task"] = task
        kwargs["generate_kwargs"] = generate
    return kwargs, notes


def chunk_count(rate: int, samples: int, kwargs: dict) -> int:
    """How many forward passes the pipeline will make (for the progress bar)."""
    if "chunk_length_s" not in kwargs:
        return 1
    chunk = int(round(kwargs["chunk_length_s"] * rate))
    stride = int(round(kwargs.get("stride_length_s", kwargs["chunk_length_s"] / 6) * rate))
    step = max(1, chunk - 2 * stride)
    chunks = 1 + max(0, math.ceil((samples - chunk) / step))
    return math.ceil(chunks / kwargs.get("batch_size", 1))


@contextmanager
def counting_forward(pipe, total: int, desc: str):
    """Report each forward pass of `pipe` to the progress reporter while the block runs."""
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


def run(pipe, inputs: dict, params: dict) -> Output:
    """The pipeline's output: {"text": ..., "chunks": [{"text", "timestamp": (start, end)}, ...]} (chunks only
    with timestamps); facts: the audio's duration."""
    rate = pipe.feature_extractor.sampling_rate
    audio = inputs["audio"].at(rate)
    generation = getattr(pipe.model, "generation_config", None)
    multilingual = is_multilingual(generation.to_dict()) if generation is not None else False
    kwargs, notes = asr_kwargs(pipe.type, multilingual, audio.duration, params)
    passes = chunk_count(rate, len(audio.samples), kwargs)
    if "chunk_length_s" in kwargs:
        notes.append(note("The audio ({seconds} s) ran in chunks of {chunk} s: {passes} forward passes.",
                          seconds=f"{audio.duration:.1f}", chunk=f"{kwargs['chunk_length_s']:g}", passes=passes))
    # only chunked audio counts its passes: the count patches pipe.forward, so such a call runs alone (a
    # short clip's call may share a batch with other requests, core.batching)
    with counting_forward(pipe, passes, "Transcribing") if passes > 1 else nullcontext():
        output = pipe(audio.pipeline_input(), **kwargs)
    return Output(output, notes=tuple(notes), facts={"duration": audio.duration})


def code(ref, inputs: dict, params: dict, place) -> str:
    audio: Clip = inputs["audio"]
    config = model_json(ref, "config.json")
    kind = model_kind(config.get("model_type", ""), config.get("architectures") or [])
    multilingual = is_multilingual(model_json(ref, "generation_config.json"))
    try:
        kwargs, notes = asr_kwargs(kind, multilingual, audio.duration, params)
    except UserError:
        kwargs, notes = {}, []
    imports, lines = decode_lines(audio)
    before = lines + [f"# {n.text()}" for n in notes]
    before.append("# the same transcript and timestamps as transformers 4.57.6's automatic-speech-recognition pipeline")
    return pipeline_snippet("automatic-speech-recognition", ref, place, imports=imports, before=before,
                            call_input='{"raw": audio, "sampling_rate": rate}', kwargs=kwargs)


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


def examples_rows() -> list[list]:
    return [[p] for p in (clip("dream.mp3"), clip("korean.ogg"), gradio_sample("audio/heath_ledger.mp3"),
                          gradio_sample("audio/cate_blanch.mp3")) if p]


def build(ctx) -> None:
    """Audio, model and parameters on the left (chunking in an accordion); transcript, the player with
    subtitles, the segment table and the downloads on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widgets, wire

    def progress_bar(desc: str):
        tracker = gr.Progress()  # reports to the event being processed in this thread; nothing elsewhere
        return lambda done, total: tracker((done, total), desc=desc, unit="chunks")

    report_progress_with(progress_bar)
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "audio")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "return_timestamps", "language", "task")
            # a radio takes only its choices; the field also takes transformers' values (True, False, "word")
            fields["return_timestamps"].preprocess = lambda payload: payload
            with gr.Accordion(tr("Long audio"), open=False):
                with gr.Row():
                    fields |= widgets(ctx, TASK, "chunk_length_s", "stride_length_s", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary")
            rows = examples_rows()
            if rows:
                examples(ctx, rows, [fields["audio"]])
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
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        duration = result.facts["duration"]
        transcript = str(result.output.get("text", "")).strip()
        rows = segments_of(result.output, duration)
        subtitles = [{"text": t, "timestamp": [s, e]} for s, e, t in rows] or None
        return {
            text: transcript,
            segments: gr.update(value=rows, visible=bool(rows)),
            player: gr.update(value=result.inputs["audio"].path, subtitles=subtitles),
            files: transcript_files(transcript, rows, duration),
        }

    ordered = {name: fields[name] for name in (*TASK.inputs, *TASK.params)}  # the API's order, as declared
    wire(ctx, TASK, run_button.click, ordered, model, render, panels, [text, segments, player, files])


TASK = TaskSpec(
    id="automatic-speech-recognition",
    title="Speech recognition",
    loader=Loader.pipeline("automatic-speech-recognition"),
    batched=True,
    default_model="openai/whisper-small",
    models=("openai/whisper-large-v3", "openai/whisper-large-v2", "openai/whisper-tiny", "openai/whisper-base",
            "facebook/wav2vec2-base-960h"),
    run=run,
    code=code,
    inputs=(AudioFile("audio", label="Audio", max_seconds=LONGEST_S),),
    params=(
        Choice("return_timestamps", "none", ("none", "segments", "words"),
               help="segments: Whisper's phrases; words: one per word (CTC models give words)",
               synonyms=(("false", "none"), ("true", "segments"), ("word", "words"), ("segment", "segments")),
               widget=(("component", "radio"),)),
        Float("chunk_length_s", 30.0, 0.0, 60.0, step=1.0,
              help="Audio longer than this runs in chunks (0 = in one go; Whisper: 30 at most)"),
        Float("stride_length_s", 0.0, 0.0, 10.0, step=0.5,
              help="Overlap on each side of a chunk (0 = chunk_length_s / 6)"),
        Int("batch_size", 1, 1, 16, help="Chunks run together"),
        Choice("language", AUTO, LANGUAGES, synonyms=LANGUAGE_SYNONYMS,
               help="Multilingual Whisper only; empty = detect", widget=(("allow_custom_value", True),)),
        Choice("task", "transcribe", ("transcribe", "translate"),
               help="translate = into English (multilingual Whisper)", widget=(("component", "radio"),)),
    ),
    architectures=("ForCTC", "WhisperForConditionalGeneration", "Speech2TextForConditionalGeneration",
                   "SpeechEncoderDecoderModel"),
    model_types=("whisper",),
    description="Speech to text with timestamps; long audio runs in chunks.",
    build=build,
)
