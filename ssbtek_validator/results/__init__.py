"""The one result model, made safe to print (masking, one-line text) before any reporter sees it."""
