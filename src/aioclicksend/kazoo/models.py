"""Every model of the Kazoo faxes API, generated from its spec (request bodies and answers' ``data``)."""

from ._generated.models import *  # noqa: F403
