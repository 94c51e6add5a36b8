"""Readers of the foreign weight formats the offline pack converts: CTranslate2's model.bin (Whisper) and
4-bit ONNX exports (onnxruntime's MatMulNBits). Each returns plain tensors under transformers' names.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

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


# --- 4-bit ONNX (onnxruntime's quantizer) -> PyTorch ------------------------------------------------------

def read_onnx_q4(path: Path) -> dict:
    """The weights of a 4-bit quantized ONNX export as PyTorch name -> float32 numpy array.

    Such exports (onnxruntime's MatMulNBits quantizer over a torch.onnx export) keep float32 initializers under
    their PyTorch names (biases, LayerNorms), store embedding tables as uint8 with `<name>_quantized`,
    `<name>_scale` and `<name>_zero_point`, and every Linear weight inside a MatMulNBits node whose output name
    is the module's path (`/bert/encoder/layer.0/attention/self/query/MatMul_output_0`).
    """
    import numpy as np

    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise RuntimeError("reading an ONNX file needs the onnx package (pip install -r requirements-dev.txt, "
                           "or pip install onnx)") from None

    graph = onnx.load(str(path)).graph
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    quantized = {name[: -len("_quantized")] for name in arrays if name.endswith("_quantized")}
    helpers = {f"{base}_{part}" for base in quantized for part in ("quantized", "scale", "zero_point")}
    state: dict[str, np.ndarray] = {}
    for base in quantized:
        scale, zero = arrays[f"{base}_scale"], arrays[f"{base}_zero_point"]
        if scale.size != 1 or zero.size != 1:
            raise ValueError(f"{path}: {base} has per-channel quantization, which is not read")
        state[base] = (arrays[f"{base}_quantized"].astype(np.float32) - zero.astype(np.float32)) * scale.astype(np.float32)
    for name, array in arrays.items():
        # graph-made names (onnx::..., /bert/...) hold MatMulNBits' packed weights and constants
        if name not in helpers and array.dtype == np.float32 and not name.startswith(("onnx::", "/")):
            state[name] = array
    for node in graph.node:
        if node.op_type == "MatMulNBits":
            key, weight = _matmul_nbits_weight(node, arrays, path)
            if key in state:
                raise ValueError(f"{path}: two tensors would be named {key}")
            state[key] = weight
        elif node.op_type == "MatMul" and any(i in arrays for i in node.input):
            raise ValueError(f"{path}: {node.output[0]} multiplies by an unquantized weight, which is not read")
    return state


def _matmul_nbits_weight(node, arrays: dict, path: Path) -> tuple[str, object]:
    """(PyTorch name, (out, in) float32 weight) of one MatMulNBits node: 4-bit values packed two to a byte,
    low nibble first, one float scale per block of `block_size` inputs, zero point 8 when none is given."""
    import numpy as np
    import onnx

    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    k, n, bits, block = attrs["K"], attrs["N"], attrs.get("bits", 4), attrs["block_size"]
    inputs = [name for name in node.input if name]
    if bits != 4 or len(inputs) != 3:
        raise ValueError(f"{path}: {node.output[0]}: only 4-bit MatMulNBits without zero points or g_idx is read "
                         f"(bits={bits}, {len(inputs)} inputs)")
    packed, scales = arrays[inputs[1]], arrays[inputs[2]].astype(np.float32)
    blocks = packed.shape[1]
    if packed.shape != (n, blocks, block // 2) or scales.size != n * blocks or blocks * block < k:
        raise ValueError(f"{path}: {node.output[0]}: packed {packed.shape} and scales {scales.shape} do not fit "
                         f"K={k}, N={n}, block_size={block}")
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(n, blocks, block).astype(np.float32)
    weight = ((nibbles - 8) * scales.reshape(n, blocks, 1)).reshape(n, blocks * block)[:, :k]
    module = node.output[0].strip("/").rsplit("/", 1)
    if len(module) != 2 or not module[1].startswith("MatMul"):
        raise ValueError(f"{path}: cannot tell the module of MatMulNBits output {node.output[0]}")
    return module[0].replace("/", ".") + ".weight", np.ascontiguousarray(weight)
