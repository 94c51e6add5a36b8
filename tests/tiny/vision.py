"""Tiny random-weight vision models (image classification, detection, segmentation, depth, CLIP, OWL-ViT,
SAM, Swin2SR, VideoMAE, backbones, DINOv2).

Everything is built offline from configs: no backbone weights are fetched (DETR and MaskFormer get a
`ResNetConfig` backbone with `use_pretrained_backbone=False`, `use_timm_backbone=False`). Image processors
resize to 32-64 pixels so a forward pass takes milliseconds.

What random weights give (so tests stay structural; checked on transformers 5.23):
- `detr`: 10 queries, 5 labels, the "no object" logit lowered. Scores are about 0.21, so any
  `threshold` below 0.2 (e.g. 0.0) returns all 10 boxes and the default 0.5 returns none. All queries give
  nearly the same box and label (random queries barely differ after one decoder layer).
- `detr-panoptic` (panoptic) / `maskformer` (panoptic, instance, semantic) / `segformer` (semantic): call
  the image-segmentation pipeline with `threshold=0.0, mask_threshold=0.0, overlap_mask_area_threshold=0.0`
  to get segments (the defaults return none for panoptic/instance); semantic needs nothing. Masks are PIL "L"
  images of the input's size.
- `owlvit`: one box per 8-pixel patch of its 32-pixel input (16 per label); scores are sigmoid(cosine) in
  [0.27, 0.73] by construction (zeroed logit shift/scale), so the default threshold 0.1 keeps all and 0.9
  none. OWL-ViT boxes are not clipped: the last patch row/column reaches past the image.
- `sam`: call the mask-generation pipeline with `points_per_crop=4` (16 points), `points_per_batch=16`,
  `pred_iou_thresh=0`, `stability_score_thresh=0` (0 disables those filters) to get masks.
- `swin2sr`: the image processor pads to a multiple of 4 (always adding at least one row/column), so the
  2x reconstruction is larger than 2x the input: crop it to (2H, 2W).
- `videomae`: 4 frames of 32x32. The video-classification pipeline builds a VideoMAEVideoProcessor (even
  from a folder without video_preprocessor_config.json), which decodes file paths only with torchcodec; see
  tests/test_tiny_vision_models.py for the two ways around it.
"""

from __future__ import annotations

from pathlib import Path

from tests.tiny import tiny
from tests.tiny.common import labels as common_labels
from tests.tiny.common import seed as _seed

LABELS = ["cat", "dog", "car", "tree", "person"]


def labels(names=LABELS) -> dict:
    """`id2label` / `label2id` kwargs for a config (the five LABELS by default)."""
    return common_labels(names)


def _save(folder: Path, model, *processors) -> None:
    model.eval()
    model.save_pretrained(folder)
    for proc in processors:
        proc.save_pretrained(folder)


def _resnet(out_features=("stage4",)):
    from transformers import ResNetConfig

    return ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1],
                        layer_type="basic", out_features=list(out_features))


def _clip_image_processor(size: int = 32):
    from transformers import CLIPImageProcessor

    return CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})


@tiny("vit-imgcls", "image-classification", "image-feature-extraction")
def build_vit(folder: Path) -> None:
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    _seed()
    config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=37, **labels())
    _save(folder, ViTForImageClassification(config), ViTImageProcessor(size={"height": 32, "width": 32}))


def _detr_config(out_features=("stage4",), d_model=32, heads=2, **kw):
    """A 1+1-layer DETR with a tiny ResNet backbone config (no timm, nothing pretrained) and 10 queries."""
    from transformers import DetrConfig

    return DetrConfig(backbone_config=_resnet(out_features), use_pretrained_backbone=False, use_timm_backbone=False,
                      d_model=d_model, encoder_layers=1, decoder_layers=1, encoder_attention_heads=heads,
                      decoder_attention_heads=heads, encoder_ffn_dim=32, decoder_ffn_dim=32, num_queries=10, **kw)


def _no_object_bias(linear, value: float = -5.0) -> None:
    """Lower the logit of the trailing "no object" class so that random queries predict real labels
    (otherwise panoptic post-processing drops every query)."""
    import torch

    with torch.no_grad():
        linear.bias[-1] = value


def _detr_processor():
    from transformers import DetrImageProcessor

    return DetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 64})


@tiny("detr", "object-detection")
def build_detr(folder: Path) -> None:
    from transformers import DetrForObjectDetection

    _seed()
    model = DetrForObjectDetection(_detr_config(**labels()))
    _no_object_bias(model.class_labels_classifier)
    _save(folder, model, _detr_processor())


@tiny("detr-panoptic", "image-segmentation")
def build_detr_panoptic(folder: Path) -> None:
    from transformers import DetrForSegmentation, DetrImageProcessor

    _seed()
    # the mask head uses stages 1-3 of the backbone, needs d_model + heads divisible by 8 and d_model >= 64
    config = _detr_config(("stage1", "stage2", "stage3", "stage4"), d_model=64, heads=8,
                          **labels(["sky", "road", "car", "person"]))
    model = DetrForSegmentation(config)
    _no_object_bias(model.detr.class_labels_classifier)
    processor = DetrImageProcessor(format="coco_panoptic", size={"shortest_edge": 64, "longest_edge": 64})
    _save(folder, model, processor)


@tiny("maskformer", "image-segmentation")
def build_maskformer(folder: Path) -> None:
    from transformers import MaskFormerConfig, MaskFormerForInstanceSegmentation, MaskFormerImageProcessor

    _seed()
    # MaskFormer supports ResNet and Swin backbones; its transformer decoder is DETR's (only the decoder is used)
    config = MaskFormerConfig(backbone_config=_resnet(("stage1", "stage2", "stage3", "stage4")),
                              decoder_config=_detr_config(), fpn_feature_size=32, mask_feature_size=32,
                              **labels(["wall", "floor", "person", "car"]))
    processor = MaskFormerImageProcessor(size={"shortest_edge": 64, "longest_edge": 64}, size_divisor=32,
                                         ignore_index=255, do_reduce_labels=False)
    model = MaskFormerForInstanceSegmentation(config)
    _no_object_bias(model.class_predictor)
    _save(folder, model, processor)


@tiny("segformer", "image-segmentation")
def build_segformer(folder: Path) -> None:
    from transformers import SegformerConfig, SegformerForSemanticSegmentation, SegformerImageProcessor

    _seed()
    config = SegformerConfig(num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[16, 32],
                             patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
                             decoder_hidden_size=32, **labels(["sky", "road", "building", "tree"]))
    processor = SegformerImageProcessor(size={"height": 64, "width": 64})
    _save(folder, SegformerForSemanticSegmentation(config), processor)


@tiny("dpt", "depth-estimation")
def build_dpt(folder: Path) -> None:
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor

    _seed()
    config = DPTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                       intermediate_size=37, backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 16, 32, 32],
                       fusion_hidden_size=16, is_hybrid=False)
    processor = DPTImageProcessor(size={"height": 32, "width": 32}, keep_aspect_ratio=False, ensure_multiple_of=8)
    _save(folder, DPTForDepthEstimation(config), processor)


@tiny("sam", "mask-generation")
def build_sam(folder: Path) -> None:
    from transformers import (
        SamConfig,
        SamImageProcessor,
        SamMaskDecoderConfig,
        SamModel,
        SamProcessor,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )

    _seed()
    vision = SamVisionConfig(hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=2,
                             image_size=64, patch_size=8, mlp_dim=32, window_size=4, global_attn_indexes=[1],
                             num_pos_feats=8)
    prompt = SamPromptEncoderConfig(hidden_size=16, image_size=64, patch_size=8, mask_input_channels=4)
    decoder = SamMaskDecoderConfig(hidden_size=16, mlp_dim=32, num_hidden_layers=2, num_attention_heads=2,
                                   iou_head_hidden_dim=16)
    config = SamConfig(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)
    image_processor = SamImageProcessor(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64},
                                        mask_size={"longest_edge": 16}, mask_pad_size={"height": 16, "width": 16})
    _save(folder, SamModel(config), SamProcessor(image_processor=image_processor))


@tiny("swin2sr", "image-to-image")
def build_swin2sr(folder: Path) -> None:
    from transformers import Swin2SRConfig, Swin2SRForImageSuperResolution, Swin2SRImageProcessor

    _seed()
    config = Swin2SRConfig(image_size=32, patch_size=1, embed_dim=16, depths=[1, 1], num_heads=[2, 2],
                           window_size=4, mlp_ratio=2.0, upscale=2, upsampler="pixelshuffle")
    _save(folder, Swin2SRForImageSuperResolution(config), Swin2SRImageProcessor(pad_size=4))


@tiny("videomae", "video-classification")
def build_videomae(folder: Path) -> None:
    from transformers import (
        VideoMAEConfig,
        VideoMAEForVideoClassification,
        VideoMAEImageProcessor,
        VideoMAEVideoProcessor,
    )

    _seed()
    config = VideoMAEConfig(image_size=32, patch_size=8, num_frames=4, tubelet_size=2, hidden_size=32,
                            num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                            **labels(["running", "jumping", "cooking", "swimming", "dancing"]))
    size = {"shortest_edge": 32}
    crop = {"height": 32, "width": 32}
    _save(folder, VideoMAEForVideoClassification(config), VideoMAEImageProcessor(size=size, crop_size=crop),
          VideoMAEVideoProcessor(size=size, crop_size=crop, num_frames=4))


@tiny("swin-backbone", "backbone")
def build_swin_backbone(folder: Path) -> None:
    from transformers import SwinBackbone, SwinConfig, ViTImageProcessor

    _seed()
    config = SwinConfig(image_size=32, patch_size=4, embed_dim=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                        window_size=2, out_features=["stage1", "stage2", "stage3", "stage4"])
    _save(folder, SwinBackbone(config), ViTImageProcessor(size={"height": 32, "width": 32}))


@tiny("dinov2", "image-feature-extraction")
def build_dinov2(folder: Path) -> None:
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    _seed()
    config = Dinov2Config(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                          mlp_ratio=2)
    processor = BitImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32},
                                  do_convert_rgb=True)
    _save(folder, Dinov2Model(config), processor)


def clip_tokenizer(max_length: int = 77):
    """A CLIPTokenizer over a character-level byte-BPE vocabulary (no merges).

    CLIP's tokenizer is its own kind of BPE (end-of-word suffix `</w>`, lower-cased), so it is built here rather
    than from a generic byte-level BPE. `<|endoftext|>` gets the highest id: CLIP (legacy pooling) and OWL-ViT
    pool the text at `input_ids.argmax(-1)`, which must be the end-of-text token.
    """
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    chars = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab: dict[str, int] = {}
    for token in chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]:
        vocab.setdefault(token, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def _clip_text_vision(tokenizer, max_positions: int):
    text = dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                num_attention_heads=2, max_position_embeddings=max_positions,
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id)
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
                  image_size=32, patch_size=8)
    return text, vision


@tiny("clip", "zero-shot-image-classification")
def build_clip(folder: Path) -> None:
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor

    _seed()
    tokenizer = clip_tokenizer(77)
    text, vision = _clip_text_vision(tokenizer, 77)
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    processor = CLIPProcessor(image_processor=_clip_image_processor(32), tokenizer=tokenizer)
    _save(folder, CLIPModel(config), processor)


@tiny("owlvit", "zero-shot-object-detection")
def build_owlvit(folder: Path) -> None:
    import torch
    from transformers import OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessor, OwlViTProcessor

    _seed()
    tokenizer = clip_tokenizer(16)
    text, vision = _clip_text_vision(tokenizer, 16)
    config = OwlViTConfig(text_config=text, vision_config=vision, projection_dim=32)  # must equal hidden_size
    image_processor = OwlViTImageProcessor(size={"height": 32, "width": 32}, crop_size={"height": 32, "width": 32})
    model = OwlViTForObjectDetection(config)
    with torch.no_grad():
        # boxes = sigmoid(head + box_bias): a zero last layer leaves one box per patch, inside the image
        model.box_head.dense2.weight.zero_()
        model.box_head.dense2.bias.zero_()
        # logits = (cosine + shift) * (elu(scale) + 1): zero both so scores are sigmoid(cosine) in [0.27, 0.73]
        for layer in (model.class_head.logit_shift, model.class_head.logit_scale):
            layer.weight.zero_()
            layer.bias.zero_()
    _save(folder, model, OwlViTProcessor(image_processor=image_processor,
                                                                      tokenizer=tokenizer))
