"""Reading YAML with bounds: every YAML document streammesh parses goes through here.

Descriptors, policies, ``mesh.yaml`` and anything a client sends are read with
:func:`load_yaml` (values) or :func:`compose_yaml` (nodes, for line numbers). Both refuse,
quickly and with the line at fault, what could otherwise pin a core or crash a parser:

- a document larger than :attr:`YamlLimits.max_bytes` (refused before parsing);
- nesting deeper than :attr:`YamlLimits.max_depth` (the composer is recursive);
- more than :attr:`YamlLimits.max_nodes` nodes *counting every alias as the copy it stands
  for*, and more than :attr:`YamlLimits.max_aliases` aliases: a ~900-byte "billion laughs"
  document expands to billions of nodes in whatever walks it next;
- an alias to a node that contains it (a cycle, which every walker would follow forever);
- a tag other than plain YAML's (``!!python/object/apply:...``, ``!custom``): only the safe
  loader's types are ever built, so such a document is refused by name, not half-read.

:class:`YamlRefused` is a :class:`yaml.MarkedYAMLError`, so every reader that already turns
invalid YAML into its own error (``DescriptorInvalid``, ``PolicyInvalid``, ``ConfigError``)
reports these the same way, with the line and column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "DEFAULT_LIMITS",
    "YamlLimit",
    "YamlLimits",
    "YamlRefused",
    "compose_yaml",
    "load_yaml",
]


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """How much one YAML document may hold.

    Attributes:
        max_bytes: Size of the text in UTF-8 bytes.
        max_depth: Levels of nested mappings and sequences (the top level is 1).
        max_nodes: Nodes (scalars, mappings, sequences), every alias counted as the whole
            node it refers to.
        max_aliases: Aliases (``*name``) in the document.
    """

    max_bytes: int = 256 * 1024
    max_depth: int = 64
    max_nodes: int = 50_000
    max_aliases: int = 1_000


DEFAULT_LIMITS = YamlLimits()
"""Far above any descriptor, policy or ``mesh.yaml`` written by hand, and small enough that
the pure-Python parser (the only one that can count aliases) reads any document within it
in well under a second."""


class YamlLimit(enum.Enum):
    """Which bound a document broke."""

    SIZE = "size"
    DEPTH = "depth"
    NODES = "nodes"
    ALIASES = "aliases"
    CYCLE = "cycle"
    TAG = "tag"


class YamlRefused(yaml.MarkedYAMLError):
    """A YAML document is over a limit or uses a tag outside plain YAML.

    Attributes:
        limit: Which bound it broke.
        problem: What is wrong, in words (with ``problem_mark``, where).
    """

    def __init__(self, limit: YamlLimit, problem: str, mark: Any = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.limit = limit

    def __str__(self) -> str:
        # One line (PyYAML's own form quotes a snippet of the document over three lines).
        mark = self.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return f"{self.problem}{where}"


_PLAIN_TAGS = frozenset(tag for tag in yaml.SafeLoader.yaml_constructors if tag is not None)
# "!" is YAML's non-specific tag (a quoted or plain string); resolving it needs no constructor.
_NON_SPECIFIC = "!"
_SHORT_PREFIX = "tag:yaml.org,2002:"


@dataclass(frozen=True, slots=True)
class _Weight:
    """What referring to an anchored node costs: its expanded node count and its height."""

    nodes: int
    height: int


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting as it composes (the composer is where aliases and
    nesting happen, before anything expands them)."""

    def __init__(self, text: str, limits: YamlLimits) -> None:
        super().__init__(text)
        self._limits = limits
        self._depth = 0
        self._deepest = 0
        self._nodes = 0
        self._aliases = 0
        self._weights: dict[int, _Weight] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self._peek()
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:  # an undefined alias is PyYAML's own error
                self._alias(event.anchor, anchored, event.start_mark)
            return super().compose_node(parent, index)
        event = self._peek()
        self._check_tag(event)
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise YamlRefused(
                YamlLimit.DEPTH,
                f"nested deeper than {self._limits.max_depth} levels",
                event.start_mark,
            )
        self._count(1, event.start_mark)
        before, outer_deepest = self._nodes - 1, self._deepest
        self._deepest = self._depth
        node = super().compose_node(parent, index)
        if event.anchor is not None and node is not None:
            self._weights[id(node)] = _Weight(self._nodes - before, self._deepest - self._depth + 1)
        self._deepest = max(self._deepest, outer_deepest)
        self._depth -= 1
        return node

    def _peek(self) -> Any:
        return self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML

    def _alias(self, anchor: str, anchored: yaml.Node, mark: yaml.Mark) -> None:
        weight = self._weights.get(id(anchored))
        if weight is None:  # anchored, but still being composed: it contains this alias
            raise YamlRefused(YamlLimit.CYCLE, f"alias '*{anchor}' refers to itself", mark)
        self._aliases += 1
        if self._aliases > self._limits.max_aliases:
            raise YamlRefused(
                YamlLimit.ALIASES, f"more than {self._limits.max_aliases} aliases", mark
            )
        if self._depth + weight.height > self._limits.max_depth:
            raise YamlRefused(
                YamlLimit.DEPTH,
                f"alias '*{anchor}' nests deeper than {self._limits.max_depth} levels",
                mark,
            )
        self._deepest = max(self._deepest, self._depth + weight.height)
        self._count(weight.nodes, mark, anchor)

    def _count(self, nodes: int, mark: yaml.Mark, anchor: str | None = None) -> None:
        self._nodes += nodes
        if self._nodes > self._limits.max_nodes:
            through = f" (alias '*{anchor}' expands to {nodes} nodes)" if anchor else ""
            raise YamlRefused(
                YamlLimit.NODES,
                f"more than {self._limits.max_nodes} nodes once aliases are expanded{through}",
                mark,
            )

    def _check_tag(self, event: yaml.Event) -> None:
        tag = getattr(event, "tag", None)
        if tag is None or tag == _NON_SPECIFIC or tag in _PLAIN_TAGS:
            return
        shown = "!!" + tag.removeprefix(_SHORT_PREFIX) if tag.startswith(_SHORT_PREFIX) else tag
        raise YamlRefused(
            YamlLimit.TAG,
            f"tag '{shown}' is not allowed: only plain YAML (strings, numbers, booleans, "
            "null, lists, mappings) is read; remove the tag",
            event.start_mark,
        )


def _check_size(text: str, limits: YamlLimits) -> None:
    # Characters are at most 4 bytes: only texts near the limit need encoding to be sure.
    if len(text) * 4 <= limits.max_bytes:
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise YamlRefused(
            YamlLimit.SIZE, f"is {size} bytes, more than the {limits.max_bytes} allowed"
        )


def compose_yaml(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> yaml.Node | None:
    """The node tree of the single YAML document ``text`` (``None`` if it is empty).

    Raises:
        YamlRefused: ``text`` is over one of ``limits`` or uses a tag outside plain YAML.
        yaml.YAMLError: ``text`` is not YAML.
    """
    _check_size(text, limits)
    loader = _BoundedLoader(text, limits)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def load_yaml(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The value of the single YAML document ``text``, as :func:`yaml.safe_load` gives it.

    Raises:
        YamlRefused: ``text`` is over one of ``limits`` or uses a tag outside plain YAML.
        yaml.YAMLError: ``text`` is not YAML.
    """
    _check_size(text, limits)
    loader = _BoundedLoader(text, limits)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
