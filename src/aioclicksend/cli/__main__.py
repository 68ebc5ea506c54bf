"""``python -m aioclicksend.cli``: the ``aioclicksend`` command."""

from . import main

main()
