#!/usr/bin/env bash
# Installs the TeX Live packages the report uses, from Debian's packages, when they are missing.
# Runs as root, or through sudo without a password; otherwise says exactly what to run.
set -u
PACKAGES="latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures texlive-science texlive-fonts-recommended lmodern"
# The style files the report loads; one missing means the set above is incomplete.
STYLES="algorithm.sty algpseudocode.sty cleveref.sty enumitem.sty tikz.sty booktabs.sty longtable.sty xltabular.sty hyperref.sty natbib.sty microtype.sty mathtools.sty bm.sty caption.sty subcaption.sty lmodern.sty xcolor.sty geometry.sty amsmath.sty amssymb.sty"

have_tex() {
  command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 || return 1
  for s in $STYLES; do kpsewhich "$s" >/dev/null 2>&1 || return 1; done
  return 0
}

if have_tex; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tex: TeX Live is missing and this is not a Debian/Ubuntu machine (no apt-get)." >&2
  echo "install-tex: install latexmk and a TeX Live with: $STYLES; the LaTeX source is still built." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
else
  echo "install-tex: TeX Live is missing and installing it needs root. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $PACKAGES" >&2
  exit 1
fi
echo "install-tex: installing TeX Live from Debian's packages: $PACKAGES"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || { echo "install-tex: apt-get update failed" >&2; exit 1; }
$SUDO apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null || { echo "install-tex: apt-get install failed" >&2; exit 1; }
have_tex || { echo "install-tex: installed, but some style files are still missing" >&2; exit 1; }
echo "install-tex: done"
