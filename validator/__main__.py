"""`python -m validator` runs the command line."""

from .cli import main

main()
