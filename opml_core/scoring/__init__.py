"""Scoring without a JVM: compile fitted Spark pipelines, check inputs, read payloads.

``compile`` turns a saved Spark pipeline into a ``compiled.CompiledPipeline``; ``bundle``
packages a registered version for serving; ``engines`` scores a bundle; ``inputs`` checks rows;
``payloads`` reads and writes request bodies for every caller.
"""
