"""The text of a ``.proto`` comment, without its ``//`` or ``/* */`` markers."""

from __future__ import annotations


def comment_text(raw: str) -> str:
    """The words of a comment: markers, leading ``*`` of block lines and blank edges removed."""
    if raw.startswith("//"):
        return raw[2:].strip()
    body = raw[2:-2] if raw.startswith("/*") and raw.endswith("*/") else raw
    lines = [line.strip() for line in body.splitlines()]
    lines = [line[1:].strip() if line.startswith("*") else line for line in lines]
    return "\n".join(lines).strip()
