"""The one error type the genome parsers raise."""


class GenomeFormatError(Exception):
    """A file that cannot be read as raw DNA data.

    ``message`` is written for the member who uploaded the file: one or two plain sentences
    naming the problem and, where we can, what to do. It never quotes genotype values.
    ``code`` is a short stable identifier for tests, logs and metrics.
    """

    def __init__(self, message: str, *, code: str = "unreadable") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
