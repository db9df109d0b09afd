import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

needs_tex = pytest.mark.skipif(
    shutil.which("latexmk") is None or shutil.which("pdflatex") is None,
    reason="TeX Live is not installed (run scripts/install-tex.sh)",
)
