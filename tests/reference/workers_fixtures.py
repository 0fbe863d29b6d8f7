#!/usr/bin/env python3
"""Fixtures for spine's job workers (tests/fixtures/workers/) and the values the tests pin.

  damage_tiny.onnx   a toy damage classifier: pixel_values [N, 3, 16, 16] -> logits [N, 2] for the labels
                     ('intact', 'damaged'): the mean of each normalised channel, then a fixed linear layer
                     (red-heavy images score 'damaged'); its metadata_props carry the preprocessing
  red.png, blue.png, twotone.png, photo.jpg   test images (solid red, solid blue, red top / white bottom,
                     a smooth gradient JPEG)
  expected.json      class probabilities from Python's onnxruntime (softmax of the logits) with Pillow
                     preprocessing, and the images' BLAKE3-free facts (width, height)

Regenerate (tools in a venv under target/, nothing else is touched):
  python3 -m venv --system-site-packages target/pyenv-onnx
  target/pyenv-onnx/bin/pip install onnxruntime==1.31.1 onnx==1.23.2 pillow==13.0.0
  target/pyenv-onnx/bin/python tests/reference/workers_fixtures.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "workers")
os.makedirs(OUT, exist_ok=True)
S = 16
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

W = np.array([[2.0, -2.0], [-1.0, 1.0], [-1.0, 1.5]], dtype=np.float32)  # channel means -> (intact, damaged)... swapped below
W = W[:, ::-1].copy()  # red raises 'damaged'
B = np.array([0.1, -0.2], dtype=np.float32)
nodes = [
    helper.make_node("ReduceMean", ["pixel_values", "axes"], ["m"], keepdims=0),
    helper.make_node("Gemm", ["m", "W", "B"], ["logits"]),
]
g = helper.make_graph(nodes, "damage_tiny",
                      [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, S, S])],
                      [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
                      [numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes"),
                       numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")])
m = helper.make_model(g, producer_name="spine-fixtures", opset_imports=[helper.make_opsetid("", 18)])
m.ir_version = 8
helper.set_model_props(m, {"spine.preprocess": json.dumps({"size": S, "resize": S, "interpolation": "bicubic",
                                                            "mean": MEAN, "std": STD})})
onnx.checker.check_model(m)
with open(os.path.join(OUT, "damage_tiny.onnx"), "wb") as f:
    f.write(m.SerializeToString())

images = {}
images["red.png"] = Image.new("RGB", (40, 30), (200, 20, 25))
images["blue.png"] = Image.new("RGB", (40, 30), (20, 40, 160))
tt = np.zeros((40, 64, 3), dtype=np.uint8)
tt[:20] = (200, 20, 25)
tt[20:] = (245, 245, 245)
images["twotone.png"] = Image.fromarray(tt, "RGB")
yy, xx = np.mgrid[0:48, 0:64]
images["photo.jpg"] = Image.fromarray(np.clip(np.stack([xx * 3, yy * 4, 255 - xx * 2], axis=2), 0, 255).astype(np.uint8), "RGB")
for name, im in images.items():
    if name.endswith(".jpg"):
        im.save(os.path.join(OUT, name), quality=92)
    else:
        im.save(os.path.join(OUT, name))


def preprocess(path):
    """torchvision's Resize(S, bicubic) + CenterCrop(S) + Normalize on float planes, as tests/reference/onnx_fixtures.py"""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    if w <= h:
        nw, nh = S, int(S * h / w)
    else:
        nw, nh = int(S * w / h), S
    a = np.asarray(im, dtype=np.float32) / 255.0
    planes = []
    for c in range(3):
        p = Image.fromarray(a[:, :, c], "F")
        if (nw, nh) != (w, h):
            p = p.resize((nw, nh), Image.BICUBIC)
        planes.append(np.clip(np.asarray(p, dtype=np.float32), 0.0, 1.0))
    top, left = int(round((nh - S) / 2.0)), int(round((nw - S) / 2.0))
    x = np.stack(planes)[:, top:top + S, left:left + S]
    return ((x - np.array(MEAN, dtype=np.float32)[:, None, None]) / np.array(STD, dtype=np.float32)[:, None, None]).astype(np.float32)


o = ort.SessionOptions()
o.intra_op_num_threads = 1
sess = ort.InferenceSession(os.path.join(OUT, "damage_tiny.onnx"), o, providers=["CPUExecutionProvider"])
expected = {"labels": ["intact", "damaged"], "damage_tiny": {}}
for name in images:
    logits = sess.run(None, {"pixel_values": preprocess(os.path.join(OUT, name))[None]})[0][0].astype(np.float64)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    expected["damage_tiny"][name] = {"logits": [round(float(v), 7) for v in logits], "probabilities": [round(float(v), 7) for v in p]}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(json.dumps(expected["damage_tiny"], indent=1))
