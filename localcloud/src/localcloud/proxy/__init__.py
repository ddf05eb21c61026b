"""The opt-in proxy mode: a CONNECT proxy that answers for ``*.amazonaws.com`` with the local
cloud, so a suite written for AWS (default endpoints, the stack's execute-api URL) runs unchanged.

- ``ca``: the local certificate authority (generated once into ``.localcloud/``; ``ca_files``:
  where) and the per-host leaf certificates the proxy presents;
- ``hosts``: which upstream serves a host (the API front, the moto port, or none: refused);
- ``server``: the proxy itself (its own port, started with the cloud by ``start``), CONNECT and
  TLS; ``forwarding``: each request of a connection to its upstream (h11 on both sides);
- ``client_env``: the variables that point requests, boto3/botocore, the AWS CLI and Node at it.
"""
