"""Benchmarks: each part prints ratios against a baseline measured in the same run.

`python -m bench.run_all` (`make bench`) runs the four parts and writes bench/results/latest.json
and img/bench-record-processor.png; bench/README.md's Results are copied from its output.
"""
