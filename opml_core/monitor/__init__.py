"""Monitoring: drift statistics, the drift calculator, the drift classifier, performance over
time, and the report that turns them into status cards and charts.

``stats`` computes each statistic from counts; ``methods`` registers them by key with display
names and thresholds; ``calculator`` aggregates Spark tables into those counts per window.
"""
