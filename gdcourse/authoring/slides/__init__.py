"""Lecture decks from the lessons: slide marks, offline reveal.js decks, and their check.

  marks    slide-height estimates and the marking rules: `mark_slides`, `split_cells`,
           `slide_marks`, `authored`; `marks_main` is `gdcourse mark-slides`
  deck     deck export: `deck_notebook`, `write_assets`, `exporter`, `export`;
           `export_main` is `gdcourse slides` (the vendored files: `../assets/`)
  inspect  deck inspection: `inspect_deck`, `is_remote`, `expected_structure`

The Markdown itself is read by `gdcourse.authoring.markdown`. Nothing is re-exported
here: import the module you need (`from gdcourse.authoring.slides import marks`).
"""

__all__ = ["deck", "inspect", "marks"]
