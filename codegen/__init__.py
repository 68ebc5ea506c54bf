"""Turns the hand-maintained spec in openapi/ into the SDK code in src/aioclicksend/_generated/."""
