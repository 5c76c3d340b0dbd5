"""Hand-written wrong solutions, one per misconception detector.

Each module is named after a task module in gdcourse/grading/tasks and defines MUTANTS:
{task id: {detector name: a function that makes exactly that mistake}}.
"""
