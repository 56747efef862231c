"""Benchmarks of the audit log service; run them with `make bench` (see docs/benchmarks.md)."""
