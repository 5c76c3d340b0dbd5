"""Grading: the trust boundary between learner code and the grader.

One side runs beside learner code and returns plain data (`collect`, and `child` in a forked
sandbox child); the other side judges that data against the oracle (`judge`, `tasks`) and
records it (`pipeline`, `gradebook`, `lms`); `secret` keeps the instructor's secret that
each student's hidden probes are drawn from. `sandbox` is a generic fork server; the policy
that makes it safe for gdcourse lives in `child.POLICY`. A graded submission may import
nothing from this package.
"""
