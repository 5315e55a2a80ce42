"""Starcard's shared kernel: the domain values every service may share, and nothing else.

Money (:mod:`starcard_kernel.money`), the single-use code lifecycle (:mod:`starcard_kernel.codes`)
and the refusals they raise (:mod:`starcard_kernel.refusals`). Pure domain: it imports the
standard library, the limits of the wire contract and eventsourcing's aggregate base, no I/O.
"""
