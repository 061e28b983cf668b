"""model=a,b and runtime=a,b: the options of a build matrix (no build)."""

import os

import pytest

from conftest import tiny_model_file
from nnbuild import export, options
from nnbuild.errors import UserError


def test_models_and_runtimes_are_lists_in_order_each_once(tmp_path):
    a, b = tiny_model_file(str(tmp_path), "net_a"), tiny_model_file(str(tmp_path), "net_b")
    opts = options.parse_options({"model": f"{a}, {b},{a}", "runtime": "aot,tflm,aot", "target": "host,rpi4"})
    assert [m.name for m in opts["models"]] == ["net_a", "net_b"]
    assert [r.name for r in opts["runtimes"]] == ["aot", "tflm"]
    assert [t.name for t in opts["targets"]] == ["host", "rpi4"]


def test_a_model_name_in_models_and_a_file_mix(tmp_path):
    net = tiny_model_file(str(tmp_path), "net")
    opts = options.parse_options({"model": f"af_detection,{net}"})
    assert [m.name for m in opts["models"]] == ["af_detection", "net"]


@pytest.mark.parametrize("option", ["name=mine", "eval=data.npz", "calibration=random"])
def test_options_of_one_model_are_refused_with_several(tmp_path, option):
    a, b = tiny_model_file(str(tmp_path), "net_a"), tiny_model_file(str(tmp_path), "net_b")
    name, value = option.split("=")
    with pytest.raises(UserError, match=f"{name}={value} with 2 models.*model.toml"):
        options.parse_options({"model": f"{a},{b}", name: value})


def test_two_models_with_one_c_name_are_refused(tmp_path):
    a = tiny_model_file(str(tmp_path / "one"), "net")
    b = tiny_model_file(str(tmp_path / "two"), "net")
    with pytest.raises(UserError, match="both named net"):
        options.parse_options({"model": f"{a},{b}"})


@pytest.mark.parametrize("value, message", [("aot,npu", "runtime=npu: valid runtimes"),
                                            (",", "option runtime: name at least one of")])
def test_a_bad_runtime_in_the_list_is_named(value, message):
    with pytest.raises(UserError, match=message):
        options.parse_options({"runtime": value})


def test_export_with_several_runtimes_needs_each_to_export():
    with pytest.raises(UserError, match="export=pkg with runtime=tflm"):
        options.parse_options({"runtime": "aot,tflm", "export": "pkg"})


@pytest.mark.parametrize("targets, models, expected", [
    ("host", "net_a", "pkg"),
    ("host,rpi4", "net_a", "pkg/rpi4"),
    ("host", "net_a,net_b", "pkg/net_b"),
    ("host,rpi4", "net_a,net_b", "pkg/rpi4/net_b")])
def test_export_folders_of_a_matrix(tmp_path, targets, models, expected):
    files = ",".join(tiny_model_file(str(tmp_path), m) for m in models.split(","))
    opts = options.parse_options({"model": files, "target": targets, "export": "pkg"})
    last_target, last_model = opts["targets"][-1], opts["models"][-1]
    assert export.package_dir(opts, last_target, last_model.name) == os.path.normpath(expected)
