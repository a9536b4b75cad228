"""The one exception the protocol parsers raise: a body that is not the provider's payload."""

from __future__ import annotations


class MalformedPayload(ValueError):
    """The raw body is not a payload of the expected provider format.

    Raised only by the ``parse_*`` functions, and only for problems with the envelope (not
    UTF-8, not JSON, wrong top-level shape). Its message is a sentence meant for an operator,
    e.g. ``"the body is not valid JSON: Expecting value at line 1 column 1"``; everything
    inside a well-formed envelope is read leniently instead of raising.
    """
