import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

needs_tex = pytest.mark.skipif(
    shutil.which("latexmk") is None or shutil.which("pdflatex") is None,
    reason="TeX Live is not installed (run scripts/install-tex.sh)",
)


def with_statement(derivation, claim_id, statement):
    """The derivation with one printed statement replaced, as a fault in derive() would replace it."""
    import dataclasses

    return dataclasses.replace(derivation, equations={**derivation.equations, claim_id: statement})
