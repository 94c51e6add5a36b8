"""image-backbone: what AutoBackbone gives a detector or segmenter, a feature map per stage (shallow to deep)
for the stages chosen by out_indices or out_features, with the channels that vary most drawn as images."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

from core import drawing, images
from core.codegen import from_pretrained
from core.errors import UserError
from core.i18n import say
from core.params import Int, Labels
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import Ints, autoclass_snippet, decode, example_rows, image_field, stacked_by_size

STAGES = "Stages of this model: {stages}; out_indices = {out_indices}."
STAGE_HEADER = "| stage | shape (batch, channels, height, width) | mean | std |"


def stage_choice(params: dict) -> tuple[list[str], list[int]]:
    """(out_features, out_indices) asked for; out_features wins when both are given; both empty: every stage
    after the stem (resolved against the model's stage_names by all_stages)."""
    features = list(dict.fromkeys(params["out_features"]))
    indices = [] if features else params["out_indices"]
    return features, indices


def all_stages(stage_names) -> list[int]:
    """out_indices of every stage after the stem (what an empty out_indices asks for)."""
    return list(range(1, len(stage_names)))


def config_of(ref_or_folder, revision=None) -> dict:
    """A model's config.json from its local folder or the Hugging Face cache ({} when not at hand)."""
    local = getattr(ref_or_folder, "local", None)
    source = getattr(ref_or_folder, "source", ref_or_folder)
    revision = getattr(ref_or_folder, "revision", revision)
    path = Path(source) / "config.json" if local or (local is None and Path(str(source)).is_absolute()) else None
    if path is None:
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(str(source), "config.json", revision=revision)
        except ValueError:  # not a Hub id either
            return {}
        path = Path(cached) if isinstance(cached, str) else None
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}


def stage_names_of(config: dict) -> list[str]:
    """stage_names of a config.json; older files lack them, so they are derived as the configs do (stem, then
    a stage per entry of depths, or per layer of ViT-like backbones); [] when unknown."""
    if config.get("stage_names"):
        return list(config["stage_names"])
    stages = len(config["depths"]) if config.get("depths") else config.get("num_hidden_layers", 0)
    return ["stem", *[f"stage{i}" for i in range(1, stages + 1)]] if stages else []


def backbone_for(bundle, features: list[str], indices: list[int]):
    """The AutoBackbone version of the loaded model for these stages, made from its weights (cached).

    The app loads the checkpoint with AutoModel and builds the backbone class from that model's config and
    state dict, because `AutoBackbone.from_pretrained` in transformers 5.23 first asks the Hub whether the
    repo exists, which fails for local folders and offline.
    """
    from transformers import AutoBackbone

    model = bundle.model
    config = model.config
    if not getattr(config, "stage_names", None):
        raise UserError("wrong_task", model=type(model).__name__, task="image-backbone (AutoBackbone)")
    cache = bundle.__dict__.setdefault("_backbones", {})
    key = (tuple(features), tuple(indices))
    if key in cache:
        return cache[key]
    config = copy.deepcopy(config)
    indices = indices or ([] if features else all_stages(config.stage_names))
    try:
        if features:
            config.out_features = features
        else:
            config.out_indices = indices
    except ValueError as exc:
        names = list(config.stage_names)
        stages = ", ".join(f"{i}={s}" for i, s in enumerate(names))
        unknown = [f for f in features if f not in names] or [i for i in indices if not -len(names) <= i < len(names)]
        reason = (f"{', '.join(map(str, unknown))} is not a stage of this model" if unknown
                  else str(exc).split(" got ")[0].split(", expected")[0].rstrip(", "))
        raise UserError("bad_param", name="out_features" if features else "out_indices",
                        detail=f"{reason}; this model's stages: {stages}") from None
    try:
        backbone = AutoBackbone.from_config(config)
    except ValueError:
        raise UserError("wrong_task", model=type(model).__name__, task="image-backbone (AutoBackbone)") from None
    state = model.state_dict()
    prefix = backbone.base_model_prefix + "."
    mapped, missing = {}, []
    for name in backbone.state_dict():
        source = name if name in state else name.removeprefix(prefix)
        if source in state:
            mapped[name] = state[source]
        elif "hidden_states_norms" not in name:  # per-stage norms start as from_pretrained makes them
            missing.append(name)
    if missing:
        raise UserError("failed", error=f"{len(missing)} weights of {type(backbone).__name__} are not in "
                                        f"{type(model).__name__} (e.g. {missing[0]})")
    backbone.load_state_dict(mapped, strict=False)
    backbone = backbone.to(device=model.device, dtype=model.dtype).eval()
    if len(cache) >= 2:
        cache.pop(next(iter(cache)))
    cache[key] = backbone
    return backbone


def channel_previews(fmap, count: int) -> tuple[list[dict], list]:
    """The `count` channels of a (1, C, H, W) map with the most spread: ({"channel", "min", "max", "png"} for
    the JSON, the coloured pictures for the gallery)."""
    from PIL import Image

    maps = fmap[0].float().cpu()
    spread = maps.flatten(1).std(dim=1, correction=0)
    best = spread.argsort(descending=True)[:count].tolist()
    out, pictures = [], []
    for c in sorted(best):
        picture = drawing.colorize(maps[c].numpy(), "viridis")
        factor = max(1, math.ceil(96 / max(1, min(picture.size))))
        picture = picture.resize((picture.width * factor, picture.height * factor), Image.Resampling.NEAREST)
        out.append({"channel": c, "min": float(maps[c].min()), "max": float(maps[c].max()),
                    "png": images.to_data_uri(picture)})
        pictures.append(picture)
    return out, pictures


def batch(bundle, inputs_list: list[dict], params: dict) -> list[Output]:
    """run's result per request; images the processor makes the same size go through the backbone together
    (most processors resize to one size; another size runs apart, as padding would change its maps)."""
    import torch

    features, indices = stage_choice(params)
    backbone = backbone_for(bundle, features, indices)
    encoded = [bundle.processor(images=decode(inputs)[1], return_tensors="pt") for inputs in inputs_list]
    results: list = [None] * len(inputs_list)
    for members, pixel_values in stacked_by_size(encoded, backbone.device, backbone.dtype):
        with torch.no_grad():
            maps = backbone(pixel_values=pixel_values).feature_maps
        for row, i in enumerate(members):
            results[i] = stage_maps(backbone, [fmap[row:row + 1] for fmap in maps], params)
    return results


def run(bundle, inputs: dict, params: dict) -> Output:
    """{"stage_names", "out_features", "out_indices", "feature_maps": [{"stage", "shape", "mean", "std",
    "channels": [{"channel", "min", "max", "png"}]}]}; facts: the gallery's (picture, caption) pairs."""
    return batch(bundle, [inputs], params)[0]


def stage_maps(backbone, feature_maps, params: dict) -> Output:
    """run's Output for one image's feature maps (each (1, C, H, W))."""
    maps, gallery = [], []
    for stage, fmap in zip(backbone.out_features, feature_maps):
        f = fmap.float()
        channels, pictures = channel_previews(fmap, params["channels"])
        maps.append({"stage": stage, "shape": list(fmap.shape), "mean": float(f.mean()), "std": float(f.std()),
                     "channels": channels})
        gallery += [(picture, f"{stage} · ch {c['channel']}") for c, picture in zip(channels, pictures)]
    value = {"stage_names": list(backbone.stage_names), "out_features": list(backbone.out_features),
             "out_indices": list(backbone.out_indices), "feature_maps": maps}
    return Output(value, facts={"gallery": gallery})


def backbone_class(ref) -> str | None:
    """The concrete class AutoBackbone maps the model's config to (e.g. SwinBackbone), read from its
    config.json in the local folder or the Hugging Face cache; None when that file is not at hand."""
    model_type = config_of(ref).get("model_type")
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_BACKBONE_MAPPING_NAMES

        return MODEL_FOR_BACKBONE_MAPPING_NAMES[model_type] if model_type else None
    except KeyError:
        return None


def code(ref, inputs: dict, params: dict, place) -> str:
    features, indices = stage_choice(params)
    if not features and not indices:  # every stage after the stem, spelled out for this model
        indices = all_stages(stage_names_of(config_of(ref)))
    concrete = backbone_class(ref)
    cls = concrete if ref.local and concrete else "AutoBackbone"
    stages: dict[str, Any] = {"out_features": features} if features else \
        {"out_indices": tuple(indices)} if indices else {}
    bug = "transformers 5.23's AutoBackbone.from_pretrained first asks the Hub whether the repo exists"
    if cls != "AutoBackbone":
        note = f"{bug}, which fails for a local folder:\nload the class AutoBackbone maps this config to ({cls}) instead."
    else:
        note = (f"{bug}: offline (HF_HUB_OFFLINE=1) it fails;\nthen load the concrete class instead"
                f" ({concrete or 'e.g. SwinBackbone'}.from_pretrained with the same arguments).")
    load = from_pretrained(cls, ref, place, **stages)
    return autoclass_snippet(
        ref, place, inputs["image"], note=note,
        imports=("import torch", f"from transformers import AutoImageProcessor, {cls}"),
        load=[from_pretrained("AutoImageProcessor", ref, var="processor"), load, ""],
        body=["inputs = processor(images=image, return_tensors='pt').to(model.device, model.dtype)",
              "with torch.no_grad():",
              "    outputs = model(**inputs)",
              "print(model.stage_names)",
              "for name, feature_map in zip(model.out_features, outputs.feature_maps):",
              "    print(name, tuple(feature_map.shape))  # (batch, channels, height, width)"])


def shapes_table(output: dict) -> str:
    """The stages line and a table of each map's shape and numbers, in the browser's language."""
    rows = [say(STAGE_HEADER), "|---|---|---|---|"]
    rows += [f"| {m['stage']} | {tuple(m['shape'])} | {m['mean']:.3f} | {m['std']:.3f} |"
             for m in output["feature_maps"]]
    return (say(STAGES, stages=", ".join(output["stage_names"]), out_indices=tuple(output["out_indices"]))
            + "\n\n" + "\n".join(rows))


def stages_hint(names: list[str]) -> str:
    """The out_indices placeholder: what empty means for this model, and its stages by number."""
    if not names:
        return ""
    return f"{', '.join(map(str, all_stages(names)))}   ({', '.join(f'{i}={n}' for i, n in enumerate(names))})"


def stage_examples(names: list[str]) -> list[list]:
    """Example rows that fit a model with these stages: the first stage, every stage, the last two by name
    (without the stages, two rows valid for any backbone)."""
    if len(names) < 2:
        return example_rows(["chelsea", "1", ""], ["astronaut", "", ""])
    return example_rows(["chelsea", "1", ""], ["astronaut", ", ".join(map(str, all_stages(names))), ""],
                        ["coffee", "", ", ".join(names[1:][-2:])])


def build(ctx) -> None:
    """Photo, picker, stages and channels on the left; the shapes table and a gallery of channels on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, new_rows, result_panels, widget, wire

    tr = ctx.tr
    api = TASK.api_name
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"image": widget(ctx, TASK, "image")}
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields["out_indices"] = widget(ctx, TASK, "out_indices", elem_id=f"{api}_indices")
                fields["out_features"] = widget(ctx, TASK, "out_features")
            fields["channels"] = widget(ctx, TASK, "channels")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{api}_run")
            names = stage_names_of(config_of(model.value))
            fields["out_indices"].placeholder = stages_hint(names)
            rows = examples(ctx, stage_examples(names),
                            [fields["image"], fields["out_indices"], fields["out_features"]])
        with gr.Column(scale=3):
            shapes = gr.Markdown(elem_id=f"{api}_shapes")
            gallery = gr.Gallery(label=tr("Feature map channels"), columns=4, height="auto", object_fit="contain",
                                 format="png", elem_id=f"{api}_gallery")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {shapes: shapes_table(result.output), gallery: result.facts["gallery"]}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [shapes, gallery])

    def follow(model_id: str, typed: str):
        """Examples and the stages hint of the new model; typed indices it lacks are cleared (empty = all)."""
        names = stage_names_of(config_of(model_id))
        try:
            keep = all(-len(names) <= i < len(names) for i in TASK.params["out_indices"].parse(typed)) and names
        except UserError:
            keep = False
        return (new_rows(stage_examples(names)),
                gr.update(placeholder=stages_hint(names), **({} if keep else {"value": ""})))

    model.change(follow, [model, fields["out_indices"]], [rows.dataset, fields["out_indices"]],
                 api_visibility="private", show_progress="hidden")


TASK = TaskSpec(
    id="image-backbone",
    title="Backbone feature maps",
    loader=Loader.auto("AutoModel", "AutoImageProcessor"),
    default_model="microsoft/swin-tiny-patch4-window7-224",
    models=("microsoft/resnet-50", "facebook/convnext-tiny-224", "facebook/dinov2-small"),
    run=run,
    batch=batch,
    code=code,
    inputs=(image_field(),),
    params=(
        Ints("out_indices", "", label="out_indices",
             help="Stage numbers (0 is the stem), e.g. 1 or 1, 2; empty: every stage after the stem",
             minimum=-64, maximum=64, max_items=16),
        Labels("out_features", (), label="out_features",
               help="Or stage names, e.g. stage1, stage4 (wins over out_indices)", max_items=16, max_chars=64),
        Int("channels", 4, 1, 16, label="Channels drawn per stage",
            help="The channels whose values vary most, per stage"),
    ),
    model_types=("swin", "swinv2", "resnet", "convnext", "convnextv2", "dinov2", "dinov2_with_registers", "bit",
                 "focalnet", "hiera", "pvt_v2", "vitdet", "textnet", "dinat", "nat", "maskformer-swin"),
    description="What AutoBackbone gives a detector or segmenter: a feature map per stage, shallow to deep.",
    build=build,
)
