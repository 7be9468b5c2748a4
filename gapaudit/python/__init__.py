"""The code model of a Python module, built in one walk of its tree, and project-wide name resolution.

    model.py    what a module is made of: names, classes, functions, calls, types (frozen dataclasses)
    build.py    ModelBuilder, the walk.py collector that builds a module's Module (model_of: on its own walk)
    resolve.py  PythonProject: references resolved across modules into symbols
    walk.py     the one walk of a tree shared by every collector
    imports.py  Import records; modules.py: module names <-> files; codec.py: facts <-> JSON
"""

from .build import COLLECTOR_KEY, ModelBuilder, model_of
from .imports import Import, ImportCollector, Where
from .model import (
    MODULE_CODE,
    SCHEMA,
    AnyMethod,
    Assignment,
    Binding,
    BuiltinRef,
    Call,
    Class,
    ClassDefinition,
    FieldOf,
    Function,
    FunctionDefinition,
    Imported,
    ImportRef,
    LocalFunctionRef,
    MethodOf,
    Module,
    ModuleRef,
    NewOf,
    PathOf,
    Ref,
    ReturnOf,
    SelfAttr,
    SelfMethod,
    StateAttr,
    SuperMethod,
    Target,
    TypeExpr,
    ValueOf,
)
from .modules import ModuleIndex
from .resolve import (
    ClassSymbol,
    External,
    Family,
    FunctionSymbol,
    Instance,
    ModuleSymbol,
    Owner,
    PythonProject,
    Symbol,
)
from .walk import Collector, Context, walk

__all__ = [
    "COLLECTOR_KEY", "MODULE_CODE", "SCHEMA", "AnyMethod", "Assignment", "Binding", "BuiltinRef", "Call", "Class", "ClassDefinition",
    "ClassSymbol", "Collector", "Context", "External", "Family", "FieldOf", "Function", "FunctionDefinition",
    "FunctionSymbol", "Import", "ImportCollector", "ImportRef", "Imported", "Instance", "LocalFunctionRef", "MethodOf",
    "ModelBuilder", "Module", "ModuleIndex", "ModuleRef", "ModuleSymbol", "NewOf", "Owner", "PathOf", "PythonProject", "Ref",
    "ReturnOf", "SelfAttr", "SelfMethod", "StateAttr", "Symbol", "SuperMethod", "Target", "TypeExpr", "ValueOf", "Where", "model_of", "walk",
]
