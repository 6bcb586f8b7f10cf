"""Field-level differences of nested objects, with ignore paths, through deepdiff. Pure.

What it does: compares two mappings in depth (lists in order, numbers by value so 5 == 5.0)
and names the top-level fields whose values differ, leaving out the dotted paths another
system owns (`litellm_params.api_base`, `metadata.cost_center`). What it does not do: decide
which fields a kind owns (the kind passes only those), or read absent as anything but None.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from deepdiff import DeepDiff

_ABSENT = object()


def changed_fields(
    have: Mapping[str, Any], want: Mapping[str, Any], ignore: Collection[str] = ()
) -> list[str]:
    """The top-level names whose values differ between `have` and `want` (absent on either
    side counts as None), sorted; dotted `ignore` paths are never compared."""
    names = sorted(set(have) | set(want))
    left = {n: have.get(n) for n in names}
    right = {n: want.get(n) for n in names}
    if left == right:  # the common case, without deepdiff's walk
        return []
    found = DeepDiff(
        left, right, exclude_paths=[_path(p) for p in ignore], ignore_numeric_type_changes=True,
        verbose_level=0, view="tree",
    )
    roots = {level.path(output_format="list")[0] for report in found.values() for level in report}
    return sorted(str(name) for name in roots)


def field_changes(
    have: Mapping[str, Any], want: Mapping[str, Any], ignore: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields that differ: None stands for absent."""
    names = changed_fields(have, want, ignore)
    return {n: have.get(n) for n in names}, {n: want.get(n) for n in names}


def _path(dotted: str) -> str:
    """`a.b` -> deepdiff's `root['a']['b']`."""
    return "root" + "".join(f"[{part!r}]" for part in dotted.split("."))
