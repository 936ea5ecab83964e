"""The ``ssbtek-validate`` command's start: the console scripts and ``python -m ssbtek_validator`` run :func:`run`."""

from __future__ import annotations

import gc


def run() -> None:
    """Import the command line with the cyclic garbage collector paused, freeze what exists, then run it.

    Start-up makes some 30,000 objects (modules, classes, functions, compiled patterns) that live as long as
    the process. With the collector on, it walks them again and again while they are being made, and once
    more when the process exits; paused, nothing is walked while importing, and frozen (``gc.freeze``) they
    are skipped by every later collection, the one at exit included. That is ~15% of a one-message run, the
    case of a pre-commit hook or an editor; a long batch's collections skip them too. The few hundred
    cyclic leftovers of importing stay frozen: a bounded, one-time cost. tests/run/test_cold_start.py
    checks that no collection runs while importing and that the collector is on again when the command runs.
    """
    gc.disable()
    try:
        from ssbtek_validator.cli.main import main
    finally:
        gc.freeze()
        gc.enable()
    main()


if __name__ == "__main__":
    run()
