"""Every system under src/ is importable in every test run, as its CodeUri is on Lambda's path.

Globbing here instead of listing folders in pyproject.toml means a new system needs no entry.
"""

import sys
from pathlib import Path

for system in sorted((Path(__file__).parent / "src").glob("*/")):
    if str(system) not in sys.path:
        sys.path.insert(0, str(system))
