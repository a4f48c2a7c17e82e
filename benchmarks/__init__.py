"""line-token benchmarks: side-by-side ratios against the official SDK, httpx and floors.

Run ``python -m benchmarks`` (full run, rewrites ``docs/benchmarks.md``) or
``python -m benchmarks --quick`` (a few iterations per case; the CI smoke run).
"""
