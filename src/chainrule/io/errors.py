"""The one error every file reader raises for a file it will not read: ``CorruptFileError``.

A reader that meets a damaged, truncated, hostile or simply foreign file raises this (a
``ValueError``), naming the file, the format it expected and what is wrong, so a caller can
catch one class whatever the format, and nothing else escapes: no ``struct.error``, no
``RecursionError``, no ``MemoryError`` from a size the file only claims to have.
"""

import os


class CorruptFileError(ValueError):
    """A file that is not a valid file of its format. ``path`` names the file, ``kind`` the
    format (``"safetensors"``, ``"IDX"``, ``"run.json"``…) and ``problem`` says what is wrong."""

    def __init__(self, path, problem, kind="safetensors"):
        self.path = os.fspath(path)
        self.problem = problem
        self.kind = kind
        super().__init__(f"{self.path}: not a valid {kind} file: {problem}")
