"""The composition root: build the services and the Bolt app, serve HTTP, the command line and the demo.
Only this package imports handlers; nothing imports it."""
