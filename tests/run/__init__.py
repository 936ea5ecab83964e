"""The run: driver, --jobs, configuration."""
