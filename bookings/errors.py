class BookingError(Exception):
    """A booking operation refused, with a stable code for programs and a
    message for people (staff, the attendant, API clients)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
