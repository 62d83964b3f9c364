"""Reliability: the real export flow against a sandbox that misbehaves on purpose."""
