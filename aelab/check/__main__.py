"""``python -m aelab.check``: list every exercise in lesson order, with its title, notebook and
frameworks (for instructors)."""

from . import listing

print(listing())
