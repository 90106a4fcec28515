"""The notify API: one router per resource, each included by name in `app.create_app`."""
