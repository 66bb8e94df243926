"""`python -m pirights` is the `pirights` command."""

from pirights.cli import main

main()
