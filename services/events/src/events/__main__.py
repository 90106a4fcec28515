"""`python -m events {api,migrate}`."""

from backbone.service_main import run_service
from events.app import create_app
from events.settings import MIGRATIONS_DIR, Settings

if __name__ == "__main__":
    run_service(Settings(), create_app, MIGRATIONS_DIR)
