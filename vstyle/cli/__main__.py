"""``python -m vstyle.cli``: the same as the ``vstyle`` console script."""

from . import main

main()
