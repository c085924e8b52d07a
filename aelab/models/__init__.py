"""The reference answers of the framework exercises, for each framework.

One module per topic and framework, so nothing imports a framework until asked:
``aelab.models.<topic>_torch`` and ``aelab.models.<topic>_keras`` (e.g. ``linear_torch``).
Lessons define their own models in visible cells; these are what the checkers compare with and
what ``check.run(...).use()`` hands a notebook whose exercise is not solved yet (an exercise
names its reference as ``"<topic>.<name>"``, see :func:`aelab.check.exercise`).
(The tiny decoders that drive the widget tests live in tests/fixtures.)
"""
