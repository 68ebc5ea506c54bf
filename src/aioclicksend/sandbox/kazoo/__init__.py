"""Kazoo's faxes API in the sandbox: its behaviours and the state they keep."""
