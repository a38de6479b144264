"""The pipeline: what runs the chapters, builds the book and runs sweeps.

* :mod:`~rmtlib.pipeline.parameters`: a chapter's parameters: parsing and validation;
* :mod:`~rmtlib.pipeline.runner`: one chapter: content hash, kernel environment, execution;
* :mod:`~rmtlib.pipeline.site`: the book: cached execution of every chapter, strict rendering;
* :mod:`~rmtlib.pipeline.sweep`: grids of parameters x seeds on local processes or Dask;
* :mod:`~rmtlib.pipeline.cli`: ``python -m rmtlib run | book | sweep | compare``;
* :mod:`~rmtlib.pipeline.files`, :mod:`~rmtlib.pipeline.signals`, :mod:`~rmtlib.pipeline.progress`:
  atomic writes and locks, Ctrl-C and SIGTERM, progress bars.

The mathematics (``rmtlib`` outside this package) never imports the pipeline, and the
content hash of a chapter covers everything but this package, so editing the pipeline
re-executes no chapter. What a chapter imports lies outside it: the profiles and the rerun
note (:mod:`rmtlib.profiles`), the reader of sweep stores (:mod:`rmtlib.sweep_results`).
"""
