"""numpy imported on first use: scalar specs never touch it, and importing it costs about as
much as a whole quick check (0.2-0.3 s), so `import numpy as np` would tax every command."""
import importlib


class LazyModule:
    """Stands for a module; the module is imported when an attribute is first asked for."""

    def __init__(self, name):
        self._name, self._module = name, None

    def __getattr__(self, attr):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        value = getattr(self._module, attr)
        setattr(self, attr, value)          # asked again, it is found without this call
        return value


numpy = LazyModule("numpy")
