"""Command-line entry points: thin wrappers that parse, call a library function, and report errors in one line."""
