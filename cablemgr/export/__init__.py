"""Output formats for summaries, one module per format, registered here.

The dicts below drive the ``--format`` choices of ``export commitments`` and ``digest``: a new
format is a module with a ``commitments(data)`` and/or ``digest(data)`` function and a line
here. Each function takes the plain data a service returned and gives text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cablemgr.export import csv_table, html_page, ical, json_doc, markdown

Renderer = Callable[[dict[str, Any]], str]

COMMITMENT_FORMATS: dict[str, Renderer] = {
    "md": markdown.commitments,
    "csv": csv_table.commitments,
    "json": json_doc.commitments,
    "html": html_page.commitments,
}
# the matrix alone, for a spreadsheet (``export commitments --format csv --matrix``)
MATRIX_FORMATS: dict[str, Renderer] = {
    "csv": csv_table.matrix,
}
DIGEST_FORMATS: dict[str, Renderer] = {
    "md": markdown.digest,
    "html": html_page.digest,
    "json": json_doc.digest,
}
CALENDAR = ical.calendar
