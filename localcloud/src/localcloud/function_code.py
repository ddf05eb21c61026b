"""``UpdateFunctionCode`` and ``PublishLayerVersion`` reach the running functions, as in Lambda.

moto stores the code and answers as Lambda does (``CodeSha256``, ``CodeSize``, ``RevisionId``,
the new layer version's ARN). For a function the local cloud runs, the new zip (``ZipFile`` in
the request, or ``S3Bucket``/``S3Key`` in moto's S3) is unpacked into the code cache first (a
file that is not a zip is refused, as Lambda refuses it, and moto never sees it), and once moto
has taken it the function runs from it: an invoke in flight finishes on the code it started with,
the next starts a worker on the new code (``LocalInvoker.deploy``). Its requirements are what
the zip holds, as in Lambda (``sam build`` and ``sam sync`` put them in it).

A layer version published is unpacked too and its ARN remembered (``LayerContents``), so an
``UpdateFunctionConfiguration`` that names it (``sam sync --code`` after a layer changed) puts its
``python/`` folders on the function's path.

Lambda takes a layer's ARN wherever it takes its name (``sam sync`` lists and publishes versions
by ARN); moto only by name, so a layer path naming an ARN is rewritten to the name first.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from localcloud.clients import deployer_client
from localcloud.deploy.artifacts import ArtifactError, CodeCache, layer_paths, read_object
from localcloud.functions.invoker import FunctionNotFound, LocalInvoker
from localcloud.functions.layer_contents import LayerContents
from localcloud.wsgi import (
    Environ,
    StartResponse,
    WsgiApp,
    captured_response,
    read_body,
)

log = logging.getLogger(__name__)

CODE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/code/?$")
LAYER_VERSIONS_PATH = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/?$")
LAYER_PATH = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)(?P<rest>/.*)?$")
UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


def _error(start_response: StartResponse, message: str) -> list[bytes]:
    body = json.dumps({"Type": "User", "message": message}).encode()
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", "InvalidParameterValueException"),
        ],
    )
    return [body]


def _layer_name_for_arn(environ: Environ) -> None:
    """``/2018-10-31/layers/arn:aws:lambda:…:layer:NAME/…`` -> ``/2018-10-31/layers/NAME/…``."""
    match = LAYER_PATH.match(environ.get("PATH_INFO", ""))
    if match is None:
        return
    name = unquote(match["name"])
    if name.startswith("arn:") and ":layer:" in name:
        layer_name = name.split(":layer:", 1)[1].split(":", 1)[0]
        environ["PATH_INFO"] = f"/2018-10-31/layers/{layer_name}{match['rest'] or ''}"


class FunctionCodeUpdates:
    """WSGI middleware in front of moto for the two calls; everything else passes through."""

    def __init__(
        self,
        app: WsgiApp,
        endpoint_url: Callable[[], str],
        region: str,
        cache: CodeCache,
        layers: LayerContents,
    ) -> None:
        self.app = app
        self._endpoint_url = endpoint_url
        self._region = region
        self._cache = cache
        self._layers = layers
        self.invoker: LocalInvoker | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        _layer_name_for_arn(environ)
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        code = CODE_PATH.match(path) if method == "PUT" else None
        if code is not None and self.invoker is not None:
            return self._update_code(self.invoker, unquote(code["name"]), environ, start_response)
        if method == "POST" and LAYER_VERSIONS_PATH.match(path):
            return self._publish_layer(environ, start_response)
        return self.app(environ, start_response)

    def _zip(self, source: dict[str, Any]) -> bytes | None:
        """The zip a Code or Content member names: inline (base64) or in moto's S3."""
        if "ZipFile" in source:
            try:
                return base64.b64decode(str(source["ZipFile"]), validate=True)
            except binascii.Error:
                return None  # moto answers for a malformed member
        if "S3Bucket" in source and "S3Key" in source:
            s3 = deployer_client("s3", self._endpoint_url(), self._region)
            try:
                return read_object(
                    s3, source["S3Bucket"], source["S3Key"], source.get("S3ObjectVersion")
                )
            except ArtifactError:
                return None  # moto answers for a missing object, as Lambda does
        return None

    def _update_code(
        self, invoker: LocalInvoker, name: str, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            spec = invoker.resolve(name)
        except FunctionNotFound:
            return self.app(environ, start_response)
        try:
            request = json.loads(read_body(environ) or b"{}")
        except ValueError:
            return self.app(environ, start_response)
        archive = self._zip(request) if isinstance(request, dict) else None
        folder = None
        if archive is not None:
            try:
                folder = self._cache.unpack(archive)
            except ArtifactError:
                return _error(
                    start_response, "Could not unzip uploaded file. Please check your file"
                )
        status, headers, body = captured_response(self.app, environ)
        if status.startswith("200") and folder is not None and not request.get("DryRun"):
            invoker.deploy(dataclasses.replace(spec, code_dir=folder, dependency_dirs=()))
            log.info("%s: new code (%s), live from the next invoke", spec.logical_id, folder.name)
        start_response(status, headers)
        return [body]

    def _publish_layer(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            request = json.loads(read_body(environ) or b"{}")
        except ValueError:
            return self.app(environ, start_response)
        content = request.get("Content") if isinstance(request, dict) else None
        archive = self._zip(content) if isinstance(content, dict) else None
        folder = None
        if archive is not None:
            try:
                folder = self._cache.unpack(archive)
            except ArtifactError:
                return _error(
                    start_response, "Could not unzip uploaded file. Please check your file"
                )
        status, headers, body = captured_response(self.app, environ)
        if status.startswith("201") and folder is not None:
            arn = json.loads(body).get("LayerVersionArn")
            if arn:
                self._layers.add(str(arn), layer_paths(folder))
        start_response(status, headers)
        return [body]
