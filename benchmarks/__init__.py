"""Benchmark scripts (run by hand, not by pytest): ``python -m benchmarks.bench_engine``."""
