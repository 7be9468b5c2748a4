from .arango_adapter import ArangoAdapter
from .gcs_adapter import GCSAdapter

__all__ = ["ArangoAdapter", "GCSAdapter"]
