"""`python -m notify {api,migrate}`."""

from backbone.service_main import run_service
from notify.app import create_app
from notify.settings import MIGRATIONS_DIR, Settings

if __name__ == "__main__":
    run_service(Settings(), create_app, MIGRATIONS_DIR)
