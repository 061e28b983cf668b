"""A long step is never silent: stages that run long say so while they run, quick ones say nothing,
and progress reaches the user even while a converter's own output goes to a log."""

import os
import time

from nnbuild.native_output import native_output_to
from nnbuild.progress import Ticker, Timings, say


def test_a_long_stage_says_it_is_still_running_and_when_it_is_done(capfd):
    timings = Timings(interval=0.05)
    with timings("converting to TensorFlow (onnx2tf)"):
        time.sleep(0.23)
    lines = capfd.readouterr().out.splitlines()
    assert len([l for l in lines if "onnx2tf): " in l and "s so far" in l]) >= 3
    assert lines[-1].startswith("    converting to TensorFlow (onnx2tf): done in")
    assert 0.2 < timings.seconds["converting to TensorFlow (onnx2tf)"] < 5


def test_a_quick_stage_is_silent_but_timed(capfd):
    timings = Timings(interval=5)
    with timings("per-layer error"):
        pass
    with timings("per-layer error"):
        pass
    assert capfd.readouterr().out == ""
    assert list(timings.seconds) == ["per-layer error"]


def test_a_slow_loop_counts_its_samples(capfd):
    ticker = Ticker("calibration sample", 4, interval=0.0)
    for _ in range(4):
        ticker.tick()
    ticker.done()
    lines = capfd.readouterr().out.splitlines()
    assert lines[0].startswith("    calibration sample 1 of 4 (")
    assert lines[-1].startswith("    calibration sample 4 of 4 (")


def test_progress_reaches_the_user_while_native_output_goes_to_a_log(capfd, tmp_path):
    log = tmp_path / "tflite_converter.log"
    with native_output_to(str(log)):
        os.write(1, b"converter chatter\n")
        say("exact ranges: sample 1 of 200 (15 s)")
    out = capfd.readouterr().out
    assert out == "    exact ranges: sample 1 of 200 (15 s)\n"
    assert log.read_text() == "converter chatter\n"
