"""The code model of a Python module and project-wide name resolution."""
