"""Every use of moto's internals (its models, backends, routing, WSGI app) behind one package.

The rest of the local cloud talks to moto through its HTTP API, ``moto.server`` and these
modules, so a moto upgrade has one checklist: ``UPGRADING.md`` beside this file.
"""
