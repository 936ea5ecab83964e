"""`python -m ssbtek_validator` runs the command line."""

from ssbtek_validator.cli.main import main

main()
