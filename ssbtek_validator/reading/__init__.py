"""Bytes to messages: inputs, limits, encodings, the SOAP envelope, HAR captures, nested decoding."""
