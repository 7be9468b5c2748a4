"""Settings read from the environment (config/testing.env in tests, config/production.env in prod)."""

import os

DATABASE_HOST = os.getenv("DATABASE_HOST", "localhost")
DATABASE_PASSWORD = os.environ["ARANGO_PASSWORD"]
REDIS_HOST = os.getenv("REDIS_HOST", "localhost")
GCS_PROJECT_ID = os.environ["GCS_PROJECT_ID"]
GCS_BUCKET_NAME = os.getenv("GCS_BUCKET_NAME")
RATE_LIMITING_ENABLED = os.getenv("RATE_LIMITING_ENABLED", "true") == "true"
NOTIFY_URL = os.getenv("NOTIFY_URL", "http://notifier:8080/events")
CONSUL_HOST = os.getenv("CONSUL_HOST", "consul")
