"""Authoring: the maintainers' tools behind `make notebooks`, `make slides` and `gdcourse release`.

`notebooks` executes lessons in a fresh kernel, `exercises` builds exercises/ from
solutions/, `release` writes the student hand-out, `lessons` lists the lessons,
`markdown` is the one Markdown block reader, `slides` marks, exports and inspects lecture
decks, and `timings` estimates lecture times. None of it is in the student hand-out.
"""
