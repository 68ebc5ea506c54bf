"""ClickSend's behaviours in the sandbox, by part: messages, inbound SMS, collections (the registry is
:mod:`aioclicksend.sandbox._behaviours`)."""
