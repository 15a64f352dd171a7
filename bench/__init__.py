"""Benchmarks, run by `make bench` (never by `make test`): see bench/run.py and bench/results.md."""
