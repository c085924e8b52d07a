"""Small reference models for each framework, used by the lessons and the checkers.

One module per topic and framework, so nothing imports a framework until asked:
``aelab.models.<topic>_torch`` and ``aelab.models.<topic>_keras`` (e.g. ``linear_torch``).
Lessons define their own models in visible cells; these are the references they are checked
against. (The tiny decoders that drive the widget tests live in tests/fixtures.)
"""
