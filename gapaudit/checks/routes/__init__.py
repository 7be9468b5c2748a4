"""route-undeclared, route-untested, route-shadowed (GA401-GA403); rules/routes.yml."""

from .check import Route, RoutesAnalyzer, RouteTable, compare_with_import

ANALYZERS = (RoutesAnalyzer,)

__all__ = ["ANALYZERS", "Route", "RouteTable", "RoutesAnalyzer", "compare_with_import"]
