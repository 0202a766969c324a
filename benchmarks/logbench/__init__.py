"""The pieces of ``benchmarks/log_throughput.py``: workload, measurements, broker, report."""
