# make report: set up (virtualenv, packages, TeX Live) and build report/main.tex and report/main.pdf
# make test:   the same set-up plus the test packages, then pytest
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: report test tex setup setup-test bench mutation reproducible clean

report: setup tex
	$(PY) build.py

test: setup-test tex
	$(PY) -m pytest

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	scripts/ensure-venv.sh
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	touch $@

# TeX Live from Debian's packages when missing; without it the build still writes the LaTeX source.
tex:
	-scripts/install-tex.sh

clean:
	rm -rf report .cache
