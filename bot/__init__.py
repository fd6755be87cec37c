"""leadmover: move and copy Instantly leads from Slack; the process, its services and its simulators."""

__version__ = "0.1.0"
