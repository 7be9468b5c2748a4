"""Production context: what a deployment runs, read from how the repository deploys itself."""

from .deployed import Deployed, Entry, ModuleEdges, deployed, module_edges
from .launch import Command, DeployFile, deploy_file, split_command

__all__ = ["Command", "DeployFile", "Deployed", "Entry", "ModuleEdges", "deploy_file", "deployed", "module_edges",
           "split_command"]
