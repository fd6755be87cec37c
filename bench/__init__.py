"""Benchmarks that print figures: `python -m bench.run --help`. See docs/performance.md."""
