"""Live checks of a service: for now, importing an application to read its own route table."""

from .introspect import imported_routes

__all__ = ["imported_routes"]
