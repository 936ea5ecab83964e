"""The run: sources through the rules to one RunResult, serially or over --jobs workers."""
