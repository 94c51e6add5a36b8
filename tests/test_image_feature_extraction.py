"""image-feature-extraction: a tiny DINOv2's pooled vectors (mean, cls, pooler) and per-token features, the
shown code giving the same numbers, EfficientNet's feature map (no [CLS]); the API and the pooling choices."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import UserError
from demos.vision.image_feature_extraction import TASK
from tests.test_vision_common import CAT, CAT_SIZE, bad, image_file, run, size_of, snippet, value_of


@pytest.mark.parametrize("pooling, shape", [("mean", [32]), ("cls", [32]), ("pooler", [32]), ("none", [1, 17, 32])])
def test_image_feature_extraction(manager, tiny, pooling, shape):
    result = run(manager, tiny["dinov2"], TASK, {"image": CAT}, pooling=pooling)
    out = result.output
    assert out["shape"] == shape and out["pooling"] == pooling
    ns = snippet(result.code)
    if pooling == "none":
        assert len(out["token_norms"]) == 17
        assert ns["features"].norm(dim=-1).tolist() == pytest.approx(out["token_norms"], abs=1e-4)
    else:
        assert len(out["vector"]) == 32 and out["norm"] == pytest.approx(np.linalg.norm(out["vector"]), rel=1e-4)
        assert ns["vector"].tolist() == pytest.approx(out["vector"], abs=1e-5)


def test_feature_extraction_of_a_cnn_and_its_limits(manager, pack_dir):
    folder = pack_dir / "efficientnet_lite0"
    out = run(manager, folder, TASK, {"image": CAT}, pooling="mean").output
    assert out["features_shape"][:2] == [1, 1280] and out["shape"] == [1280]
    with pytest.raises(UserError) as err:
        run(manager, folder, TASK, {"image": CAT}, pooling="cls")
    assert err.value.key == "bad_param"


def test_pooling_is_one_of_the_choices():
    assert TASK.parse({"image": CAT}, {"pooling": "CLS"})[1]["pooling"] == "cls"
    bad(TASK, image=CAT, pooling="max")


def test_api(client, tiny):
    summary, preview, notes, raw, code, details = map(value_of, client.predict(
        image=image_file(CAT), pooling="none", model=str(tiny["dinov2"]), api_name="/image_feature_extraction"))
    assert raw["shape"] == [1, 17, 32] and "(1, 17, 32)" in summary
    assert size_of(preview) == CAT_SIZE  # patch-norm heat map over the image
