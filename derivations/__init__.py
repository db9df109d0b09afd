"""Derivations: one module per problem of the assignment.

Each problem module derives its answers with SymPy (``derive``), verifies them by an
independent numerical route (``verify``), and exposes a small NumPy API.  The ledger of
verified claims is in :mod:`derivations.ledger`, LaTeX printing in :mod:`derivations.tex`,
and the report order in :mod:`derivations.registry`.  Importing this package is cheap.
"""
