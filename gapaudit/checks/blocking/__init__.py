"""blocking-async (GA101-GA111): blocking calls reachable from an `async def`; rules/blocking*.yml."""

from .catalog import BlockingCatalog, ClientFamily
from .check import BlockingAsyncAnalyzer

ANALYZERS = (BlockingAsyncAnalyzer,)

__all__ = ["ANALYZERS", "BlockingAsyncAnalyzer", "BlockingCatalog", "ClientFamily"]
