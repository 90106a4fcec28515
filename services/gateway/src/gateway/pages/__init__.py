"""The web UI's pages, one router per area."""
