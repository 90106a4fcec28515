"""`python -m meetings {api,migrate}`."""

from backbone.service_main import run_service
from meetings.app import create_app
from meetings.settings import MIGRATIONS_DIR, Settings

if __name__ == "__main__":
    run_service(Settings(), create_app, MIGRATIONS_DIR)
