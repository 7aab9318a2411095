"""Durations the way people read them, shared by the pages and the alert messages."""


def duration(seconds: float) -> str:
    """Seconds as a clock reading: '4:05' under an hour, '3 h 29 m' from an hour on (an
    e-mail queue's wait reads in hours, a call's in minutes and seconds)."""
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} m"
    return f"{seconds // 60}:{seconds % 60:02d}"
