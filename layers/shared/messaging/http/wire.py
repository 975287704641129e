"""The JSON of an answer, byte for byte what pydantic's `model_dump_json` wrote before (messaging.http.views
builds plain documents now): compact separators, UTF-8 as is (no \\u escapes beyond the control characters),
and pydantic's spelling of floats, which differs from Python's only below 1e-4 (1e-07 is 1e-7, 1.5e-05 is
0.000015). Only a context variable can hold such a float, so the standard encoder writes the document and a
slower exact writer takes over only when its output holds a number with an exponent below zero.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A number with a negative exponent as the compact encoder writes one: a value after ':' or an item after
# '[' or ',', ending at ',', ']' or '}'. Every such float matches; a string holding the same characters may
# too (ids, "e-mail" in a text, a ":1e-5," typed by someone), which only costs the exact writer's time.
_NEGATIVE_EXPONENT = re.compile(r"[:\[,]-?[0-9]+(?:\.[0-9]+)?e-[0-9]+[,\]}]")


def dumps(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if _NEGATIVE_EXPONENT.search(text) is None:  # Python's and pydantic's spellings agree
        return text
    parts: list[str] = []
    _write(document, parts)
    return "".join(parts)


def _write(value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            parts.append("," if index else "")
            parts.append(json.dumps(str(key), ensure_ascii=False))
            parts.append(":")
            _write(item, parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            parts.append("," if index else "")
            _write(item, parts)
        parts.append("]")
    elif isinstance(value, float):
        parts.append(float_json(value))
    else:
        parts.append(json.dumps(value, ensure_ascii=False))


def float_json(number: float) -> str:
    """A finite float as pydantic writes it: Python's repr, with the exponent unpadded (1e-7, not 1e-07),
    and exponent -5 written out (0.00001)."""
    text = repr(number)
    mantissa, marker, exponent = text.partition("e-")
    if not marker:
        return text
    if int(exponent) == 5:
        sign = "-" if mantissa.startswith("-") else ""
        return f"{sign}0.0000{mantissa.lstrip('-').replace('.', '')}"
    return f"{mantissa}e-{int(exponent)}"
