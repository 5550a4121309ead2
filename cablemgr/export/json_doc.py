"""JSON: the service's data as it is, with the keys documented in docs/briefing.md."""

from __future__ import annotations

import json
from typing import Any


def document(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


commitments = document
digest = document
