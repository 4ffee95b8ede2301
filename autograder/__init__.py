"""The course's autograder: release, grading and the demo, one subpackage per verb.

    python -m autograder release [--check]
    python -m autograder grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR [--jobs N]
    python -m autograder demo

See autograder/README.md for the design (what runs where, and why).
"""
