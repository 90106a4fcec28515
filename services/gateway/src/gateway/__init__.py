"""Gateway: the one door from outside, serving the staff web UI and routing API calls to the services."""
