"""The deployment packages Pants builds: code-only function zips and an arm64 layer."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

# Where Pants puts the packages this test depends on (runtime_package_dependencies).
LAYER = Path("libs.shared/layer.zip")
FUNCTIONS = {
    name: Path(f"services.{name}/lambda.zip")
    for name in ("ingest", "transform", "finalize", "notify")
}
# The shared library's module files (libs/shared/pipeline_shared:modules), as in the tree.
SHARED = Path("libs/shared/pipeline_shared")
EM_AARCH64 = 183
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF", "not an ELF file"
    return int(struct.unpack_from("<H", data, 18)[0])


def test_every_native_library_in_the_layer_is_aarch64() -> None:
    with zipfile.ZipFile(LAYER) as layer:
        native = [
            i
            for i in layer.infolist()
            if i.filename.endswith(".so") or ".so." in i.filename.rsplit("/", 1)[-1]
        ]
        assert len(native) > 10  # pyarrow's libraries at least
        machines = {i.filename: _elf_machine(layer.read(i)[:64]) for i in native}
    wrong = sorted(name for name, machine in machines.items() if machine != EM_AARCH64)
    assert not wrong, wrong[:10]


def test_layer_is_laid_out_for_lambda_and_fits() -> None:
    with zipfile.ZipFile(LAYER) as layer:
        names = layer.namelist()
        unzipped = sum(i.file_size for i in layer.infolist())
    assert all(n.startswith("python/") for n in names)
    tops = {n.split("/")[1] for n in names if n.count("/") > 1}
    assert {"pipeline_shared", "pyarrow", "aws_lambda_powertools", "boto3", "tenacity"} <= tops
    assert not [
        t for t in tops if "stubs" in t or t.startswith("mypy_boto3")
    ]  # type stubs stay out
    assert unzipped < LAMBDA_UNZIPPED_LIMIT


def test_layer_holds_every_module_of_the_shared_library() -> None:
    modules = sorted(path.name for path in SHARED.glob("*.py"))
    assert "__init__.py" in modules and len(modules) > 10  # the tree's files are here
    with zipfile.ZipFile(LAYER) as layer:
        names = set(layer.namelist())
    assert [m for m in modules if f"python/pipeline_shared/{m}" not in names] == []


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_package_holds_only_its_own_code(name: str) -> None:
    with zipfile.ZipFile(FUNCTIONS[name]) as package:
        names = package.namelist()
        size = sum(i.file_size for i in package.infolist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {name, "lambda_function.py"}  # pipeline_shared is the layer's
    assert size < 200_000
