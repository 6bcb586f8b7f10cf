"""`python -m reconciler.sandbox [--port N] [--state-file PATH] [--no-seed]`."""

from __future__ import annotations

import argparse
import os
import pathlib

from .server import DEFAULT_MASTER_KEY, serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m reconciler.sandbox")
    parser.add_argument("--port", type=int, default=4001)
    parser.add_argument("--state-file", type=pathlib.Path, default=None)
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    # Read from the environment, never from argv, so the key stays out of `ps` output.
    master_key = os.environ.get("SANDBOX_MASTER_KEY", DEFAULT_MASTER_KEY)
    serve(port=args.port, master_key=master_key, state_file=args.state_file,
          seed=not args.no_seed)


if __name__ == "__main__":
    main()
