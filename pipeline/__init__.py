"""The build machinery behind ``build.py``: rendering, figures, compiling, caching."""
