"""The command line: click wiring only; every command calls the library."""
