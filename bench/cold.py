"""The cold-start part of the benchmark alone, for working on it: `python -m bench.cold [options]`.

The same measurement as section 1 of `make bench` (bench/first_request.py: a fresh interpreter imports the
handler, then answers its first request against DynamoDB Local, paired with the boto3 floor replaying the
same DynamoDB calls), cached layout only, printed as one line per function. Not a report to quote: a
development aid (`make bench` is the figure of record).

    python -m bench.cold [--repetitions 5] [--functions create_conversation get_conversation ...] [--no-count]
"""

from __future__ import annotations

import argparse
import os
import sys

from bench import REPO
from bench.cold_init import CACHED, cached_layout
from bench.first_request import ColdStart, measure_cold_starts
from bench.functions import main_samples
from bench.workload import ALL_FUNCTIONS, FUNCTIONS
from local.dynamodb_local import DynamoDBLocal, dynamodb_client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=5, help="pairs per function (default 5)")
    parser.add_argument("--functions", nargs="*", help="function folders (default: every API function)")
    parser.add_argument(
        "--no-count", action="store_true", help="skip the instruction counts (valgrind, ~15 s a function)"
    )
    options = parser.parse_args(argv)
    chosen = [
        function
        for function in FUNCTIONS
        if (function.folder in options.functions if options.functions else function.api)
    ]
    if not chosen:
        parser.error("no such function")
    samples = main_samples(FUNCTIONS, REPO / "events")
    print(f"load average {os.getloadavg()[0]:.1f}; {options.repetitions} pairs per function", file=sys.stderr)
    with DynamoDBLocal() as local:
        cold = measure_cold_starts(
            dynamodb_client(local.endpoint),
            local.endpoint,
            samples,
            [(cached_layout(ALL_FUNCTIONS), chosen, options.repetitions)],
            count=not options.no_count,
        )[CACHED]
    print(
        f"{'function':30} {'import CPU':>21} {'ratio':>6} {'init+first CPU':>21} {'ratio':>6} "
        f"{'wall ratios':>11} {'instructions':>12}  status"
    )
    for function in chosen:
        result = cold[function.folder]
        print(
            f"{function.folder:30} "
            f"{result.median_ms('product', 'import'):8.1f} / {result.median_ms('floor', 'import'):6.1f} ms "
            f"{result.ratio('import'):5.2f}× "
            f"{result.median_ms('product', 'first'):8.1f} / {result.median_ms('floor', 'first'):6.1f} ms "
            f"{result.ratio('first'):5.2f}× "
            f"{result.ratio('import', wall=True):4.2f}/{result.ratio('first', wall=True):4.2f}× "
            f"{_counted(result):>12}  "
            f"{result.product.status} (replayed alike {result.faithful_replays} of {result.pairs})"
        )
    return 0


def _counted(result: ColdStart) -> str:
    counted = result.counted
    return "-" if counted is None else f"{counted.ratio('import'):4.2f}/{counted.ratio('first'):4.2f}×"


if __name__ == "__main__":
    raise SystemExit(main())
