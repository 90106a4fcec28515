"""`python -m gateway {api,migrate}`."""

from backbone.service_main import run_service
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings

if __name__ == "__main__":
    run_service(Settings(), create_app, MIGRATIONS_DIR)  # type: ignore[arg-type]
