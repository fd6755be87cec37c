"""The screenshot tour of leadmover in Slack: scenes.py builds each page, make_tour.py writes and captures them."""
