"""``python -m localcloud``: see ``localcloud.cli``."""

import sys

from localcloud.cli import main

if __name__ == "__main__":
    sys.exit(main())
