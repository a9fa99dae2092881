"""Pre/post-processing in numpy against ultralytics' own LetterBox and non_max_suppression."""
import numpy as np
import pytest


@pytest.mark.parametrize("shape", [(480, 640), (640, 480), (100, 37), (64, 64)])
def test_letterbox_matches_ultralytics(shape):
    from ultralytics.data.augment import LetterBox

    from core.yolo_processing import preprocess

    image = np.random.default_rng(0).integers(0, 255, (*shape, 3), dtype=np.uint8)
    ours = preprocess([image], 320)[0]
    theirs = LetterBox(320, auto=False)(image=image)[..., ::-1].transpose(2, 0, 1).astype(np.float32) / 255
    assert np.array_equal(ours, theirs)


def test_postprocess_matches_ultralytics_nms_and_scaling():
    import torch
    from ultralytics.utils import nms, ops

    from core.yolo_processing import postprocess

    rng = np.random.default_rng(1)
    raw = np.zeros((1, 4 + 3, 500), dtype=np.float32)
    raw[0, 0:2] = rng.uniform(0, 320, (2, 500))
    raw[0, 2:4] = rng.uniform(5, 80, (2, 500))
    raw[0, 4:] = rng.uniform(0, 1, (3, 500)) ** 4
    ours = postprocess(raw[0], imgsz=320, orig_shape=(240, 320), conf=0.05, iou=0.5, max_det=50)
    theirs = nms.non_max_suppression(torch.from_numpy(raw), 0.05, 0.5, max_det=50)[0]
    theirs[:, :4] = ops.scale_boxes((320, 320), theirs[:, :4], (240, 320))
    assert ours.shape == tuple(theirs.shape)
    assert np.allclose(ours, theirs.numpy(), atol=1e-3)


def test_a_tensor_of_8_bit_levels_travels_as_bytes_and_comes_back_the_same_floats():
    from core.yolo_processing import tensor_image
    from inference.v2_services import tensor_packed

    rng = np.random.default_rng(0)
    levels = rng.integers(0, 256, (3, 32, 32)).astype(np.uint8)
    floats = np.divide(levels, np.float32(255.0), dtype=np.float32)
    packed, dtype = tensor_packed([floats.tobytes()])
    assert dtype == "u1" and len(packed[0]) == levels.size
    np.testing.assert_array_equal(tensor_image(packed[0], [3, 32, 32], dtype), floats)
    other = floats + np.float32(1e-4)  # not levels: sent as they are
    assert tensor_packed([other.tobytes()]) == ([other.tobytes()], "f4")
    for outside in (np.float32(-1 / 255), np.float32(256 / 255), np.float32("nan")):  # never wrapped into a level
        bad = floats.copy()
        bad[0, 0, 0] = outside
        assert tensor_packed([bad.tobytes()])[1] == "f4"
