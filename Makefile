# opml: `make run` starts the app, `make test` runs every test. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
PORT ?= 8501
# The Azure scoring package's own environment (Azure ML's inference server and its pins), which
# azureml-local serves from; the tests use this one, the app builds one in its workspace.
AZUREML_ENV := .venv-azureml

.PHONY: run test bench java chromium clean-venv

run: java $(VENV)/.runtime
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: java $(VENV)/.dev $(AZUREML_ENV)/.opml-environment.json chromium
	$(PY) -m pytest

bench: java $(VENV)/.dev
	$(PY) bench/train.py
	$(PY) bench/scoring.py
	$(PY) bench/azure_local.py
	$(PY) bench/monitor.py
	$(PY) bench/engines.py
	$(PY) bench/journey.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -r requirements-dev.txt
	touch $(VENV)/.runtime $@

java:
	@command -v java >/dev/null 2>&1 || { echo "opml needs Java 17 or newer for Spark, and no 'java' was found."; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless) and run make again."; exit 1; }
	@major=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	  if [ -z "$$major" ] || [ "$$major" -lt 17 ]; then \
	    echo "opml needs Java 17 or newer for Spark; 'java -version' reports $$major."; \
	    echo "Install Java 17 (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME."; exit 1; fi

chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run 'sudo apt-get install -y chromium' (they are skipped until then)."; \
	  fi; fi

$(AZUREML_ENV)/.opml-environment.json: opml_core/azure/entry/requirements.txt | $(VENV)/.dev
	$(PY) -m opml_core.azure.environment $(AZUREML_ENV)
	touch $@

clean-venv:
	rm -rf $(VENV) $(AZUREML_ENV)
