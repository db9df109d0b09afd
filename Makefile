# make report: set up (virtualenv, packages, TeX Live) and build report/main.tex and report/main.pdf
# make test:   the same set-up plus the test packages, then pytest
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: report test tex setup setup-test bench mutation reproducible portability pages clean

report: setup tex
	$(PY) build.py

test: setup-test tex
	$(PY) -m pytest

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

# Exact versions from requirements.lock (it also pins the test packages), then the project itself.
$(VENV)/.installed: pyproject.toml requirements.lock
	scripts/ensure-venv.sh
	$(PIP) install -q -r requirements.lock
	$(PIP) install -q --no-deps -e .
	touch $@

# The lock already holds pytest, Hypothesis and lime: nothing more to install.
$(VENV)/.installed-test: $(VENV)/.installed
	touch $@

# TeX Live from Debian's packages when missing; without it the build still writes the LaTeX source.
tex:
	-scripts/install-tex.sh

# Speed: cold, no-op, one-problem-changed and latexmk-alone builds, medians and ratios.
bench: setup tex
	$(PY) scripts/bench.py --runs 3

# Are the checks real? Plant faults in the derivation code; build.py --verify-only must fail.
mutation: setup
	$(PY) scripts/mutation.py

# Two builds from scratch in two folders, compared byte for byte.
reproducible: setup tex
	$(PY) build.py --check-reproducible

# The report's text must not depend on the processor: the LaTeX source built under other OpenBLAS
# kernels, FAISS without SIMD and two BLAS threads must pass every claim and equal the default's.
portability: setup
	$(PY) scripts/portability.py

# Length of each problem and of the appendix in report/main.pdf, against the reader's-edition limits.
pages:
	$(PY) scripts/pages.py report/main.pdf --max-problems 40 --max-appendix 6

clean:
	rm -rf report .cache
