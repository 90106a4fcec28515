"""Standard Webhooks to organisations: endpoints, signing, delivery with retries, the SSRF guard, the log."""
