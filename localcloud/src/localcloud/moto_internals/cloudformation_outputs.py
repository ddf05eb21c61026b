"""Hide the deployer's internal outputs from ``describe_stacks``.

The deployer reads event source mappings and API bodies through outputs (the only public way to
get moto to resolve intrinsics); users must see exactly the template's outputs. moto parses
outputs lazily from the stack's template dict, so removing the keys there hides them. This needs
the moto server in this process, which is how the local cloud and its tests run it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from moto.cloudformation.models import cloudformation_backends

from localcloud.config import ACCOUNT_ID

log = logging.getLogger(__name__)


def hide_outputs(stack_name: str, region: str, keys: Iterable[str]) -> bool:
    """Remove ``keys`` from the stack's outputs; False if the stack is not in this process."""
    try:
        stack = cloudformation_backends[ACCOUNT_ID][region].get_stack(stack_name)
    except Exception:  # moto raises its own ValidationError for an unknown stack
        log.warning("stack %s is not served by this process: internal outputs stay", stack_name)
        return False
    template_outputs = stack.template_dict.get("Outputs") or {}
    for key in keys:
        template_outputs.pop(key, None)
        stack.output_map._parsed_outputs.pop(key, None)
    return True
