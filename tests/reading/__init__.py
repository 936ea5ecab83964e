"""Reading: bytes to messages."""
