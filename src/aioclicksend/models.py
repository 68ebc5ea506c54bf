"""Every model of the API, generated from the spec (request bodies and the ``data`` of answers)."""

from ._generated.models import *  # noqa: F403
