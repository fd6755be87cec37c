"""Documentation; docs.tour is importable so that a test can rebuild the tour pages."""
