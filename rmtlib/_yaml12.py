"""Read YAML the way YAML 1.2 does, and refuse duplicate keys.

PyYAML implements YAML 1.1, where ``0400`` is octal (256), ``1:30`` is base 60
(90), ``yes`` is ``True`` and ``1e-3`` is a string; a repeated key silently keeps
the last value. Every YAML file and value the pipeline reads (``profiles.yml``,
sweep configurations, ``-p`` values) goes through :func:`load` instead: the
YAML 1.2 core schema (decimal integers, ``0o``/``0x`` prefixes, ``true``/``false``
only, floats with or without a dot) and an error on a duplicate key.

It also refuses, quickly and in bounded memory, what only a hostile input holds:
aliases (``*name``, with which a few lines expand to 10^9 elements), nesting deeper
than :data:`MAX_DEPTH`, texts longer than :data:`MAX_CHARS` and integers of more than
:data:`MAX_DIGITS` digits (:class:`YamlLimitError`).
"""

from __future__ import annotations

import re

import yaml

__all__ = ["MAX_CHARS", "MAX_DEPTH", "MAX_DIGITS", "YamlError", "YamlLimitError", "load"]

#: The longest YAML text read (characters); parameters and configurations are far shorter.
MAX_CHARS = 1_000_000
#: The deepest nesting of lists and mappings accepted.
MAX_DEPTH = 50
#: The most digits of an integer (Python refuses to convert more than 4300).
MAX_DIGITS = 1000


class YamlError(ValueError):
    """The text is not valid YAML, or a mapping repeats a key; the message is one line.

    ``detail`` is the problem and where it is in the text, without the name of the source.
    """

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.detail = detail or message


class YamlLimitError(YamlError):
    """The text holds an alias, nests too deep, is too long or holds a huge integer."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's implicit types, no duplicate keys, no aliases
    and bounded nesting."""

    yaml_implicit_resolvers: dict = {}
    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlLimitError(f"aliases (*{event.anchor}, line {line}) are not accepted")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlLimitError(f"lists or mappings nest deeper than {MAX_DEPTH} levels (line {line})")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                line = key_node.start_mark.line + 1
                kind = "a list" if isinstance(key, list) else "a mapping"
                raise YamlError(f"a key must be a name or a number, got {kind} (line {line})")
            if key in seen:
                line = key_node.start_mark.line + 1
                raise YamlError(f"{key!r} is given twice (duplicate key, line {line})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        if len(text) > MAX_DIGITS:
            line = node.start_mark.line + 1
            raise YamlLimitError(f"an integer of {len(text)} digits is too large (line {line})")
        if text[:2] in ("0o", "0x"):
            return int(text, 8 if text[1] == "o" else 16)
        return int(text)


_CORE = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
)
for _tag, _pattern, _first in _CORE:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor(
    "tag:yaml.org,2002:bool", lambda loader, node: loader.construct_scalar(node) in ("true", "True", "TRUE")
)


def load(text: str, where: str = "YAML"):
    """Parse ``text`` as YAML 1.2 (core schema); raise :class:`YamlError` naming ``where``.

    Examples
    --------
    >>> load("[0400, 010, 1:30, -1e-3, 1e3, 0x1f, yes, true, ~]")
    [400, 10, '1:30', -0.001, 1000.0, 31, 'yes', True, None]
    >>> load("grid:\\n  value: [1]\\n  value: [2]\\n", "sweep.yml")
    Traceback (most recent call last):
    ...
    rmtlib._yaml12.YamlError: sweep.yml: 'value' is given twice (duplicate key, line 3)
    >>> load("a: &x [1, 2]\\nb: *x\\n", "laughs.yml")
    Traceback (most recent call last):
    ...
    rmtlib._yaml12.YamlLimitError: laughs.yml: aliases (*x, line 2) are not accepted
    """
    if len(text) > MAX_CHARS:
        detail = f"the text has {len(text):,} characters, more than {MAX_CHARS:,}"
        raise YamlLimitError(f"{where}: {detail}", detail)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except YamlError as exc:
        raise type(exc)(f"{where}: {exc}", str(exc)) from None
    except RecursionError:  # a nesting the depth bound does not see (keys nested in keys)
        detail = f"lists or mappings nest deeper than {MAX_DEPTH} levels"
        raise YamlLimitError(f"{where}: {detail}", detail) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        mark = getattr(exc, "problem_mark", None)
        detail = problem + (f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else "")
        raise YamlError(f"{where} is not valid YAML: {detail}", detail) from None
