"""Which stack reads which: the SSM parameters a stack reads at plan time
(``data.aws_ssm_parameter``) matched to the stack that writes them (``aws_ssm_parameter``), both
from the synthesized Terraform JSON (infra/constructs/ssm_exports.py).

A stack's own JSON holds only the parameter's *name*; the value (a key ARN, a subnet list)
comes from the upstream stack's state. So a stack is up to date only if both its own
fingerprint and the upstream values it read are those of its last apply (orchestrator.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

OUTPUT_PREFIX = "output-"  # ExportedValues: the Terraform output beside each parameter


def _document(synth_dir: Path, stack: str) -> dict[str, Any]:
    path = synth_dir / "stacks" / stack / "cdk.tf.json"
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def _exported_paths(document: Mapping[str, Any]) -> set[str]:
    parameters = document.get("resource", {}).get("aws_ssm_parameter", {})
    return {str(p["name"]) for p in parameters.values() if isinstance(p.get("name"), str)}


def _read_paths(document: Mapping[str, Any]) -> set[str]:
    parameters = document.get("data", {}).get("aws_ssm_parameter", {})
    return {str(p["name"]) for p in parameters.values() if isinstance(p.get("name"), str)}


def stack_inputs(synth_dir: Path, stacks: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """stack -> {upstream stack -> the exported names it reads}, for stacks that read any.
    The name is the parameter path's last element, which is also the upstream's output
    ``output-<name>``."""
    documents = {stack: _document(synth_dir, stack) for stack in stacks}
    writer = {path: stack for stack in stacks for path in _exported_paths(documents[stack])}
    inputs: dict[str, dict[str, list[str]]] = {}
    for stack in stacks:
        reads: dict[str, list[str]] = {}
        for path in sorted(_read_paths(documents[stack])):
            upstream = writer.get(path)
            if upstream is not None and upstream != stack:
                reads.setdefault(upstream, []).append(path.rsplit("/", 1)[-1])
        if reads:
            inputs[stack] = reads
    return inputs


def output_digests(terraform_output_json: str) -> dict[str, str]:
    """``terraform output -json`` → exported name → digest of its value (values themselves
    are not kept in the record)."""
    outputs = json.loads(terraform_output_json or "{}")
    digests = {}
    for key, body in outputs.items():
        name = key[len(OUTPUT_PREFIX) :] if key.startswith(OUTPUT_PREFIX) else key
        value = json.dumps(body.get("value") if isinstance(body, dict) else body, sort_keys=True)
        digests[name] = hashlib.sha256(value.encode()).hexdigest()[:32]
    return digests


def stack_dependencies(synth_dir: Path, stacks: Sequence[str]) -> dict[str, set[str]]:
    """stack -> the stacks it must follow: those it reads values from (stack_inputs) and those
    cdktf's manifest says it depends on (``EnvironmentStack.imported`` declares each). Either
    alone would do today; a stack that reads a value without declaring it, or declares an
    order without a read, is still ordered, never run beside what it needs."""
    order: dict[str, set[str]] = {stack: set() for stack in stacks}
    for stack, reads in stack_inputs(synth_dir, stacks).items():
        order[stack].update(reads)
    manifest = synth_dir / "manifest.json"
    if manifest.is_file():
        declared = json.loads(manifest.read_text()).get("stacks", {})
        for stack in stacks:
            upstream = declared.get(stack, {}).get("dependencies", [])
            order[stack].update(name for name in upstream if name in order and name != stack)
    return order
