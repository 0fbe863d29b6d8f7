#!/usr/bin/env python3
"""Baseline for spine's text embeddings (scripts/bench.sh, BENCH=onnx): the same all-MiniLM-L6-v2
int8 model and tokenizer.json in Python onnxruntime, the same batch size and intra-op threads,
the same recipe (padding to the longest text of each batch, mean pooling, L2 normalisation).
Prints JSON: seconds (best of RUNS, default 3), sentences per second, and the embeddings' checksum.
usage: onnx_reference.py TEXTS_FILE MODEL_DIR BATCH_SIZE THREADS [RUNS]"""
import csv
import json
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

texts_file, model_dir, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
runs = int(sys.argv[5]) if len(sys.argv) > 5 else 3
with open(texts_file, newline="") as f:
    texts = [row[0] for row in csv.reader(f)]  # COPY ... (FORMAT csv): one text per record
o = ort.SessionOptions()
o.intra_op_num_threads = threads
o.inter_op_num_threads = 1
sess = ort.InferenceSession(f"{model_dir}/model.onnx", o, providers=["CPUExecutionProvider"])
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
tok.enable_padding(pad_id=0, pad_token="[PAD]")  # BatchLongest


def embed(chunk):
    enc = tok.encode_batch(chunk)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    types = np.array([e.type_ids for e in enc], dtype=np.int64)
    h = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
    m = mask[:, :, None].astype(np.float32)
    p = (h * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return p / np.clip(np.linalg.norm(p, axis=1, keepdims=True), 1e-12, None)


embed(texts[:batch])  # warm up
best, out = None, None
for _ in range(runs):
    t0 = time.perf_counter()
    out = np.vstack([embed(texts[i:i + batch]) for i in range(0, len(texts), batch)])
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(json.dumps({"seconds": best, "sentences_per_s": len(texts) / best, "n": len(texts),
                  "checksum": float(np.abs(out).sum())}))
