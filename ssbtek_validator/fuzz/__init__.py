"""Generated documents fed to files or to a vendor's own command."""
