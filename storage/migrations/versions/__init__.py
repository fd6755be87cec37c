"""One module per schema revision, oldest first by number; each is applied once, in a transaction."""
