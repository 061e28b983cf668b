"""runtime=tpu's steps: TPU-MLIR's three tools as build steps, the C API over cviruntime,
the size report and the verification on TPU-MLIR's simulator.

  transform:  model.onnx -> <m>.mlir (TPU-MLIR's top dialect), checked layer by layer
              against onnxruntime on one calibration sample (model_transform.py)
  calibrate:  <m>.mlir + calibration samples -> <m>_cali_table (run_calibration.py)
  deploy:     <m>.mlir (+ table) -> <m>.cvimodel for the board's chip, INT8 or BF16, each
              checked against the top dialect in the simulator (model_deploy.py); with
              quantize=auto the choice of precision.choose on the evaluation data
"""

import json
import math
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

from nnbuild import datasets, precision, quantize
from nnbuild.c_literals import C_TYPES, c_float
from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.progress import say
from nnbuild.render import render_template
from nnbuild.runtimes.tpu import toolkit
from nnbuild.verify import RANDOM_VECTORS, bit_exact_verdict, verify_firmware

SIMULATE = os.path.join(os.path.dirname(__file__), "simulate.py")
def _input_name_and_shape(onnx_path):
    spec = quantize.onnx_input_spec(onnx_path)
    return spec["name"], [int(d) for d in spec["shape"]]


def transform_step(targets, sources, settings):
    """model.onnx -> <m>.mlir, its weights, the check's input and outputs, transform.json."""
    mlir, weights, test_input, test_outputs, report = targets
    onnx_path = os.path.abspath(sources[0])
    name, shape = _input_name_and_shape(onnx_path)
    sample = datasets.calibration_samples(settings["calibration"], 1, shape)
    folder = os.path.dirname(mlir)
    np.savez(os.path.join(folder, "check_input.npz"), **{name: sample.reshape(shape).astype(np.float32)})
    log = toolkit.run(settings["venv"], [
        "model_transform.py", "--model_name", settings["model"], "--model_def", onnx_path,
        "--input_shapes", str([shape]).replace(" ", ""), "--test_input", "check_input.npz",
        "--test_result", os.path.basename(test_outputs), "--tolerance", settings["tolerance"],
        "--mlir", os.path.basename(mlir)], folder, os.path.join(folder, "transform.log"), onnx_path)
    os.replace(os.path.join(folder, f"{settings['model']}_in_f32.npz"), test_input)
    write_atomically(report, json.dumps({"input": {"name": name, "shape": shape},
                                         "tolerance": settings["tolerance"],
                                         "similarity": (toolkit.similarity(log) or [None])[-1]}, indent=2) + "\n")
    missing = [t for t in (mlir, weights) if not os.path.exists(t)]
    if missing:
        raise UserError(f"{onnx_path}: TPU-MLIR's model_transform.py did not write {', '.join(missing)}.")


def calibrate_step(targets, sources, settings):
    """<m>.mlir + calibration samples -> the calibration table (activation thresholds)."""
    table = targets[0]
    mlir, transform_json = sources[0], sources[2]
    with open(transform_json) as f:
        tensor = json.load(f)["input"]
    name, shape = tensor["name"], tensor["shape"]
    samples = datasets.calibration_samples(settings["calibration"], settings["samples"], shape)
    folder = os.path.dirname(table)
    data = os.path.join(folder, "calibration")
    os.makedirs(data, exist_ok=True)
    paths = []
    for i, sample in enumerate(samples):
        paths.append(os.path.abspath(os.path.join(data, f"{i:04d}.npz")))
        np.savez(paths[-1], **{name: sample.reshape(shape).astype(np.float32)})
    with open(os.path.join(data, "list.txt"), "w") as f:
        f.write("\n".join(paths) + "\n")
    toolkit.run(settings["venv"], ["run_calibration.py", os.path.basename(mlir), "--data_list",
                                   os.path.abspath(os.path.join(data, "list.txt")), "--input_num", str(len(paths)),
                                   "-o", os.path.basename(table)],
                folder, os.path.join(folder, "calibration.log"), mlir)
    shutil.rmtree(data)


# --- deploy ---------------------------------------------------------------------------

def simulate(venv, cvimodel, work, vectors=None):
    """The cvimodel's inputs and outputs (simulate.py's INFO) and, for raw `vectors`, its raw
    outputs on TPU-MLIR's simulator through its Python runtime."""
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        command = [toolkit.python(venv), SIMULATE, os.path.abspath(cvimodel), os.path.join(tmp, "info.json")]
        if vectors is not None:
            np.save(os.path.join(tmp, "in.npy"), vectors)
            command += [os.path.join(tmp, "in.npy"), os.path.join(tmp, "out.npy")]
        proc = subprocess.run(command, env=toolkit.environment(venv), capture_output=True)
        if proc.returncode != 0:
            raise UserError(f"{cvimodel}: TPU-MLIR's simulator failed to run it: "
                            f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
        with open(os.path.join(tmp, "info.json")) as f:
            info = json.load(f)
        return info, (np.load(os.path.join(tmp, "out.npy")) if vectors is not None else None)


def quantize_input(x, tensor):
    """Float samples as the cvimodel's input: int8 as TPU-MLIR rounds them (x * qscale,
    half away from zero), float32 as they are."""
    if tensor["dtype"] == "float32":
        return x.astype(np.float32)
    q = x.astype(np.float32) * np.float32(tensor["qscale"])
    return np.clip(np.sign(q) * np.floor(np.abs(q) + 0.5), -128, 127).astype(np.int8)


def dequantize_output(raw, tensor):
    return raw.astype(np.float32) * (np.float32(tensor["qscale"]) if tensor["dtype"] == "int8" else 1)


class Deployment:
    """Builds and measures cvimodel candidates of one model for one chip (precision.choose's judge)."""
    rejections = (toolkit.ToolFailed,)  # not an interrupt

    def __init__(self, settings, mlir, table, check_input, check_outputs, work, criteria):
        self.settings, self.mlir, self.table, self.work, self.criteria = settings, mlir, table, work, criteria
        self.check = [os.path.abspath(check_input), os.path.abspath(check_outputs)]

    def __getattr__(self, name):  # the criteria's judgement: acceptable, better, describe, limit, what
        return getattr(self.criteria, name)

    def build(self, mode):
        name = f"{self.settings['model']}_{mode}.cvimodel"
        quantize_args = toolkit.DEPLOY[mode][:1] + (["--calibration_table", os.path.abspath(self.table)]
                                            if mode == "int8" else []) + toolkit.DEPLOY[mode][1:]
        log = toolkit.run(self.settings["venv"], [
            "model_deploy.py", "--mlir", os.path.abspath(self.mlir), "--quantize", *quantize_args,
            "--chip", self.settings["chip"], "--test_input", self.check[0], "--test_reference", self.check[1],
            "--tolerance", self.settings["tolerances"][mode], "--model", name],
            self.work, os.path.join(self.work, f"deploy_{mode}.log"), f"{self.mlir} ({mode}, {self.settings['chip']})")
        path = os.path.join(self.work, name)
        checks = toolkit.similarity(log)
        return path, {"mode": mode, "similarity": {"quantized_vs_float": checks[0] if checks else None,
                                                   "cvimodel_vs_quantized": checks[-1] if len(checks) > 1 else None}}

    def rejected_by(self, error):
        return f"TPU-MLIR ({error})"

    def measure(self, path, info):
        io, _ = simulate(self.settings["venv"], path, self.work)
        x = self.criteria.x.reshape(len(self.criteria.x), *io["inputs"][0]["shape"][1:])
        _, raw = simulate(self.settings["venv"], path, self.work, quantize_input(x, io["inputs"][0]))
        return {**self.criteria.score(dequantize_output(raw, io["outputs"][0])), "similarity": info["similarity"]}


def _model_tool_info(venv, cvimodel, work):
    """Sections (weights, commands), working memory and the ION memory TPU-MLIR's model_tool
    reports for a cvimodel."""
    text = toolkit.run(venv, [os.path.join(toolkit.package_root(venv), "bin", "model_tool"), "--info",
                              os.path.abspath(cvimodel)], work, os.path.join(work, "model_tool.log"), cvimodel)
    by_type = {}  # section type (weight, cmdbuf) -> bytes
    for kind, size in re.findall(r"^\d+\s+(\w+)\s+\S+\s+(\d+)\s+\d+\s+[0-9a-f]{32}", text, re.MULTILINE):
        by_type[kind] = by_type.get(kind, 0) + int(size)
    gmem = {key: sum(int(v) for v in re.findall(rf"{key}: (\d+)", text)) for key in ("private_gmem_size",
                                                                                      "shared_gmem_size")}
    ion = re.search(r"ION Memory Size: \(([\d.]+) MB\)", text)
    return {"weights": by_type.get("weight", 0), "commands": by_type.get("cmdbuf", 0),
            "private_gmem": gmem["private_gmem_size"], "shared_gmem": gmem["shared_gmem_size"],
            "ion_mb": float(ion.group(1)) if ion else None}


def deploy_step(targets, sources, settings):
    """<m>.mlir (+ calibration table) -> <m>.cvimodel for the chip, quant_report.json,
    cvimodel.json (inputs, outputs, sizes, TPU memory)."""
    cvimodel, report_path, info_path = targets
    mlir, weights, check_input, check_outputs, table, onnx_path = sources[:6]
    work = os.path.join(os.path.dirname(cvimodel), "tpu-mlir")
    os.makedirs(work, exist_ok=True)
    shutil.copyfile(weights, os.path.join(work, os.path.basename(weights)))  # the mlir names it relative
    with open(sources[6]) as f:
        transform = json.load(f)
    shape = transform["input"]["shape"]
    evaluation = None
    if settings["evaluation"]:
        evaluation = datasets.load_samples(settings["evaluation"], "evaluation", math.prod(shape[1:]),
                                           quantize.onnx_output_size(onnx_path))
    if evaluation is not None and evaluation[1] is not None:
        x, y, what = evaluation[0], evaluation[1], f"{len(evaluation[0])} labelled evaluation samples"
    else:
        x = datasets.calibration_samples(settings["calibration"], settings["samples"], shape)
        y, what = None, f"{len(x)} calibration samples (no labels)"
    precision.Criteria.check_labels(settings["metric"], y, onnx_path)
    x = x.reshape(len(x), *shape[1:])
    criteria = precision.Criteria(x, y, quantize.run_float_onnx(onnx_path, x), what, settings["metric"],
                                  settings["min_sqnr_db"])
    deployment = Deployment(settings, mlir, table, check_input, check_outputs, work, criteria)
    chosen, path, _, candidates, reason = precision.choose(settings["mode"], deployment, settings["tolerance"],
                                                           order=("int8", "bf16"))
    io, _ = simulate(settings["venv"], path, work)
    if len(io["inputs"]) != 1 or len(io["outputs"]) != 1:
        raise UserError(f"{onnx_path}: the cvimodel has {len(io['inputs'])} inputs and {len(io['outputs'])} "
                        "outputs; nnbuild's C API runs models with one input and one output.")
    sizes = _model_tool_info(settings["venv"], path, work)
    io_bytes = sum(math.prod(t["shape"]) * np.dtype(t["dtype"]).itemsize for t in io["inputs"] + io["outputs"])
    # What cviruntime allocates from the TPU's (ION) memory: the cvimodel's sections, its
    # working memory and the input and output buffers; or model_tool's own figure (in MB,
    # with 2 decimals) when that is more.
    parts = sizes["weights"] + sizes["commands"] + sizes["private_gmem"] + sizes["shared_gmem"] + io_bytes
    memory = max(parts, round((sizes["ion_mb"] or 0) * 2 ** 20))
    if memory > settings["memory"]:
        raise UserError(f"{onnx_path}: the {chosen} cvimodel needs {memory} bytes of TPU memory (weights "
                        f"{sizes['weights']}, commands {sizes['commands']}, working memory "
                        f"{sizes['private_gmem'] + sizes['shared_gmem']}, inputs and outputs {io_bytes}), more than "
                        f"the {settings['memory']} bytes {settings['chip']} has on this board ([runtimes.tpu] memory "
                        "in its target file). Use a smaller model, or quantize=int8 if it was BF16.")
    report = {"model": settings["model"], "runtime": "tpu", "chip": settings["chip"], "mode": chosen,
              "asked": settings["mode"], "reason": reason,
              "calibration": {"source": settings["calibration"], "samples": settings["samples"]},
              "transform": transform["similarity"], "tolerances": {"transform": transform["tolerance"],
                                                                   **settings["tolerances"]},
              "evaluation": {"data": criteria.what, "float": criteria.float_metrics(), **candidates}}
    info = {"mode": chosen, "chip": settings["chip"], "input": io["inputs"][0], "output": io["outputs"][0],
            "cvimodel_bytes": os.path.getsize(path), **sizes, "io_bytes": io_bytes, "tpu_memory": memory,
            "tpu_memory_budget": settings["memory"]}
    shutil.copyfile(path, cvimodel)
    write_atomically(report_path, json.dumps(report, indent=2) + "\n")
    write_atomically(info_path, json.dumps(info, indent=2) + "\n")
    say(f"quantize={settings['mode']}: {chosen} for {settings['chip']} ({reason})")
    for line in precision.format_candidates(report["evaluation"], settings["chip"]).splitlines():
        say(line)


# --- the C API ------------------------------------------------------------------------

def _api_tensor(tensor, role):
    """model.h.j2's view of a cvimodel tensor: C type, size, shape, dequantization scale."""
    if tensor["dtype"] not in ("int8", "float32"):
        raise UserError(f"the cvimodel's {role} '{tensor['name']}' is {tensor['dtype']}; nnbuild's C API "
                        "takes int8 (INT8 models) or float32 (BF16 models).")
    quantized = tensor["dtype"] == "int8"
    # cviruntime's input qscale quantizes (q = x * qscale); its output qscale dequantizes.
    scale = (1 / tensor["qscale"] if role == "input" else tensor["qscale"]) if quantized else 1.0
    return {"name": tensor["name"], "ctype": C_TYPES[tensor["dtype"]], "size": math.prod(tensor["shape"]),
            "shape": tensor["shape"], "scale": c_float(scale), "zero_point": tensor["zero_point"],
            "qscale": c_float(tensor["qscale"]), "quantized": quantized,
            "bytes": math.prod(tensor["shape"]) * np.dtype(tensor["dtype"]).itemsize}


def glue_step(targets, sources, settings):
    """cvimodel.json -> <m>.h (the C API) and <m>_tpu.c (it, over cviruntime's C API)."""
    header_path, glue_path = targets
    with open(sources[0]) as f:
        info = json.load(f)
    model = settings["model"]
    context = {"model": model, "MODEL": model.upper(), "origin": f"{model}.cvimodel ({info['mode']}, {info['chip']})",
               "input": _api_tensor(info["input"], "input"), "output": _api_tensor(info["output"], "output"),
               "arena_size": info["tpu_memory"], "chip": info["chip"], "mode": info["mode"]}
    write_atomically(header_path, render_template("model.h.j2", **context))
    write_atomically(glue_path, render_template("tpu/model_tpu.c.j2", **context))


# --- verification on the simulator ----------------------------------------------------

def verify_step(targets, sources, settings):
    """Run the host runner (linked with TPU-MLIR's x86 libcviruntime: the simulator) on every
    evaluation vector; compare byte for byte with TPU-MLIR's Python runtime on the same."""
    runner, cvimodel, info_path = sources[:3]
    with open(info_path) as f:
        info = json.load(f)
    venv, shape = settings["venv"], info["input"]["shape"]
    count = settings["vectors"]
    if settings.get("data"):
        x, labels = datasets.load_samples(settings["data"], "verification", math.prod(shape[1:]),
                                          math.prod(info["output"]["shape"][1:]))
        x, labels = x[:count], (labels[:count] if labels is not None else None)
        vectors = quantize_input(x.reshape(len(x), *shape[1:]), info["input"])
    else:
        rng, labels = np.random.default_rng(0), None
        x = rng.standard_normal((count or RANDOM_VECTORS, *shape[1:])).astype(np.float32)
        vectors = quantize_input(x, info["input"])
    work = os.path.dirname(targets[0])
    # The runner finds the cvimodel beside it, as on the board.
    shutil.copyfile(cvimodel, os.path.join(os.path.dirname(runner), os.path.basename(cvimodel)))

    def reference(v):
        return simulate(venv, cvimodel, work, v)[1].reshape(len(v), -1)

    def compare(got, expected):
        # Byte for byte: float outputs compared as their bits.
        bad = [i for i in range(len(got)) if got[i].tobytes() != expected[i].tobytes()]
        return bad, not bad, {"reference": "TPU-MLIR pyruntime_cvi", "mode": info["mode"], "chip": info["chip"]}, \
            lambda i: (f"TPU-MLIR's Python runtime (first: vector {i}, runner {got[i][:8].tolist()} vs "
                       f"reference {expected[i][:8].tolist()})")

    run = {"emulator": [], "runs_on": "simulator", "environment": toolkit.environment(venv),
           "vectors_compiled_in": False, "timeout": settings["timeout"], "data": settings.get("data")}
    verify_firmware(targets, run, runner, vectors, labels, reference, compare, bit_exact_verdict)


# --- size -----------------------------------------------------------------------------

def _allocated(path):
    """Bytes of an object or executable in flash (code, constants, initialised data) and in
    RAM (initialised and zeroed data)."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    flash = ram = 0
    with open(path, "rb") as f:
        for section in ELFFile(f).iter_sections():
            flags, size = section["sh_flags"], section["sh_size"]
            if not flags & SH_FLAGS.SHF_ALLOC:
                continue
            nobits = section["sh_type"] == "SHT_NOBITS"
            flash += 0 if nobits else size
            ram += size if nobits or flags & SH_FLAGS.SHF_WRITE else 0
    return flash, ram


def size_step(targets, sources, settings):
    """cvimodel.json + the runner's objects (and the linked firmware, with an SDK) ->
    size.json and size.txt: the cvimodel (its weights and commands) and the TPU memory it
    needs beside the runner's flash and RAM."""
    from nnbuild import budgets
    from nnbuild.size_report import format_size_table

    with open(sources[0]) as f:
        info = json.load(f)
    report = {memory: {"total": 0, "budget": None, "components": {}} for memory in ("flash", "ram")}

    def add(component, flash, ram):
        for memory, size in (("flash", flash), ("ram", ram)):
            if size:
                report[memory]["components"][component] = report[memory]["components"].get(component, 0) + size
                report[memory]["total"] += size

    objects = 0
    for path, component in settings["components"].items():
        flash, ram = _allocated(path)
        add(component, flash, ram)
        objects += flash
    if settings["elf"]:
        flash, ram = _allocated(settings["elf"])
        add("C library and startup", flash - objects, ram - sum(report["ram"]["components"].values()))
    add("model (cvimodel file)", info["cvimodel_bytes"], 0)
    add("TPU memory (ION)", 0, info["tpu_memory"])
    report["arena"] = {"bytes": info["tpu_memory"], "lower_bound": None, "tflm": None}
    report["tpu"] = {key: info[key] for key in ("chip", "mode", "cvimodel_bytes", "weights", "commands",
                                                 "private_gmem", "shared_gmem", "io_bytes", "tpu_memory",
                                                 "tpu_memory_budget", "ion_mb")}
    report["linked"] = bool(settings["elf"])
    for memory in ("flash", "ram"):
        report[memory]["budget"] = settings["budget"][memory]["bytes"]
    over = [m for m in (budgets.overshoot(report, memory, settings["budget"][memory]["from"])
                        for memory in ("flash", "ram")) if m]
    text = format_size_table(report) + (
        f"cvimodel: {info['cvimodel_bytes']} B (weights {info['weights']}, commands {info['commands']}); TPU memory "
        f"{info['tpu_memory']} of {info['tpu_memory_budget']} B on {info['chip']}\n")
    if not settings["elf"]:
        text += "runner: compiled objects only (no cvitek_sdk=, so not linked)\n"
    write_atomically(targets[1], text)
    write_atomically(targets[0], json.dumps(report, indent=2) + "\n")
    if over:
        os.remove(targets[0])
        raise UserError(f"{settings['title']}: " + " ".join(over) + f" See {targets[1]}.")
