"""`python -m bench.profiled OUT SERVICE ARGS...`: run a service under cProfile, stats written to OUT on stop.

uvicorn re-raises SIGTERM after its graceful shutdown, which would kill the process before
`python -m cProfile` writes anything; here the re-raised signal lands in a handler that writes first.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys
from types import FrameType


def main() -> None:
    out, service, *rest = sys.argv[1:]
    profile = cProfile.Profile()

    def write_and_exit(_signum: int, _frame: FrameType | None) -> None:
        profile.disable()
        profile.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGTERM, write_and_exit)
    sys.argv = [service, *rest]
    profile.enable()
    try:
        runpy.run_module(service, run_name="__main__", alter_sys=True)
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
