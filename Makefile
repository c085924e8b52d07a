# aelab: two commands do everything (see README "Quick start").
#   make lab    set up the environment and open your working copy of the course in JupyterLab
#               (my-notebooks/, created on first use; TRACK=keras opens the Keras track; HEADLESS=1: no browser)
#   make test   set up the environment and run the whole test suite
#   make update-notebooks   copy lessons that are new since into my-notebooks/ (your edits are kept)
#   make explore  the latent explorer: drag sliders over lesson 05's pretrained models, in an app
#               page served by Voila (HEADLESS=1: no browser)
#   make assignments        (teachers) write the nbgrader courses into course/ (docs/grading.md)
#   make hub-test           (schools) the course on a JupyterHub with nbgrader's exchange, three
#               simulated students at once (hub/; docs/instructor.md); needs node and npm
# Both create and reuse a project-local virtual environment in .venv (no conda needed).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.aelab-installed
# The same environment plus the `instructor` extra (nbgrader): for the tests and for grading.
INSTRUCTOR_STAMP := $(VENV)/.aelab-instructor
# ... plus the `hub` extra (JupyterHub), and JupyterHub's proxy, the npm package
# configurable-http-proxy pinned in hub/package-lock.json, installed in hub/node_modules (never globally).
HUB_STAMP := $(VENV)/.aelab-hub
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
PORT ?= 8888
# The student's working copy of the notebooks (ignored by git) and the track JupyterLab opens on.
WORKSPACE ?= my-notebooks
TRACK ?= pytorch
# Extra pip options, e.g. PIP_EXTRA="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_EXTRA ?=
# Threads for each notebook kernel during the test run. Two notebooks run at once (one per core),
# each with one thread: on a busy 2-core machine that is much faster than sharing two threads.
TEST_WORKERS ?= 2
NB_THREADS ?= 1

.PHONY: lab explore update-notebooks test unit-tests notebook-tests browser-tests notebooks check-notebooks run-notebook lock clean venv assignments hub-test

venv: $(STAMP)

$(STAMP): pyproject.toml requirements-lock.txt
	@$(PYTHON) -c 'import sys; v=sys.version_info; sys.exit(0 if v >= (3, 11) else "aelab needs Python 3.11 or newer (found %d.%d); set PYTHON=/path/to/python3.11" % v[:2])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet $(PIP_EXTRA) -c requirements-lock.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (aelab)" > /dev/null
	touch $(STAMP)

$(INSTRUCTOR_STAMP): $(STAMP)
	$(PY) -m pip install --quiet $(PIP_EXTRA) -c requirements-lock.txt -e ".[dev,instructor]"
	touch $(INSTRUCTOR_STAMP)

$(HUB_STAMP): $(INSTRUCTOR_STAMP)
	$(PY) -m pip install --quiet $(PIP_EXTRA) -c requirements-lock.txt -e ".[dev,instructor,hub]"
	touch $(HUB_STAMP)

$(HUB_PROXY): hub/package.json hub/package-lock.json
	@command -v npm >/dev/null || { echo "JupyterHub's proxy needs node and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd hub && npm ci --no-fund --no-audit
	touch $(HUB_PROXY)

# The server listens on this machine only (127.0.0.1); for a remote machine, see README, "Remote use".
lab: $(STAMP)
	$(PY) -m aelab.workspace '$(WORKSPACE)'
	$(PY) -m aelab.lab_server --install-settings
	$(VENV)/bin/jupyter lab --ServerApp.root_dir='$(WORKSPACE)' \
	  --LabApp.default_url=/lab/tree/$(TRACK)/00_welcome.ipynb --ServerApp.port=$(PORT) \
	  $$($(PY) -m aelab.lab_server) \
	  $(if $(HEADLESS),--no-browser --ServerApp.ip=127.0.0.1,) \
	  $(if $(TOKEN),--IdentityProvider.token='$(TOKEN)',) \
	  $(if $(filter 0,$(shell id -u)),--allow-root,)

# Voila runs as an extension of a Jupyter server started with the settings of `make lab` (aelab.lab_server).
explore: $(STAMP)
	$(VENV)/bin/jupyter server --ServerApp.root_dir=notebooks --ServerApp.port=$(PORT) \
	  $$($(PY) -m aelab.lab_server --explore) \
	  $(if $(HEADLESS),--no-browser --ServerApp.ip=127.0.0.1,) \
	  $(if $(TOKEN),--IdentityProvider.token='$(TOKEN)',) \
	  $(if $(filter 0,$(shell id -u)),--allow-root,)

update-notebooks: $(STAMP)
	$(PY) -m aelab.workspace '$(WORKSPACE)'

test: $(INSTRUCTOR_STAMP)
	$(MAKE) --no-print-directory unit-tests notebook-tests browser-tests

unit-tests: $(INSTRUCTOR_STAMP)
	$(PY) -m pytest tests -m "not browser and not hub" -q -n $(TEST_WORKERS)

# AELAB_STRICT=solutions: in the solution notebooks (kernels start in their folder, solutions/),
# check.run(...).use() raises when a solution does not pass its own checker; the student
# notebooks' unsolved stubs still fall back to the reference.
notebook-tests: $(STAMP)
	AELAB_QUICK=1 AELAB_STRICT=solutions \
	  AELAB_THREADS=$(NB_THREADS) OMP_NUM_THREADS=$(NB_THREADS) TF_CPP_MIN_LOG_LEVEL=2 \
	  $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -p no:cacheprovider \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=900 notebooks/pytorch notebooks/keras

# Two at once (one JupyterLab and Chromium each): the pages mostly wait on one-thread kernels.
browser-tests: $(STAMP)
	$(PY) -m pytest tests -m browser -q -n $(TEST_WORKERS) --dist loadgroup

notebooks: $(STAMP)
	$(PY) tools/build_notebooks.py

check-notebooks: $(STAMP)
	$(PY) tools/build_notebooks.py --check

# The nbgrader course of each track, course/pytorch and course/keras (docs/grading.md).
assignments: $(INSTRUCTOR_STAMP)
	$(PY) tools/build_assignments.py --points

# A JupyterHub (hub/jupyterhub_config.py) serving the course to three simulated students at once,
# lesson 00 in each server, a latent slider in chromium, an assignment through nbgrader's exchange
# (tests/test_hub.py; docs/instructor.md). Not part of `make test`; .ci/run runs it after it.
hub-test: $(HUB_STAMP) $(HUB_PROXY)
	$(PY) -m aelab.lab_server --install-settings
	$(PY) -m pytest tests/test_hub.py -m hub -q

# Execute notebooks in full mode (unless AELAB_QUICK=1) and print their wall times: make run-notebook NB="a.ipynb b.ipynb"
run-notebook: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(PY) tools/run_notebook.py $(NB)

lock: $(HUB_STAMP)
	{ sed -n '1,3p' requirements-lock.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^-e' | \
	  sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements-lock.new
	mv requirements-lock.new requirements-lock.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
