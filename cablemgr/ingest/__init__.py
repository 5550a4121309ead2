"""Import: files as they arrive from posts, turned into records.

One module per input format (``cable``, ``notes``, ``mail``, ``tabular`` for CSV, ``frus``;
the native JSON/JSONL format lives in ``cablemgr.native``), all producing the same plain
record dicts (see ``base``); ``detect`` picks the format, ``runner`` files the records once,
links them and accounts for every file; ``similarity`` finds near-duplicates.
No click and no printing here: the ``import`` and ``refs`` commands render the results.
"""

from cablemgr.ingest.detect import FORMATS

__all__ = ["FORMATS"]
