"""Upstream tracking: our specs against the descriptions they follow (ClickSend's own OpenAPI spec, the
Kazoo faxes document), pinned in openapi/upstream.yaml; ``python -m codegen.upstream`` writes the report."""
