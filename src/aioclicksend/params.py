"""The API's request objects and enums as type checkers see them: a ``TypedDict`` per request model
(``SmsMessageParam`` for ``models.SmsMessage``) and a ``Literal`` per enum, generated from the spec.

    from aioclicksend.params import SmsMessageParam

    message: SmsMessageParam = {"to": "+61411111111", "body": "hi"}

Importing this module loads no model: the TypedDicts name the models for type checkers only.
"""

from ._generated.params import *  # noqa: F403
