"""The pipeline: what runs the chapters, builds the book and runs sweeps.

* :mod:`~rmtlib.pipeline.runner`: one chapter: parameters, validation, content hash, execution;
* :mod:`~rmtlib.pipeline.site`: the book: cached execution of every chapter, strict rendering;
* :mod:`~rmtlib.pipeline.sweep`: grids of parameters x seeds on local processes or Dask;
* :mod:`~rmtlib.pipeline.cli`: ``python -m rmtlib run | book | sweep``.

The mathematics (``rmtlib`` outside this package) never imports the pipeline, and the
content hash of a chapter covers everything but this package, so editing the pipeline
re-executes no chapter.
"""
