"""Structural checks of the tiny vision and multimodal models through the code paths the app uses.

Weights are random: these tests assert types, shapes, label sets and geometry, never specific values.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

VIS_W, VIS_H = 80, 60  # not square, so that a swapped width/height shows


@pytest.fixture(scope="module")
def vis_image():
    from PIL import Image

    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (VIS_H, VIS_W, 3), dtype=np.uint8))


def _labels(folder) -> set[str]:
    from transformers import AutoConfig

    return set(AutoConfig.from_pretrained(str(folder)).id2label.values())


def _pipe(task, folder, **kw):
    from transformers import pipeline

    return pipeline(task, model=str(folder), **kw)


def _assert_box_inside(box, width=VIS_W, height=VIS_H):
    assert set(box) == {"xmin", "ymin", "xmax", "ymax"}
    assert all(isinstance(v, int) for v in box.values())
    assert 0 <= box["xmin"] <= box["xmax"] <= width
    assert 0 <= box["ymin"] <= box["ymax"] <= height


def test_vit_image_classification(tiny, vis_image):
    out = _pipe("image-classification", tiny["vit-imgcls"])(vis_image, top_k=5)
    assert [set(o) for o in out] == [{"label", "score"}] * 5
    assert {o["label"] for o in out} == {"cat", "dog", "car", "tree", "person"}
    scores = [o["score"] for o in out]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("name, hidden", [("vit-imgcls", 32), ("dinov2", 32)])
def test_image_feature_extraction(tiny, vis_image, name, hidden):
    pipe = _pipe("image-feature-extraction", tiny[name])
    tokens = np.array(pipe(vis_image))
    assert tokens.shape == (1, 1 + 16, hidden)  # CLS + a 4x4 grid of patches (32 px images, 8 px patches)
    assert np.array(pipe(vis_image, pool=True)).shape == (1, hidden)


def test_detr_object_detection(tiny, vis_image):
    pipe = _pipe("object-detection", tiny["detr"])
    found = pipe(vis_image, threshold=0.0)  # softmax scores of random weights are about 0.2: 0.0 keeps all
    assert len(found) == pipe.model.config.num_queries == 10
    labels = _labels(tiny["detr"])
    for det in found:
        assert set(det) == {"score", "label", "box"}
        assert det["label"] in labels and 0.0 < det["score"] < 1.0
        _assert_box_inside(det["box"])
    assert pipe(vis_image, threshold=1.0) == []


SEGMENTATION = [("detr-panoptic", "panoptic"), ("maskformer", "panoptic"), ("maskformer", "instance"),
                ("maskformer", "semantic"), ("segformer", "semantic")]


@pytest.mark.parametrize("name, subtask", SEGMENTATION)
def test_image_segmentation_subtasks(tiny, vis_image, name, subtask):
    pipe = _pipe("image-segmentation", tiny[name])
    # random weights: thresholds at 0 keep the (low-scored, low-probability) masks
    kwargs = {} if subtask == "semantic" else dict(threshold=0.0, mask_threshold=0.0, overlap_mask_area_threshold=0.0)
    out = pipe(vis_image, subtask=subtask, **kwargs)
    assert out, f"{name} returned no {subtask} segments"
    labels = _labels(tiny[name])
    for seg in out:
        assert set(seg) == {"score", "label", "mask"}
        assert seg["label"] in labels
        assert seg["mask"].size == (VIS_W, VIS_H) and seg["mask"].mode == "L"
        assert set(np.unique(np.array(seg["mask"]))) <= {0, 255}
        if subtask == "semantic":
            assert seg["score"] is None
        else:
            assert 0.0 <= seg["score"] <= 1.0


def test_depth_estimation(tiny, vis_image):
    out = _pipe("depth-estimation", tiny["dpt"])(vis_image)
    assert tuple(out["predicted_depth"].shape) == (VIS_H, VIS_W)
    assert out["depth"].size == (VIS_W, VIS_H) and out["depth"].mode == "L"


def test_clip_zero_shot_and_embeddings(tiny, vis_image):
    import torch
    from transformers import CLIPModel, CLIPProcessor

    labels = ["a cat", "a dog", "a red car"]
    out = _pipe("zero-shot-image-classification", tiny["clip"])(vis_image, candidate_labels=labels)
    assert sorted(o["label"] for o in out) == sorted(labels)
    assert sum(o["score"] for o in out) == pytest.approx(1.0, abs=1e-4)

    processor = CLIPProcessor.from_pretrained(str(tiny["clip"]))
    model = CLIPModel.from_pretrained(str(tiny["clip"]))
    text_inputs = processor(text=["a photo of a cat", "dog"], padding=True, return_tensors="pt")
    assert "token_type_ids" not in text_inputs
    with torch.no_grad():
        # transformers 5: get_*_features return a model output; the projected embeddings are its pooler_output
        text = model.get_text_features(**text_inputs).pooler_output
        image = model.get_image_features(**processor(images=vis_image, return_tensors="pt")).pooler_output
    dim = model.config.projection_dim
    assert tuple(text.shape) == (2, dim) and tuple(image.shape) == (1, dim)


def test_owlvit_zero_shot_object_detection(tiny, vis_image):
    pipe = _pipe("zero-shot-object-detection", tiny["owlvit"])
    labels = ["cat", "remote control"]
    found = pipe(vis_image, candidate_labels=labels, threshold=0.0)
    assert len(found) == 16 * len(labels)  # one box per patch (4x4) and label
    for det in found:
        assert set(det) == {"score", "label", "box"} and det["label"] in labels
        box = det["box"]
        # OWL-ViT boxes are not clipped to the image (the last patch row/column reaches past it)
        assert box["xmin"] <= box["xmax"] and box["ymin"] <= box["ymax"]
        assert 0 <= (box["xmin"] + box["xmax"]) / 2 <= VIS_W and 0 <= (box["ymin"] + box["ymax"]) / 2 <= VIS_H
    # the tiny model's scores are sigmoid(cosine) in [0.27, 0.73] by construction
    assert pipe(vis_image, candidate_labels=labels, threshold=0.9) == []


def test_sam_mask_generation(tiny, vis_image):
    pipe = _pipe("mask-generation", tiny["sam"])
    out = pipe(vis_image, points_per_batch=16, points_per_crop=4, pred_iou_thresh=0, stability_score_thresh=0)
    assert out["masks"] and len(out["masks"]) == len(out["scores"])
    for mask in out["masks"]:
        mask = np.asarray(mask)  # a torch bool tensor
        assert mask.shape == (VIS_H, VIS_W) and mask.dtype == bool


def test_sam_point_prompt(tiny, vis_image):
    import torch
    from transformers import SamModel, SamProcessor

    processor = SamProcessor.from_pretrained(str(tiny["sam"]))
    model = SamModel.from_pretrained(str(tiny["sam"]))
    inputs = processor(vis_image, input_points=[[[30, 20]]], return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    assert tuple(out.iou_scores.shape) == (1, 1, 3)  # 3 candidate masks for the one point
    masks = processor.image_processor.post_process_masks(out.pred_masks, inputs["original_sizes"],
                                                         inputs["reshaped_input_sizes"])
    assert tuple(masks[0].shape) == (1, 3, VIS_H, VIS_W) and masks[0].dtype == torch.bool


def test_swin2sr_upscale(tiny, vis_image):
    import torch
    from transformers import AutoImageProcessor, Swin2SRForImageSuperResolution

    processor = AutoImageProcessor.from_pretrained(str(tiny["swin2sr"]))
    model = Swin2SRForImageSuperResolution.from_pretrained(str(tiny["swin2sr"]))
    inputs = processor(vis_image, return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs).reconstruction
    _, _, h, w = inputs["pixel_values"].shape  # padded up to a multiple of the window size
    assert h >= VIS_H and w >= VIS_W
    assert tuple(out.shape) == (1, 3, 2 * h, 2 * w)
    # the app crops the padding away: 2x the input size
    assert tuple(out[..., : 2 * VIS_H, : 2 * VIS_W].shape) == (1, 3, 2 * VIS_H, 2 * VIS_W)


@pytest.fixture(scope="module")
def vis_video(tmp_path_factory):
    """A 16-frame 64x48 MPEG-4 clip written with PyAV."""
    import av

    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(16):
            frame = np.zeros((48, 64, 3), np.uint8)
            frame[:, :, 0] = i * 15
            frame[i * 3:(i + 1) * 3] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_videomae_video_classification(tiny, vis_video):
    pipe = _pipe("video-classification", tiny["videomae"])
    labels = _labels(tiny["videomae"])
    # A file path needs torchcodec for the pipeline's video processor; without it, dropping the video processor
    # makes the pipeline decode with PyAV and use the image processor.
    pipe.video_processor = None
    out = pipe(str(vis_video), top_k=3)
    assert len(out) == 3 and {o["label"] for o in out} <= labels
    # Decoded frames (T, H, W, 3) go through the video processor without torchcodec.
    import av

    with av.open(str(vis_video)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    pipe = _pipe("video-classification", tiny["videomae"])
    out = pipe(frames, top_k=2)
    assert len(out) == 2 and {o["label"] for o in out} <= labels


def test_swin_backbone_feature_maps(tiny, vis_image):
    import torch
    from transformers import AutoBackbone, AutoConfig, AutoImageProcessor

    folder = str(tiny["swin-backbone"])
    config = AutoConfig.from_pretrained(folder)
    # AutoBackbone.from_pretrained(local folder) fails in transformers 5.23 (it asks the Hub whether the repo
    # exists): take the concrete class from AutoBackbone's mapping instead.
    model = AutoBackbone._model_mapping[type(config)].from_pretrained(folder)
    processor = AutoImageProcessor.from_pretrained(folder)
    with torch.no_grad():
        maps = model(**processor(vis_image, return_tensors="pt")).feature_maps
    assert len(maps) == len(config.out_features) == 4
    assert [m.shape[1] for m in maps] == list(model.channels)
    sizes = [m.shape[-1] for m in maps]
    assert sizes == [8, 4, 2, 1]  # 32 px input, patch 4, then halved per stage


def test_layoutlm_document_qa_word_boxes(tiny):
    pipe = _pipe("document-question-answering", tiny["layoutlm-docqa"])
    words = [("Invoice", [50, 50, 300, 100]), ("Total", [50, 200, 200, 250]), ("99.50", [220, 200, 400, 250])]
    out = pipe(image=None, question="What is the total?", word_boxes=words, top_k=2)
    assert 1 <= len(out) <= 2
    for ans in out:
        assert set(ans) == {"score", "answer", "start", "end"}
        assert 0 <= ans["start"] <= ans["end"] < len(words)
        assert ans["answer"] == " ".join(w for w, _ in words[ans["start"]:ans["end"] + 1])


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract OCR is not installed")
def test_layoutlm_document_qa_ocr(tiny):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 160), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["INVOICE 12345", "Customer: ACME", "Total: $99.50"]):
        draw.text((20, 15 + 45 * i), line, fill="black", font_size=28)
    out = _pipe("document-question-answering", tiny["layoutlm-docqa"])(image=image, question="What is the total?")
    assert len(out) == 1 and set(out[0]) == {"score", "answer", "start", "end"}
    assert out[0]["answer"].strip()  # some OCR'd word(s) of the document


def test_vilt_vqa(tiny, vis_image):
    import torch
    from transformers import ViltForQuestionAnswering, ViltProcessor

    processor = ViltProcessor.from_pretrained(str(tiny["vilt-vqa"]))
    model = ViltForQuestionAnswering.from_pretrained(str(tiny["vilt-vqa"]))
    with torch.no_grad():
        logits = model(**processor(images=vis_image, text="How many cats?", return_tensors="pt")).logits
    assert tuple(logits.shape) == (1, len(model.config.id2label))
    assert set(model.config.id2label.values()) == {"yes", "no", "2", "cat", "red"}
    assert model.config.id2label[int(logits.argmax(-1))] in {"yes", "no", "2", "cat", "red"}


def test_blip_vqa(tiny, vis_image):
    from transformers import BlipForQuestionAnswering, BlipProcessor

    processor = BlipProcessor.from_pretrained(str(tiny["blip-vqa"]))
    model = BlipForQuestionAnswering.from_pretrained(str(tiny["blip-vqa"]))
    ids = model.generate(**processor(images=vis_image, text="How many dogs?", return_tensors="pt"), max_new_tokens=4)
    assert ids.shape[0] == 1 and 1 <= ids.shape[1] <= 1 + 4
    assert isinstance(processor.batch_decode(ids, skip_special_tokens=True)[0], str)


def test_blip_caption(tiny, vis_image):
    from transformers import AutoProcessor, BlipForConditionalGeneration

    pipe = _pipe("image-text-to-text", tiny["blip-caption"])
    # the image-text-to-text pipeline requires text: "" asks for an unconditional caption
    out = pipe(images=vis_image, text="", max_new_tokens=4)
    assert len(out) == 1 and isinstance(out[0]["generated_text"], str)
    prompted = pipe(images=vis_image, text="a picture of", max_new_tokens=4)
    assert prompted[0]["generated_text"].startswith("a picture of")

    processor = AutoProcessor.from_pretrained(str(tiny["blip-caption"]))
    model = BlipForConditionalGeneration.from_pretrained(str(tiny["blip-caption"]))
    ids = model.generate(**processor(images=vis_image, return_tensors="pt"), max_new_tokens=4)
    assert ids.shape[0] == 1 and isinstance(processor.decode(ids[0], skip_special_tokens=True), str)


def test_vlm_chat(tiny, vis_image):
    pipe = _pipe("image-text-to-text", tiny["vlm-chat"])
    messages = [{"role": "user", "content": [{"type": "image", "image": vis_image},
                                             {"type": "text", "text": "What is this?"}]}]
    out = pipe(text=messages, max_new_tokens=5)
    chat = out[0]["generated_text"]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert isinstance(chat[-1]["content"], str)
    new = pipe(text=messages, max_new_tokens=5, return_full_text=False)
    assert isinstance(new[0]["generated_text"], str)
