"""Errors a user can act on. The CLI turns each into one ``Error: …`` line and exit code 1."""


class CablemgrError(Exception):
    """Base class: the message is shown to the user as it is."""


class NotFound(CablemgrError):
    """An id, name or reference that does not exist."""


class InvalidInput(CablemgrError):
    """A value the user gave that cannot be accepted (bad date, unknown level, …)."""


class DatabaseError(CablemgrError):
    """The database is missing, newer than this program, locked or damaged."""
