"""Signal intelligence: the regime filter, the weighted ensemble and the veto.

``orchestrator.config`` imports :mod:`ai.config` to build ``AppConfig``, and
:mod:`ai.config` subclasses ``orchestrator.config.Section``. Importing the core config
first, here, makes that cycle resolve whichever module a caller imports first.
"""

import orchestrator.config  # noqa: F401  (see module docstring: import order matters)
