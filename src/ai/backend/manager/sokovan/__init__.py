"""Sokovan, the session scheduler.

`sokovan.scheduler` is the pure decision core: given an immutable snapshot of one resource group
(agents, pending sessions, limits and usage) it returns a plan of which kernel goes to which agent,
which sessions wait and why, and which are cancelled. It does no IO. The loop that loads the
snapshot, the transaction that applies the plan and the launcher that calls agents sit around it.
"""
