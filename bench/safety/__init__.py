"""Answer-safety benchmark: does the bot answer only what its vetted FAQ answers really cover?

- :mod:`bench.safety.bitext_map`: Bitext's 27 retail intents → acceptable carebot FAQ keys, and
  loaders for the Bitext and CLINC150 CSVs (read by path at benchmark time, never copied).
- :mod:`bench.safety.metrics`: answered precision, FAQ coverage, off-FAQ answers, OOS recall and
  the risk–coverage curve (pure functions, tested in ``tests/test_bench_safety_metrics.py``).
- :mod:`bench.safety.plot`: the risk–coverage PNG (matplotlib if installed, else a plain PNG).
- :mod:`bench.safety.run`: parse + ``decide()`` every message, print JSON, write the report.
"""
