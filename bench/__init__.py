"""Benchmarks: each part prints ratios against a baseline measured in the same run.

`python -m bench.run_all` (`make bench`) runs the four parts and writes bench/results/latest.json
and img/bench-record-processor.png; the README's Benchmarks table is copied from its output.
"""
