"""``python -m streammesh.cli``: the same as the ``streammesh`` console script."""

from streammesh.cli.main import main

main()
