"""How marshmallow fields become OpenAPI: the rules a generated client (and a fuzzer) must see in the document.

apispec already turns ``allow_none`` into ``nullable: true``, ``validate.Range`` into minimum/maximum,
``validate.Length`` into min/maxLength, ``validate.OneOf`` into ``enum`` and ``validate.Regexp`` into ``pattern``.
The attribute functions here add what it leaves out, for every schema at once (endpoints added later included).
"""
from __future__ import annotations

import re

from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields, validate


def url_rules(self, field, ret, **kwargs) -> dict:
    """``fields.Url``: marshmallow's own URL expression as the pattern (apispec says ``format: url``, no format)."""
    validators = [validator for validator in field.validators if isinstance(validator, validate.URL)]
    if not isinstance(field, fields.Url) or not validators:
        return {}
    url = validators[0]
    regex = url._regex(relative=url.relative, absolute=url.absolute, require_tld=url.require_tld)
    # No `format: uri`: RFC 3986 wants non-ASCII percent-encoded, marshmallow (and the service) take IRIs as well.
    ret.pop("format", None)
    return {"pattern": ecma_pattern(regex, url.schemes)}


def ecma_pattern(regex: re.Pattern, schemes) -> str:
    """A Python URL expression (IGNORECASE) as an ECMA-262 pattern, its scheme part limited to ``schemes``."""
    pattern = regex.pattern.replace(r"\Z", "$")
    if schemes:
        pattern = pattern.replace(r"^(?:[a-z0-9\.\-\+]*)://", "^(?:" + "|".join(sorted(schemes)) + ")://", 1)
    if regex.flags & re.IGNORECASE:
        both = {"a-z": "a-zA-Z", "a-f": "a-fA-F", "A-Z": "A-Za-z", "A-F": "A-Fa-f"}
        pattern = re.sub("a-z|a-f|A-Z|A-F", lambda match: both[match.group()], pattern)
    return pattern


def dict_key_rules(self, field, ret, **kwargs) -> dict:
    """``fields.Dict`` whose keys are a closed set (``validate.OneOf``): those keys as properties, no others."""
    if not isinstance(field, fields.Dict) or field.key_field is None:
        return {}
    choices = [validator.choices for validator in field.key_field.validators if isinstance(validator, validate.OneOf)]
    if not choices:
        return {}
    value = ret.get("additionalProperties", {})
    value = value if isinstance(value, dict) else {}
    return {"properties": {key: value for key in choices[0]}, "additionalProperties": False}


def nullable_rules(self, field, ret, **kwargs) -> dict:
    """``allow_none`` is ``nullable`` everywhere, exactly.

    - A nullable nested schema: apispec writes ``anyOf: [{type: object, nullable: true}, {$ref}]``, whose first branch
      takes *any* object. OpenAPI 3.0 has no null type, and ``nullable`` next to a bare ``allOf`` means nothing
      (3.0.3: it needs ``type`` beside it), so the document says: the $ref, or an object that can only be null.
    - A nullable field with an ``enum``: null belongs to the enum too, or no validator lets it through.
    """
    if not field.allow_none:
        return {}
    branches = ret.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and branches[0] == {"type": "object", "nullable": True}:
        return {"anyOf": [branches[1], {"type": "object", "nullable": True, "enum": [None]}]}
    enum = ret.get("enum")
    if isinstance(enum, list) and None not in enum:
        return {"enum": [*enum, None]}
    return {}


def register_field_rules(plugin: MarshmallowPlugin) -> None:
    plugin.converter.add_attribute_function(nullable_rules)
    plugin.converter.add_attribute_function(url_rules)
    plugin.converter.add_attribute_function(dict_key_rules)
