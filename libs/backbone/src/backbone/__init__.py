"""The event-driven backbone every service of the platform stands on."""
