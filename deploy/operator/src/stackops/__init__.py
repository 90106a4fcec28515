"""stackops: look after the platform's docker compose stack through the Docker SDK."""
