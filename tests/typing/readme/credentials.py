"""A module of yours that has the credentials."""

username = "your-username"
api_key = "your-api-key"

pass  # the README block
