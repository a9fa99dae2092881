"""The API's JSON parser: a body must be one JSON object, nested no deeper than MAX_JSON_DEPTH.

Python's json module recurses once per nesting level, so 10,000 `[` are a RecursionError (a 500) before any view
runs; and every endpoint here takes an object, so a bare number, string, list or null would reach code written
for a dict (`"preset" in data`). Both are refused here, once, as a 400 that says what was wrong.
"""
import codecs
import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_INT_DIGITS = 300  # floats reach about 1.8e308

_NAMES = {int: "a number", float: "a number", bool: "a boolean", str: "a string", list: "an array",
          type(None): "null"}


def json_depth_exceeds(value, limit: int) -> bool:
    """True when `value` nests arrays/objects deeper than `limit` (iteratively: it must not recurse itself)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONObjectParser(parsers.JSONParser):
    """DRF's JSONParser, plus: a depth limit (MAX_JSON_DEPTH) and a top-level object only."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.MAX_JSON_DEPTH
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=self._refuse_constant, parse_int=self._bounded_int)
        except RecursionError:
            raise ParseError(f"JSON parse error - the body is nested deeper than {limit} levels "
                             "(MAX_JSON_DEPTH).") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data, limit):
            raise ParseError(f"JSON parse error - the body is nested deeper than {limit} levels (MAX_JSON_DEPTH).")
        if not isinstance(data, dict):
            raise ParseError(f"The JSON body must be an object ({{\"field\": value, ...}}), not "
                             f"{_NAMES.get(type(data), type(data).__name__)}.")
        return data

    @staticmethod
    def _bounded_int(text: str) -> int:
        # An integer no float can hold (10**400) passes every IntegerField bound check only to raise OverflowError
        # (a 500) in code that compares or formats it as a float; no parameter here needs one.
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise ValueError(f"the integer {text[:12]}... has more than {MAX_INT_DIGITS} digits")
        return int(text)

    @staticmethod
    def _refuse_constant(name):
        # NaN and Infinity are not JSON (DRF's strict mode refuses them too); they would poison float fields.
        raise ValueError(f"{name} is not valid JSON")
