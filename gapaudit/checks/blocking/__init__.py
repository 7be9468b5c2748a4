"""blocking-async (GA101-GA109): blocking calls reachable from an `async def`; rules/blocking*.yml."""

from .check import BlockingAsyncAnalyzer, BlockingCatalog

__all__ = ["BlockingAsyncAnalyzer", "BlockingCatalog"]
