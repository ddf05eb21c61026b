"""A taken proxy port is one clear error naming the option that chooses another."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest

from localcloud.proxy.ca import load_or_create_ca
from localcloud.proxy.hosts import Upstream
from localcloud.proxy.server import AwsProxy


def test_a_taken_port_says_which_option_to_change(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proxy = AwsProxy(load_or_create_ca(tmp_path), {Upstream.MOTO: ("127.0.0.1", 1)}, port=port)

        with pytest.raises(OSError, match="--proxy-port") as raised:
            proxy.start()

    assert raised.value.errno == errno.EADDRINUSE
    assert str(raised.value).startswith(f"Port {port} on 127.0.0.1 (AWS proxy) is in use")
