"""The spelling of header names WSGI folds away, where moto reads it (S3 metadata keys).

A WSGI environ cannot tell ``x-amz-meta-my_key`` from ``x-amz-meta-my-key``; moto's own werkzeug
request handler records the original names under an environ key its ``Request`` reads.
"""

from __future__ import annotations

from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)

from localcloud.wsgi import Environ


def preserve_header_names(environ: Environ, names: list[str]) -> None:
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {
        environ_key_for_header(name): name
        for name in names
        if should_preserve_original_header_name(name)
    }
