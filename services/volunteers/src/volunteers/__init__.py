"""Volunteers service: pools, volunteers, requests, matching, offers, hours and fees."""
