"""Running an interpreter over many samples on every processor of the machine.

The slow parts of quantizing a large model are loops of one interpreter run per
calibration sample (TFLite's reference kernels for exact ranges, TFLite Micro for
the judge). Samples are independent, so they are shared among processes: the first
sample runs here and is timed; when the rest would take long enough to pay for
starting processes, the others get a share each (spawned, so TensorFlow's threads
are not forked) and the caller combines the shares' results, which never depend
on the order.
"""

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from nnbuild.progress import Ticker

WORTH_A_WORKER_S = 10  # below this much estimated work, starting processes costs more than it saves


def _share_from_files(function, model_path, samples_path, arguments):
    with open(model_path, "rb") as f:
        model = f.read()
    return function(model, np.load(samples_path), *arguments)


def over_samples(function, model, samples, arguments=(), what="sample"):
    """[function(model, share, *arguments, ticker=...) for each share of samples], the first
    share being samples[:1]. `function` must be a module-level function (workers import it)."""
    ticker = Ticker(what, len(samples))
    results = [function(model, samples[:1], *arguments, ticker=ticker)]
    rest = samples[1:]
    workers = min(len(os.sched_getaffinity(0)), len(rest))
    if workers > 1 and ticker.elapsed() * len(rest) > WORTH_A_WORKER_S:
        shares = np.array_split(np.arange(len(rest)), workers)
        with tempfile.TemporaryDirectory(prefix="nnbuild-samples-") as tmp, \
                ProcessPoolExecutor(workers - 1, mp_context=get_context("spawn")) as pool:
            model_path = os.path.join(tmp, "model")
            with open(model_path, "wb") as f:
                f.write(model)
            futures = []
            for k, share in enumerate(shares[1:]):
                path = os.path.join(tmp, f"samples{k}.npy")
                np.save(path, rest[share])
                futures.append(pool.submit(_share_from_files, function, model_path, path, arguments))
            results.append(function(model, rest[shares[0]], *arguments, ticker=ticker.scaled(workers)))
            results += [future.result() for future in futures]
    elif len(rest):
        results.append(function(model, rest, *arguments, ticker=ticker))
    ticker.done()
    return results
