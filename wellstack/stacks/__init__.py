"""Stacks composed from the constructs."""

from wellstack.stacks.network_stack import NetworkStack

__all__ = ["NetworkStack"]
