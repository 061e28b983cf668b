"""cache=FOLDER (SCons CacheDir) shared by two checkouts in different places, as a shared
folder of a build farm is: the second checkout builds nothing, conversion included."""

import os

import pytest

from conftest import copy_project, scons, steps

pytestmark = pytest.mark.slow


def test_a_second_checkout_takes_everything_from_the_cache(tmp_path):
    cache = str(tmp_path / "shared-cache")
    first = copy_project(str(tmp_path / "machine1"))
    second = copy_project(str(tmp_path / "machine2" / "elsewhere"))
    args = ["target=host", "model=af_detection", "vectors=5", f"cache={cache}"]
    built = scons(first, *args)
    assert "[quantize] models/af_detection/model.onnx" in steps(built)

    again = scons(second, *args)
    assert steps(again) == []  # no conversion, compilation, link or verification ran
    for artifact in ("build/models/af_detection/af_detection.tflite", "build/models/af_detection/quant_report.json",
                     "build/host/lib/libnnkernels.a", "build/host/aot/af_detection/firmware"):
        assert f"Retrieved `{artifact}' from cache" in again.stdout
    firmware = "build/host/aot/af_detection/firmware"
    with open(os.path.join(first, firmware), "rb") as a, open(os.path.join(second, firmware), "rb") as b:
        assert a.read() == b.read()
