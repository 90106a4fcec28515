"""The meetings service's HTTP API."""
