"""runtime=executorch without a build: the generated glue, a PyTorch model's mistakes as
clear errors, and the error measure verification uses. The builds:
tests/integration/test_executorch_build.py."""

import os

import numpy as np
import pytest

from nnbuild.runtimes.executorch import steps as executorch
from nnbuild.errors import UserError
from nnbuild.pytorch_model import load_pytorch_model, pytorch_source
from nnbuild.render import render_template


def test_glue_has_no_heap_and_sets_the_input_before_every_run():
    context = {"model": "net", "MODEL": "NET", "origin": "net.pte", "arena_size": 64,
               "buffers": [(0, 40), (48, 16)], "method_pool": 1024, "method_pool_measured": 900,
               "input": {"scalar_type": "Float", "shape": [1, 4]}, "register_kernels": True}
    glue = render_template("executorch/model.cpp.j2", **context)
    assert "malloc" not in glue and "FILE" not in glue
    # A tree's selective build registers its kernels when the model starts.
    init = glue[glue.index("int net_init("):glue.index("int net_invoke(")]
    assert init.index("runtime_init()") < init.index("register_all_kernels()") < init.index("load_method")
    assert "register_all_kernels" not in render_template("executorch/model.cpp.j2", **{**context, "register_kernels": False})
    assert "Span<uint8_t>(net_arena + 48, 16)" in glue
    invoke = glue[glue.index("int net_invoke("):]
    assert invoke.index("set_input") < invoke.index("execute()")


def test_missing_weights_are_a_clear_error(tmp_path):
    (tmp_path / "model.py").write_text("def build_model(): pass\ndef example_input(): pass\n")
    with pytest.raises(UserError, match=r"model\.pt .*untrained.*weights = \"random\""):
        pytorch_source(str(tmp_path), {}, "runtime=executorch")
    with pytest.raises(UserError, match="has no model.py"):
        pytorch_source(str(tmp_path / "nothing"), {}, "runtime=executorch")
    random = pytorch_source(str(tmp_path), {"pytorch": {"weights": "random"}}, "runtime=executorch")
    assert random.weights is None and random.files() == [str(tmp_path / "model.py")]


def test_weights_of_another_model_are_a_clear_error(tmp_path):
    import torch

    (tmp_path / "model.py").write_text(
        "import torch\ndef build_model(): return torch.nn.Linear(4, 2)\n"
        "def example_input(): return torch.zeros(1, 4)\n")
    torch.save(torch.nn.Linear(3, 2).state_dict(), tmp_path / "model.pt")
    with pytest.raises(UserError, match="does not fit build_model"):
        load_pytorch_model(pytorch_source(str(tmp_path), {}, "runtime=executorch").settings())


def test_a_model_torch_export_rejects_is_a_clear_error(tmp_path):
    import torch

    (tmp_path / "model.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = torch.nn.Linear(4, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x) if x.sum().item() > 0 else -self.fc(x)  # data-dependent branch\n"
        "def build_model(): return Net()\n"
        "def example_input(): return torch.zeros(1, 4)\n")
    torch.save(torch.nn.Linear(4, 2).state_dict(), tmp_path / "weights.pt")
    state = {f"fc.{k}": v for k, v in torch.load(tmp_path / "weights.pt").items()}
    torch.save(state, tmp_path / "model.pt")
    targets = [str(tmp_path / "net.pte"), str(tmp_path / "program.json")]
    with pytest.raises(UserError, match=r"model\.py: torch\.export / ExecuTorch could not export build_model\(\)"):
        pytorch = pytorch_source(str(tmp_path), {}, "runtime=executorch")
        executorch.program_step(targets, pytorch.files(),
                                {"model": "net", "precision": "float32", "pytorch": pytorch.settings()})
    assert not os.path.exists(targets[0]) and not os.path.exists(targets[1])


def test_relative_error_is_against_the_largest_magnitude():
    expected = np.array([[1.0, -100.0], [0.0, 0.0]], dtype=np.float32)
    got = np.array([[1.001, -100.0], [0.0, 0.0]], dtype=np.float32)
    error = executorch.relative_error(got, expected)
    assert error[0] == pytest.approx(1e-5, rel=1e-2) and error[1] == 0
