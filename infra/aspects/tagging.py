"""Adds the FinOps cost-allocation tags to every taggable resource."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from cdktf import IAspect, TerraformResource
from constructs import IConstruct


def is_taggable(node: IConstruct) -> bool:
    return isinstance(node, TerraformResource) and hasattr(type(node), "tags_input")


@jsii.implements(IAspect)
class FinOpsTags:
    """Resource-specific tags (such as ``Name``) are kept; the FinOps tags win on conflict."""

    def __init__(self, tags: Mapping[str, str]) -> None:
        self.tags = dict(tags)

    def visit(self, node: IConstruct) -> None:
        if is_taggable(node):
            current = getattr(node, "tags_input", None) or {}
            node.tags = {**current, **self.tags}  # type: ignore[attr-defined]
