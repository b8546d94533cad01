"""Course platforms: a Gradescope autograder bundle and a PrairieLearn question with its grader.

Both graders grade the files one student handed in together, with the same engine and the
same scores as `barprop grade`; every absolute root can be moved by an environment variable
(`AUTOGRADER_ROOT`, `PL_ROOT`) so the real scripts run here in a simulated tree.
"""
