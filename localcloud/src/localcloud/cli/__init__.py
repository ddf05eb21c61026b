"""Command line of the local cloud (``python -m localcloud ...``, the ``localcloud`` script).

``parser`` builds the arguments; one module per command (``up`` with ``--detach``, ``stop``,
``status``, ``env``, ``run``, ``invoke``); ``launch`` starts a cloud from the parsed options and
``running`` describes the one the state file names.

What each command does is its help text, ``parser.DESCRIPTION``.
"""

from __future__ import annotations

import errno
import sys

from localcloud.cli.parser import build_parser, check_combinations


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    check_combinations(parser, args)
    args.argv = argv
    try:
        return int(args.handler(args))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(error, file=sys.stderr)  # says which port and how to choose another
        return 1
