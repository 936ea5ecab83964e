"""The project itself: layout, docs, style, packaging."""
