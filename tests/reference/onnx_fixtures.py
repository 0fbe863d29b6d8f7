#!/usr/bin/env python3
"""Fixtures for spine's ONNX support (tests/fixtures/onnx/) and the values the tests pin.

Writes small ONNX models and what Python's onnxruntime (and scikit-learn) compute with them:
  logreg.onnx         LogisticRegression, 4 float features, zipmap off (P(class 1) = probabilities[:, 1])
  logreg_zipmap.onnx  the same with skl2onnx's default zipmap on (a sequence of maps: refused on import)
  forest.onnx         RandomForestClassifier, 4 float features, zipmap off
  multiclass.onnx     LogisticRegression over 3 classes (refused: ml.predict returns P(class 1) of a binary model)
  linreg_double.onnx  LinearRegression, 3 double features, output [N, 1]
  text_tiny.onnx + tokenizer_tiny.json   a BERT-shaped toy encoder (input_ids, attention_mask, token_type_ids ->
                      last_hidden_state [N, T, 8]) and a 60-word WordPiece tokenizer
  image_tiny.onnx     a toy image encoder (pixel_values [N, 3, 16, 16] -> image_embeds [N, 512]) whose metadata_props
                      carry its preprocessing (spine.preprocess)
  img_*.png / img_photo.jpg  test images
  expected.json       rows, predictions (onnxruntime and scikit-learn), embeddings (onnxruntime + mean pooling +
                      L2 normalisation; images preprocessed with Pillow), preprocessed pixels
  minilm_expected.json  embeddings of the real all-MiniLM-L6-v2 int8 (only when `make models` has fetched it)

Regenerate (tools in a venv under target/, nothing else is touched):
  python3 -m venv --system-site-packages target/pyenv-onnx
  target/pyenv-onnx/bin/pip install onnxruntime==1.31.1 skl2onnx==1.20.0 onnx==1.23.2 tokenizers==0.23.3 pillow==13.0.0
  target/pyenv-onnx/bin/python tests/reference/onnx_fixtures.py
"""
import hashlib
import io
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "onnx")
MODELS_DIR = os.environ.get("SPINE_MODELS_DIR", "/usr/local/share/spine/models")
OPSET = {"": 17, "ai.onnx.ml": 3}
os.makedirs(OUT, exist_ok=True)
expected = {}


def save(name, model):
    """writes a model; skl2onnx names graphs with a random uuid: a fixed name keeps the bytes reproducible"""
    if not isinstance(model, bytes):
        model.graph.name = name.rsplit(".", 1)[0]
        model = model.SerializeToString()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(model)


def session(name, threads=1):
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    return ort.InferenceSession(os.path.join(OUT, name), o, providers=["CPUExecutionProvider"])


def r(a):
    """floats as JSON numbers with every bit of a float32/float64 kept"""
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


# ---- tabular models -------------------------------------------------------------------------------------------
X, y = make_classification(n_samples=600, n_features=4, n_informative=3, n_redundant=0, random_state=7)
Xtr, Xte = X[:500], X[500:540]
Xte = np.vstack([Xte, [[0, 0, 0, 0], [5, -5, 3, -2], [-7.5, 2.25, 0.125, 9]]])  # plus a few hand-made rows
ytr = y[:500]

lr = LogisticRegression(C=1.0, max_iter=1000).fit(Xtr, ytr)
save("logreg.onnx", convert_sklearn(lr, initial_types=[("float_input", FloatTensorType([None, 4]))],
                                    options={id(lr): {"zipmap": False}}, target_opset=OPSET))
save("logreg_zipmap.onnx", convert_sklearn(lr, initial_types=[("float_input", FloatTensorType([None, 4]))],
                                           target_opset=OPSET))
rf = RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0).fit(Xtr, ytr)
save("forest.onnx", convert_sklearn(rf, initial_types=[("float_input", FloatTensorType([None, 4]))],
                                    options={id(rf): {"zipmap": False}}, target_opset=OPSET))
y3 = np.digitize(X[:500, 0], [-0.5, 0.5])
mc = LogisticRegression(max_iter=1000).fit(Xtr, y3)
save("multiclass.onnx", convert_sklearn(mc, initial_types=[("float_input", FloatTensorType([None, 4]))],
                                        options={id(mc): {"zipmap": False}}, target_opset=OPSET))
Xr, yr = make_regression(n_samples=300, n_features=3, noise=0.5, random_state=3)
reg = LinearRegression().fit(Xr, yr)
save("linreg_double.onnx", convert_sklearn(reg, initial_types=[("double_input", DoubleTensorType([None, 3]))],
                                           target_opset=OPSET))
Xre = np.vstack([Xr[:20], [[0, 0, 0], [1.5, -2.25, 1e3]]])

x32 = Xte.astype(np.float32)
expected["tabular"] = {
    "rows": [r(row) for row in Xte],
    "logreg_ort": r(session("logreg.onnx").run(None, {"float_input": x32})[1][:, 1]),
    "logreg_sklearn": r(lr.predict_proba(Xte)[:, 1]),
    "forest_ort": r(session("forest.onnx").run(None, {"float_input": x32})[1][:, 1]),
    "forest_sklearn": r(rf.predict_proba(Xte)[:, 1]),
    "linreg_rows": [r(row) for row in Xre],
    "linreg_ort": r(session("linreg_double.onnx").run(None, {"double_input": Xre})[0][:, 0]),
    "linreg_sklearn": r(reg.predict(Xre)),
}

# ---- a toy text encoder and its tokenizer ---------------------------------------------------------------------------
words = ("the a an car cars is are red blue white black fast slow electric battery good bad new old km price low high "
         "vehicle seller owner full service history diesel petrol hybrid range charge charger kw kwh health state of "
         "with and for sale one two three").split()
vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + words + ["##s", "##ed", "##ing", "##er"])}
tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
tok.normalizer = normalizers.BertNormalizer(lowercase=True)
tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                   special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
tok.enable_truncation(max_length=16)
tok.enable_padding(length=16, pad_id=0, pad_token="[PAD]")  # fixed padding, as exported tokenizers often have
with open(os.path.join(OUT, "tokenizer_tiny.json"), "w") as f:
    f.write(tok.to_str())

rng = np.random.default_rng(11)
V, D = len(vocab), 8
E = rng.normal(size=(V, D)).astype(np.float32)
T = rng.normal(scale=0.1, size=(2, D)).astype(np.float32)
W = rng.normal(scale=0.5, size=(D, D)).astype(np.float32)
b = rng.normal(scale=0.1, size=(D,)).astype(np.float32)
nodes = [
    helper.make_node("Gather", ["E", "input_ids"], ["emb"]),
    helper.make_node("Gather", ["T", "token_type_ids"], ["typ"]),
    helper.make_node("Add", ["emb", "typ"], ["h0"]),
    helper.make_node("MatMul", ["h0", "W"], ["h1"]),
    helper.make_node("Add", ["h1", "b"], ["h2"]),
    helper.make_node("Tanh", ["h2"], ["h3"]),
    helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
    helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
    helper.make_node("Mul", ["h3", "mask3"], ["last_hidden_state"]),
]
g = helper.make_graph(
    nodes, "text_tiny",
    [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in ("input_ids", "attention_mask", "token_type_ids")],
    [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", D])],
    [numpy_helper.from_array(E, "E"), numpy_helper.from_array(T, "T"), numpy_helper.from_array(W, "W"),
     numpy_helper.from_array(b, "b"), numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2")])
m = helper.make_model(g, producer_name="spine-fixtures", opset_imports=[helper.make_opsetid("", 17)])
m.ir_version = 8
onnx.checker.check_model(m)
save("text_tiny.onnx", m.SerializeToString())


def embed_texts(sess, tokenizer, texts):
    """what spine computes: BatchLongest padding, the model, mean pooling over the attention mask, L2 norm"""
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # BatchLongest
    enc = tokenizer.encode_batch(texts)
    feed = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
    names = {i.name for i in sess.get_inputs()}
    h = sess.run(None, {k: v for k, v in feed.items() if k in names})[0]
    mask = feed["attention_mask"][:, :, None].astype(np.float32)
    pooled = (h * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


texts = ["The red car is fast", "Electric vehicle, battery state of health good, charger 11 kW",
         "", "Diesel with full service history and one owner for sale, low km, new tyres, price negotiable, "
         "blue paint, two keys, no accidents",
         "UNKNOWN WORDS ONLY: zebra xylophone", "cars charged"]
tiny_tok = Tokenizer.from_file(os.path.join(OUT, "tokenizer_tiny.json"))
expected["text_tiny"] = {
    "texts": texts,
    "embeddings": [r(e) for e in embed_texts(session("text_tiny.onnx"), tiny_tok, texts)],
    "embeddings_single": [r(embed_texts(session("text_tiny.onnx"), tiny_tok, [t])[0]) for t in texts],
    "ids": [Tokenizer.from_file(os.path.join(OUT, "tokenizer_tiny.json")).encode(t).ids for t in texts],
}

# ---- a toy image encoder ---------------------------------------------------------------------------------------------
S = 16
MEAN = [0.48145466, 0.4578275, 0.40821073]  # OpenCLIP's
STD = [0.26862954, 0.26130258, 0.27577711]
Wc = rng.normal(scale=0.3, size=(4, 3, 4, 4)).astype(np.float32)
Wg = rng.normal(scale=0.2, size=(64, 512)).astype(np.float32)
bg = rng.normal(scale=0.05, size=(512,)).astype(np.float32)
nodes = [
    helper.make_node("Conv", ["pixel_values", "Wc"], ["c"], kernel_shape=[4, 4], strides=[4, 4]),
    helper.make_node("Tanh", ["c"], ["ct"]),
    helper.make_node("Flatten", ["ct"], ["f"], axis=1),
    helper.make_node("Gemm", ["f", "Wg", "bg"], ["image_embeds"]),
]
g = helper.make_graph(nodes, "image_tiny",
                      [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, S, S])],
                      [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch", 512])],
                      [numpy_helper.from_array(Wc, "Wc"), numpy_helper.from_array(Wg, "Wg"), numpy_helper.from_array(bg, "bg")])
m = helper.make_model(g, producer_name="spine-fixtures", opset_imports=[helper.make_opsetid("", 17)])
m.ir_version = 8
helper.set_model_props(m, {"spine.preprocess": json.dumps({"size": S, "resize": S, "interpolation": "bicubic",
                                                            "mean": MEAN, "std": STD})})
onnx.checker.check_model(m)
save("image_tiny.onnx", m.SerializeToString())

img_rng = np.random.default_rng(5)
yy, xx = np.mgrid[0:24, 0:40]
images = {
    "img_exact.png": Image.fromarray(img_rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8), "RGB"),
    "img_wide.png": Image.fromarray(np.clip(np.stack([xx * 6, yy * 10, (xx + yy) * 4], axis=2)
                                            + img_rng.integers(0, 40, size=(24, 40, 3)), 0, 255).astype(np.uint8), "RGB"),
    "img_tall_gray.png": Image.fromarray(img_rng.integers(0, 256, size=(37, 19), dtype=np.uint8), "L"),
    "img_rgba.png": Image.fromarray(img_rng.integers(0, 256, size=(16, 16, 4), dtype=np.uint8), "RGBA"),
}
for name, im in images.items():
    im.save(os.path.join(OUT, name))
photo = Image.fromarray(np.clip(np.stack([xx * 5, yy * 9, 255 - xx * 4], axis=2), 0, 255).astype(np.uint8)[:, :32], "RGB")
photo.save(os.path.join(OUT, "img_photo.jpg"), quality=92)


def preprocess(path, size=S, resize=S):
    """torchvision's Resize(resize, bicubic) + CenterCrop(size) + Normalize, on float planes (Pillow 'F' images)"""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    if w <= h:
        nw, nh = resize, int(resize * h / w)
    else:
        nw, nh = int(resize * w / h), resize
    a = np.asarray(im, dtype=np.float32) / 255.0
    planes = []
    for c in range(3):
        p = Image.fromarray(a[:, :, c], "F")
        if (nw, nh) != (w, h):
            p = p.resize((nw, nh), Image.BICUBIC)
        planes.append(np.clip(np.asarray(p, dtype=np.float32), 0.0, 1.0))
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    x = np.stack(planes)[:, top:top + size, left:left + size]
    return ((x - np.array(MEAN, dtype=np.float32)[:, None, None]) / np.array(STD, dtype=np.float32)[:, None, None]).astype(np.float32)


img_sess = session("image_tiny.onnx")
expected["image_tiny"] = {}
for name in list(images) + ["img_photo.jpg"]:
    x = preprocess(os.path.join(OUT, name))
    e = img_sess.run(None, {"pixel_values": x[None]})[0][0]
    expected["image_tiny"][name] = {"embedding": r(e / max(np.linalg.norm(e), 1e-12)), "pixels": r(x)}

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")

# ---- the real all-MiniLM-L6-v2 (int8), when `make models` has fetched it -----------------------------------------------
minilm = os.path.join(MODELS_DIR, "all-MiniLM-L6-v2-int8")
if os.path.exists(os.path.join(minilm, "model.onnx")):
    with open(os.path.join(minilm, "model.onnx"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    sents = ["Volkswagen Golf 1.5 TSI, 2019, 61 000 km, one owner, full service history",
             "Tesla Model 3 Long Range, Akku 75 kWh, Batteriezustand 92 %, Wärmepumpe",
             "Renault Zoé R135, batterie 52 kWh en location, état de santé 88 %",
             "Nissan Leaf 40 kWh, batterijgezondheid 85%, snellader",
             "Fiat 500e, stato di salute della batteria 95 %, come nuova",
             "Skoda Octavia Combi diesel, trekhaak, navigatie, cruise control",
             "", "BMW i3 " * 60]
    sess = session(os.path.join(minilm, "model.onnx"))
    mtok = Tokenizer.from_file(os.path.join(minilm, "tokenizer.json"))
    out = {"model_sha256": sha, "texts": sents,
           "embeddings": [r(embed_texts(sess, mtok, [t])[0]) for t in sents],
           "embeddings_batch": [r(e) for e in embed_texts(sess, mtok, sents)]}
    with open(os.path.join(OUT, "minilm_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("minilm_expected.json written")
else:
    print(f"{minilm}/model.onnx not found (make models): minilm_expected.json left as it is", file=sys.stderr)
print("fixtures written to", OUT)
