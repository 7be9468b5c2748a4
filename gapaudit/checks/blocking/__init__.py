"""blocking-async (GA101-GA109): blocking calls reachable from an `async def`; rules/blocking*.yml."""

from .check import BlockingAsyncAnalyzer, BlockingCatalog

ANALYZERS = (BlockingAsyncAnalyzer,)

__all__ = ["ANALYZERS", "BlockingAsyncAnalyzer", "BlockingCatalog"]
