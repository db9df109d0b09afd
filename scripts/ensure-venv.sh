#!/usr/bin/env bash
# Creates .venv with python3 -m venv, installing Debian's python3-venv first when venv is missing.
set -eu
PY=${PYTHON:-python3}
if [ -x .venv/bin/python ]; then exit 0; fi
if ! $PY -m venv .venv 2>/dev/null; then
  rm -rf .venv
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
    echo "ensure-venv: python3 -m venv failed; installing Debian's python3-venv"
    $SUDO apt-get update -q >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-pip >/dev/null
    $PY -m venv .venv
  else
    echo "ensure-venv: '$PY -m venv' failed; install Python's venv module and run make again" >&2
    exit 1
  fi
fi
