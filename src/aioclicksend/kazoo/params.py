"""The Kazoo faxes API's request objects and enums as type checkers see them: a ``TypedDict`` per request
model (``FaxParam`` for ``models.Fax``) and a ``Literal`` per enum, generated from its spec. Importing this
module loads no model."""

from ._generated.params import *  # noqa: F403
