"""Your app's secret, as the receivers above were given it."""

SECRET = "s3cret"

pass  # the README block
