"""Registers this service in Consul so the other services can find it."""

import consul

from . import config


def register_service(port: int) -> None:
    client = consul.Consul(host=config.CONSUL_HOST)
    client.agent.service.register("upload-service", port=port, check=consul.Check.http(f"http://upload:{port}/health", "10s"))
