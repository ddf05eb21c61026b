"""Run Lambda handlers locally: one pool of long-lived worker subprocesses per function.

``invoker.LocalInvoker`` is the entry point (it implements ``localcloud.specs.Invoker``);
``worker_main`` is the program each worker runs; ``worker`` drives one of them from the parent.
"""
